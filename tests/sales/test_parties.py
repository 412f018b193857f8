"""Parties through the API and the web pages: stages and their history, addresses, tags,
customer groups, search and pages, merging duplicates, and the refusals of bad input."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from core import items, orders, parties, users
from core.models import Order, Party, TaxCategory
from core.testing import api_client, count_queries, csrf_token
from plugins.sales.models import Quotation


@pytest.fixture
def app(make_app):
    """An application with the sales module enabled."""
    return make_app(["sales"])


@pytest.fixture
def registry(app):
    return app.extensions["comptoir"]


@pytest.fixture
def api(app, registry):
    """A test client sending the demo salesperson's API token."""
    with registry.session_factory() as session:
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "tests")
        session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return client


@pytest.fixture
def web(app, login):
    """A test client logged in as the demo salesperson."""
    client = app.test_client()
    login(client, "sales")
    return client


def add_parties(registry, *records):
    """Create parties from ``records`` (dicts for core.parties.create_party); their ids."""
    with registry.session_factory() as session:
        ids = [parties.create_party(session, record).id for record in records]
        session.commit()
    return ids


def add_order(registry, party_id):
    """A draft sales order of one hammer for ``party_id``: its number and total."""
    with registry.session_factory() as session:
        if session.scalar(select(TaxCategory).where(TaxCategory.code == "VAT20")) is None:
            session.add(TaxCategory(code="VAT20", name="Standard", rate=Decimal(20)))
            session.flush()
            items.create_item(session, {"number": "HAM", "name": "Hammer", "currency": "EUR",
                                        "list_price": Decimal("12.50"), "tax_category": "VAT20"})
        item_id = items.search_items(session, "HAM")[0][0].id
        order = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": party_id, "currency": "EUR",
            "lines": [{"item_id": item_id, "quantity": Decimal(2)}],
        })
        session.commit()
        return order.number, order.total


def page_text(response):
    """The page's text without tags and with spaces collapsed, as a reader sees it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def history_rows(response):
    """The rows of the stage history table: (from, to, cause) each."""
    table = re.search(r'<table id="history">(.*?)</table>', response.get_data(as_text=True), re.S)
    rows = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>\s*<td>([^<]*)</td><td>([^<]*)</td>",
                      table.group(1))
    return [tuple(cell.strip() for cell in row) for row in rows]


# --- API ---------------------------------------------------------------------------------------

def test_api_creates_a_party_with_its_group_tags_and_addresses(api):
    group = api.post("/api/v1/customer-groups", json={"code": "WHOLESALE", "name": "Wholesale"})
    assert group.status_code == 201
    assert api.get("/api/v1/customer-groups").json == [
        {"id": group.json["id"], "code": "WHOLESALE", "name": "Wholesale"}
    ]

    created = api.post("/api/v1/parties", json={
        "name": "Acme Ltd", "email": "sales@acme.test", "phone": "+33 1 23 45 67 89",
        "stage": "lead", "is_vendor": True, "customer_group": "WHOLESALE",
        "tags": ["north", "vip", "vip"],
        "addresses": [{"kind": "delivery", "street": "1 rue de la Paix", "postcode": "75002",
                       "city": "Paris", "country": "fr"}],
    })
    assert created.status_code == 201, created.json
    party = api.get(f"/api/v1/parties/{created.json['id']}").json
    assert party["name"] == "Acme Ltd"
    assert party["stage"] == "lead"
    assert party["is_vendor"] is True
    assert party["customer_group"] == "WHOLESALE"
    assert party["tags"] == ["north", "vip"]
    assert [(a["kind"], a["city"], a["country"]) for a in party["addresses"]] == [
        ("delivery", "Paris", "FR")
    ]
    assert party["merged_into_id"] is None

    changed = api.patch(f"/api/v1/parties/{party['id']}", json={
        "phone": "", "customer_group": None, "tags": ["south"],
        "addresses": [{"city": "Lyon", "country": "FR"}, {"kind": "other", "city": "Nice",
                                                         "country": "FR"}],
    })
    assert changed.status_code == 200, changed.json
    assert changed.json["phone"] == ""
    assert changed.json["customer_group"] is None
    assert changed.json["tags"] == ["south"]
    assert [(a["kind"], a["city"]) for a in changed.json["addresses"]] == [
        ("invoice", "Lyon"), ("other", "Nice")
    ]
    assert changed.json["email"] == "sales@acme.test", "fields not sent are kept"


def test_api_lists_parties_by_page_search_and_stage(api, registry):
    add_parties(registry, *[{"name": f"Party {n:02d}", "email": f"p{n}@example.test",
                             "phone": f"01 00 00 00 {n:02d}",
                             "stage": "lead" if n % 3 == 0 else "prospect"}
                            for n in range(1, 31)])

    first = api.get("/api/v1/parties").json
    assert (first["total"], first["page"], first["pages"]) == (30, 1, 2)
    assert [p["name"] for p in first["items"]] == [f"Party {n:02d}" for n in range(1, 26)]
    second = api.get("/api/v1/parties?page=2").json
    assert [p["name"] for p in second["items"]] == [f"Party {n:02d}" for n in range(26, 31)]
    assert len(api.get("/api/v1/parties?per_page=100").json["items"]) == 30
    refused = api.get("/api/v1/parties?per_page=101")
    assert refused.status_code == 422
    assert "per_page" in refused.json["errors"]["query"]

    by_email = api.get("/api/v1/parties?q=P7@EXAMPLE").json
    assert [p["name"] for p in by_email["items"]] == ["Party 07"]
    by_phone = api.get("/api/v1/parties", query_string={"q": "00 00 12"}).json
    assert [p["name"] for p in by_phone["items"]] == ["Party 12"]
    leads = api.get("/api/v1/parties?stage=lead").json
    assert leads["total"] == 10
    assert {p["stage"] for p in leads["items"]} == {"lead"}
    assert api.get("/api/v1/parties?stage=lead&q=Party 1").json["total"] == 3  # 12, 15, 18
    assert api.get("/api/v1/parties?stage=vip").status_code == 422


def test_listing_a_page_of_parties_costs_a_fixed_number_of_queries(api, registry):
    add_parties(registry, *[{"name": f"Tagged {n}", "tags": [f"t{n}", "all"],
                             "addresses": [{"city": "Paris", "country": "FR"}]}
                            for n in range(25)])
    with count_queries(registry.engine) as statements:
        answer = api.get("/api/v1/parties")
    assert len(answer.json["items"]) == 25
    assert all(len(p["tags"]) == 2 and len(p["addresses"]) == 1 for p in answer.json["items"])
    assert len(statements) < 12, statements


def test_api_stage_changes_are_recorded_with_their_cause(api, registry):
    [party_id] = add_parties(registry, {"name": "Bolt"})

    moved = api.post(f"/api/v1/parties/{party_id}/stage",
                     json={"stage": "lead", "cause": "answered the mailing"})
    assert moved.status_code == 200
    assert moved.json["stage"] == "lead"
    patched = api.patch(f"/api/v1/parties/{party_id}",
                        json={"stage": "opportunity", "cause": "asked for a quotation"})
    assert patched.json["stage"] == "opportunity"
    unchanged = api.patch(f"/api/v1/parties/{party_id}", json={"stage": "opportunity",
                                                               "name": "Bolt & Co"})
    assert unchanged.status_code == 200, "sending the stage back unchanged needs no cause"

    history = api.get(f"/api/v1/parties/{party_id}/history").json
    assert [(h["old_stage"], h["new_stage"], h["cause"]) for h in history] == [
        (None, "prospect", "created"),
        ("prospect", "lead", "answered the mailing"),
        ("lead", "opportunity", "asked for a quotation"),
    ]
    assert all(h["changed_at"].startswith(str(date.today().year)) for h in history)

    no_cause = api.patch(f"/api/v1/parties/{party_id}", json={"stage": "customer"})
    assert no_cause.status_code == 422
    assert "cause" in no_cause.json["errors"]["json"]
    blank_cause = api.post(f"/api/v1/parties/{party_id}/stage",
                           json={"stage": "customer", "cause": "  "})
    assert blank_cause.status_code == 422
    assert "cause" in blank_cause.json["errors"]["json"]
    missing = api.post(f"/api/v1/parties/{party_id}/stage", json={"stage": "customer"})
    assert missing.json["errors"]["json"] == {"cause": ["Missing data for required field."]}
    unknown = api.post(f"/api/v1/parties/{party_id}/stage", json={"stage": "friend",
                                                                  "cause": "x"})
    assert unknown.status_code == 422
    assert "stage" in unknown.json["errors"]["json"]
    assert api.get(f"/api/v1/parties/{party_id}").json["stage"] == "opportunity"
    assert len(api.get(f"/api/v1/parties/{party_id}/history").json) == 3


def test_api_merge_moves_orders_quotations_and_history_to_the_survivor(api, registry):
    survivor_id, duplicate_id = add_parties(
        registry, {"name": "Acme", "tags": ["north"]},
        {"name": "ACME Ltd", "email": "buy@acme.test", "stage": "lead", "tags": ["vip"]},
    )
    number, total = add_order(registry, duplicate_id)
    with registry.session_factory() as session:
        session.add(Quotation(number="QU-9", party_id=duplicate_id, currency="EUR",
                              valid_until=date.today() + timedelta(days=30)))
        session.commit()

    merged = api.post(f"/api/v1/parties/{survivor_id}/merge", json={"duplicate_id": duplicate_id})
    assert merged.status_code == 200, merged.json
    assert merged.json["email"] == "buy@acme.test"
    assert merged.json["tags"] == ["north", "vip"]
    assert merged.json["stage"] == "lead", "the survivor takes the further stage"
    with registry.session_factory() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert (order.party_id, order.total) == (survivor_id, total)
        quotation = session.scalar(select(Quotation).where(Quotation.number == "QU-9"))
        assert quotation.party_id == survivor_id
    causes = [h["cause"] for h in api.get(f"/api/v1/parties/{survivor_id}/history").json]
    assert "created (as ACME Ltd)" in causes, "the duplicate's history moved, marked as such"
    assert "merged with ACME Ltd" in causes
    assert api.get(f"/api/v1/parties/{duplicate_id}/history").json == []

    duplicate = api.get(f"/api/v1/parties/{duplicate_id}").json
    assert duplicate["merged_into_id"] == survivor_id
    assert [p["id"] for p in api.get("/api/v1/parties?q=acme").json["items"]] == [survivor_id]

    for response in [
        api.patch(f"/api/v1/parties/{duplicate_id}", json={"name": "Back"}),
        api.post(f"/api/v1/parties/{duplicate_id}/stage", json={"stage": "lead", "cause": "x"}),
        api.post(f"/api/v1/parties/{duplicate_id}/merge", json={"duplicate_id": survivor_id}),
    ]:
        assert response.status_code == 409, response.json
        assert "merged" in response.json["message"]
    again = api.post(f"/api/v1/parties/{survivor_id}/merge", json={"duplicate_id": duplicate_id})
    assert again.status_code == 422 and "merged" in again.json["errors"]["json"]["duplicate_id"][0]


def test_a_merge_whose_records_would_clash_is_refused_whole(api, registry):
    """A table of one row per party, of a module disabled (its hook not there to join them)."""
    survivor_id, duplicate_id = add_parties(registry, {"name": "Acme"}, {"name": "ACME Ltd"})
    number, _total = add_order(registry, duplicate_id)
    with registry.session_factory() as session:
        session.execute(text("CREATE TABLE gone_preference (id INTEGER PRIMARY KEY, party_id "
                             "INTEGER NOT NULL UNIQUE REFERENCES core_party (id))"))
        session.execute(text("INSERT INTO gone_preference (id, party_id) VALUES (1, :a), (2, :b)"),
                        {"a": survivor_id, "b": duplicate_id})
        session.commit()
    refused = api.post(f"/api/v1/parties/{survivor_id}/merge",
                       json={"duplicate_id": duplicate_id})
    assert refused.status_code == 409 and "gone_preference" in refused.json["message"]
    with registry.session_factory() as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order.party_id == duplicate_id, "nothing moved"
    assert api.get(f"/api/v1/parties/{duplicate_id}").json["merged_into_id"] is None


def test_a_modules_hook_joins_its_records_of_both_parties_when_they_merge(make_app):
    app = make_app(["sales", "party_preferences"])
    registry = app.extensions["comptoir"]
    survivor_id, duplicate_id, alone_id = add_parties(
        registry, {"name": "Acme"}, {"name": "ACME Ltd"}, {"name": "Bolt"})
    number, _total = add_order(registry, duplicate_id)
    with registry.session_factory() as session:
        session.execute(text("INSERT INTO party_preferences_preference (party_id, note) VALUES "
                             "(:a, 'ours'), (:b, 'theirs'), (:c, 'only')"),
                        {"a": survivor_id, "b": duplicate_id, "c": alone_id})
        session.commit()
    api = api_client(app, "sales")
    for survivor, duplicate in ((survivor_id, duplicate_id), (survivor_id, alone_id)):
        merged = api.post(f"/api/v1/parties/{survivor}/merge", json={"duplicate_id": duplicate})
        assert merged.status_code == 200, merged.json
    with registry.session_factory() as session:
        assert session.execute(text("SELECT party_id, note FROM party_preferences_preference "
                                    "ORDER BY note")).all() == [(survivor_id, "ours")]
        assert session.scalar(select(Order.party_id).where(Order.number == number)) == \
            survivor_id


def test_api_refuses_merging_a_party_into_itself_or_an_unknown_one(api, registry):
    [party_id] = add_parties(registry, {"name": "Solo"})
    itself = api.post(f"/api/v1/parties/{party_id}/merge", json={"duplicate_id": party_id})
    assert itself.status_code == 422
    assert itself.json["errors"]["json"] == {
        "duplicate_id": ["A party cannot be merged into itself."]}
    unknown = api.post(f"/api/v1/parties/{party_id}/merge", json={"duplicate_id": party_id + 1000})
    assert unknown.status_code == 422 and "duplicate_id" in unknown.json["errors"]["json"]
    assert api.post(f"/api/v1/parties/{party_id + 1000}/merge",
                    json={"duplicate_id": party_id}).status_code == 404
    assert api.post(f"/api/v1/parties/{party_id}/merge", json={}).status_code == 422
    assert api.get(f"/api/v1/parties/{party_id}").json["merged_into_id"] is None


@pytest.mark.parametrize("body, field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 129}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "A", "email": "not an address"}, "email"),
    ({"name": "A", "email": "a@" + "b" * 250 + ".test"}, "email"),
    ({"name": "A", "phone": "1" * 65}, "phone"),
    ({"name": "A", "stage": "friend"}, "stage"),
    ({"name": "A", "cause": "c" * 257}, "cause"),
    ({"name": "A", "customer_group": "NOPE"}, "customer_group"),
    ({"name": "A", "customer_group": "G" * 33}, "customer_group"),
    ({"name": "A", "tags": ["t" * 65]}, "tags"),
    ({"name": "A", "addresses": [{"city": "Paris", "country": "XX"}]}, "addresses"),
    ({"name": "A", "addresses": [{"city": "Paris", "country": "FRA"}]}, "addresses"),
    ({"name": "A", "addresses": [{"kind": "home", "city": "Paris", "country": "FR"}]},
     "addresses"),
    ({"name": "A", "addresses": [{"city": "P" * 129, "country": "FR"}]}, "addresses"),
    ({"name": "A", "addresses": [{"city": "Paris", "country": "FR", "postcode": "9" * 17}]},
     "addresses"),
    ({"name": "A", "colour": "blue"}, "colour"),
])
def test_api_refuses_bad_party_input_field_by_field(api, body, field):
    response = api.post("/api/v1/parties", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert api.get("/api/v1/parties").json["total"] == 0


def test_api_answers_404_for_unknown_parties_and_refuses_taken_group_codes(api):
    for path in ["/api/v1/parties/999", "/api/v1/parties/999/history",
                 "/api/v1/parties/99999999999"]:
        assert api.get(path).status_code == 404, path
    assert api.patch("/api/v1/parties/999", json={"name": "X"}).status_code == 404
    assert api.post("/api/v1/parties/999/stage",
                    json={"stage": "lead", "cause": "x"}).status_code == 404

    assert api.post("/api/v1/customer-groups", json={"code": "RETAIL", "name": "Retail"}
                    ).status_code == 201
    taken = api.post("/api/v1/customer-groups", json={"code": "RETAIL", "name": "Again"})
    assert taken.status_code == 422
    assert taken.json["errors"]["json"] == {"code": ["This code is taken."]}
    too_long = api.post("/api/v1/customer-groups", json={"code": "C" * 33, "name": "n" * 129})
    assert set(too_long.json["errors"]["json"]) == {"code", "name"}


def test_party_api_changes_for_the_sales_role_and_reads_for_accounting(app, registry):
    """Accounting reads the parties it invoices and takes payments from."""
    [party_id] = add_parties(registry, {"name": "Acme"})
    accounting = api_client(app, "accounting")
    assert accounting.get("/api/v1/parties?q=acme").json["items"][0]["id"] == party_id
    assert accounting.get(f"/api/v1/parties/{party_id}").json["name"] == "Acme"
    assert accounting.post("/api/v1/parties", json={"name": "Bolt"}).status_code == 403
    assert accounting.patch(f"/api/v1/parties/{party_id}", json={"phone": "1"}).status_code == 403
    assert api_client(app, "marketing").get("/api/v1/parties").status_code == 403
    assert app.test_client().get("/api/v1/customer-groups").status_code == 401


# --- Web pages ---------------------------------------------------------------------------------

def test_parties_menu_entry_and_list_pages(web, registry):
    add_parties(registry, *[{"name": f"Client {n:02d}", "email": f"c{n}@example.test",
                             "stage": "customer" if n > 27 else "prospect"}
                            for n in range(1, 31)])
    first = web.get("/parties/")
    assert first.status_code == 200
    assert '<a href="/parties/"' in first.get_data(as_text=True), "menu entry Parties"
    assert ">Parties</a>" in first.get_data(as_text=True)
    text = page_text(first)
    assert "30 parties" in text and "Page 1 of 2" in text
    assert "Client 25" in text and "Client 26" not in text
    assert 'rel="next" href="/parties/?page=2"' in first.get_data(as_text=True)
    assert 'rel="prev"' not in first.get_data(as_text=True)

    second = web.get("/parties/?page=2")
    assert "Page 2 of 2" in page_text(second)
    assert "Client 26" in page_text(second) and "Client 25" not in page_text(second)
    assert 'rel="prev" href="/parties/?page=1"' in second.get_data(as_text=True)
    assert 'rel="next"' not in second.get_data(as_text=True)

    found = page_text(web.get("/parties/?q=C17@"))
    assert "1 party" in found and "Client 17" in found and "Page" not in found
    past = page_text(web.get("/parties/?page=9"))
    assert "There is no page 9: see the last page (2)" in past and "No party found" not in past
    customers = page_text(web.get("/parties/?stage=customer"))
    assert "3 parties" in customers
    assert "Client 28" in customers and "Client 01" not in customers


def test_web_forms_create_and_edit_a_party_with_its_stage_history(web, registry, app):
    token = csrf_token(web, "/parties/new")
    assert web.post("/parties/customer-groups", data={
        "code": "RETAIL", "name": "Retail shops", "csrf_token": token,
    }).status_code == 302
    assert "Retail shops" in page_text(web.get("/parties/"))

    created = web.post("/parties/new", data={
        "name": "Corner Shop", "email": "owner@corner.test", "phone": "555 0101",
        "stage": "lead", "customer_group": "RETAIL", "tags": "local, vip ,", "csrf_token": token,
    })
    assert created.status_code == 302
    page = web.get(created.location)
    text = page_text(page)
    assert "Corner Shop" in text and "local, vip" in text
    assert 'value="RETAIL" selected' in page.get_data(as_text=True)
    assert history_rows(page) == [("—", "lead", "created by Sam Sales")]

    party_id = int(created.location.rstrip("/").rsplit("/", 1)[1])
    edited = web.post(f"/parties/{party_id}", data={
        "name": "Corner Shop Ltd", "email": "owner@corner.test", "stage": "opportunity",
        "cause": "visited the showroom", "tags": "vip", "is_vendor": "1", "csrf_token": token,
    })
    assert edited.status_code == 302
    web.post(f"/parties/{party_id}", data={
        "name": "Corner Shop Ltd", "stage": "customer", "cause": "", "csrf_token": token,
    })
    page = web.get(f"/parties/{party_id}")
    assert history_rows(page) == [
        ("—", "lead", "created by Sam Sales"),
        ("lead", "opportunity", "visited the showroom"),
        ("opportunity", "customer", "changed by Sam Sales"),
    ]
    with registry.session_factory() as session:
        party = session.get(Party, party_id)
        assert (party.name, party.stage, party.email, party.is_vendor) == (
            "Corner Shop Ltd", "customer", "", False)
        assert party.customer_group is None and party.tags == []


def test_web_forms_show_what_is_wrong(web, registry):
    token = csrf_token(web, "/parties/new")
    refused = web.post("/parties/new", data={"name": "x" * 129, "email": "nope",
                                             "tags": "t" * 65, "csrf_token": token})
    assert refused.status_code == 422
    text = page_text(refused)
    assert "Length must be between 1 and 128." in text
    assert "Not a valid e-mail address." in text
    assert "A tag has at most 64 characters." in text
    assert f'value="{"x" * 129}"' in refused.get_data(as_text=True), "the input is kept"
    assert web.post("/parties/new", data={"name": "A", "customer_group": "NOPE",
                                          "csrf_token": token}).status_code == 422

    [party_id] = add_parties(registry, {"name": "Kept"})
    blank = web.post(f"/parties/{party_id}", data={"name": "", "csrf_token": token})
    assert blank.status_code == 422
    assert "Required." in page_text(blank) and "Missing data" not in page_text(blank)
    taken = web.post("/parties/customer-groups", data={"code": "A", "name": "A",
                                                       "csrf_token": token})
    assert taken.status_code == 302
    taken = web.post("/parties/customer-groups", data={"code": "A", "name": "B",
                                                       "csrf_token": token})
    assert taken.status_code == 422 and "This code is taken." in page_text(taken)
    assert web.get("/parties/999").status_code == 404
    assert live_party_count(registry) == 1


def live_party_count(registry):
    """How many live parties the database holds."""
    with registry.session_factory() as session:
        return parties.search_parties(session)[1]


def test_web_addresses_can_be_added_and_removed(web, registry):
    [party_id] = add_parties(registry, {"name": "Hauler"})
    token = csrf_token(web, f"/parties/{party_id}")
    added = web.post(f"/parties/{party_id}/addresses", data={
        "kind": "delivery", "street": "2 Dock Road", "postcode": "E16", "city": "London",
        "country": "gb", "csrf_token": token,
    })
    assert added.status_code == 302
    page = web.get(f"/parties/{party_id}").get_data(as_text=True)
    assert re.search(r"<td>delivery</td><td>2 Dock Road</td><td>E16</td><td>London</td>"
                     r"<td>GB</td>", page)

    refused = web.post(f"/parties/{party_id}/addresses", data={
        "kind": "delivery", "city": "Atlantis", "country": "QQ", "csrf_token": token,
    })
    assert refused.status_code == 422
    assert "Unknown country" in page_text(refused)

    with registry.session_factory() as session:
        address_id = session.get(Party, party_id).addresses[0].id
    assert web.post(f"/parties/{party_id}/addresses/{address_id + 1}/remove",
                    data={"csrf_token": token}).status_code == 404
    assert web.post(f"/parties/{party_id}/addresses/{address_id}/remove",
                    data={"csrf_token": token}).status_code == 302
    assert "No address yet." in page_text(web.get(f"/parties/{party_id}"))


def test_web_merge_form_moves_orders_and_history(web, registry):
    survivor_id, duplicate_id, other_id = add_parties(
        registry, {"name": "Globex"}, {"name": "Globex Corp", "stage": "opportunity"},
        {"name": "Initech"},
    )
    number, _total = add_order(registry, duplicate_id)
    page = web.get(f"/parties/{survivor_id}").get_data(as_text=True)
    assert f'<option value="{duplicate_id}">Globex Corp (#{duplicate_id})</option>' in page
    assert f'<option value="{other_id}">' not in page, "only matching names are offered"
    assert f'<option value="{survivor_id}">' not in page
    assert f'<option value="{other_id}">' in web.get(
        f"/parties/{survivor_id}?match=init").get_data(as_text=True)

    token = csrf_token(web, f"/parties/{survivor_id}")
    itself = web.post(f"/parties/{survivor_id}/merge",
                      data={"duplicate_id": str(survivor_id), "csrf_token": token})
    assert itself.status_code == 422
    assert "A party cannot be merged into itself." in page_text(itself)
    unknown = web.post(f"/parties/{survivor_id}/merge",
                       data={"duplicate_id": "999999", "csrf_token": token})
    assert unknown.status_code == 422 and "does not exist" in page_text(unknown)

    merged = web.post(f"/parties/{survivor_id}/merge",
                      data={"duplicate_id": str(duplicate_id), "csrf_token": token})
    assert merged.status_code == 302
    survivor_page = web.get(f"/parties/{survivor_id}")
    text = page_text(survivor_page)
    assert f"{number} Sales order draft €30.00" in text
    assert ("prospect", "opportunity", "merged with Globex Corp") in history_rows(survivor_page)
    assert ("—", "opportunity", "created (as Globex Corp)") in history_rows(survivor_page)

    duplicate_page = web.get(f"/parties/{duplicate_id}")
    assert duplicate_page.status_code == 200
    assert f"This party was merged into Globex (#{survivor_id})" in page_text(duplicate_page)
    assert "No order yet." in page_text(duplicate_page)
    assert "Globex Corp" not in page_text(web.get("/parties/?q=globex"))
    again = web.post(f"/parties/{duplicate_id}",
                     data={"name": "Revived", "stage": "lead", "csrf_token": token})
    assert again.status_code == 409
    assert web.post(f"/parties/{survivor_id}/merge", data={
        "duplicate_id": str(duplicate_id), "csrf_token": token}).status_code == 422


def test_accounting_reads_party_pages_and_changes_nothing(app, registry, login):
    [party_id] = add_parties(registry, {
        "name": "Fabrikam", "email": "ap@fabrikam.example", "stage": "customer",
        "addresses": [{"kind": "invoice", "street": "1 Quay", "city": "Lyon", "country": "FR"}]})
    client = app.test_client()
    login(client, "accounting")
    assert ">Parties</a>" in client.get("/").get_data(as_text=True)
    listed = page_text(client.get("/parties/?q=fabrikam"))
    assert "Fabrikam" in listed and "New party" not in listed
    assert "Add customer group" not in listed
    page = client.get(f"/parties/{party_id}")
    shown = page.get_data(as_text=True)
    assert page.status_code == 200 and "ap@fabrikam.example" in shown and "Lyon" in shown
    assert '<fieldset class="bare" disabled>' in shown
    assert all(change not in shown for change in (
        ">Save<", "Cause of a stage change", ">Remove<", "Add address", "Merge"))
    token = csrf_token(client, f"/parties/{party_id}")
    for path, form in ((f"/parties/{party_id}", {"name": "Renamed", "stage": "lead"}),
                       (f"/parties/{party_id}/addresses", {"city": "Paris", "country": "FR"}),
                       (f"/parties/{party_id}/merge", {"duplicate_id": "1"}),
                       ("/parties/new", {"name": "New one"}),
                       ("/parties/customer-groups", {"code": "X", "name": "X"})):
        assert client.post(path, data={**form, "csrf_token": token}).status_code == 403, path
    assert client.get("/parties/new").status_code == 403
    with registry.session_factory() as session:
        assert session.get(Party, party_id).name == "Fabrikam"
        assert session.query(Party).count() == 1


def test_party_pages_are_kept_from_marketing(app, login):
    client = app.test_client()
    login(client, "marketing")
    assert client.get("/parties/").status_code == 403
    assert ">Parties</a>" not in client.get("/").get_data(as_text=True)
