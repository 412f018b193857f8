"""Fulfilment pages and API: deliver an order, packing slips (and their PDF), backorders and
stock.

Salespeople deliver; accountants may look at everything (they invoice from packing slips).
"""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import ValidationError as MarshmallowError

from core import orders
from core.errors import ComptoirError, ValidationError
from core.ordertypes import brings_goods_back, order_types
from core.schemas import ListArgsSchema, decimal_field, page_of
from core.ui import MenuEntry
from plugins.fulfilment import services
from plugins.fulfilment.schemas import (
    BackorderListArgsSchema,
    BackorderPageSchema,
    DeliverSchema,
    OrderRemaindersSchema,
    PackingSlipListArgsSchema,
    PackingSlipPageSchema,
    PackingSlipSchema,
    StockMoveListArgsSchema,
    StockMovePageSchema,
    StockPageSchema,
)
from plugins.sales.pages import (
    PER_PAGE,
    email_from_form,
    hook,
    page_count,
    page_number,
    read_form,
)
from web.api import refusals
from web.auth import role_required
from web.database import db
from web.once import sent_once
from web.printing import (
    PDF_RESPONSE,
    EmailDocumentSchema,
    OutboxMessageSchema,
    email_document,
    pdf_response,
)

MENU = [MenuEntry("Packing slips", "fulfilment.slip_list", role="sales", priority=35),
        MenuEntry("Packing slips", "fulfilment.slip_list", role="accounting", priority=35),
        MenuEntry("Backorders", "fulfilment.backorder_list", role="sales", priority=36),
        MenuEntry("Stock", "fulfilment.stock_page", role="sales", priority=37)]
VIEWERS = ("sales", "accounting")
QUANTITY = decimal_field()  # 0 on the form: not this time


def blueprint():
    """The fulfilment pages: deliver an order, packing slips, backorders, stock."""
    bp = Blueprint("fulfilment", __name__, url_prefix="/fulfilment",
                   template_folder="templates")
    bp.before_request(role_required(*VIEWERS)(lambda: None))

    @bp.route("/orders/<id:order_id>/deliver", methods=["GET"])
    def deliver_page(order_id, errors=None, status=200):
        order = orders.load_order(db(), order_id)
        slips, _total = services.search_packing_slips(db(), order_id=order.id, per_page=100)
        page = render_template("fulfilment/deliver.html", order=order, slips=slips,
                               errors=errors or {}, form=request.form,
                               today=date.today().isoformat(), incoming=_incoming(order))
        return page, status

    @bp.route("/orders/<id:order_id>/deliver", methods=["POST"])
    @role_required("sales")
    @sent_once
    def deliver(order_id):
        try:
            order = orders.load_order(db(), order_id, lock=True, explained=False)
            quantities, delivery_date = _read_delivery(order)
            slip = services.deliver(db(), hook(), order, quantities, delivery_date)
        except ComptoirError as error:
            db().rollback()
            return deliver_page(order_id, errors=error.fields or {"_": [error.message]},
                                status=error.status)
        db().commit()
        flash(f"Packing slip {slip.number} posted.", "info")
        return redirect(url_for("fulfilment.slip_page", slip_id=slip.id))

    @bp.route("/packing-slips/")
    def slip_list():
        text = request.args.get("q", "")[:128]
        page = page_number()
        found, total = services.search_packing_slips(db(), text, page=page, per_page=PER_PAGE)
        return render_template("fulfilment/slips.html", slips=found, total=total, page=page,
                               pages=page_count(total), q=text)

    @bp.route("/packing-slips/<id:slip_id>")
    def slip_page(slip_id, errors=None, status=200):
        slip = services.load_packing_slip(db(), slip_id)
        page = render_template("fulfilment/slip.html", slip=slip, errors=errors or {},
                               form=request.form, incoming=_incoming(slip.order))
        return page, status

    @bp.route("/packing-slips/<id:slip_id>/pdf")
    def slip_pdf(slip_id):
        return _slip_pdf(slip_id)

    @bp.route("/packing-slips/<id:slip_id>/email", methods=["POST"])
    def slip_email(slip_id):
        def send(data):
            slip = services.load_packing_slip(db(), slip_id)
            return _email_slip(slip, data), _slip_name(slip)

        return email_from_form(send, lambda errors, status: slip_page(slip_id, errors, status),
                               url_for("fulfilment.slip_page", slip_id=slip_id))

    @bp.route("/backorders")
    def backorder_list():
        by = "customer" if request.args.get("by") == "customer" else "item"
        page = page_number()
        groups, total = services.backorder_groups(db(), hook(), by, page, PER_PAGE)
        return render_template("fulfilment/backorders.html", by=by, groups=groups, page=page,
                               pages=page_count(total))

    @bp.route("/stock")
    def stock_page():
        text = request.args.get("q", "")[:128]
        page = page_number()
        rows, total = services.stock(db(), hook(), text, page, PER_PAGE)
        return render_template("fulfilment/stock.html", rows=rows, total=total, page=page,
                               pages=page_count(total), q=text,
                               moves=services.latest_moves(db()))

    return bp


def _incoming(order):
    """Whether ``order`` brings goods back (a Returned order): its slips receive them."""
    return brings_goods_back(order_types(hook()), order.type)


def _slip_filename(slip):
    return f"packing-slip-{slip.number}.pdf"


def _slip_pdf(slip_id):
    slip = services.load_packing_slip(db(), slip_id)
    return pdf_response("packing_slip.html", _slip_filename(slip), document=slip,
                        incoming=_incoming(slip.order))


def _slip_name(slip):
    return f"Packing slip {slip.number}"


def _email_slip(slip, data):
    return email_document(
        "packing_slip.html", data, party=slip.party, document=slip,
        incoming=_incoming(slip.order),
        subject=_slip_name(slip), filename=_slip_filename(slip),
        body=f"Please find attached packing slip {slip.number} of order {slip.order.number}.")


def _read_delivery(order):
    """The quantities and date the deliver form asks for: every remainder for "Deliver all
    remaining", else the quantity typed for each line (blank or 0: not this time)."""
    data, errors = read_form(DeliverSchema(only=("delivery_date",)))
    if errors:
        raise ValidationError("the delivery date is not valid", fields=errors)
    delivery_date = data.get("delivery_date")
    if "all" in request.form:
        return None, delivery_date
    quantities, errors = {}, {}
    for line in order.lines:
        text = request.form.get(f"quantity_{line.id}", "").strip()
        if not text:
            continue
        try:
            quantity = QUANTITY.deserialize(text)
        except MarshmallowError as error:
            errors[str(line.id)] = error.messages
            continue
        if quantity:
            quantities[line.id] = quantity
    if errors:
        raise ValidationError("the quantities are not valid",
                                       fields={"lines": errors})
    return quantities, delivery_date


def api_blueprint():
    """The fulfilment API: post and list packing slips, an order's remainders, stock."""
    blp = ApiBlueprint("fulfilment_api", __name__, url_prefix="/api/v1",
                       description="Packing slips, remainders and stock")

    @blp.route("/orders/<id:order_id>/packing-slips", methods=["POST"])
    @blp.arguments(DeliverSchema, required=False)  # every field has a default
    @blp.response(201, PackingSlipSchema)
    @refusals(blp, 404, 409)
    @role_required("sales")
    def deliver(data, order_id):
        """Post a packing slip for the order: the quantities given per order line, or every
        line's remainder when ``lines`` is absent (an empty list is refused).

        422 per order line (under ``lines``, by order line id) for an unknown line or a
        quantity above its remainder; 409 unless the order is confirmed.
        """
        quantities = None
        if "lines" in data:
            quantities = {line["order_line_id"]: line["quantity"] for line in data["lines"]}
        order = orders.load_order(db(), order_id, lock=True, explained=False)
        slip = services.deliver(db(), hook(), order, quantities, data.get("delivery_date"))
        db().commit()
        return slip

    @blp.route("/packing-slips")
    @blp.arguments(PackingSlipListArgsSchema, location="query")
    @blp.response(200, PackingSlipPageSchema)
    @role_required(*VIEWERS)
    def slip_list(args):
        """Packing slips, newest first, searched by slip or order number or customer name
        (``q``), of one order or customer."""
        found, total = services.search_packing_slips(
            db(), args["q"], args.get("order_id"), args.get("party_id"), args["page"],
            args["per_page"])
        return page_of(found, total, args)

    @blp.route("/packing-slips/<id:slip_id>")
    @blp.response(200, PackingSlipSchema)
    @refusals(blp, 404)
    @role_required(*VIEWERS)
    def slip_get(slip_id):
        """One packing slip with its lines."""
        return services.load_packing_slip(db(), slip_id)

    @blp.route("/packing-slips/<id:slip_id>/pdf")
    @blp.doc(responses={"200": PDF_RESPONSE})
    @refusals(blp, 404)
    @role_required(*VIEWERS)
    def slip_pdf(slip_id):
        """The packing slip as a PDF: what it delivered and what is still to deliver."""
        return _slip_pdf(slip_id)

    @blp.route("/packing-slips/<id:slip_id>/email", methods=["POST"])
    @blp.arguments(EmailDocumentSchema, required=False)  # every field has a default
    @blp.response(202, OutboxMessageSchema)
    @refusals(blp, 404)
    @role_required(*VIEWERS)
    def slip_email(data, slip_id):
        """E-mail the packing slip's PDF: to ``to``, or the customer's address (422 with
        neither).

        Answers the outbox message: ``sent`` once the mail server took it, else ``queued`` and
        retried later.
        """
        return _email_slip(services.load_packing_slip(db(), slip_id), data)

    @blp.route("/orders/<id:order_id>/remainders")
    @blp.response(200, OrderRemaindersSchema)
    @refusals(blp, 404)
    @role_required(*VIEWERS)
    def remainders(order_id):
        """Each line of the order: quantity, delivered, deliver remainder, invoiced, invoice
        remainder."""
        return orders.load_order(db(), order_id)

    @blp.route("/backorders")
    @blp.arguments(BackorderListArgsSchema, location="query")
    @blp.response(200, BackorderPageSchema)
    @role_required(*VIEWERS)
    def backorder_list(args):
        """The lines of open orders with something left to deliver, oldest order first, of one
        item or one customer (returns, which bring goods back, left out)."""
        found = services.backorders(db(), hook(), args.get("item_id"), args.get("party_id"),
                                    args["page"], args["per_page"])
        total = services.count_backorders(db(), hook(), args.get("item_id"),
                                          args.get("party_id"))
        return page_of(found, total, args)

    @blp.route("/stock")
    class Stock(MethodView):
        decorators = [role_required(*VIEWERS)]

        @blp.arguments(ListArgsSchema, location="query")
        @blp.response(200, StockPageSchema)
        def get(self, args):
            """Items by number, searched by number or name (``q``): each one's stock on hand,
            what open orders still take from it, and what is short."""
            rows, total = services.stock(db(), hook(), args["q"], args["page"],
                                         args["per_page"])
            return page_of([{"item_id": item.id, "item_number": item.number,
                             "on_hand": on_hand, "backordered": backordered, "short": short}
                            for item, on_hand, backordered, short in rows], total, args)

    @blp.route("/stock-moves")
    @blp.arguments(StockMoveListArgsSchema, location="query")
    @blp.response(200, StockMovePageSchema)
    @role_required(*VIEWERS)
    def stock_move_list(args):
        """Stock moves, newest first: each item's quantity out (negative) or back in, on the
        packing slip that moved it; searched by item number or name (``q``), of one item or
        one packing slip."""
        found, total = services.stock_moves(db(), args["q"], args.get("item_id"),
                                            args.get("packing_slip_id"), args["page"],
                                            args["per_page"])
        return page_of(found, total, args)

    return blp
