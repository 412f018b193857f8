"""Demo data of the sales module: a catalogue, parties at every stage, an order of each type and
quotations in every status."""

from datetime import date, timedelta
from decimal import Decimal

from core import items, orders, parties
from core.clock import utcnow
from core.models import CustomerGroup, ItemGroup, TaxCategory
from plugins.sales import quotations

TAX_CATEGORIES = [("VAT20", "Standard rate", "20"), ("VAT5", "Reduced rate", "5.5"),
                  ("EXEMPT", "Exempt", "0")]
CUSTOMER_GROUPS = [("RETAIL", "Retail"), ("WHOLESALE", "Wholesale")]
ITEM_GROUPS = [("FURN", "Furniture"), ("LIGHT", "Lighting"), ("SERV", "Services")]
ITEMS = [
    ("DESK-100", "Oak desk", "unit", "420.00", "VAT20", "FURN", "12"),
    ("CHAIR-200", "Ergonomic chair", "unit", "259.00", "VAT20", "FURN", "40"),
    ("SHELF-300", "Bookshelf", "unit", "149.90", "VAT20", "FURN", "18"),
    ("LAMP-110", "Desk lamp", "unit", "39.90", "VAT20", "LIGHT", "150"),
    ("BULB-120", "LED bulb, pack of 4", "pack", "12.50", "VAT20", "LIGHT", "600"),
    ("BOOK-900", "Workplace design handbook", "unit", "32.00", "VAT5", None, "75"),
    ("SETUP-01", "On-site installation", "hour", "65.00", "VAT20", "SERV", None),
    ("CARE-12", "Care plan, monthly", "month", "19.00", "EXEMPT", "SERV", None),
]
# name, e-mail, customer group, vendor, stages reached with the cause of each move
PARTIES = [
    ("Nordwind Logistics", "buying@nordwind.example", None, False,
     [("prospect", "listed at the spring trade fair")]),
    ("Blue Harbor Café", "hello@blueharbor.example", "RETAIL", False,
     [("prospect", "imported from the city business register"),
      ("lead", "answered the spring mailing")]),
    ("Atelier Moreau", "contact@moreau.example", "RETAIL", False,
     [("prospect", "referred by Contoso Retail"), ("lead", "called back after the e-mail campaign"),
      ("opportunity", "asked for a showroom visit")]),
    ("Contoso Retail", "orders@contoso.example", "RETAIL", False,
     [("prospect", "met at the spring trade fair"), ("lead", "asked for the catalogue"),
      ("opportunity", "requested a quotation"), ("customer", "first order placed")]),
    ("Fabrikam Wholesale", "purchasing@fabrikam.example", "WHOLESALE", False,
     [("prospect", "imported from the distributor list"),
      ("customer", "framework contract signed")]),
    ("Northwind Supplies", "sales@northwind.example", None, True,
     [("prospect", "supplier of lamps"), ("customer", "buys our installation service")]),
    # a duplicate of Contoso Retail, entered from a business card: try merging it
    ("Contoso Retail Ltd", "j.smith@contoso.example", None, False,
     [("prospect", "business card from the autumn fair")]),
]
# name: tags and an address (street, postcode, city, country)
DETAILS = {
    "Contoso Retail": (["key account", "furniture"], ("12 Market Street", "75002", "Paris", "FR")),
    "Fabrikam Wholesale": (["distributor"], ("Hafenstraße 4", "20457", "Hamburg", "DE")),
    "Blue Harbor Café": (["hospitality", "mailing spring"], ("3 Quay Road", "BS1 4QA",
                                                               "Bristol", "GB")),
    "Atelier Moreau": (["design studio"], ("8 rue des Arts", "69001", "Lyon", "FR")),
}
# type, customer, lines (item number, quantity), confirmed (or "cancelled")
ORDERS = [
    ("sales", "Contoso Retail", [("DESK-100", 2), ("CHAIR-200", 4), ("LAMP-110", 4)], True),
    ("sales", "Fabrikam Wholesale", [("CHAIR-200", 25), ("BULB-120", 100)], False),
    ("journal", "Atelier Moreau", [("SHELF-300", 3), ("BOOK-900", 1)], False),
    ("subscription", "Contoso Retail", [("CARE-12", 1)], True),
    ("returned", "Contoso Retail", [("LAMP-110", 1)], False),
    ("item_requirements", "Fabrikam Wholesale", [("SETUP-01", 16), ("DESK-100", 6)], True),
    ("sales", "Atelier Moreau", [("LAMP-110", 2)], "cancelled"),
]


# customer, lines (item number, quantity), what happens to it
QUOTATIONS = [
    ("Atelier Moreau", [("DESK-100", 4), ("CHAIR-200", 4)], "revised"),
    ("Blue Harbor Café", [("LAMP-110", 12), ("BULB-120", 10)], "sent"),
    ("Contoso Retail", [("SHELF-300", 6), ("SETUP-01", 4)], "accepted"),
    ("Nordwind Logistics", [("CHAIR-200", 30)], "lost"),
    ("Atelier Moreau", [("BOOK-900", 10)], "expired"),
]


def load(session, hook):
    """Add the demo catalogue, parties, orders and quotations."""
    session.add_all(TaxCategory(code=code, name=name, rate=Decimal(rate))
                    for code, name, rate in TAX_CATEGORIES)
    session.add_all(CustomerGroup(code=code, name=name) for code, name in CUSTOMER_GROUPS)
    session.add_all(ItemGroup(code=code, name=name) for code, name in ITEM_GROUPS)
    session.flush()
    catalogue = {}
    for number, name, unit, price, tax, group, stock in ITEMS:
        catalogue[number] = items.create_item(session, {
            "number": number, "name": name, "unit": unit, "list_price": Decimal(price),
            "currency": "EUR", "tax_category": tax, "item_group": group,
            "stock_on_hand": Decimal(stock or 0), "stocked": stock is not None})
    people = {}
    start = utcnow() - timedelta(days=90)
    for name, email, group, vendor, stages in PARTIES:
        (first, cause), *later = stages
        tags, (street, postcode, city, country) = DETAILS.get(name, ([], ("", "", "", "")))
        party = parties.create_party(session, {
            "name": name, "email": email, "stage": first, "customer_group": group,
            "is_vendor": vendor, "tags": tags,
            "addresses": [{"kind": "invoice", "street": street, "postcode": postcode,
                           "city": city, "country": country}] if city else []}, cause=cause)
        party.history[0].changed_at = start
        for step, (stage, cause) in enumerate(later, start=1):
            parties.set_stage(session, party, stage, cause, when=start + timedelta(days=20 * step))
        people[name] = party
    for type_code, customer, lines, outcome in ORDERS:
        order = orders.create_order(session, hook, {
            "type": type_code, "party_id": people[customer].id, "currency": "EUR",
            "requested_ship_date": date.today() + timedelta(days=14),
            "lines": [{"item_id": catalogue[number].id, "quantity": Decimal(quantity)}
                      for number, quantity in lines]})
        if outcome is True:  # confirmed a fortnight ago: delivered and invoiced since
            orders.confirm_order(session, hook, order)
            order.confirmed_at = utcnow() - timedelta(days=14)
        elif outcome == "cancelled":
            orders.cancel_order(session, hook, order)
    for customer, lines, fate in QUOTATIONS:
        _quotation(session, hook, people[customer], catalogue, lines, fate)


def _quotation(session, hook, party, catalogue, lines, fate):
    """A quotation for ``party`` taken to the status ``fate`` names."""
    today = date.today()
    issued = today - timedelta(days=60) if fate == "expired" else today
    quotation = quotations.create_quotation(session, hook, {
        "party_id": party.id, "currency": "EUR", "valid_until": issued + timedelta(days=30),
        "lines": [{"item_id": catalogue[number].id, "quantity": Decimal(quantity)}
                  for number, quantity in lines]}, today=issued)
    if fate == "revised":
        quotation = quotations.revise_quotation(session, hook, quotation)
        quotations.add_lines(session, hook, quotation, [
            {"item_id": catalogue["LAMP-110"].id, "quantity": Decimal(4),
             "manual_discount": Decimal(10)}])
    elif fate == "sent":
        quotations.send_quotation(session, hook, quotation)
    elif fate == "accepted":
        quotations.send_quotation(session, hook, quotation)
        quotations.accept_quotation(session, hook, quotation)
    elif fate == "lost":
        quotations.lose_quotation(session, quotation, "chose a local supplier")
