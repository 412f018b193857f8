"""Pages and API of items, and of the tax categories and item groups they fall in.

List prices are stored as entered (up to six decimals) and shown rounded to their currency.
"""

from decimal import Decimal
from operator import attrgetter

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError

from core.errors import ValidationError
from core.items import create_item, get_item, search_items, update_item
from core.models import ItemGroup, TaxCategory
from core.money import check_currency
from core.schemas import (
    ListArgsSchema,
    decimal_field,
    page_of,
    page_schema,
    percent_field,
    price_field,
)
from core.ui import MenuEntry
from plugins.sales.pages import PER_PAGE, page_count, page_number, read_form
from plugins.sales.records import (
    CodedSchema,
    add_coded_routes,
    attempt,
    committed,
    create_coded,
    list_coded,
    not_blank,
    refused_if_taken,
)
from web.api import refusals
from web.auth import readers_and_writers
from web.database import db

MENU = [MenuEntry("Items", "items.index", role="sales", priority=20),
        MenuEntry("Items", "items.index", role="accounting", priority=20)]
# Who may read items, through the API and their pages: accounting too, which invoices them.
VIEWERS = ("sales", "accounting")
READ_PAGES = ("items.index", "items.edit")


def _currency(code):
    """Accept ISO 4217 currency codes only, in any case (the item keeps it in capitals)."""
    try:
        check_currency(code)
    except ValidationError:
        raise MarshmallowError("Unknown currency: give its ISO 4217 code, e.g. EUR.") from None


class TaxCategorySchema(CodedSchema):
    """A tax category: its code, name and rate in percent."""

    rate = percent_field(required=True)


class ItemSchema(Schema):
    """An item as the API shows it; ``list_price`` is rounded to its currency."""

    id = fields.Integer()
    number = fields.String()
    name = fields.String()
    unit = fields.String()
    list_price = price_field("list_price", attrgetter("currency"))
    currency = fields.String()
    tax_category = fields.Function(lambda item: item.tax_category.code)
    item_group = fields.Function(lambda item: item.item_group.code if item.item_group else None)
    stock_on_hand = decimal_field()
    stocked = fields.Boolean(metadata={"description": "false for a service: no stock is kept"})



class ItemInputSchema(Schema):
    """What creating an item takes: ``tax_category`` and ``item_group`` are codes."""

    number = fields.String(required=True,
                              validate=[validate.Length(min=1, max=32), not_blank])
    name = fields.String(required=True,
                            validate=[validate.Length(min=1, max=128), not_blank])
    unit = fields.String(load_default="unit", validate=validate.Length(min=1, max=16))
    list_price = decimal_field(required=True)
    currency = fields.String(required=True, validate=_currency)
    tax_category = fields.String(required=True, validate=validate.Length(min=1, max=32))
    item_group = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=32))
    stock_on_hand = decimal_field(load_default=Decimal(0))
    stocked = fields.Boolean(load_default=True,
                             metadata={"description": "false for a service: no stock is kept"})


class ItemChangeSchema(ItemInputSchema):
    """What changing an item takes, loaded ``partial``: any field but its number, which stays."""

    class Meta:
        exclude = ("number",)


ItemPageSchema = page_schema(ItemSchema, "ItemPage")


def blueprint():
    """The items pages: list and search, new item, an item's edit form, and the small forms
    adding tax categories and item groups."""
    bp = Blueprint("items", __name__, url_prefix="/items", template_folder="templates")

    bp.before_request(readers_and_writers(VIEWERS, ("sales",), READ_PAGES))

    def _list_page(errors=None, status=200, form=None):
        """The items list; ``form`` names the small form whose ``errors`` are shown."""
        q = request.args.get("q", "").strip()[:128]
        page = page_number()
        items, total = search_items(db(), q, page, PER_PAGE)
        return render_template(
            "sales/items.html", items=items, total=total, page=page, pages=page_count(total),
            q=q, tax_categories=list_coded(db(), TaxCategory),
            item_groups=list_coded(db(), ItemGroup), errors=errors or {}, failed=form,
            posted=request.form if errors else {},
        ), status

    @bp.route("/")
    def index():
        """Items, searched by number or name, 25 a page; tax categories and item groups."""
        return _list_page()

    def _add_coded(model, schema, form, label):
        data, errors = read_form(schema)
        if not errors:
            record, errors = attempt(lambda: committed(create_coded(db(), model, data)))
            if not errors:
                flash(f"{label} {record.code} created.", "info")
                return redirect(url_for("items.index"))
        return _list_page(errors, 422, form)

    @bp.route("/tax-categories", methods=["POST"])
    def create_tax_category():
        """Add a tax category from the small form of the items list."""
        return _add_coded(TaxCategory, TaxCategorySchema(), "tax_category", "Tax category")

    @bp.route("/item-groups", methods=["POST"])
    def create_item_group():
        """Add an item group from the small form of the items list."""
        return _add_coded(ItemGroup, CodedSchema(), "item_group", "Item group")

    def _form_page(item, errors, values):
        return render_template(
            "sales/items_form.html", item=item, errors=errors, values=values,
            tax_categories=list_coded(db(), TaxCategory), item_groups=list_coded(db(), ItemGroup),
        ), 422 if errors else 200

    @bp.route("/new", methods=["GET", "POST"])
    def new():
        """The form creating an item."""
        errors = {}
        if request.method == "POST":
            data, errors = read_form(ItemInputSchema())
            if not errors:
                item, errors = attempt(lambda: _created(data))
                if not errors:
                    flash(f"Item {item.number} created.", "info")
                    return redirect(url_for("items.edit", item_id=item.id))
        return _form_page(None, errors, request.form if request.method == "POST" else
                          {"currency": "EUR", "unit": "unit", "stock_on_hand": "0",
                           "stocked": "true"})

    @bp.route("/<id:item_id>", methods=["GET", "POST"])
    def edit(item_id):
        """An item's edit form (its number stays as created)."""
        item, errors = get_item(db(), item_id), {}
        if request.method == "POST":
            data, errors = read_form(ItemChangeSchema())
            if not errors:
                _, errors = attempt(lambda: committed(update_item(db(), item, data)))
                if not errors:
                    flash(f"Item {item.number} saved.", "info")
                    return redirect(url_for("items.edit", item_id=item.id))
        return _form_page(item, errors, request.form if errors else _current_values(item))

    return bp


def _created(data):
    """Create an item from ``data`` and commit."""
    with refused_if_taken("number"):
        item = create_item(db(), data)
    db().commit()
    return item


def _current_values(item):
    """The edit form's values for ``item`` as it is now."""
    return {
        "name": item.name, "unit": item.unit, "list_price": f"{item.list_price:f}",
        "currency": item.currency, "tax_category": item.tax_category.code,
        "item_group": item.item_group.code if item.item_group else "",
        "stock_on_hand": f"{item.stock_on_hand:f}",
        "stocked": "true" if item.stocked else "false",
    }


def api_blueprint():
    """The items API: items, tax categories and item groups."""
    blp = ApiBlueprint("items_api", __name__, url_prefix="/api/v1",
                       description="Items, tax categories and item groups")

    # Accounting reads: free text invoice lines name a tax category, invoice lines an item.
    blp.before_request(readers_and_writers(VIEWERS, ("sales",)))

    @blp.route("/items")
    class Items(MethodView):
        @blp.arguments(ListArgsSchema, location="query")
        @blp.response(200, ItemPageSchema)
        def get(self, args):
            """Items by number, one page at a time.

            ``q`` searches number and name; ``per_page`` is at most 100.
            """
            items, total = search_items(db(), args["q"], args["page"], args["per_page"])
            return page_of(items, total, args)

        @blp.arguments(ItemInputSchema)
        @blp.response(201, ItemSchema)
        def post(self, data):
            """Create an item; its number must be new, its tax category and group must exist."""
            return _created(data)

    @blp.route("/items/<id:item_id>")
    class ItemOne(MethodView):
        @blp.response(200, ItemSchema)
        @refusals(blp, 404)
        def get(self, item_id):
            """One item."""
            return get_item(db(), item_id)

        @blp.arguments(ItemChangeSchema(partial=True), required=False)  # nothing sent: no change
        @blp.response(200, ItemSchema)
        @refusals(blp, 404)
        def patch(self, data, item_id):
            """Change an item's name, unit, price, currency, tax category, group or stock."""
            item = update_item(db(), get_item(db(), item_id), data)
            db().commit()
            return item

    add_coded_routes(blp, "/tax-categories", TaxCategory, TaxCategorySchema, "tax category",
                     " (rate in percent)")
    add_coded_routes(blp, "/item-groups", ItemGroup, CodedSchema, "item group")
    return blp
