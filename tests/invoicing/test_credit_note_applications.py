"""What a credit note owes the customer, applied to open invoices or refunded; a cancelled
invoice is credited, not paid; crediting is offered while goods are left to credit."""

import importlib.util
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect, select

from core.errors import Conflict, ValidationError
from core.testing import count_queries, csrf_token
from plugins.invoicing.credit_notes import (
    apply_credit_note,
    cancel_invoice,
    credit_in_part,
    refund_credit_note,
)
from plugins.invoicing.models import Account, Invoice, LedgerEntry, Payment, PostingProfile
from plugins.invoicing.payments import (
    customer_balance,
    invoice_settlements,
    payment_applications,
    payment_entries,
    register_payment,
)
from plugins.invoicing.posting import load_invoice, post_invoice
from tests.invoicing.conftest import confirmed_order
from tests.invoicing.test_credit_notes import entries_of, posted_invoice
from tests.invoicing.test_posting import _draft_of


def owed_credit_note(session, hook, party_id, item_id):
    """A credit note of one returned unit (15.00 for HAM) of a paid invoice: owed in full."""
    invoice = posted_invoice(session, hook, party_id, [(item_id, 2)])
    register_payment(session, party_id, invoice.total, "EUR", date.today(), "",
                     [(invoice.id, invoice.total)])
    credit_note = credit_in_part(session, hook, invoice,
                                 {invoice.lines[0].id: Decimal(1)}, "Returned")
    session.commit()
    return credit_note


def test_a_credit_note_owed_to_the_customer_settles_other_invoices(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])
        first = posted_invoice(session, hook, bolt, [(catalogue["NAIL"], 2)])  # 7.68
        second = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)])  # 21.10
        assert credit_note.open_amount == Decimal("15.00")
        assert customer_balance(session, bolt) == {"EUR": Decimal("13.78")}

        credit_note = load_invoice(session, credit_note.id, lock=True)
        apply_credit_note(session, hook, credit_note, [(first.id, Decimal("7.68")),
                                                       (second.id, Decimal("5.00"))])
        session.commit()

        first, second = session.get(Invoice, first.id), session.get(Invoice, second.id)
        # Paid with the credit of another invoice: paid, not credited (cancelled).
        assert (first.payment_status, first.open_amount) == ("paid", Decimal(0))
        assert (second.payment_status, second.open_amount) == ("partially_paid",
                                                               Decimal("16.10"))
        assert (credit_note.payment_status, credit_note.open_amount) == ("partially_paid",
                                                                         Decimal("2.32"))
        assert [(s.document, s.amount) for s in invoice_settlements(session, credit_note)] == [
            (first.number, Decimal("7.68")), (second.number, Decimal("5.00"))]
        assert [s.document for s in invoice_settlements(session, second)] == [
            credit_note.number]
        # One summary account: posting the credit note already credited the balance.
        assert customer_balance(session, bolt) == {"EUR": Decimal("13.78")}
        assert entries_of(session, credit_note) == {
            "411": (Decimal(0), Decimal("15.00"), bolt),
            "706": (Decimal("12.50"), Decimal(0), None),
            "4457": (Decimal("2.50"), Decimal(0), None)}


def test_what_a_credit_note_cannot_be_applied_to(registry, catalogue):
    hook, acme, bolt = registry.hook, catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])
        open_invoice = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)])
        other_customer = posted_invoice(session, hook, acme, [(catalogue["BOOK"], 1)])
        other_credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])
        draft = _draft_of(session, confirmed_order(session, hook, bolt,
                                                   [(catalogue["NAIL"], 1)]))
        session.commit()
        ids = (credit_note.id, open_invoice.id, other_customer.id, other_credit_note.id,
               draft.id)

    def apply(applications, document=None):
        with registry.session_factory() as session:
            apply_credit_note(session, hook, load_invoice(session, document or ids[0],
                                                          lock=True), applications)
            session.commit()

    with pytest.raises(ValidationError) as refused:
        apply([(ids[1], Decimal("21.11")), (ids[2], Decimal(1)), (ids[3], Decimal(1)),
               (999_999, Decimal(1))])
    assert len(refused.value.fields["applications"]) == 4
    with pytest.raises(ValidationError) as refused:
        apply([(ids[1], Decimal(20))])  # the invoice has 21.10 open, the credit note 15.00
    assert refused.value.fields["applications"] == [
        "The applications add up to €20.00, more than the €15.00 of the credit note left to "
        "apply."]
    with pytest.raises(ValidationError):
        apply([])
    with pytest.raises(Conflict, match="not posted"):
        apply([(ids[4], Decimal(1))])
    with pytest.raises(Conflict, match="not a posted credit note"):
        apply([(ids[1], Decimal(1))], document=ids[2])
    with registry.session_factory() as session:  # nothing of the refusals was written
        assert session.get(Invoice, ids[0]).settled == 0
        assert session.get(Invoice, ids[1]).settled == 0


def test_applying_across_summary_accounts_moves_the_balance(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])
        default = session.scalars(select(PostingProfile).where(PostingProfile.is_default)).one()
        export = Account(code="4112", name="Customers abroad", kind="receivable")
        session.add(export)
        session.flush()
        session.add(PostingProfile(code="EXPORT", name="Export", summary_account_id=export.id,
                                   revenue_account_id=default.revenue_account_id,
                                   tax_account_id=default.tax_account_id))
        session.flush()
        order = confirmed_order(session, hook, bolt, [(catalogue["BOOK"], 1)])
        invoice = _draft_of(session, order)
        invoice.posting_profile = session.scalars(
            select(PostingProfile).where(PostingProfile.code == "EXPORT")).one()
        post_invoice(session, hook, invoice)
        session.commit()

        apply_credit_note(session, hook, load_invoice(session, credit_note.id, lock=True),
                          [(invoice.id, Decimal(10))], on=date(2031, 3, 1))
        session.commit()
        moved = session.execute(
            select(Account.code, LedgerEntry.debit, LedgerEntry.credit, LedgerEntry.entry_date)
            .join(LedgerEntry.account)
            .where(LedgerEntry.invoice_id == credit_note.id,
                   LedgerEntry.entry_date == date(2031, 3, 1))).all()
        assert sorted(moved) == [("411", Decimal("10.00"), Decimal(0), date(2031, 3, 1)),
                                 ("4112", Decimal(0), Decimal("10.00"), date(2031, 3, 1))]
        assert customer_balance(session, bolt) == {"EUR": Decimal("6.10")}  # 21.10 - 15.00
        assert session.get(Invoice, invoice.id).open_amount == Decimal("11.10")


def test_a_cancelled_invoice_is_credited_not_paid(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 1)])
        credit_note, _copy = cancel_invoice(session, hook,
                                            load_invoice(session, invoice.id, lock=True),
                                            "Wrong customer")
        session.commit()
        assert (invoice.payment_status, invoice.credited) == ("credited", Decimal("15.00"))
        paid = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 1)])
        register_payment(session, bolt, Decimal(5), "EUR", date.today(), "",
                         [(paid.id, Decimal(5))])
        credit_in_part(session, hook, paid, {paid.lines[0].id: Decimal(1)}, "Back")
        assert (paid.payment_status, paid.credited) == ("paid", Decimal("10.00"))


def test_applying_many_invoices_takes_as_many_statements_as_few(registry, catalogue):
    hook, bolt, nail = registry.hook, catalogue["bolt"], catalogue["NAIL"]
    counts = []
    for size in (1, 4):
        with registry.session_factory() as session:
            credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"]).id
            targets = [posted_invoice(session, hook, bolt, [(nail, 1)]).id for _ in range(size)]
        with registry.session_factory() as session, count_queries(registry.engine) as done:
            apply_credit_note(session, hook, load_invoice(session, credit_note, lock=True),
                              [(target, Decimal("1.00")) for target in targets])
            session.commit()
        counts.append(len(done))
    assert counts[0] == counts[1]


def test_credit_note_application_api_and_pages(invoicing_app, registry, catalogue,
                                                accounting_api, login):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])
        first = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)])
        second = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)])
        returned = credit_note.credited_invoice_id
        ids = credit_note.id, first.id, second.id

    url = f"/api/v1/invoices/{ids[0]}/applications"
    answer = accounting_api.post(url, json={"applications": [{"invoice_id": ids[1],
                                                              "amount": "16"}]})
    assert answer.status_code == 422 and "applications" in answer.json["errors"]["json"]
    answer = accounting_api.post(url, json={"applications": [{"invoice_id": ids[1],
                                                              "amount": "10"}]})
    assert answer.status_code == 201, answer.json
    assert (answer.json["settled"], answer.json["open_amount"]) == ("10.00", "5.00")
    assert accounting_api.get(f"/api/v1/invoices/{ids[1]}").json["open_amount"] == "11.10"
    assert accounting_api.post(f"/api/v1/invoices/{ids[1]}/applications", json={
        "applications": [{"invoice_id": ids[2], "amount": "1"}]}).status_code == 409

    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/invoices/{ids[0]}").get_data(as_text=True)
    assert "Apply to invoices" in page and 'id="payment-status">partly used (' in page
    form = client.get(f"/invoicing/invoices/{ids[0]}/apply").get_data(as_text=True)
    assert f'name="apply-{ids[2]}"' in form and f'name="apply-{ids[0]}"' not in form
    token = csrf_token(client, f"/invoicing/invoices/{ids[0]}/apply")
    refused = client.post(f"/invoicing/invoices/{ids[0]}/apply",
                          data={"csrf_token": token, f"apply-{ids[2]}": "6"})
    assert refused.status_code == 422 and "left to apply" in refused.get_data(as_text=True)
    done = client.post(f"/invoicing/invoices/{ids[0]}/apply",
                       data={"csrf_token": token, f"apply-{ids[2]}": "5"})
    assert done.status_code == 302
    page = client.get(f"/invoicing/invoices/{ids[0]}").get_data(as_text=True)
    assert "Apply to invoices" not in page and 'id="settlements"' in page
    assert 'id="payment-status">used (' in page
    listed = client.get("/invoicing/invoices/?kind=credit_note").get_data(as_text=True)
    assert "<td>used</td>" in listed and "paid" not in listed

    # The invoice whose goods came back still has a unit to credit, then none.
    assert "Credit in part" in client.get(
        f"/invoicing/invoices/{returned}").get_data(as_text=True)
    with registry.session_factory() as session:
        invoice = load_invoice(session, returned, lock=True)
        credit_in_part(session, hook, invoice, {invoice.lines[0].id: Decimal(1)},
                       "The other one")
        session.commit()
    assert "Credit in part" not in client.get(
        f"/invoicing/invoices/{returned}").get_data(as_text=True)
    for action in ("apply", "refund"):  # an invoice is no credit note
        page = client.get(f"/invoicing/invoices/{ids[1]}/{action}")
        text = page.get_data(as_text=True)
        assert page.status_code == 409 and "not a posted credit note" in text
        assert 'class="primary"' not in text  # no form to submit
    sales = invoicing_app.test_client()
    login(sales, "sales")
    assert sales.get(f"/invoicing/invoices/{ids[0]}/apply").status_code == 403

    with registry.session_factory() as session:  # a credit note, and no invoice open
        alone = owed_credit_note(session, hook, catalogue["acme"], catalogue["HAM"]).id
    form = client.get(f"/invoicing/invoices/{alone}/apply").get_data(as_text=True)
    assert "No open invoices in this currency." in form and ">Apply</button>" not in form


def migration(name):
    """The invoicing migration module ``name`` (its file name without ``.py``)."""
    path = Path(__file__).parents[2] / "plugins" / "invoicing" / "migrations" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_fill_in_what_credit_notes_settled_and_payment_kinds(registry,
                                                                            catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        cancelled = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])
        cancel_invoice(session, hook, load_invoice(session, cancelled.id, lock=True), "Wrong")
        paid = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)])
        payment = register_payment(session, bolt, paid.total, "EUR", date.today(), "",
                                   [(paid.id, paid.total)])
        other = posted_invoice(session, hook, bolt, [(catalogue["NAIL"], 1)])  # 3.84
        apply_credit_note(session, hook, owed_credit_note(session, hook, bolt,
                                                          catalogue["HAM"]),
                          [(other.id, Decimal("3.84"))])
        session.commit()
        ids = cancelled.id, paid.id, payment.id, other.id
    credited = migration("invoicing_0002_credited_amount")
    refunds = migration("invoicing_0003_refunds")
    payment_refunds = migration("invoicing_0004_payment_refunds")
    indexes = migration("invoicing_0005_credit_lookup_indexes")
    with registry.engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            indexes.downgrade()  # as a database of version 1.0.0 was
            payment_refunds.downgrade()
            refunds.downgrade()
            credited.downgrade()
            columns = inspect(connection).get_columns
            assert "credited" not in {column["name"] for column in columns("invoicing_invoice")}
            assert not {"kind", "refunded_payment_id"} & {
                column["name"] for column in columns("invoicing_payment")}
            credited.upgrade()
            refunds.upgrade()
            payment_refunds.upgrade()
            indexes.upgrade()
    with registry.session_factory() as session:
        cancelled, paid = session.get(Invoice, ids[0]), session.get(Invoice, ids[1])
        assert (cancelled.credited, cancelled.payment_status) == (Decimal("30.00"),
                                                                  "credited")
        assert (paid.credited, paid.payment_status) == (Decimal(0), "paid")
        other = session.get(Invoice, ids[3])  # paid with another invoice's credit note
        assert (other.credited, other.payment_status) == (Decimal(0), "paid")
        assert session.get(Payment, ids[2]).kind == "receipt"
        credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])
        refund = refund_credit_note(session, hook, credit_note, Decimal(1), date.today())
        assert refund.number == "RF-00001"


def test_refunding_a_credit_note_pays_the_customer_back(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        credit_note = owed_credit_note(session, hook, bolt, catalogue["HAM"])  # 15.00
        assert customer_balance(session, bolt) == {"EUR": Decimal("-15.00")}
        refund = refund_credit_note(session, hook, load_invoice(session, credit_note.id,
                                                                lock=True),
                                    Decimal("10.00"), date.today(), "Wire back")
        session.commit()

        assert (refund.number, refund.kind, refund.unapplied) == ("RF-00001", "refund", 0)
        assert (credit_note.payment_status, credit_note.open_amount) == ("partially_paid",
                                                                         Decimal("5.00"))
        assert customer_balance(session, bolt) == {"EUR": Decimal("-5.00")}
        assert sorted((entry.account.code, entry.debit, entry.credit, entry.party_id)
                      for entry in payment_entries(session, refund)) == [
            ("411", Decimal("10.00"), Decimal(0), bolt),
            ("512", Decimal(0), Decimal("10.00"), None)]
        assert [(s.document, s.payment_id) for s in invoice_settlements(session, credit_note)] \
            == [("RF-00001", refund.id)]
        assert [a.invoice_number for a in payment_applications(session, refund)] == [
            credit_note.number]

        with pytest.raises(ValidationError) as refused:
            refund_credit_note(session, hook, credit_note, Decimal("5.01"), date.today())
        assert "amount" in refused.value.fields
        with pytest.raises(ValidationError) as refused:
            refund_credit_note(session, hook, credit_note, Decimal(1), date.today(),
                               account="411")
        assert "account" in refused.value.fields
        with pytest.raises(ValidationError) as refused:
            refund_credit_note(session, hook, credit_note, Decimal(1),
                               credit_note.invoice_date.replace(year=2000))
        assert "payment_date" in refused.value.fields
        invoice = session.get(Invoice, credit_note.credited_invoice_id)
        with pytest.raises(Conflict, match="not a posted credit note"):
            refund_credit_note(session, hook, invoice, Decimal(1), date.today())
        session.rollback()
        last = refund_credit_note(session, hook, load_invoice(session, credit_note.id,
                                                              lock=True),
                                  Decimal("5.00"), date.today())
        assert last.number == "RF-00002" and credit_note.payment_status == "paid"
        assert customer_balance(session, bolt) == {"EUR": Decimal("0.00")}


def test_refund_api_and_pages(invoicing_app, registry, catalogue, accounting_api, login):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        credit_note_id = owed_credit_note(session, hook, bolt, catalogue["HAM"]).id

    url = f"/api/v1/invoices/{credit_note_id}/refunds"
    assert accounting_api.post(url, json={"amount": "15.01"}).status_code == 422
    assert accounting_api.post(url, json={}).status_code == 422
    ahead = accounting_api.post(url, json={"amount": "1", "payment_date": "2999-01-01"})
    assert ahead.status_code == 422 and ahead.json["errors"]["json"] == {
        "payment_date": ["A refund is recorded once paid: not after today."]}
    answer = accounting_api.post(url, json={"amount": "6", "reference": "Cheque 12",
                                            "payment_date": date.today().isoformat()})
    assert answer.status_code == 201, answer.json
    assert (answer.json["number"], answer.json["kind"], answer.json["amount"]) == (
        "RF-00001", "refund", "6.00")
    assert {(e["account"], e["debit"], e["credit"]) for e in answer.json["entries"]} == {
        ("411", "6.00", "0.00"), ("512", "0.00", "6.00")}
    assert accounting_api.get(f"/api/v1/invoices/{credit_note_id}").json["open_amount"] \
        == "9.00"

    client = invoicing_app.test_client()
    login(client, "accounting")
    assert "Refund</a>" in client.get(f"/invoicing/invoices/{credit_note_id}").get_data(
        as_text=True)
    paying = client.get(f"/invoicing/payments/new?party_id={bolt}&currency=EUR"
                        f"&invoice_id={credit_note_id}").get_data(as_text=True)
    assert 'name="amount" inputmode="decimal" value=""' in paying, "a credit note is not paid"
    form = client.get(f"/invoicing/invoices/{credit_note_id}/refund")
    assert form.status_code == 200 and 'value="9.00"' in form.get_data(as_text=True)
    token = csrf_token(client, f"/invoicing/invoices/{credit_note_id}/refund")
    refused = client.post(f"/invoicing/invoices/{credit_note_id}/refund",
                          data={"csrf_token": token, "amount": "9.01", "account": "512",
                                "payment_date": date.today().isoformat()})
    assert refused.status_code == 422 and "At most the €9.00" in refused.get_data(as_text=True)
    done = client.post(f"/invoicing/invoices/{credit_note_id}/refund",
                       data={"csrf_token": token, "amount": "9", "account": "512",
                             "payment_date": date.today().isoformat()})
    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Refund RF-00002" in shown
    listed = client.get("/invoicing/payments/").get_data(as_text=True)
    assert "RF-00002" in listed and "refund" in listed
    page = client.get(f"/invoicing/invoices/{credit_note_id}").get_data(as_text=True)
    assert "Refund</a>" not in page and "RF-00001" in page and "RF-00002" in page
