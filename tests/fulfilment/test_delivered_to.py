"""A packing slip keeps the customer it delivered to: renaming the party, changing its
addresses or merging it away leaves the slip as it was printed."""

import pytest
from sqlalchemy import select, text

from core import migrate, modules
from core.testing import api_client
from plugins.fulfilment.models import PackingSlip
from tests.documents.conftest import pdf_text
from tests.fulfilment.conftest import confirmed_order
from tests.sales.conftest import change_party

DELIVERY = {"kind": "delivery", "street": "4 Dock Road", "postcode": "13002",
            "city": "Marseille", "country": "FR"}
INVOICE = {"kind": "invoice", "street": "1 Quay Street", "postcode": "75001", "city": "Paris",
           "country": "FR"}
DELIVERED = {"name": "Bolt & Co", "address": {"street": "4 Dock Road", "postcode": "13002",
                                              "city": "Marseille", "country": "FR"}}


def _slip(app, registry, party_id, catalogue):
    order_id = confirmed_order(registry, party_id, [(catalogue["HAM"], 1)])
    posted = api_client(app).post(f"/api/v1/orders/{order_id}/packing-slips", json={})
    assert posted.status_code == 201, posted.json
    return posted.json


def _as_before_the_revision(registry):
    """Roll the database back to the revision before slips kept their customer."""
    with registry.engine.begin() as connection:
        connection.execute(text("ALTER TABLE fulfilment_packing_slip DROP COLUMN delivered_to"))
        connection.execute(text("UPDATE alembic_version_fulfilment "
                                "SET version_num = 'fulfilment_0002'"))


def test_a_slip_prints_the_customer_as_it_was_delivered_to(fulfilment_app, registry,
                                                           catalogue, login):
    bolt = catalogue["bolt"]
    change_party(fulfilment_app, bolt, addresses=[INVOICE, DELIVERY])
    slip = _slip(fulfilment_app, registry, bolt, catalogue)
    assert slip["delivered_to"] == DELIVERED
    change_party(fulfilment_app, bolt, name="Bolt Holdings",
            addresses=[{**DELIVERY, "street": "9 New Road", "city": "Lyon"}])

    api = api_client(fulfilment_app)
    printed = pdf_text(api.get(f"/api/v1/packing-slips/{slip['id']}/pdf").data)
    assert "Bolt & Co" in printed and "4 Dock Road" in printed and "Marseille" in printed
    assert "Bolt Holdings" not in printed and "Lyon" not in printed
    assert api.get(f"/api/v1/packing-slips/{slip['id']}").json["delivered_to"] == DELIVERED
    web = fulfilment_app.test_client()
    login(web, "sales")
    page = web.get(f"/fulfilment/packing-slips/{slip['id']}").get_data(as_text=True)
    assert '<dd id="delivered-to">Bolt &amp; Co, 4 Dock Road, 13002 Marseille, FR</dd>' in page

    later = _slip(fulfilment_app, registry, bolt, catalogue)
    assert later["delivered_to"] == {"name": "Bolt Holdings", "address": {
        "street": "9 New Road", "postcode": "13002", "city": "Lyon", "country": "FR"}}


def test_a_merged_customers_slips_keep_its_name(fulfilment_app, registry, catalogue, login):
    slip = _slip(fulfilment_app, registry, catalogue["bolt"], catalogue)
    merged = api_client(fulfilment_app).post(f"/api/v1/parties/{catalogue['acme']}/merge",
                                             json={"duplicate_id": catalogue["bolt"]})
    assert merged.status_code == 200, merged.json
    shown = api_client(fulfilment_app).get(f"/api/v1/packing-slips/{slip['id']}").json
    assert shown["party_id"] == catalogue["acme"]
    assert shown["delivered_to"] == {"name": "Bolt & Co", "address": None}
    web = fulfilment_app.test_client()
    login(web, "sales")
    listed = web.get("/fulfilment/packing-slips/").get_data(as_text=True)
    assert "<td>Acme (delivered to Bolt &amp; Co)</td>" in listed


def test_the_upgrade_gives_slips_posted_before_it_their_party_as_it_is(fulfilment_app,
                                                                       registry, catalogue,
                                                                       monkeypatch):
    bolt, acme = catalogue["bolt"], catalogue["acme"]
    change_party(fulfilment_app, bolt, addresses=[INVOICE])
    change_party(fulfilment_app, acme, addresses=[INVOICE, DELIVERY])
    slips = [_slip(fulfilment_app, registry, party, catalogue)["id"]
             for party in (bolt, acme, bolt)]
    _as_before_the_revision(registry)
    monkeypatch.setattr(migrate, "KEPT_PER_STATEMENT", 2)  # two statements for three slips
    assert "fulfilment" in modules.upgrade(registry, ["fulfilment"])

    with registry.session_factory() as session:
        kept = dict(session.execute(select(PackingSlip.id, PackingSlip.delivered_to)).all())
    assert kept[slips[0]] == {"name": "Bolt & Co", "address": {
        "street": "1 Quay Street", "postcode": "75001", "city": "Paris", "country": "FR"}}
    assert kept[slips[1]] == {"name": "Acme", "address": DELIVERED["address"]}
    assert kept[slips[2]] == kept[slips[0]]


def test_an_upgrade_meeting_a_slip_of_a_missing_party_says_so(fulfilment_app, registry,
                                                                catalogue):
    if registry.engine.dialect.name != "sqlite":
        pytest.skip("a party goes missing only where foreign keys can be turned off")
    gone = api_client(fulfilment_app).post("/api/v1/parties", json={"name": "Gone"}).json["id"]
    _slip(fulfilment_app, registry, gone, catalogue)
    raw = registry.engine.raw_connection()
    try:  # as a database whose foreign keys were not enforced
        raw.driver_connection.execute("PRAGMA foreign_keys=OFF")
        raw.driver_connection.execute("DELETE FROM core_party WHERE id = ?", (gone,))
        raw.driver_connection.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()
    _as_before_the_revision(registry)
    with pytest.raises(modules.ModuleError, match="fulfilment_packing_slip would refer to rows "
                                                  "that do not exist"):
        modules.upgrade(registry, ["fulfilment"])
