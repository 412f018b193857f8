"""Generated requests against every documented endpoint: bad input never becomes a 500."""

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from core import users


def fuzz(app, login, leave_out=(), only=None, examples=25):
    """Send ``examples`` generated requests to every operation of ``app``'s API whose label
    contains a text of ``only`` (default: all) and none of ``leave_out``, and only a few to
    documents (each renders a PDF, a good part of a second); return the labels checked."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    registry = app.extensions["comptoir"]
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, login), "fuzz")
    headers = {"Authorization": f"Bearer {secret}"}
    checked = []

    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        if any(text in label for text in leave_out) or (
                only is not None and not any(text in label for text in only)):
            continue
        renders = "pdf" in label or label.endswith("/email")

        @given(case=operation.as_strategy())
        @settings(max_examples=3 if renders else examples, deadline=None,
                  suppress_health_check=list(HealthCheck), database=None)
        def check(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        check()
        checked.append(label)
    return checked


def test_no_generated_request_makes_the_kernel_fail(make_app):
    checked = fuzz(make_app(modules=["example"]), "admin")
    assert "POST /api/v1/users" in checked and "POST /api/v1/example/notes" in checked


def test_no_generated_request_makes_sales_or_pricing_fail(make_app):
    # The quotation API has a fuzzing test of its own (tests/sales/test_quotations.py), PDFs
    # and e-mail included.
    checked = fuzz(make_app(modules=["sales", "pricing"], demo=True), "sales",
                   leave_out=("/quotations", "/users", "/modules", "/tokens"))
    for label in ("POST /api/v1/orders", "GET /api/v1/orders/{order_id}/confirmation.pdf",
                  "POST /api/v1/pricing/simulate", "POST /api/v1/parties/{party_id}/merge"):
        assert label in checked


def test_no_generated_request_makes_fulfilment_or_invoicing_fail(make_app):
    checked = fuzz(make_app(modules=["fulfilment", "invoicing"], demo=True), "admin",
                   only=("packing-slips", "/remainders", "/stock", "/invoice", "/payments",
                         "/ledger", "/balance"), examples=10)
    for label in ("POST /api/v1/orders/{order_id}/packing-slips", "POST /api/v1/invoices",
                  "POST /api/v1/invoices/{invoice_id}/post", "POST /api/v1/payments",
                  "POST /api/v1/invoices/{invoice_id}/cancel", "GET /api/v1/ledger/accounts"):
        assert label in checked
