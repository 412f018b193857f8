"""Payments applied to posted invoices, the customer's balance and the aged list."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, update

from core import modules
from core.errors import Conflict, ValidationError
from core.models import Party
from core.parties import merge_parties
from core.testing import count_queries, csrf_token
from plugins.invoicing.credit_notes import credit_in_part
from plugins.invoicing.models import Account, Invoice, LedgerEntry
from plugins.invoicing.payments import (
    aged_open_invoices,
    apply_payment,
    customer_balance,
    invoice_settlements,
    register_payment,
)
from plugins.invoicing.posting import post_invoice
from tests.invoicing.conftest import confirmed_order
from tests.invoicing.test_credit_note_applications import migration
from tests.invoicing.test_credit_notes import posted_invoice
from tests.invoicing.test_posting import _draft_of

TODAY = date.today()


def entries_of(session, payment):
    return sorted(session.execute(
        select(Account.code, LedgerEntry.debit, LedgerEntry.credit, LedgerEntry.party_id)
        .join(LedgerEntry.account).where(LedgerEntry.payment_id == payment.id)).all())


def test_a_payment_settles_invoices_and_the_balance_follows(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        hammers = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])  # 30.00
        book = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)])  # 21.10
        assert (hammers.payment_status, book.payment_status) == ("open", "open")
        assert customer_balance(session, bolt) == {"EUR": Decimal("51.10")}

        payment = register_payment(session, bolt, Decimal(40), "EUR", TODAY, "Wire 17",
                                   [(hammers.id, Decimal(30)), (book.id, Decimal(10))])
        session.commit()
        assert payment.number == "PAY-00001" and payment.unapplied == 0
        assert (hammers.payment_status, book.payment_status) == ("paid", "partially_paid")
        assert book.open_amount == Decimal("11.10")
        assert entries_of(session, payment) == [("411", 0, 40, bolt), ("512", 40, 0, None)]
        assert customer_balance(session, bolt) == {"EUR": Decimal("11.10")}

        later = register_payment(session, bolt, Decimal(20), "EUR", TODAY, "Cheque")
        assert customer_balance(session, bolt) == {"EUR": Decimal("-8.90")}
        apply_payment(session, later, [(book.id, Decimal("11.10"))])
        assert book.payment_status == "paid" and later.unapplied == Decimal("8.90")
        assert [(s.document, s.amount) for s in invoice_settlements(session, book)] == [
            ("PAY-00001", Decimal(10)), ("PAY-00002", Decimal("11.10"))]
        assert len(entries_of(session, later)) == 2  # one receivable account: nothing moved


def test_applications_beyond_what_is_open_are_refused(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])  # 30.00
        other = posted_invoice(session, hook, catalogue["acme"], [(catalogue["NAIL"], 1)])
        draft = _draft_of(session, confirmed_order(session, hook, bolt,
                                                   [(catalogue["NAIL"], 1)]))
        for amount, applications, problem in [
            (Decimal(50), [(invoice.id, Decimal(31))], "€31.00 is more than the €30.00 open"),
            (Decimal(10), [(invoice.id, Decimal(20))], "add up to €20.00, more than the €10.00"),
            (Decimal(10), [(other.id, Decimal(1))], "is not of the payment's customer"),
            (Decimal(10), [(999_999, Decimal(1))], "Invoice 999999 does not exist."),
            (Decimal(10), [(invoice.id, Decimal("0.001"))], "in whole EUR cents"),
        ]:
            with pytest.raises(ValidationError) as refused:
                register_payment(session, bolt, amount, "EUR", TODAY, "", applications)
            assert problem in refused.value.fields["applications"][0]
        with pytest.raises(ValidationError) as thousandth:
            register_payment(session, bolt, Decimal("0.001"), "EUR", TODAY, "")
        assert thousandth.value.fields == {"amount": [
            "Must be more than 0, in whole EUR cents at most."]}
        with pytest.raises(ValidationError) as tenth_of_a_yen:
            register_payment(session, bolt, Decimal("1000.4"), "JPY", TODAY, "")
        assert tenth_of_a_yen.value.fields == {"amount": [
            "Must be more than 0, in whole JPY at most."]}
        with pytest.raises(Conflict):
            register_payment(session, bolt, Decimal(10), "EUR", TODAY, "",
                             [(draft.id, Decimal(1))])
        session.rollback()
        assert session.scalar(select(Invoice.settled).where(Invoice.id == invoice.id)) == 0


def test_aged_list_buckets_by_days_past_due(registry, catalogue):
    hook, bolt, acme = registry.hook, catalogue["bolt"], catalogue["acme"]
    as_of = TODAY
    with registry.session_factory() as session:
        def invoice_due(party, item, quantity, days_past_due):
            invoice = _draft_of(session, confirmed_order(session, hook, party,
                                                         [(item, quantity)]))
            invoice.invoice_date = as_of - timedelta(days=150)
            invoice.due_date = as_of - timedelta(days=days_past_due)
            return post_invoice(session, hook, invoice)

        invoice_due(bolt, catalogue["HAM"], 1, -5)  # 15.00 not due
        invoice_due(bolt, catalogue["HAM"], 2, 0)  # 30.00 due today: not due
        invoice_due(bolt, catalogue["NAIL"], 1, 1)  # 3.84
        invoice_due(bolt, catalogue["NAIL"], 2, 45)  # 7.68
        invoice_due(bolt, catalogue["NAIL"], 3, 75)  # 11.52
        paid = invoice_due(bolt, catalogue["BOOK"], 1, 120)  # 21.10
        register_payment(session, bolt, Decimal("21.10"), "EUR", as_of, "",
                         [(paid.id, Decimal("21.10"))])
        credit_note = credit_in_part(session, hook, paid, {paid.lines[0].id: Decimal(1)},
                                     "Returned", on=as_of - timedelta(days=100))
        invoice_due(acme, catalogue["BOOK"], 2, 91)  # 42.20

        customers, totals = aged_open_invoices(session, hook, as_of)
        assert [(c.party_name, c.total) for c in customers] == [
            ("Acme", Decimal("42.20")), ("Bolt & Co", Decimal("46.94"))]
        assert customers[1].buckets == {
            "not_due": Decimal("45.00"), "days_1_30": Decimal("3.84"),
            "days_31_60": Decimal("7.68"), "days_61_90": Decimal("11.52"),
            "over_90": Decimal("-21.10")}
        assert [a.invoice.number for a in customers[1].invoices][0] == credit_note.number
        assert totals[0].currency == "EUR" and totals[0].buckets["over_90"] == Decimal("21.10")
        assert totals[0].total == Decimal("89.14")
        only_acme, _totals = aged_open_invoices(session, hook, as_of, acme)
        assert [c.party_name for c in only_acme] == ["Acme"]


def test_a_merged_customer_owes_what_its_duplicate_owed(registry, catalogue):
    hook, acme, bolt = registry.hook, catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        duplicate_invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])  # 30.00
        posted_invoice(session, hook, acme, [(catalogue["BOOK"], 1)])  # 21.10
        register_payment(session, bolt, Decimal(20), "EUR", TODAY, "",
                         [(duplicate_invoice.id, Decimal(10))])  # 10.00 left unapplied
        session.commit()
        merge_parties(session, hook, acme, bolt)
        session.commit()
        session.expunge_all()
        assert customer_balance(session, acme) == {"EUR": Decimal("31.10")}
        assert customer_balance(session, bolt) == {}
        customers, _totals = aged_open_invoices(session, hook, TODAY)
        assert [(c.party_name, c.total) for c in customers] == [("Acme", Decimal("31.10"))]
        # The survivor's money settles what the duplicate was invoiced.
        payment = register_payment(session, acme, Decimal(20), "EUR", TODAY, "",
                                   [(duplicate_invoice.id, Decimal(20))])
        assert payment.unapplied == 0
        assert session.get(Invoice, duplicate_invoice.id).payment_status == "paid"
        assert customer_balance(session, acme) == {"EUR": Decimal("11.10")}


def test_a_merge_made_while_invoicing_is_disabled_moves_its_invoices_too(registry, catalogue):
    hook, acme, bolt = registry.hook, catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])  # 30.00
    modules.disable(registry, "invoicing")
    with registry.session_factory() as session:
        merge_parties(session, registry.hook, acme, bolt)
        session.commit()
    modules.enable(registry, "invoicing")
    with registry.session_factory() as session:
        assert customer_balance(session, acme) == {"EUR": Decimal("30.00")}
        register_payment(session, acme, Decimal(30), "EUR", TODAY, "",
                         [(invoice.id, Decimal(30))])
        assert customer_balance(session, acme) == {"EUR": Decimal("0.00")}


def test_the_aged_list_shows_what_stood_on_its_day_and_adds_up_to_the_balance(
        registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    start = TODAY - timedelta(days=30)
    with registry.session_factory() as session:
        hammers = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)], on=start)  # 30
        book = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)], on=start)  # 21.10
        register_payment(session, bolt, Decimal(40), "EUR", start + timedelta(days=10), "",
                         [(hammers.id, Decimal(30))])
        credit_in_part(session, hook, book, {book.lines[0].id: Decimal(1)}, "Returned",
                       on=start + timedelta(days=20))
        session.commit()

        def aged(days_from_start):
            as_of = start + timedelta(days=days_from_start)
            [customer], [total] = aged_open_invoices(session, hook, as_of, bolt)
            assert customer.total == total.total
            return ([(a.invoice.number, a.open_amount) for a in customer.invoices]
                    + [(a.payment.number, a.open_amount) for a in customer.payments],
                    customer.total)

        assert aged_open_invoices(session, hook, start - timedelta(days=1)) == ([], [])
        # Before the payment's day both invoices are open in full, and the payment not there.
        assert aged(5) == ([(hammers.number, Decimal(30)), (book.number, Decimal("21.10"))],
                           Decimal("51.10"))
        assert aged(10) == ([(book.number, Decimal("21.10")), ("PAY-00001", Decimal(-10))],
                            Decimal("11.10"))
        # The credit note settled the book: only the payment's unapplied 10.00 is left.
        assert aged(20) == ([("PAY-00001", Decimal(-10))], Decimal(-10))
        assert customer_balance(session, bolt) == {"EUR": Decimal(-10)}


def test_applying_to_many_invoices_takes_as_many_statements_as_to_few(registry, catalogue):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        order = confirmed_order(session, hook, bolt, [(catalogue["NAIL"], 33)])
        invoices = [post_invoice(session, hook, _draft_of(session, order,
                                                          quantities={order.lines[0].id: 1}))
                    for _ in range(33)]
        session.commit()
        ids = [invoice.id for invoice in invoices]
    counts = []
    for chosen in (ids[:3], ids[3:]):
        with registry.session_factory() as session:
            with count_queries(registry.engine) as statements:
                register_payment(session, bolt, Decimal("3.84") * len(chosen), "EUR", TODAY,
                                 "", [(invoice_id, Decimal("3.84")) for invoice_id in chosen])
                session.commit()
            counts.append(len(statements))
    assert counts[0] == counts[1]


def test_payment_api(registry, catalogue, accounting_api):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        first = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)]).id  # 30.00
        second = posted_invoice(session, hook, bolt, [(catalogue["BOOK"], 1)]).id  # 21.10
        draft = _draft_of(session, confirmed_order(session, hook, bolt,
                                                   [(catalogue["NAIL"], 1)])).id
        session.commit()

    answer = accounting_api.post("/api/v1/payments", json={
        "party_id": bolt, "amount": "50", "currency": "EUR", "payment_date": TODAY.isoformat(),
        "reference": "Wire 9", "applications": [{"invoice_id": first, "amount": "30"},
                                                {"invoice_id": second, "amount": "10.00"}]})
    assert answer.status_code == 201, answer.json
    payment = answer.json
    assert (payment["number"], payment["applied"], payment["unapplied"]) == \
        ("PAY-00001", "40.00", "10.00")
    assert [a["amount"] for a in payment["applications"]] == ["30.00", "10.00"]
    assert {(e["account"], e["debit"], e["credit"]) for e in payment["entries"]} == {
        ("512", "50.00", "0.00"), ("411", "0.00", "50.00")}

    answer = accounting_api.post(f"/api/v1/payments/{payment['id']}/applications",
                                 json={"applications": [{"invoice_id": second,
                                                         "amount": "11.10"}]})
    assert answer.status_code == 422 and "applications" in answer.json["errors"]["json"]
    assert accounting_api.post(f"/api/v1/payments/{payment['id']}/applications", json={
        "applications": [{"invoice_id": draft, "amount": "1"}]}).status_code == 409
    answer = accounting_api.post(f"/api/v1/payments/{payment['id']}/applications",
                                 json={"applications": [{"invoice_id": second,
                                                         "amount": "10"}]})
    assert answer.status_code == 201 and answer.json["unapplied"] == "0.00"
    assert accounting_api.post("/api/v1/payments", json={
        "party_id": bolt, "amount": "-1"}).status_code == 422
    for blurred in (99999999999.999999, 1.1):  # arrives as 100000000000.0
        refused = accounting_api.post("/api/v1/payments", json={"party_id": bolt,
                                                                "amount": blurred})
        assert refused.status_code == 422 and refused.json["errors"]["json"] == {"amount": [
            'Write this number as a string ("12.50"): a JSON number with a fraction or an '
            "exponent need not arrive as written."]}
    ahead = accounting_api.post("/api/v1/payments", json={
        "party_id": bolt, "amount": "1", "payment_date": (TODAY + timedelta(days=1)).isoformat()})
    assert ahead.status_code == 422 and ahead.json["errors"]["json"] == {
        "payment_date": ["A payment is recorded once received: not after today."]}

    listed = accounting_api.get("/api/v1/payments?q=wire").json
    assert listed["total"] == 1 and listed["items"][0]["number"] == "PAY-00001"
    assert accounting_api.get(f"/api/v1/payments?party_id={bolt}").json["total"] == 1
    assert accounting_api.get(f"/api/v1/payments?party_id={bolt + 100}").json["total"] == 0
    assert accounting_api.get(f"/api/v1/payments/{payment['id']}").json["applied"] == "50.00"
    balance = accounting_api.get(f"/api/v1/parties/{bolt}/balance").json
    assert balance["balances"] == [{"currency": "EUR", "amount": "1.10"}]
    assert [i["id"] for i in balance["open_invoices"]] == [second]
    aged = accounting_api.get("/api/v1/invoicing/aged?as_of=2099-01-01").json
    assert aged["customers"][0]["over_90"] == "1.10" and aged["totals"][0]["total"] == "1.10"
    on_account = accounting_api.post("/api/v1/payments", json={"party_id": bolt,
                                                               "amount": 5}).json
    assert on_account["amount"] == "5.00"
    # As of a later day, the customer owes what its balance says.
    [customer] = accounting_api.get("/api/v1/invoicing/aged?as_of=2099-01-01").json[
        "customers"]
    assert [(p["number"], p["open_amount"], p["bucket"]) for p in customer["payments"]] == [
        (on_account["number"], "-5.00", "over_90")]
    assert customer["total"] == "-3.90" == accounting_api.get(
        f"/api/v1/parties/{bolt}/balance").json["balances"][0]["amount"]


def test_payment_pages(invoicing_app, registry, catalogue, login):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])  # 30.00
        invoice_id, number = invoice.id, invoice.number

    sales = invoicing_app.test_client()
    login(sales, "sales")
    assert sales.get("/invoicing/payments/").status_code == 403
    client = invoicing_app.test_client()
    login(client, "accounting")
    form = client.get(f"/invoicing/payments/new?party_id={bolt}&currency=EUR")
    assert form.status_code == 200 and number in form.get_data(as_text=True)
    assert 'name="amount" inputmode="decimal" value=""' in form.get_data(as_text=True)
    unknown = client.get(f"/invoicing/payments/new?party_id={bolt}&currency=xyz")
    assert unknown.status_code == 422 and 'name="amount"' not in unknown.get_data(as_text=True)
    assert f'<option value="{bolt}" selected>' in unknown.get_data(as_text=True), "still chosen"
    assert '<span class="field-error">Unknown currency.</span>' in unknown.get_data(as_text=True)
    invoice_page = client.get(f"/invoicing/invoices/{invoice_id}").get_data(as_text=True)
    paying = re.search(r'href="([^"]*payments/new[^"]*)">Register a payment', invoice_page)
    shown = client.get(paying.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'name="amount" inputmode="decimal" value="30.00"' in shown, "the invoice's open amount"
    assert f'name="apply-{invoice_id}" inputmode="decimal" size="10" value="30.00"' in shown
    token = csrf_token(client, f"/invoicing/payments/new?party_id={bolt}")
    fields = {"csrf_token": token, "party_id": bolt, "currency": "EUR", "amount": "20",
              "payment_date": TODAY.isoformat(), "reference": "Cash", "account": "512"}
    refused = client.post("/invoicing/payments/new", data={**fields,
                                                           f"apply-{invoice_id}": "25"})
    assert refused.status_code == 422
    negative = client.post("/invoicing/payments/new", data={**fields,
                                                            f"apply-{invoice_id}": "-10"})
    assert negative.status_code == 422
    beside = rf'aria-label="Amount to apply to {number}">\s*<span class="field-error">{number}: '
    assert re.search(beside + "Must be above 0", negative.get_data(as_text=True))
    over = client.post("/invoicing/payments/new", data={**fields, "amount": "40",
                                                        f"apply-{invoice_id}": "40"})
    assert over.status_code == 422
    assert re.search(beside + r"€40\.00 is more than", over.get_data(as_text=True))
    assert re.search(r"</table>\s*<span class=\"field-error\">The applications add up to",
                     refused.get_data(as_text=True)), "below the table: it names no row"
    nobody = client.post("/invoicing/payments/new", data={**fields, "party_id": "99999"})
    assert nobody.status_code == 422 and "Unknown customer." in nobody.get_data(as_text=True)
    done = client.post("/invoicing/payments/new", data={**fields,
                                                        f"apply-{invoice_id}": "20"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert page.status_code == 200 and "Cash" in page.get_data(as_text=True)
    entries = client.get("/invoicing/ledger/documents/PAY-00001").get_data(as_text=True)
    assert f'href="{done.headers["Location"]}">Show the payment' in entries
    invoice_page = client.get(f"/invoicing/invoices/{invoice_id}").get_data(as_text=True)
    assert f'href="/invoicing/balances?party_id={bolt}">Bolt' in invoice_page
    listing = client.get("/invoicing/payments/?q=cash").get_data(as_text=True)
    assert "PAY-00001" in listing
    balance = client.get(f"/invoicing/balances?party_id={bolt}").get_data(as_text=True)
    assert "€10.00" in balance and number in balance and "all-balances" not in balance
    everyone = client.get("/invoicing/balances").get_data(as_text=True)
    assert 'href="/invoicing/aged" id="all-balances"' in everyone
    aged = client.get("/invoicing/aged?as_of=2099-12-31")
    assert aged.status_code == 200 and "€10.00" in aged.get_data(as_text=True)
    with registry.session_factory() as session:
        register_payment(session, bolt, Decimal(4), "EUR", TODAY, "On account")
        session.commit()
    for wrong in ("9999-12-31", "0001-01-01", "garbage"):
        refused = client.get(f"/invoicing/aged?as_of={wrong}")
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "As it stood" not in text, wrong
        assert "Nothing open." not in text, "no list of a day that cannot be, not even empty"
        assert "Must be a date between" in text or "Not a valid date." in text
    aged = client.get("/invoicing/aged?as_of=2099-12-31").get_data(as_text=True)
    assert "PAY-00002</a> <small>(received, not applied)</small>" in aged
    assert "-€4.00" in aged and "€6.00" in aged


def test_the_payments_list_shows_one_customers_payments(invoicing_app, registry, catalogue,
                                                        login):
    with registry.session_factory() as session:
        for party, reference in ((catalogue["acme"], "Acme transfer"),
                                 (catalogue["bolt"], "Bolt cheque")):
            register_payment(session, party, Decimal(5), "EUR", TODAY, reference)
        session.commit()
    client = invoicing_app.test_client()
    login(client, "accounting")
    balance = client.get(f"/invoicing/balances?party_id={catalogue['bolt']}")
    link = re.search(r'href="([^"]*)" id="party-payments"', balance.get_data(as_text=True))
    listing = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "Bolt cheque" in listing and "Acme transfer" not in listing
    assert "1 payment." in listing
    assert f'<option value="{catalogue["bolt"]}" selected>' in listing
    everyone = client.get("/invoicing/payments/").get_data(as_text=True)
    assert "Bolt cheque" in everyone and "Acme transfer" in everyone
    for nobody in ("99999", "abc", "0"):  # a filter naming no customer finds nothing
        listed = client.get(f"/invoicing/payments/?party_id={nobody}").get_data(as_text=True)
        assert "0 payments." in listed, nobody
    party_page = client.get(f"/parties/{catalogue['bolt']}").get_data(as_text=True)
    bolt = catalogue["bolt"]
    assert all(f'href="{link}"' in party_page for link in (
        f"/invoicing/balances?party_id={bolt}", f"/invoicing/invoices/?party_id={bolt}",
        f"/invoicing/payments/?party_id={bolt}"))


def test_invoices_are_listed_by_what_is_left_to_pay(invoicing_app, registry, catalogue,
                                                    accounting_api, login):
    hook, bolt, ham = registry.hook, catalogue["bolt"], catalogue["HAM"]
    with registry.session_factory() as session:
        overdue = posted_invoice(session, hook, bolt, [(ham, 1)], on=TODAY - timedelta(days=40))
        paid = posted_invoice(session, hook, bolt, [(ham, 2)], on=TODAY - timedelta(days=40))
        register_payment(session, bolt, paid.total, "EUR", TODAY, "Transfer",
                         [(paid.id, paid.total)])
        [paid_line] = paid.lines  # one hammer back: a credit note due on its day, not applied
        returned = credit_in_part(session, hook, paid, {paid_line.id: Decimal(1)}, "Returned",
                                  on=TODAY - timedelta(days=39))
        due_later = posted_invoice(session, hook, bolt, [(ham, 3)])
        draft = _draft_of(session, confirmed_order(session, hook, bolt, [(ham, 4)]))
        session.commit()
        numbers = {"overdue": overdue.number, "paid": paid.number, "later": due_later.number,
                   "credit note": returned.number}
        draft_id = draft.id

    def listed(payment):
        answer = accounting_api.get("/api/v1/invoices", query_string={"payment": payment})
        assert answer.status_code == 200, answer.get_json()
        return sorted(invoice["number"] for invoice in answer.get_json()["items"])

    assert listed("unsettled") == sorted([numbers["overdue"], numbers["later"],
                                          numbers["credit note"]])
    assert listed("overdue") == [numbers["overdue"]], "what the customer is owed is not late"
    assert listed("settled") == [numbers["paid"]]
    everything = accounting_api.get("/api/v1/invoices").get_json()["items"]
    assert draft_id in [invoice["id"] for invoice in everything]
    refused = accounting_api.get("/api/v1/invoices", query_string={"payment": "late"})
    assert refused.status_code == 422 and "payment" in refused.get_json()["errors"]["query"]

    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get("/invoicing/invoices/?payment=overdue").get_data(as_text=True)
    assert numbers["overdue"] in page and "<option selected>overdue</option>" in page
    assert numbers["paid"] not in page and numbers["later"] not in page
    assert "1 invoice." in page
    unknown = client.get("/invoicing/invoices/?payment=late").get_data(as_text=True)
    assert "0 invoices." in unknown, "a filter naming nothing finds nothing, as a status does"


def test_invoices_and_payments_are_listed_by_their_days_and_payments_by_kind(
        invoicing_app, registry, catalogue, accounting_api, login):
    hook, bolt, ham = registry.hook, catalogue["bolt"], catalogue["HAM"]
    earlier, before = TODAY - timedelta(days=40), TODAY - timedelta(days=39)
    with registry.session_factory() as session:
        old = posted_invoice(session, hook, bolt, [(ham, 1)], on=earlier)
        new = posted_invoice(session, hook, bolt, [(ham, 2)])
        receipt = register_payment(session, bolt, Decimal(50), "EUR", before, "Early")
        session.commit()
        numbers, receipt_number = (old.number, new.number), receipt.number
    refund = accounting_api.post(f"/api/v1/payments/{receipt.id}/refunds", json={
        "amount": "5", "payment_date": TODAY.isoformat(), "reference": "Back"})
    assert refund.status_code == 201, refund.get_json()

    def numbers_of(path, **query):
        answer = accounting_api.get(path, query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return [found["number"] for found in answer.get_json()["items"]]

    assert numbers_of("/api/v1/invoices", end=before.isoformat()) == [numbers[0]]
    assert numbers_of("/api/v1/invoices", start=before.isoformat()) == [numbers[1]]
    assert numbers_of("/api/v1/invoices", start=earlier.isoformat(),
                      end=earlier.isoformat()) == [numbers[0]]
    assert numbers_of("/api/v1/payments", kind="receipt") == [receipt_number]
    assert numbers_of("/api/v1/payments", kind="refund") == [refund.get_json()["number"]]
    assert numbers_of("/api/v1/payments", end=before.isoformat()) == [receipt_number]
    for path, query, field in (
            ("/api/v1/invoices", {"kind": "barter"}, "kind"),
            ("/api/v1/payments", {"kind": "gift"}, "kind"),
            ("/api/v1/payments", {"start": TODAY.isoformat(), "end": before.isoformat()}, "end"),
            ("/api/v1/invoices", {"start": "yesterday"}, "start")):
        refused = accounting_api.get(path, query_string=query)
        assert refused.status_code == 422 and field in refused.get_json()["errors"]["query"]

    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/invoices/?end={before}").get_data(as_text=True)
    assert numbers[0] in page and numbers[1] not in page
    assert f'name="end" type="date" value="{before}"' in page
    listed = client.get("/invoicing/payments/?kind=refund").get_data(as_text=True)
    assert "Back" in listed and "Early" not in listed
    backwards = client.get(f"/invoicing/payments/?start={TODAY}&end={before}")
    told = backwards.get_data(as_text=True)
    assert backwards.status_code == 422 and "Must not be before the start." in told
    assert "Early" not in told, "no list for a period that cannot be"


def test_the_balance_page_shows_credit_notes_negative(invoicing_app, registry, catalogue,
                                                      login):
    hook, bolt = registry.hook, catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)])  # 30.00
        register_payment(session, bolt, Decimal(30), "EUR", TODAY, "",
                         [(invoice.id, Decimal(30))])
        credit_note = credit_in_part(session, hook, invoice, {invoice.lines[0].id: Decimal(1)},
                                     "Returned")  # 15.00 owed to the customer
        session.commit()
        number = credit_note.number
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = " ".join(client.get(f"/invoicing/balances?party_id={bolt}").get_data(
        as_text=True).split())
    assert f"{number}</a> (credit note)" in page
    assert '<td class="num">-€15.00</td><td class="num">-€15.00</td>' in page
    assert '<td class="num balance">-€15.00</td>' in page


def test_money_received_and_not_applied_is_paid_back(invoicing_app, registry, catalogue,
                                                     accounting_api, login):
    hook, bolt = registry.hook, catalogue["bolt"]
    earlier = TODAY - timedelta(days=5)
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, bolt, [(catalogue["HAM"], 2)], on=earlier)
        payment = register_payment(session, bolt, Decimal(50), "EUR", earlier, "Wire 3",
                                   [(invoice.id, Decimal(30))])  # 30.00 of 50 applied
        session.commit()
        payment_id = payment.id
    assert customer_balance_of(registry, bolt) == Decimal(-20)
    url = f"/api/v1/payments/{payment_id}/refunds"
    for body, field in (({"amount": "20.01"}, "amount"), ({"amount": "0"}, "amount"),
                        ({"amount": "1e999999999"}, "amount"),
                        ({"amount": "5", "payment_date": (earlier - timedelta(days=1))
                          .isoformat()}, "payment_date")):
        refused = accounting_api.post(url, json=body)
        assert refused.status_code == 422 and field in refused.json["errors"]["json"]

    refund = accounting_api.post(url, json={"amount": "15", "reference": "Back",
                                            "payment_date": TODAY.isoformat()})
    assert refund.status_code == 201, refund.json
    assert (refund.json["number"], refund.json["kind"], refund.json["refunded_payment_id"]) == (
        "RF-00001", "refund", payment_id)
    assert {(e["account"], e["debit"], e["credit"]) for e in refund.json["entries"]} == {
        ("411", "15.00", "0.00"), ("512", "0.00", "15.00")}
    paid = accounting_api.get(f"/api/v1/payments/{payment_id}").json
    assert (paid["unapplied"], [r["number"] for r in paid["refunds"]]) == ("5.00", ["RF-00001"])
    too_much = accounting_api.post(url, json={"amount": "5.01"})
    assert too_much.json["errors"]["json"] == {"amount": ["At most the €5.00 left of PAY-00001."]}
    assert customer_balance_of(registry, bolt) == Decimal(-5)
    assert accounting_api.post(f"/api/v1/payments/{refund.json['id']}/refunds",
                               json={"amount": "1"}).status_code == 409
    with registry.session_factory() as session:  # the refund was made five days later
        for day, owed in ((earlier, Decimal(-20)), (TODAY, Decimal(-5))):
            [customer], _totals = aged_open_invoices(session, hook, day, bolt)
            assert customer.total == owed

    client = invoicing_app.test_client()
    login(client, "accounting")
    path = f"/invoicing/payments/{payment_id}"
    page = client.get(path).get_data(as_text=True)
    assert "Pay the rest back" in page and "RF-00001" in page
    refund_page = client.get(f"/invoicing/payments/{refund.json['id']}").get_data(as_text=True)
    assert (f'Pays back what <a href="/invoicing/payments/{payment_id}">PAY-00001</a> left '
            "unapplied.") in refund_page
    assert 'name="amount" inputmode="decimal" value="5.00"' in page, "the rest, as money"
    for typed, told in (("1e999999999", "Not a valid number."),
                        ("1" + "0" * 20, "At most 12 digits before the point")):
        huge = client.post(f"{path}/refunds", data={
            "csrf_token": csrf_token(client, path), "amount": typed,
            "payment_date": TODAY.isoformat(), "reference": "", "account": "512"})
        assert huge.status_code == 422
        assert told in huge.get_data(as_text=True)
    done = client.post(f"{path}/refunds", data={
        "csrf_token": csrf_token(client, path), "amount": "5", "payment_date": TODAY.isoformat(),
        "reference": "", "account": "512"})
    assert done.status_code == 302
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Refund RF-00002" in shown and f'href="/invoicing/payments/{payment_id}"' in shown
    assert customer_balance_of(registry, bolt) == 0
    assert "Pay the rest back" not in client.get(path).get_data(as_text=True)
    assert accounting_api.post(url, json={"amount": "1"}).json["errors"]["json"] == {
        "amount": ["Nothing is left of PAY-00001 to pay back."]}


def customer_balance_of(registry, party_id):
    """The EUR balance of ``party_id``, read in a session of its own."""
    with registry.session_factory() as session:
        return customer_balance(session, party_id).get("EUR", Decimal(0))


def test_the_migration_moves_what_earlier_merges_left_behind(registry, catalogue):
    """Merges made before they moved invoicing's records left them on the duplicate, even along
    a chain: acme merged into bolt, bolt into a third party."""
    hook, acme, bolt = registry.hook, catalogue["acme"], catalogue["bolt"]
    with registry.session_factory() as session:
        invoice = posted_invoice(session, hook, acme, [(catalogue["HAM"], 2)])  # 30.00
        third = Party(name="Third", stage="customer")
        session.add(third)
        session.flush()
        session.execute(update(Party).where(Party.id == acme).values(merged_into_id=bolt))
        session.execute(update(Party).where(Party.id == bolt).values(merged_into_id=third.id))
        session.commit()
        third_id = third.id
    with registry.engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            migration("invoicing_0007_merged_parties").upgrade()
    with registry.session_factory() as session:
        assert session.get(Invoice, invoice.id).party_id == third_id
        assert customer_balance(session, third_id) == {"EUR": Decimal("30.00")}
        assert customer_balance(session, acme) == customer_balance(session, bolt) == {}
