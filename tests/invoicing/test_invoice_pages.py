"""The invoice and ledger pages: what the accountant sees and types; others are kept out."""

import re
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core import orders
from core.parties import merge_parties
from core.testing import api_client, csrf_token
from plugins.invoicing.invoices import (
    invoice_from_order,
    invoice_from_packing_slips,
    pro_forma_of,
)
from plugins.invoicing.models import Account, Invoice, Payment
from plugins.invoicing.posting import post_invoice
from tests.invoicing.conftest import confirmed_order, packing_slip


def _form(client, path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, path), **fields})


def test_the_orders_awaiting_an_invoice_are_those_with_something_left(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 1)])
        session.commit()
        order_id, number, line_id = order.id, order.number, order.lines[0].id
    client = invoicing_app.test_client()
    login(client, "accounting")
    draft = _form(client, f"/invoicing/invoices/new/order?order_id={order_id}",
                  **{f"quantity-{line_id}": "1"}).headers["Location"]
    link = f'<a href="{draft}">draft {draft.rsplit("/", 1)[1]}</a>'
    choose = client.get("/invoicing/invoices/new/order").get_data(as_text=True)
    assert f'order_id={order_id}">{number}</a>' in choose and link in choose
    held = client.get(f"/invoicing/invoices/new/order?order_id={order_id}").get_data(
        as_text=True)
    assert f"Nothing of order {number} is left to invoice: the rest is on" in held
    assert link in held
    assert _form(client, f"{draft}/post").status_code == 302
    choose = client.get("/invoicing/invoices/new/order").get_data(as_text=True)
    assert number not in choose  # invoiced in full


def test_the_accountant_invoices_an_order_posts_it_and_reads_the_ledger(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2), (catalogue["NAIL"], 1)])
        slip = packing_slip(session, registry.hook, order, {1: 1})
        session.commit()
        order_id, ham, nail = order.id, order.lines[0].id, order.lines[1].id
        order_number, slip_id = order.number, slip.id
    client = invoicing_app.test_client()
    login(client, "accounting")
    choose = client.get("/invoicing/invoices/new/order").get_data(as_text=True)
    assert f'order_id={order_id}">{order_number}</a>' in choose  # awaiting an invoice
    serial = int(order_number[3:])
    for typed in (order_number.lower(), f"so-{serial}", f"SO {serial}", f"so{serial}", serial):
        page = client.get(f"/invoicing/invoices/new/order?order={typed}")
        assert page.status_code == 200 and f'name="quantity-{ham}"' in page.get_data(
            as_text=True), typed
    select = re.search(r'name="kind">(.*?)</select>', page.get_data(as_text=True)).group(1)
    kinds = re.findall(r'<option value="(\w+)"', select)
    assert kinds[0] == "customer" and "credit_note" not in kinds  # a browser sends the first
    refused = _form(client, f"/invoicing/invoices/new/order?order_id={order_id}",
                    **{f"quantity-{ham}": "5", f"quantity-{nail}": ""})
    assert refused.status_code == 422
    assert "Line 1: 5 is more than the 2 left to invoice" in refused.get_data(as_text=True)
    created = _form(client, f"/invoicing/invoices/new/order?order_id={order_id}",
                    **{f"quantity-{ham}": "1", f"quantity-{nail}": "0"})
    assert created.status_code == 302
    invoice_path = created.headers["Location"]
    draft = invoice_path.rsplit("/", 1)[1]
    for action in ("cancel", "credit"):
        not_yet = client.get(f"/invoicing/invoices/{draft}/{action}")
        text = not_yet.get_data(as_text=True)
        assert not_yet.status_code == 409 and f"draft {draft}" in text
        assert "None" not in text and 'name="csrf_token"' not in text.split("</h1>")[1]
    assert "Make a pro forma" in client.get(invoice_path).get_data(as_text=True)
    pro_forma = _form(client, f"{invoice_path}/pro-forma")
    assert "PRO FORMA" in client.get(pro_forma.headers["Location"]).get_data(as_text=True)
    posted = client.get(_form(client, f"{invoice_path}/post").headers["Location"])
    text = posted.get_data(as_text=True)
    assert "INV-00001" in text and 'id="payment-status">open' in text
    assert _form(client, f"{invoice_path}/post").status_code == 409
    assert _form(client, f"{invoice_path}/delete").status_code == 409
    slips = client.get(f"/invoicing/invoices/new/packing-slips?party_id={catalogue['bolt']}")
    assert f'value="{slip_id}"' in slips.get_data(as_text=True)
    listed = client.get("/invoicing/invoices/?status=posted").get_data(as_text=True)
    assert "INV-00001" in listed and "open" in listed
    account = client.get("/invoicing/ledger/accounts/411").get_data(as_text=True)
    assert "INV-00001" in account and "€15.00" in account
    assert "-€12.50" in client.get("/invoicing/ledger/").get_data(as_text=True)
    document = client.get("/invoicing/ledger/documents/INV-00001").get_data(as_text=True)
    assert "Bolt &amp; Co" in document
    admin = invoicing_app.test_client()  # the order pages are the sales role's
    login(admin, "admin")
    order_page = admin.get(f"/orders/{order_id}").get_data(as_text=True)
    related = re.search(r'<p id="related">(.*?)</p>', order_page, re.S).group(1)
    assert f"/fulfilment/orders/{order_id}/deliver" in related
    assert f"/invoicing/invoices/?order_id={order_id}" in related
    ham_row = re.search(r"<tr>\s*<td>1</td>(.*?)</tr>", order_page, re.S).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', ham_row)[:3] == ["2", "1", "1"], (
        "ordered, delivered, invoiced")
    of_order = client.get(f"/invoicing/invoices/?order_id={order_id}").get_data(as_text=True)
    assert "INV-00001" in of_order
    assert f"2 invoices of order {order_number}" in of_order, "the invoice and its pro forma"
    assert "0 invoices" in client.get(f"/invoicing/invoices/?order_id={order_id + 1}").get_data(
        as_text=True)
    slip_page = client.get(f"/fulfilment/packing-slips/{slip_id}").get_data(as_text=True)
    assert f'href="/invoicing/invoices/?packing_slip_id={slip_id}"' in slip_page
    assert f'href="/orders/{order_id}"' in slip_page, "the slip names its order"
    of_slip = client.get(f"/invoicing/invoices/?packing_slip_id={slip_id}").get_data(
        as_text=True)
    assert "0 invoices of packing slip PS-00001." in of_slip, "the order was invoiced whole"


def test_the_free_text_form_shows_each_rows_mistakes(invoicing_app, catalogue, login):
    client = invoicing_app.test_client()
    login(client, "accounting")
    form = client.get("/invoicing/invoices/new/free-text").get_data(as_text=True)
    for row in range(2):  # every row offers the revenue account, none the customers' one
        options = re.search(rf'name="account-{row}">(.*?)</select>', form, re.S).group(1)
        assert 'value="706"' in options and 'value="411"' not in options
    row = {"account-2": "706", "description-2": "Consulting", "unit_price-2": "80",
           "quantity-2": "2"}
    refused = _form(client, "/invoicing/invoices/new/free-text", party_id=catalogue["acme"], **row)
    assert refused.status_code == 422
    assert "Tax information is required" in refused.get_data(as_text=True)
    nobody = _form(client, "/invoicing/invoices/new/free-text", **row).get_data(as_text=True)
    assert "Choose a customer." in nobody and "Tax information is required" in nobody
    unread = _form(client, "/invoicing/invoices/new/free-text", **{
        **row, "quantity-2": "two", "description-4": "Travel"}).get_data(as_text=True)
    for told in ("Choose a customer.", "Not a valid number.", "Tax information is required",
                 "A ledger account is required.", "Give a unit price"):  # all at once
        assert told in unread, told
    readable = {"account-0": "706", "quantity-0": "x", "unit_price-0": "10",
                "tax_category-0": "VAT20"}  # its other fields pass: the kind's checks too
    for party, currency, told in ((catalogue["acme"], "EUR", ["Not a valid number."]),
                                  ("999", "XYZ", ["There is no customer 999.",
                                                  "Unknown currency"])):
        shown = _form(client, "/invoicing/invoices/new/free-text", party_id=party,
                      currency=currency, **readable).get_data(as_text=True)
        for message in [*told, "A description is required."]:
            assert message in shown, (party, message)
    created = _form(client, "/invoicing/invoices/new/free-text", party_id=catalogue["acme"],
                    **row, **{"tax_category-2": "VAT20"})
    assert created.status_code == 302
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="total">€192\.00<', page)


def test_marketing_is_kept_out(invoicing_app, login):
    client = invoicing_app.test_client()
    login(client, "marketing")
    for path in ("/invoicing/invoices/", "/invoicing/invoices/new/free-text", "/invoicing/ledger/"):
        assert client.get(path).status_code == 403


def test_a_draft_invoices_lines_are_added_and_changed_on_its_page(invoicing_app, registry,
                                                                 catalogue, login):
    client = invoicing_app.test_client()
    login(client, "accounting")
    created = _form(client, "/invoicing/invoices/new/free-text", party_id=catalogue["acme"],
                    **{"account-0": "706", "description-0": "Set-up", "unit_price-0": "100",
                       "tax_category-0": "VAT20"})
    assert created.status_code == 302
    path = created.headers["Location"]
    page = client.get(path).get_data(as_text=True)
    assert 'id="add-line"' in page and '<select name="account" required>' in page
    unknown = _form(client, f"{path}/lines", account="999", description="Travel",
                    unit_price="30", tax_category="VAT20")
    assert unknown.status_code == 422
    assert re.search(r'</select><span class="field-error">Unknown ledger account 999\.</span>'
                     r'</label>', unknown.get_data(as_text=True)), "beside the account's box"
    bare = _form(client, f"{path}/lines", quantity="2").get_data(as_text=True)
    assert all(f'<span class="field-error">{told}' in bare for told in (
        "A ledger account is required.", "A description is required.",
        "Give a unit price (or an amount).", "Tax information is required"))
    assert 'class="flash error"' not in bare  # each beside its box, not above the page
    unread = _form(client, f"{path}/lines", quantity="x", unit_price="1_000").get_data(
        as_text=True)  # the numbers it cannot read, and the rest at once
    assert unread.count('<span class="field-error">Not a valid number.') == 2
    assert all(f'<span class="field-error">{told}' in unread for told in (
        "A ledger account is required.", "A description is required.",
        "Tax information is required"))
    untaxed = _form(client, f"{path}/lines", account="706", description="Printing",
                    quantity="2", unit_price="3000")
    kept = untaxed.get_data(as_text=True)  # what was typed is there to complete
    assert untaxed.status_code == 422 and "Tax information is required" in kept
    assert all(typed in kept for typed in ('<option value="706" selected>', 'value="Printing"',
                                           'value="2"', 'value="3000"'))
    too_early = _form(client, f"{path}/header", invoice_date="2031-05-02",
                      due_date="2031-05-01", note="Ask twice")
    kept = too_early.get_data(as_text=True)
    assert too_early.status_code == 422 and "Must not be before the invoice date" in kept
    assert all(typed in kept for typed in ('value="2031-05-01"', 'value="Ask twice"'))
    added = _form(client, f"{path}/lines", account="706", description="Travel", quantity="2",
                  unit_price="30", tax_category="VAT20")
    assert added.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Travel" in page and re.search(r'id="total">€192.00<', page)  # (100 + 60) × 1.2
    line_id = re.findall(r'/lines/(\d+)"', page)[-1]
    changed = _form(client, f"{path}/lines/{line_id}", quantity="1", unit_price="50")
    assert changed.status_code == 302
    assert re.search(r'id="total">€180.00<', client.get(path).get_data(as_text=True))
    refused = _form(client, f"{path}/lines/{line_id}", quantity="-1")
    assert refused.status_code == 422
    assert '<span class="field-error">Must be above 0.</span>' in refused.get_data(as_text=True)
    emptied = _form(client, f"{path}/lines/{line_id}", quantity="", unit_price="50")
    assert emptied.status_code == 422  # not "Line changed." with nothing changed
    assert '<span class="field-error">Required.</span>' in emptied.get_data(as_text=True)
    with registry.session_factory() as session:
        session.add(Account(code="708", name="Other income", kind="revenue"))
        session.commit()
    page = client.get(path).get_data(as_text=True)
    assert f'<select name="tax_category" form="line-{line_id}"' in page
    retold = _form(client, f"{path}/lines/{line_id}", account="708", description="Train",
                   quantity="1", unit_price="50", tax_category="VAT5")
    assert retold.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert 'value="Train"' in page and '<option value="708" selected>' in page
    assert re.search(r'id="total">€172.75<', page)  # 100 × 1.2 + 50 × 1.055
    untold = _form(client, f"{path}/lines/{line_id}", account="708", description="",
                   quantity="1", unit_price="50", tax_category="VAT5")
    assert untold.status_code == 422  # said beside the box emptied
    assert ('aria-label="Description, line 2"><span class="field-error">Required.</span>'
            in untold.get_data(as_text=True))

    today = date.today()
    dates = {"invoice_date": today.isoformat(),
             "due_date": (today + timedelta(days=30)).isoformat()}
    assert _form(client, f"{path}/header", **dates, note="Ask twice").status_code == 302
    undated = _form(client, f"{path}/header", invoice_date="", due_date="", note="Ask")
    assert undated.status_code == 422
    assert undated.get_data(as_text=True).count('<span class="field-error">Required.</span>') == 1
    assert _form(client, f"{path}/header", **dates, note="").status_code == 302
    assert 'name="note" value=""' in client.get(path).get_data(as_text=True)  # cleared
    earlier = today - timedelta(days=3)
    assert _form(client, f"{path}/header", invoice_date=earlier.isoformat(), due_date="",
                 note="").status_code == 302
    shown = client.get(path).get_data(as_text=True)
    assert f'name="due_date" type="date" value="{earlier + timedelta(days=30)}"' in shown, \
        "an emptied due date is the default one, from the new invoice date"
    assert "empty: 30 days after the invoice date" in shown


def test_an_order_lines_part_changes_its_quantity_on_the_draft(invoicing_app, registry,
                                                               catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)])
        session.commit()
    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/invoices/new/order?order_id={order.id}"
    created = _form(client, path, **{f"quantity-{order.lines[0].id}": "2"})
    invoice_path = created.headers["Location"]
    page = client.get(invoice_path).get_data(as_text=True)
    assert 'id="add-line"' not in page, "order lines and free text lines are not mixed"
    line_id = re.findall(r'/lines/(\d+)"', page)[0]
    too_many = _form(client, f"{invoice_path}/lines/{line_id}", quantity="3")
    assert too_many.status_code == 422
    shown = too_many.get_data(as_text=True)
    # Next to the line, with the quantity typed still in it.
    assert 'value="3" inputmode="decimal" size="6" aria-label="Quantity, line 1"' in shown
    assert ('<span class="field-error">3 is more than the 2 left to invoice.</span></form>'
            in shown)
    priced = _form(client, f"{invoice_path}/lines/{line_id}", quantity="1", unit_price="1")
    assert priced.status_code == 422  # a box this line has not: told above the page
    assert priced.get_data(as_text=True).count("Only the quantity and the description") == 1
    assert ('role="alert">Unit price: Only the quantity and the description of an order '
            "line&#39;s part change.</p>") in priced.get_data(as_text=True)
    assert _form(client, f"{invoice_path}/lines/{line_id}", quantity="1",
                 description="Ham, sliced").status_code == 302
    page = client.get(invoice_path).get_data(as_text=True)
    assert re.search(r'id="total">€15.00<', page)
    assert 'value="Ham, sliced"' in page
    assert 'name="account"' not in page, "an order line's part keeps its item and tax"


def test_the_accountant_reads_an_order_from_its_invoice_and_changes_nothing(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)])
        session.commit()
        order_id, line_id, number = order.id, order.lines[0].id, order.number
    client = invoicing_app.test_client()
    login(client, "accounting")
    draft = _form(client, f"/invoicing/invoices/new/order?order_id={order_id}",
                  **{f"quantity-{line_id}": "1"}).headers["Location"]
    invoice = client.get(draft).get_data(as_text=True)
    assert f'<a href="/orders/{order_id}">{number}</a>' in invoice
    page = client.get(f"/orders/{order_id}")
    assert page.status_code == 200
    shown = page.get_data(as_text=True)
    assert "Order confirmation (PDF)" in shown and "Invoice this order" in shown
    assert all(change not in shown for change in ("Change type", "Cancel order",
                                                  "E-mail the confirmation"))
    assert "New order" not in client.get("/orders/").get_data(as_text=True)
    assert client.get("/orders/new").status_code == 403
    assert _form(client, f"/orders/{order_id}/cancel").status_code == 403


def test_an_invoice_links_its_packing_slips_and_a_draft_without_lines_prints_nothing(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 2)])
        slip = packing_slip(session, registry.hook, order)
        draft = invoice_from_packing_slips(session, registry.hook, [slip.id])
        session.commit()
        slip_id, slip_number, path = slip.id, slip.number, f"/invoicing/invoices/{draft.id}"
        [line_id] = [line.id for line in draft.lines]
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(path).get_data(as_text=True)
    assert f'<a href="/fulfilment/packing-slips/{slip_id}">{slip_number}</a>' in page
    assert client.get(f"/fulfilment/packing-slips/{slip_id}").status_code == 200
    assert "Pro forma (PDF)" in page
    assert _form(client, f"{path}/lines/{line_id}/remove").status_code == 302
    emptied = client.get(path).get_data(as_text=True)
    assert "Pro forma (PDF)" not in emptied, "a draft of no line has nothing to print"
    assert client.get(f"{path}/pro-forma.pdf").status_code == 409


def test_a_packing_slips_page_leads_to_invoicing_that_slip_alone(invoicing_app, registry,
                                                                 catalogue, login):
    with registry.session_factory() as session:
        slips = [packing_slip(session, registry.hook, confirmed_order(
            session, registry.hook, catalogue["bolt"], [(catalogue["HAM"], 1)]))
            for _ in range(2)]
        session.commit()
        first, second = [(slip.id, slip.number) for slip in slips]
    client = invoicing_app.test_client()
    login(client, "accounting")
    slip_page = client.get(f"/fulfilment/packing-slips/{second[0]}").get_data(as_text=True)
    link = re.search(r'href="([^"]*)" id="invoice-slip"', slip_page).group(1)
    chooser = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'value="{second[0]}" id="slip-{second[0]}" checked>' in chooser
    assert f'value="{first[0]}" id="slip-{first[0]}">' in chooser, "listed, not ticked"
    assert f'<a href="/fulfilment/packing-slips/{first[0]}">open</a>' in chooser
    everything = client.get(f"/invoicing/invoices/new/packing-slips?party_id="
                            f"{catalogue['bolt']}").get_data(as_text=True)
    assert all(f'id="slip-{slip_id}" checked>' in everything for slip_id, _ in (first, second))
    assert "nothing-left" not in chooser
    with registry.session_factory() as session:
        invoice_from_packing_slips(session, registry.hook, [second[0]])
        session.commit()
    again = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert 'id="nothing-left"' in again and f'id="slip-{second[0]}"' not in again


def test_the_sales_page_says_which_drafts_cancelling_an_order_deleted(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 1)])
        draft = invoice_from_order(session, registry.hook, order)
        copy = pro_forma_of(session, registry.hook, draft)
        session.commit()
        order_id, draft_id, copy_id = order.id, draft.id, copy.id
    client = invoicing_app.test_client()
    login(client, "sales")
    cancelled = _form(client, f"/orders/{order_id}/cancel")
    assert cancelled.status_code == 302
    page = client.get(cancelled.headers["Location"]).get_data(as_text=True)
    assert "Order cancelled." in page
    assert f"Deleted with the order: draft invoice {draft_id}, pro forma {copy_id}." in page


def test_an_order_with_nothing_to_invoice_offers_no_form(invoicing_app, registry, catalogue,
                                                         login):
    with registry.session_factory() as session:
        draft_order = orders.create_order(session, registry.hook, {
            "type": "sales", "party_id": catalogue["bolt"], "currency": "EUR",
            "lines": [{"item_id": catalogue["HAM"], "quantity": Decimal(1)}]})
        done = confirmed_order(session, registry.hook, catalogue["bolt"],
                               [(catalogue["HAM"], 1)])
        session.commit()
        draft_id, done_id, line_id = draft_order.id, done.id, done.lines[0].id
    client = invoicing_app.test_client()
    login(client, "accounting")
    path = "/invoicing/invoices/new/order?order_id="
    page = client.get(f"{path}{draft_id}").get_data(as_text=True)
    assert "is draft: an order is invoiced once confirmed" in page
    assert "Create the draft invoice" not in page
    held = _form(client, f"{path}{done_id}", **{f"quantity-{line_id}": "1"}).headers["Location"]
    page = client.get(f"{path}{done_id}").get_data(as_text=True)
    assert "Nothing of order" in page and held.rsplit("/", 1)[1] in page
    assert "Create the draft invoice" not in page


NOT_IDS = ("2147483648", "99999999999999999999", "²", "0", "-1", "1" * 5000)


def test_ids_no_record_can_have_are_refused_or_find_nothing(invoicing_app, registry, catalogue,
                                                            login):
    """Ids beyond an id column's range, or digits int() does not read, in the links and forms
    of the invoicing pages: each page answers as for an id of no record, never an error."""
    with registry.session_factory() as session:
        order = confirmed_order(session, registry.hook, catalogue["bolt"],
                                [(catalogue["HAM"], 1)])
        packing_slip(session, registry.hook, order)
        invoice_from_order(session, registry.hook, confirmed_order(
            session, registry.hook, catalogue["bolt"], [(catalogue["NAIL"], 1)]))
        session.commit()
    client = invoicing_app.test_client()
    login(client, "accounting")
    bolt = catalogue["bolt"]
    assert "<p>1 invoice." in client.get("/invoicing/invoices/").get_data(as_text=True)
    for bad in NOT_IDS:
        for name in ("party_id", "order_id", "packing_slip_id"):
            listed = client.get(f"/invoicing/invoices/?{name}={bad}")
            assert "<p>0 invoices." in listed.get_data(as_text=True), (name, bad)
        for path, status in ((f"invoices/?page={bad}", 200),
                             (f"invoices/new/packing-slips?party_id={bad}", 404),
                             (f"invoices/new/order?order_id={bad}", 404),
                             (f"payments/new?party_id={bad}", 422),
                             (f"aged?party_id={bad}", 404), (f"balances?party_id={bad}", 404)):
            assert client.get(f"/invoicing/{path}").status_code == status, path
        slips = f"/invoicing/invoices/new/packing-slips?party_id={bolt}"
        refused = _form(client, slips, party_id=bolt, packing_slip_ids=bad)
        assert refused.status_code == 422, bad
        assert _form(client, "/invoicing/invoices/new/free-text", party_id=bad,
                     **{"account-0": "706", "description-0": "Advice", "unit_price-0": "80",
                        "quantity-0": "1", "tax_category-0": "VAT20"}
                     ).get_data(as_text=True).count("There is no customer ") == 1, bad
        paying = f"/invoicing/payments/new?party_id={bolt}"
        fields = dict(re.findall(r'name="(csrf_token|once)" value="([^"]+)"',
                                 client.get(paying).get_data(as_text=True)))
        applied = client.post("/invoicing/payments/new", data={
            **fields, "party_id": bolt, "currency": "EUR", "amount": "5", "account": "512",
            f"apply-{bad}": "5"})
        assert applied.status_code == 422, bad
    with registry.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
        assert session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_a_page_asked_for_a_customer_not_there_says_so(invoicing_app, registry, catalogue,
                                                       login):
    with registry.session_factory() as session:
        invoice_from_order(session, registry.hook, confirmed_order(
            session, registry.hook, catalogue["acme"], [(catalogue["HAM"], 1)]))
        post_invoice(session, registry.hook, session.scalars(select(Invoice)).one())
        session.commit()
    client = invoicing_app.test_client()
    login(client, "accounting")
    for path in ("/invoicing/aged?party_id=%20", "/invoicing/balances?party_id=%20"):
        assert client.get(path).status_code == 200, "a blank customer: none chosen"
    for path in ("/invoicing/aged?party_id=999", "/invoicing/balances?party_id=999",
                 "/invoicing/invoices/new/packing-slips?party_id=999",
                 "/invoicing/aged?party_id=abc"):
        page = client.get(path)
        assert page.status_code == 404, path
        shown = page.get_data(as_text=True)
        assert "There is no customer " in shown, path
        assert "Acme" not in shown.split("</select>")[-1], f"{path}: not every customer's"
    assert client.get("/invoicing/aged").status_code == 200
    with registry.session_factory() as session:
        merge_parties(session, registry.hook, catalogue["bolt"], catalogue["acme"])
        session.commit()
    merged = client.get(f"/invoicing/balances?party_id={catalogue['acme']}")
    assert merged.status_code == 404
    assert (f"Acme was merged into customer {catalogue['bolt']}: see that one."
            in merged.get_data(as_text=True))
    refused = api_client(invoicing_app, "accounting").get(
        f"/api/v1/parties/{catalogue['acme']}/balance")
    assert refused.status_code == 409
    assert refused.get_json()["message"] == (
        f"party 'Acme' was merged into party {catalogue['bolt']}")


def test_slips_of_another_customer_are_a_refused_form_not_a_missing_page(
        invoicing_app, registry, catalogue, login):
    with registry.session_factory() as session:
        slip = packing_slip(session, registry.hook, confirmed_order(
            session, registry.hook, catalogue["bolt"], [(catalogue["HAM"], 1)]))
        session.commit()
        slip_id = slip.id
    client = invoicing_app.test_client()
    login(client, "accounting")
    refused = _form(client, f"/invoicing/invoices/new/packing-slips?party_id={catalogue['acme']}",
                    party_id=catalogue["acme"], packing_slip_ids=slip_id)
    assert refused.status_code == 422
    assert "another customer" in refused.get_data(as_text=True)
