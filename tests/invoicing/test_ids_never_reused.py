"""A deleted draft's id, or a removed line's, is never given again: a page left open on it
acts on nothing rather than on another invoice."""

from sqlalchemy import func, select, text

from core import modules
from plugins.invoicing.models import Invoice, InvoiceLine, LedgerEntry

FEE = {"account": "706", "description": "Set-up", "unit_price": "100", "tax_category": "VAT20"}


def _draft(api, party_id, lines=(FEE,)):
    made = api.post("/api/v1/invoices", json={"kind": "free_text", "party_id": party_id,
                                               "lines": list(lines)})
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def test_a_deleted_drafts_id_and_a_removed_lines_are_not_given_again(accounting_api,
                                                                     catalogue):
    deleted = _draft(accounting_api, catalogue["acme"])
    assert accounting_api.delete(f"/api/v1/invoices/{deleted['id']}").status_code == 204
    other = _draft(accounting_api, catalogue["bolt"])
    assert other["id"] > deleted["id"]
    assert accounting_api.post(f"/api/v1/invoices/{deleted['id']}/post").status_code == 404

    lines = f"/api/v1/invoices/{other['id']}/lines"
    [removed] = accounting_api.post(lines, json={"lines": [FEE]}).get_json()
    assert accounting_api.delete(f"{lines}/{removed['id']}").status_code == 204
    [added] = accounting_api.post(lines, json={"lines": [FEE]}).get_json()
    assert added["id"] > removed["id"]
    assert accounting_api.patch(f"{lines}/{removed['id']}",
                                json={"quantity": "2"}).status_code == 404


def test_the_migration_keeps_every_invoice_and_what_refers_to_it(registry, accounting_api,
                                                                 catalogue):
    posted = _draft(accounting_api, catalogue["acme"])
    accounting_api.post(f"/api/v1/invoices/{posted['id']}/post")
    assert accounting_api.post(f"/api/v1/invoices/{posted['id']}/cancel",
                               json={"reason": "wrong customer"}).status_code == 201
    _draft(accounting_api, catalogue["bolt"])

    def contents():
        with registry.session_factory() as session:
            return [session.scalars(select(func.count()).select_from(model)).one()
                    for model in (Invoice, InvoiceLine, LedgerEntry)]

    before = contents()
    with registry.engine.begin() as connection:  # as a database of the revision before it
        connection.execute(text("ALTER TABLE invoicing_invoice DROP COLUMN billed_to"))
        connection.execute(text("UPDATE alembic_version_invoicing "
                                "SET version_num = 'invoicing_0008'"))
    assert modules.upgrade(registry, ["invoicing"]) == ["invoicing"]
    assert contents() == before
    newest = _draft(accounting_api, catalogue["bolt"])
    assert accounting_api.delete(f"/api/v1/invoices/{newest['id']}").status_code == 204
    assert _draft(accounting_api, catalogue["bolt"])["id"] > newest["id"]
