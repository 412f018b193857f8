"""Documents render to PDF from templates that modules contribute and override."""

import socket
from decimal import Decimal
from io import BytesIO
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from core import modules, orders, printing
from core.models import Order
from core.testing import api_client
from tests.documents.conftest import add_documents, pdf_text
from tests.documents.test_template_folders import manager_with


def test_the_order_confirmation_and_the_quotation_are_pdfs_with_their_numbers(
    docs_app, documents, login
):
    api = api_client(docs_app)
    response = api.get(f"/api/v1/orders/{documents['confirmed']}/confirmation.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    number = documents["confirmed_number"]
    assert f"Order confirmation {number}" in text
    assert "Quincaillerie Dupont" in text and "75001 Paris" in text, "the company's header"
    assert "Hammer" in text or "HAM" in text

    refused = api.get(f"/api/v1/orders/{documents['draft']}/confirmation.pdf")
    assert refused.status_code == 409, "a draft has no confirmation"
    accounting = docs_app.test_client()
    login(accounting, "accounting")  # reads the orders it invoices, as on their pages
    for client, url in ((api_client(docs_app, "accounting"), "/api/v1/orders"),
                        (accounting, "/orders")):
        read = client.get(f"{url}/{documents['confirmed']}/confirmation.pdf")
        assert read.status_code == 200 and read.data.startswith(b"%PDF"), url

    web = docs_app.test_client()
    login(web, "sales")
    page = web.get(f"/quotations/{documents['quotation']}/pdf")
    assert page.status_code == 200 and page.mimetype == "application/pdf"
    assert f"Quotation {documents['quotation_number']}" in pdf_text(page.data)
    assert "/api/v1/quotations/{quotation_id}/pdf" in api.get("/api/v1/openapi.json").json[
        "paths"]
    assert web.get(f"/orders/{documents['draft']}/confirmation.pdf").status_code == 409
    shown = web.get(f"/orders/{documents['confirmed']}").get_data(as_text=True)
    assert f"/orders/{documents['confirmed']}/confirmation.pdf" in shown

    registry = docs_app.extensions["comptoir"]
    with registry.session_factory() as session:  # what a document shows is escaped
        order = session.get(Order, documents["confirmed"])
        order.party.name = '<img src="x.png">'
        html = printing.render_html(registry.hook, "order_confirmation.html", document=order,
                                    company=printing.Company("A <b>bold</b> shop"))
        assert "&lt;img" in html and "<img" not in html
        assert "A &lt;b&gt;bold&lt;/b&gt; shop" in html
        session.rollback()


@pytest.fixture
def letterhead_app(make_app):
    return make_app(["sales", "pricing", "letterhead"])


def test_a_module_overrides_the_template_of_a_module_it_depends_on(letterhead_app):
    registry = letterhead_app.extensions["comptoir"]
    ids = add_documents(registry)
    folders = printing.template_folders(registry.hook)
    assert [(module, folder.parent.name) for module, folder in folders] == [
        ("letterhead", "letterhead"), ("sales", "sales")]

    with registry.session_factory() as session:
        from plugins.sales.models import Quotation

        quotation = session.get(Quotation, ids["quotation"])
        html = printing.render_html(registry.hook, "quotation.html", document=quotation)
        assert f"Offer {quotation.number} on our letterhead" in html
        assert "DRAFT" in html, "the watermark block"
        assert "Terms" not in html, "the sales module's template is overridden"

        modules.disable(registry, "letterhead")
        registry.refresh()
        html = printing.render_html(registry.hook, "quotation.html", document=quotation)
        assert f"Quotation {quotation.number}" in html and "letterhead" not in html


def test_rendering_fetches_nothing_from_the_network(tmp_path):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        url = "http://127.0.0.1:%d/logo.png" % listener.getsockname()[1]
        (tmp_path / "probe.html").write_text(
            '{% extends "document.html" %}{% block watermark %}<img src="' + url + '">'
            '{% endblock %}', encoding="utf-8")
        hook = manager_with(probe=tmp_path).hook
        pdf = printing.render_pdf(hook, "probe.html", document=SimpleNamespace(
            number="P-1", party=SimpleNamespace(name="Nobody", addresses=[], email=""),
            currency="EUR", lines=[], untaxed=0, tax=0, total=0))
        assert pdf.startswith(b"%PDF")
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_a_long_word_wraps_and_every_later_page_names_its_document():
    word = "REF-" + "1234567890" * 9  # a part number no line break may split
    line = SimpleNamespace(position=1, item=SimpleNamespace(number="HAM"),
                           description=f"Hammer {word}", quantity=Decimal(3),
                           unit_price=Decimal("12.5"), discount=Decimal(0),
                           tax_rate=Decimal(20), amount=Decimal("37.50"),
                           tax_amount=Decimal("7.50"))
    document = SimpleNamespace(number="SO-1", currency="EUR", lines=[line] * 40,
                               party=SimpleNamespace(name="Acme", addresses=[], email=""),
                               untaxed=Decimal(1500), tax=Decimal(300), total=Decimal(1800))
    pdf = printing.render_pdf(manager_with().hook, "document.html", document=document)
    pages = PdfReader(BytesIO(pdf)).pages
    assert len(pages) > 1
    width = float(pages[0].mediabox.width)
    runs = []  # (where it starts across the page, text) of every run of text
    for page in pages:
        page.extract_text(visitor_text=lambda text, cm, tm, *_: runs.append(
            (cm[4] + tm[4] * cm[0], text)))
    assert all(x < width and word not in text for x, text in runs), "wrapped, on the page"
    assert "€37.50" in pages[0].extract_text()
    assert "SO-1 · Acme" not in pages[0].extract_text()  # its heading says it already
    assert all("SO-1 · Acme" in page.extract_text() for page in pages[1:])


def test_an_order_discount_is_in_each_lines_discount_on_the_confirmation(docs_app, documents):
    registry = docs_app.extensions["comptoir"]
    with registry.session_factory() as session:
        order = session.get(Order, documents["draft"])
        orders.update_order(session, registry.hook, order, {"discount": Decimal("2.5")})
        orders.update_line(session, registry.hook, order, order.lines[0].id,
                           {"manual_discount": Decimal(10)})
        orders.confirm_order(session, registry.hook, order)
        first, second = order.lines
        assert (first.quantity, first.unit_price, first.amount) == (2, Decimal("12.5"),
                                                                    Decimal("21.94"))
        text = pdf_text(printing.render_pdf(registry.hook, "order_confirmation.html",
                                            document=order))
        session.rollback()
    assert "Order discount 2.5 %, in each line's discount" in text
    assert "2 €12.50 12.25 20 €21.94" in text  # 25.00 less 10 % less 2.5 %
    assert "1 €20.00 2.5 5.5 €19.50" in text
