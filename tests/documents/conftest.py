"""Fixtures of the document tests: a real SMTP server on loopback, and a sales application with
a confirmed order, a draft order and a quotation."""

import socket
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes, policy
from io import BytesIO

import pytest
from aiosmtpd.controller import Controller

from core import orders
from plugins.sales import quotations
from tests.sales.conftest import add_catalogue


class MailServer:
    """An SMTP server on 127.0.0.1 keeping what it receives in ``messages``; ``start()`` it."""

    def __init__(self):
        # The port is held, bound but not listening, until start(): connecting to it is
        # refused as by a server that is down, and no other process can take it meanwhile.
        self._held = socket.socket()
        self._held.bind(("127.0.0.1", 0))
        self.port = self._held.getsockname()[1]
        self.messages = []
        self.quit_reply = "221 Bye"  # what it answers QUIT with, once it took the message
        self._controller = None

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, _server, _session, _envelope):
        return self.quit_reply

    def start(self):
        self._held.close()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        self._held.close()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def mail_server():
    """An SMTP server on loopback, not started yet (so it can be down first)."""
    server = MailServer()
    yield server
    server.stop()


def mail_settings(mail_server):
    """The settings sending mail to ``mail_server``."""
    return {"COMPTOIR_MAIL_SERVER": f"127.0.0.1:{mail_server.port}",
            "COMPTOIR_MAIL_SENDER": "shop@example.com"}


@pytest.fixture
def mail_app(make_app, mail_server):
    """The kernel alone (the outbox is the kernel's), mail going to ``mail_server``."""
    return make_app(**mail_settings(mail_server))


@pytest.fixture
def docs_app(make_app, mail_server):
    """Sales and pricing, mail going to ``mail_server``, a company with an address."""
    return make_app(["sales", "pricing"], **mail_settings(mail_server),
                    COMPTOIR_COMPANY_NAME="Quincaillerie Dupont",
                    COMPTOIR_COMPANY_ADDRESS="1 rue des Outils\n75001 Paris")


def add_documents(registry):
    """A confirmed order, a draft order and a quotation for Acme; their ids by name."""
    ids = add_catalogue(registry)
    lines = [{"item_id": ids["HAM"], "quantity": Decimal(2)},
             {"item_id": ids["BOOK"], "quantity": Decimal(1)}]
    registry.refresh()
    with registry.session_factory() as session, session.begin():
        acme = ids["acme"]
        confirmed = orders.create_order(session, registry.hook, {
            "party_id": acme, "type": "sales", "currency": "EUR", "lines": lines})
        orders.confirm_order(session, registry.hook, confirmed)
        draft = orders.create_order(session, registry.hook, {
            "party_id": acme, "type": "sales", "currency": "EUR", "lines": lines})
        quotation = quotations.create_quotation(session, registry.hook, {
            "party_id": acme, "currency": "EUR", "lines": lines,
            "valid_until": date.today() + timedelta(days=30)})
        ids.update(confirmed=confirmed.id, confirmed_number=confirmed.number, draft=draft.id,
                   quotation=quotation.id, quotation_number=quotation.number)
    return ids


@pytest.fixture
def documents(docs_app):
    """The ids (and numbers) of the records of ``add_documents`` on ``docs_app``."""
    return add_documents(docs_app.extensions["comptoir"])


def pdf_text(data):
    """The text of every page of the PDF ``data``."""
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
