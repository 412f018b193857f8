"""A party merged while documents are written for it, merged twice at once, or made a customer
by two documents at once (PostgreSQL: SQLite lets one writer in at a time anyway)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.models import Party, StageChange, Tag
from core.parties import merge_parties, tags_named
from plugins.invoicing.invoices import free_text_invoice
from plugins.invoicing.models import Payment
from plugins.invoicing.payments import customer_balance, register_payment
from plugins.invoicing.posting import post_invoice
from tests.invoicing.test_order_locks import _one_after_the_other, postgresql  # noqa: F401

FEE = {"account": "706", "description": "Consulting", "quantity": Decimal(1),
       "unit_price": Decimal(100), "tax_category": "VAT20"}


def test_a_payment_being_registered_is_moved_by_the_merge_waiting_for_it(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    second = _one_after_the_other(
        registry, lambda session: merge_parties(session, registry.hook, bolt, acme),
        first=lambda session: register_payment(session, acme, Decimal(50), "EUR",
                                               date.today()))
    assert second == "done"
    with registry.session_factory() as session:
        assert session.scalars(select(Payment.party_id)).all() == [bolt]
        assert customer_balance(session, bolt) == {"EUR": Decimal("-50.00")}


def test_a_payment_begun_while_its_customer_is_merged_is_refused(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    second = _one_after_the_other(
        registry, lambda session: register_payment(session, acme, Decimal(50), "EUR",
                                                   date.today()),
        first=lambda session: merge_parties(session, registry.hook, bolt, acme))
    assert second == f"ValidationError: party 'Acme' was merged into party {bolt}"
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_two_parties_merged_into_each_other_at_once_leave_one(
        postgresql, registry, catalogue):  # noqa: F811
    acme, bolt = catalogue["acme"], catalogue["bolt"]
    second = _one_after_the_other(
        registry, lambda session: merge_parties(session, registry.hook, acme, bolt),
        first=lambda session: merge_parties(session, registry.hook, bolt, acme))
    assert second == f"Conflict: party 'Acme' was merged into party {bolt}"
    with registry.session_factory() as session:
        merged = dict(session.execute(select(Party.id, Party.merged_into_id)
                                      .where(Party.id.in_((acme, bolt)))).all())
    assert merged == {acme: bolt, bolt: None}


def test_a_prospect_charged_twice_at_once_becomes_a_customer_once(
        postgresql, registry, catalogue):  # noqa: F811
    acme = catalogue["acme"]
    with registry.session_factory() as session:
        drafts = [free_text_invoice(session, registry.hook, {
            "party_id": acme, "currency": "EUR", "lines": [FEE]}).id for _ in range(2)]
        session.commit()

    def post(draft):
        def action(session):
            from plugins.invoicing.posting import invoice_to_post
            post_invoice(session, registry.hook, invoice_to_post(session, draft))
        return action

    assert _one_after_the_other(registry, post(drafts[1]), first=post(drafts[0])) == "done"
    with registry.session_factory() as session:
        changes = session.execute(select(StageChange.old_stage, StageChange.new_stage)
                                  .where(StageChange.party_id == acme)).all()
    assert [tuple(change) for change in changes].count(("prospect", "customer")) == 1


def test_a_tag_created_by_two_requests_at_once_is_one_tag(
        postgresql, registry, catalogue):  # noqa: F811
    def tag(session):
        tags_named(session, ["vip"])
        session.flush()

    assert _one_after_the_other(registry, tag) == "done"
    with registry.session_factory() as session:
        assert session.scalars(select(Tag.name)).all() == ["vip"]
