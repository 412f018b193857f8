"""An account's ledger over a period: the balance it opens with, its entries with the running
balance carried from before it, its debits and credits, through the API and the page."""

import re
from datetime import date, timedelta
from decimal import Decimal

from plugins.invoicing.payments import register_payment
from tests.invoicing.test_credit_notes import posted_invoice

TODAY = date.today()
EARLIER = TODAY - timedelta(days=40)


def _receivables(registry, catalogue):
    """Bolt invoiced 15.00 (40 days ago) and 30.00 (today), and paying 10.00 today: the
    numbers of the invoices."""
    hook, bolt, ham = registry.hook, catalogue["bolt"], catalogue["HAM"]
    with registry.session_factory() as session:
        first = posted_invoice(session, hook, bolt, [(ham, 1)], on=EARLIER)
        second = posted_invoice(session, hook, bolt, [(ham, 2)])
        register_payment(session, bolt, Decimal(10), "EUR", TODAY, "Part",
                         [(first.id, Decimal(10))])
        session.commit()
        assert (first.total, second.total) == (Decimal(15), Decimal(30))
        return first.number, second.number


def test_the_api_gives_an_accounts_period_with_its_opening_balance(registry, catalogue,
                                                                   accounting_api):
    first, second = _receivables(registry, catalogue)

    def ledger(**period):
        answer = accounting_api.get("/api/v1/ledger/accounts/411", query_string=period)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    whole = ledger()
    assert whole["opening"] == [{"currency": "EUR", "balance": "0.00"}]
    totals = whole["totals"][0]
    assert (totals["debit"], totals["credit"], totals["balance"]) == ("45.00", "10.00", "35.00")
    assert [entry["document"] for entry in whole["entries"]] == [first, second, "PAY-00001"]

    today = ledger(start=TODAY.isoformat())
    assert today["start"] == TODAY.isoformat() and today["end"] is None
    assert today["opening"] == [{"currency": "EUR", "balance": "15.00"}]
    assert [(entry["document"], entry["balance"]) for entry in today["entries"]] == [
        (second, "45.00"), ("PAY-00001", "35.00")], "the running balance goes on from before"
    assert (today["totals"][0]["debit"], today["totals"][0]["credit"]) == ("30.00", "10.00")
    assert today["closing"] == [{"currency": "EUR", "balance": "35.00"}]
    assert today["total"] == 2

    before = ledger(end=(TODAY - timedelta(days=1)).isoformat())
    assert [entry["document"] for entry in before["entries"]] == [first]
    assert before["totals"][0]["balance"] == "15.00"

    nothing = ledger(start=(EARLIER + timedelta(days=1)).isoformat(),
                     end=(TODAY - timedelta(days=1)).isoformat())
    assert nothing["entries"] == [] and nothing["total"] == 0
    assert nothing["opening"] == [{"currency": "EUR", "balance": "15.00"}]
    assert nothing["totals"][0]["debit"] == "0.00", "a currency held before shows, unmoved"
    assert nothing["closing"] == nothing["opening"]

    backwards = accounting_api.get("/api/v1/ledger/accounts/411", query_string={
        "start": TODAY.isoformat(), "end": EARLIER.isoformat()})
    assert backwards.status_code == 422
    assert backwards.get_json()["errors"]["query"]["end"] == ["Must not be before the start."]


def test_the_account_page_shows_a_period(invoicing_app, registry, catalogue, login):
    first, second = _receivables(registry, catalogue)
    client = invoicing_app.test_client()
    login(client, "accounting")
    page = client.get(f"/invoicing/ledger/accounts/411?start={TODAY}")
    shown = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'name="start" type="date" value="{TODAY}"' in shown
    assert re.search(r"<td>EUR</td><td class=\"num\">€15\.00</td><td class=\"num\">€30\.00</td>"
                     r"<td class=\"num\">€10\.00</td><td class=\"num\">€35\.00</td>", shown)
    assert second in shown and f">{first}<" not in shown
    backwards = client.get(f"/invoicing/ledger/accounts/411?start={TODAY}&end={EARLIER}")
    told = backwards.get_data(as_text=True)
    assert backwards.status_code == 422 and "Must not be before the start." in told
    assert second not in told, "no entries of a period that cannot be"
    empty = client.get(f"/invoicing/ledger/accounts/706?end={EARLIER - timedelta(days=1)}")
    assert "No entries in this period." in empty.get_data(as_text=True)
    unreadable = client.get("/invoicing/ledger/accounts/411?start=soon")
    assert unreadable.status_code == 422 and "Not a valid date." in unreadable.get_data(
        as_text=True)
