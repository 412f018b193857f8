"""Order pages and API: enter an order and its lines, see prices explained, confirm, cancel."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from sqlalchemy import func, select

from core import orders
from core.errors import ComptoirError, Conflict, ValidationError
from core.models import Item, Party
from core.ordertypes import order_types
from core.schemas import page_of
from core.ui import MenuEntry
from plugins.sales.models import accepted_quotation
from plugins.sales.order_schemas import (
    CancelledOrderSchema,
    LineChangeSchema,
    LineInputSchema,
    LinesInputSchema,
    OrderChangeSchema,
    OrderCreateSchema,
    OrderLineSchema,
    OrderListArgsSchema,
    OrderPageSchema,
    OrderSchema,
    OrderTypeSchema,
    TypeChangeSchema,
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
from web.auth import readers_and_writers, role_required
from web.database import db
from web.printing import (
    PDF_RESPONSE,
    EmailDocumentSchema,
    OutboxMessageSchema,
    email_document,
    pdf_response,
)

MENU = [MenuEntry("Orders", "orders.order_list", role="sales", priority=30),
        MenuEntry("Orders", "orders.order_list", role="accounting", priority=30)]
CHOICES_SHOWN = 500  # parties and items offered in the form's lists; others are typed
# Who may read orders, through the API and their pages: accounting too, which invoices them.
VIEWERS = ("sales", "accounting")
READ_PAGES = ("orders.order_list", "orders.order_page", "orders.confirmation_pdf")


def blueprint():
    """The order pages: list, new order, and the order form with its lines."""
    bp = Blueprint("orders", __name__, url_prefix="/orders", template_folder="templates")

    bp.before_request(readers_and_writers(VIEWERS, ("sales",), READ_PAGES))

    @bp.route("/")
    def order_list():
        text = request.args.get("q", "")[:128]
        status = request.args.get("status") or None
        page = page_number()
        found, total = orders.search_orders(db(), text, status, None, page, PER_PAGE)
        return render_template("sales/orders.html", orders=found, total=total, page=page,
                               pages=page_count(total), q=text, status=status,
                               types=order_types(hook()))

    @bp.route("/new", methods=["GET", "POST"])
    def order_new():
        errors, form = {}, request.form
        if request.method == "POST":
            data, errors = read_form(OrderCreateSchema(exclude=("lines",)))
            if not errors:
                try:
                    order = orders.create_order(db(), hook(), data)
                except ComptoirError as error:
                    errors = error.fields or {"_": [error.message]}
                else:
                    db().commit()
                    return redirect(url_for("orders.order_page", order_id=order.id))
        page = render_template("sales/order_new.html", errors=errors, form=form,
                               parties=_parties(), types=order_types(hook()).values())
        return page, 422 if errors else 200

    @bp.route("/<id:order_id>", methods=["GET"])
    def order_page(order_id, errors=None, status=200):
        order = orders.load_order(db(), order_id)
        page = render_template("sales/order.html", order=order, errors=errors or {},
                               form=request.form, types=order_types(hook()),
                               closable=bool(orders.lines_to_close(order)),
                               items=_items(), quotation=accepted_quotation(db(), order))
        return page, status

    def act(order_id, action, done):
        """Run ``action(order)``, commit and show the order; on refusal show why on its page."""
        order = orders.load_order(db(), order_id, lock=True)
        try:
            action(order)
        except orders.PricesChanged as error:
            db().commit()  # keep the new prices: the page shows them
            return order_page(order_id, errors={"_": [error.message]}, status=error.status)
        except ComptoirError as error:
            db().rollback()
            return order_page(order_id, errors=error.fields or {"_": [error.message]},
                              status=error.status)
        db().commit()
        if done:
            flash(done, "info")
        return redirect(url_for("orders.order_page", order_id=order_id))

    @bp.route("/<id:order_id>/lines", methods=["POST"])
    def line_add(order_id):
        return act(order_id, lambda order: orders.add_lines(db(), hook(), order,
                                                            [_line_from_form()]), None)

    @bp.route("/<id:order_id>/lines/<id:line_id>/remove", methods=["POST"])
    def line_remove(order_id, line_id):
        return act(order_id, lambda order: orders.remove_line(db(), hook(), order, line_id),
                   None)

    @bp.route("/<id:order_id>/header", methods=["POST"])
    def header_change(order_id):
        def change(order):
            data, errors = read_form(OrderChangeSchema(only=("requested_ship_date", "discount")))
            if errors:
                raise ValidationError("the order cannot be changed", fields=errors)
            data.setdefault("requested_ship_date", None)
            data.setdefault("discount", None)
            orders.update_order(db(), hook(), order, data)

        return act(order_id, change, "Order updated.")

    @bp.route("/<id:order_id>/type", methods=["POST"])
    def type_change(order_id):
        return act(order_id, lambda order: orders.change_type(db(), hook(), order,
                                                              request.form.get("type", "")),
                   "Order type changed.")

    @bp.route("/<id:order_id>/confirm", methods=["POST"])
    def confirm(order_id):
        return act(order_id, lambda order: orders.confirm_order(db(), hook(), order),
                   "Order confirmed: its prices are now frozen.")

    @bp.route("/<id:order_id>/cancel", methods=["POST"])
    def cancel(order_id):
        said = []  # what the modules did on cancelling, shown once it is committed
        answer = act(order_id, lambda order: said.extend(
            orders.cancel_order(db(), hook(), order)), "Order cancelled.")
        for sentence in said:
            flash(sentence, "info")
        return answer

    @bp.route("/<id:order_id>/close", methods=["POST"])
    def close(order_id):
        return act(order_id, lambda order: orders.close_remainder(db(), hook(), order),
                   "What was left to deliver is closed.")

    @bp.route("/<id:order_id>/confirmation.pdf")
    def confirmation_pdf(order_id):
        return _confirmation_pdf(order_id)

    @bp.route("/<id:order_id>/email", methods=["POST"])
    def email(order_id):
        def send(data):
            order = _confirmed(order_id)
            return _email_confirmation(order, data), _confirmation_name(order)

        return email_from_form(send, lambda errors, status: order_page(order_id, errors, status),
                               url_for("orders.order_page", order_id=order_id))

    return bp


# The statuses of an order that has been confirmed: its confirmation can be printed.
CONFIRMED_STATUSES = ("confirmed", "delivered", "invoiced")


def _confirmed(order_id):
    """The order, refused (409) unless it was confirmed and not cancelled."""
    order = orders.load_order(db(), order_id)
    if order.status not in CONFIRMED_STATUSES:
        raise Conflict(f"order {order.number} is {order.status}: only a confirmed order has a "
                       "confirmation")
    return order


def _confirmation_filename(order):
    return f"order-confirmation-{order.number}.pdf"


def _confirmation_pdf(order_id):
    order = _confirmed(order_id)
    return pdf_response("order_confirmation.html", _confirmation_filename(order), document=order)


def _confirmation_name(order):
    return f"Order confirmation {order.number}"


def _email_confirmation(order, data):
    return email_document(
        "order_confirmation.html", data, party=order.party, document=order,
        subject=_confirmation_name(order), filename=_confirmation_filename(order),
        body=f"Thank you for your order. Please find attached the confirmation of order "
             f"{order.number}.")


def _line_from_form():
    """The line typed on the order form; the item is given by its number.  Every mistake is
    reported at once."""
    form = {key: value for key, value in request.form.items() if key != "item"}
    data, errors = read_form(LineInputSchema(exclude=("item_id",)), _Form(form))
    number = request.form.get("item", "").strip()
    item_id = _item_numbered(number) if number else None
    if item_id is None:
        errors = {**(errors or {}), "item": ["Unknown item number." if number else "Required."]}
    if errors:
        raise ValidationError("the line is not valid", fields=errors)
    return {**data, "item_id": item_id}


def _item_numbered(number):
    """The id of the item numbered ``number``, in any case if no item has it exactly."""
    exact = db().scalar(select(Item.id).where(Item.number == number))
    if exact is not None:
        return exact
    found = db().scalars(select(Item.id).where(func.lower(Item.number) == number.lower())).all()
    return found[0] if len(found) == 1 else None


class _Form(dict):
    """A plain dict read like a request form."""

    def getlist(self, name):
        return [self[name]] if name in self else []


def _parties():
    return db().scalars(select(Party).where(Party.merged_into_id.is_(None))
                        .order_by(Party.name).limit(CHOICES_SHOWN)).all()


def _items():
    return db().scalars(select(Item).order_by(Item.number).limit(CHOICES_SHOWN)).all()


def api_blueprint():
    """The order API: order types, orders, their lines, type change, confirm and cancel."""
    blp = ApiBlueprint("orders_api", __name__, url_prefix="/api/v1",
                       description="Order types, orders and their lines")

    @blp.route("/order-types")
    @blp.response(200, OrderTypeSchema(many=True))
    @role_required(*VIEWERS)
    def types():
        """Every order type the enabled modules contribute, with its rules."""
        return list(order_types(hook()).values())

    @blp.route("/orders")
    class Orders(MethodView):
        @blp.arguments(OrderListArgsSchema, location="query")
        @blp.response(200, OrderPageSchema)
        @role_required(*VIEWERS)
        def get(self, args):
            """Orders, newest first, searched by number, RMA number or customer name (``q``)."""
            if args.get("type") and args["type"] not in order_types(hook()):
                raise ValidationError("unknown order type", fields={"type": ["Unknown type."]})
            found, total = orders.search_orders(db(), args["q"], args.get("status"),
                                                args.get("type"), args["page"],
                                                args["per_page"])
            return page_of(found, total, args)

        @blp.arguments(OrderCreateSchema)
        @blp.response(201, OrderSchema)
        @role_required("sales")
        def post(self, data):
            """Create a draft order with its lines, priced and explained."""
            order = orders.create_order(db(), hook(), data)
            db().commit()
            return order

    @blp.route("/orders/<id:order_id>")
    class OneOrder(MethodView):
        @blp.response(200, OrderSchema)
        @refusals(blp, 404)
        @role_required(*VIEWERS)
        def get(self, order_id):
            """The order with its lines, prices and explanations."""
            return orders.load_order(db(), order_id)

        @blp.arguments(OrderChangeSchema, required=False)  # nothing sent: no change
        @blp.response(200, OrderSchema)
        @refusals(blp, 404, 409)
        @role_required("sales")
        def patch(self, data, order_id):
            """Change a draft order's header (customer, currency, ship date, discount)."""
            return _commit(orders.update_order(db(), hook(), _locked(order_id), data))

    @blp.route("/orders/<id:order_id>/lines", methods=["POST"])
    @blp.arguments(LinesInputSchema)
    @blp.response(201, OrderLineSchema(many=True))
    @refusals(blp, 404, 409)
    @role_required("sales")
    def lines_add(data, order_id):
        """Append lines to a draft order; the order is repriced."""
        return _commit(orders.add_lines(db(), hook(), _locked(order_id), data["lines"]))

    @blp.route("/orders/<id:order_id>/lines/<id:line_id>")
    class OneLine(MethodView):
        decorators = [role_required("sales")]

        @blp.arguments(LineChangeSchema, required=False)  # nothing sent: no change
        @blp.response(200, OrderLineSchema)
        @refusals(blp, 404, 409)
        def patch(self, data, order_id, line_id):
            """Change a line of a draft order; the order is repriced."""
            return _commit(orders.update_line(db(), hook(), _locked(order_id), line_id, data))

        @blp.response(204)
        @refusals(blp, 404, 409)
        def delete(self, order_id, line_id):
            """Remove a line of a draft order; the order is repriced."""
            _commit(orders.remove_line(db(), hook(), _locked(order_id), line_id))

    @blp.route("/orders/<id:order_id>/type", methods=["POST"])
    @blp.arguments(TypeChangeSchema)
    @blp.response(200, OrderSchema)
    @refusals(blp, 404, 409)
    @role_required("sales")
    def change_type(data, order_id):
        """Change the order's type (409 where its type or status forbids it)."""
        return _commit(orders.change_type(db(), hook(), _locked(order_id), data["type"]))

    @blp.route("/orders/<id:order_id>/confirm", methods=["POST"])
    @blp.response(200, OrderSchema)
    @refusals(blp, 404, 409, 422)
    @role_required("sales")
    def confirm(order_id):
        """Confirm a draft order: priced a last time, its prices are frozen from now on.

        409 when that last pricing changed the prices (a price list changed since): the order
        stays a draft with the new prices, to be checked and confirmed again.
        """
        try:
            return _commit(orders.confirm_order(db(), hook(), _locked(order_id)))
        except orders.PricesChanged:
            db().commit()
            raise

    @blp.route("/orders/<id:order_id>/cancel", methods=["POST"])
    @blp.response(200, CancelledOrderSchema)
    @refusals(blp, 404, 409)
    @role_required("sales")
    def cancel(order_id):
        """Cancel a draft or confirmed order; the modules let go of what names it (the
        invoicing module deletes its draft invoices and pro formas) and say so in
        ``notices``."""
        order = _locked(order_id)
        order.notices = orders.cancel_order(db(), hook(), order)  # for CancelledOrderSchema
        return _commit(order)

    @blp.route("/orders/<id:order_id>/close", methods=["POST"])
    @blp.response(200, OrderSchema)
    @refusals(blp, 404, 409, 422)
    @role_required("sales")
    def close(order_id):
        """Close what is left to deliver of a partly delivered order: each line keeps what was
        delivered (or invoiced) of it; 409 when nothing was delivered or nothing is left."""
        return _commit(orders.close_remainder(db(), hook(), _locked(order_id)))

    @blp.route("/orders/<id:order_id>/confirmation.pdf")
    @blp.doc(responses={"200": PDF_RESPONSE})
    @refusals(blp, 404, 409)
    @role_required(*VIEWERS)
    def confirmation_pdf(order_id):
        """The order confirmation as a PDF (409 unless the order was confirmed)."""
        return _confirmation_pdf(order_id)

    @blp.route("/orders/<id:order_id>/email", methods=["POST"])
    @blp.arguments(EmailDocumentSchema, required=False)  # every field has a default
    @blp.response(202, OutboxMessageSchema)
    @refusals(blp, 404, 409)
    @role_required("sales")
    def email(data, order_id):
        """E-mail the order confirmation's PDF: to ``to``, or the customer's address (422 with
        neither); 409 unless the order was confirmed.

        Answers the outbox message: ``sent`` once the mail server took it, else ``queued`` and
        retried later.
        """
        return _email_confirmation(_confirmed(order_id), data)

    return blp


def _locked(order_id):
    return orders.load_order(db(), order_id, lock=True)


def _commit(result):
    db().commit()
    return result
