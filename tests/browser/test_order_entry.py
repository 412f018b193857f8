"""A salesperson enters an order in a real browser (Debian's Chromium, driven by Playwright)."""

import shutil
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.sales.conftest import add_catalogue

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(make_app):
    """The application with sales and pricing, served on a free local port."""
    app = make_app(["sales", "pricing"])
    add_catalogue(app.extensions["comptoir"])
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture
def page():
    """A Chromium page; the test command installs Debian's chromium when it is missing."""
    executable = shutil.which("chromium")
    assert executable, "chromium is not installed: run `make test`, which installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser.new_page()
        browser.close()


def test_log_in_enter_three_lines_and_see_the_priced_total(server, page):
    page.goto(f"{server}/login")
    page.fill("input[name=login]", "sales")
    page.fill("input[name=password]", "salessales")
    page.click("button[type=submit]")
    page.click("text=Orders")
    page.click("text=New order")
    page.select_option("select[name=party_id]", label="Acme (prospect)")
    page.click("text=Create order")
    for item, quantity in [("HAM", "2"), ("NAIL", "10"), ("BOOK", "1")]:
        page.fill("input[name=item]", item)
        page.fill("input[name=quantity]", quantity)
        page.click("text=Add line")
    # 2 × 12.50 + 10 × 3.20 at 20% tax, 1 × 20.00 at 5.5% tax
    assert page.inner_text("#untaxed") == "€77.00"
    assert page.inner_text("#total") == "€89.50"
    assert page.locator("table.lines tbody tr").count() == 3
    page.locator("details.explanation summary").first.click()
    explanation = page.locator("details.explanation").first.inner_text()
    assert "applied: list price of item HAM gives a unit price of €12.50" in explanation
    assert "tax category VAT20 gives tax of 20 %" in explanation
