"""The pricing module's pages: price lists with their rules, and the price simulation."""

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import select, union

from core.errors import ValidationError
from core.models import CustomerGroup, Item, ItemGroup, Party
from core.ui import MenuEntry
from plugins.pricing import services
from plugins.pricing.models import PriceList
from plugins.pricing.schemas import (
    PriceListCreateSchema,
    PriceListUpdateSchema,
    PriceRuleCreateSchema,
    SimulationSchema,
)
from plugins.sales.pages import PER_PAGE, hook, page_count, page_number, read_form
from web.auth import role_required
from web.database import db, reads_only
from web.errors import form_messages

MENU = [
    MenuEntry("Price lists", "pricing.price_lists", role="sales", priority=60),
    MenuEntry("Price simulation", "pricing.simulate", role="sales", priority=61),
]

SIMULATION_ROWS = 5  # item rows the simulation form offers
LINE_FIELDS = ("item_id", "quantity", "unit_price", "discount")
HEADER_FIELDS = ("party_id", "customer_group", "currency", "date", "discount")


def blueprint():
    """The pricing pages, under /pricing."""
    bp = Blueprint("pricing", __name__, url_prefix="/pricing", template_folder="templates")

    @bp.before_request
    @role_required("sales")
    def _sales_only():
        """Every page here is for the sales role."""

    bp.add_url_rule("/price-lists/", view_func=price_lists)
    bp.add_url_rule("/price-lists/new", view_func=price_list_new, methods=["GET", "POST"])
    bp.add_url_rule("/price-lists/<id:list_id>", view_func=price_list)
    bp.add_url_rule("/price-lists/<id:list_id>/edit", view_func=price_list_edit,
                    methods=["POST"])
    bp.add_url_rule("/price-lists/<id:list_id>/activate", view_func=price_list_activate,
                    methods=["POST"])
    bp.add_url_rule("/price-lists/<id:list_id>/deactivate", view_func=price_list_deactivate,
                    methods=["POST"])
    bp.add_url_rule("/price-lists/<id:list_id>/rules", view_func=rule_add, methods=["POST"])
    bp.add_url_rule("/price-lists/<id:list_id>/rules/<id:rule_id>/delete",
                    view_func=rule_delete, methods=["POST"])
    bp.add_url_rule("/simulate", view_func=simulate, methods=["GET", "POST"])
    return bp


def price_lists():
    """Every price list with its currency, state and number of rules."""
    return render_template("pricing/price_lists.html",
                           price_lists=services.list_price_lists(db()))


def price_list_new():
    """The form creating a price list; on success, the new list's page."""
    errors = {}
    if request.method == "POST":
        data, errors = read_form(PriceListCreateSchema())
        if not errors:
            try:
                created = services.create_price_list(db(), data)
            except ValidationError as error:
                db().rollback()
                errors = error.fields
            else:
                db().commit()
                flash(f"Price list {created.name} created.", "info")
                return redirect(url_for("pricing.price_list", list_id=created.id))
    return render_template("pricing/price_list_new.html", errors=errors,
                           form=request.form), 422 if errors else 200


def price_list(list_id):
    """A price list: its rules, a page at a time, and the forms changing it."""
    return _price_list_page(services.get_price_list(db(), list_id))


def _price_list_page(price_list, errors=None, form=None, status=200):
    page = page_number()
    rules, total = services.list_rules(db(), price_list, page, PER_PAGE)
    return render_template(
        "pricing/price_list.html", price_list=price_list, rules=rules, page=page,
        pages=page_count(total), total=total, errors=errors or {}, form=form or {},
        customer_groups=db().scalars(select(CustomerGroup).order_by(CustomerGroup.code)).all(),
        item_groups=db().scalars(select(ItemGroup).order_by(ItemGroup.code)).all(),
        items=db().execute(select(Item.id, Item.number, Item.name).order_by(Item.number)).all(),
    ), status


def price_list_edit(list_id):
    """Rename a price list."""
    price_list = services.get_price_list(db(), list_id)
    data, errors = read_form(PriceListUpdateSchema())
    if errors or "name" not in data:
        return _price_list_page(price_list, errors or {"name": ["Give a name."]},
                                request.form, 422)
    services.update_price_list(db(), price_list, data)
    db().commit()
    flash(f"Price list renamed {price_list.name}.", "info")
    return redirect(url_for("pricing.price_list", list_id=list_id))


def price_list_activate(list_id):
    """Make a price list apply again to orders priced from now on."""
    return _switch(list_id, True, "now applies to orders priced from now on")


def price_list_deactivate(list_id):
    """Stop a price list applying; orders already confirmed keep their prices."""
    return _switch(list_id, False, "no longer applies; confirmed orders keep their prices")


def _switch(list_id, active, outcome):
    price_list = services.update_price_list(db(), services.get_price_list(db(), list_id),
                                            {"active": active})
    db().commit()
    flash(f"Price list {price_list.name} {outcome}.", "info")
    return redirect(url_for("pricing.price_list", list_id=list_id))


def rule_add(list_id):
    """Add a rule from the price list page's form; on invalid input, show it again with why."""
    price_list = services.get_price_list(db(), list_id)
    data, errors = read_form(PriceRuleCreateSchema())
    if not errors:
        try:
            rule = services.add_rule(db(), price_list, data)
        except ValidationError as error:
            db().rollback()
            errors = error.fields
        else:
            db().commit()
            flash(f"Rule {rule.id} added.", "info")
            return redirect(url_for("pricing.price_list", list_id=list_id))
    return _price_list_page(price_list, errors, request.form, 422)


def rule_delete(list_id, rule_id):
    """Delete a rule of a price list."""
    services.delete_rule(db(), services.get_price_list(db(), list_id), rule_id)
    db().commit()
    flash(f"Rule {rule_id} deleted.", "info")
    return redirect(url_for("pricing.price_list", list_id=list_id))


@reads_only
def simulate():
    """Price a hypothetical order and show every line's price with its explanation.

    Nothing is saved: the request's transaction is never committed.
    """
    result, errors, row_errors, message = None, {}, {}, None
    form = request.form
    if request.method == "POST":
        raw, rows = _simulation_input(form)
        try:
            result = services.simulate(db(), hook(), SimulationSchema().load(raw))
        except MarshmallowError as error:
            errors, row_errors = _split_line_errors(form_messages(error.messages), rows)
        except ValidationError as error:
            message = error.message
            errors, row_errors = _split_line_errors(error.fields, rows)
    else:
        form = {"date": date.today().isoformat()}
    status = 422 if errors or row_errors or message else 200
    return render_template(
        "pricing/simulate.html", result=result, errors=errors, row_errors=row_errors,
        message=message, form=form, rows=range(SIMULATION_ROWS),
        parties=db().execute(select(Party.id, Party.name)
                             .where(Party.merged_into_id.is_(None))
                             .order_by(Party.name, Party.id)).all(),
        customer_groups=db().scalars(select(CustomerGroup).order_by(CustomerGroup.code)).all(),
        items=db().execute(select(Item.id, Item.number, Item.name).order_by(Item.number)).all(),
        currencies=sorted(db().scalars(union(select(Item.currency), select(PriceList.currency)))),
    ), status


def _simulation_input(form):
    """The simulation form as SimulationSchema input, and the form row of each line given."""
    raw = {name: form[name].strip() for name in HEADER_FIELDS if form.get(name, "").strip()}
    lines, rows = [], []
    for row in range(SIMULATION_ROWS):
        line = {name: form.get(f"{name}_{row}", "").strip() for name in LINE_FIELDS}
        line = {name: value for name, value in line.items() if value}
        if line:
            lines.append(line)
            rows.append(row)
    raw["lines"] = lines
    return raw, rows


def _split_line_errors(errors, rows):
    """Separate the messages about one line (shown on its form row) from the others."""
    errors = dict(errors)
    by_line = errors.get("lines")
    if not isinstance(by_line, dict):
        return errors, {}
    del errors["lines"]
    return errors, {rows[index]: messages for index, messages in by_line.items()}
