"""Pages and API of parties: people and organisations, their relationship stage and its history,
addresses, tags, customer groups, and the merging of duplicates.

A stage change always records a cause.  The API requires one; on the web form it may be left
blank, and is then recorded as "changed by <the user's name>".
"""

from babel import Locale
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.errors import ComptoirError, NotFound
from core.models import STAGES, Address, CustomerGroup, Order, Party
from core.ordertypes import order_types
from core.parties import (
    BEING_CHANGED,
    create_party,
    get_party,
    merge_parties,
    search_parties,
    update_party,
)
from core.schemas import ListArgsSchema, Timestamp, id_field, page_of, page_schema
from core.ui import MenuEntry
from plugins.sales.pages import PER_PAGE, hook, page_count, page_number, read_form
from plugins.sales.records import (
    CodedSchema,
    add_coded_routes,
    attempt,
    committed,
    create_coded,
    list_coded,
    not_blank,
)
from web.api import refusals
from web.auth import readers_and_writers
from web.database import db

MENU = [MenuEntry("Parties", "parties.index", role="sales", priority=10),
        MenuEntry("Parties", "parties.index", role="accounting", priority=10)]
# Who may read parties, through the API and their pages: accounting too, which bills them.
VIEWERS = ("sales", "accounting")
READ_PAGES = ("parties.index", "parties.show")

ADDRESS_KINDS = ("invoice", "delivery", "other")
# Babel's two-letter territories, less the groupings that are no country.
COUNTRIES = frozenset(
    code for code in Locale("en").territories
    if len(code) == 2 and code.isalpha() and code not in {"EU", "EZ", "QO", "UN", "ZZ"}
)
ORDERS_SHOWN = 50  # most recent orders listed on a party's page
MERGE_CANDIDATES = 50


class CountryCode(fields.String):
    """A two-letter ISO 3166 country code; lower case is accepted and stored upper case."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in COUNTRIES:
            raise MarshmallowError("Unknown country: give its two-letter code, e.g. FR.")
        return code


def _email(value):
    """Accept an e-mail address, or nothing."""
    if value:
        validate.Email(error="Not a valid e-mail address.")(value)


def _tag_names(names):
    """Accept tag names of at most 64 characters (the tag table's limit)."""
    if any(len(name.strip()) > 64 for name in names):
        raise MarshmallowError("A tag has at most 64 characters.")


class AddressSchema(Schema):
    """A postal address of a party."""

    id = fields.Integer(dump_only=True)
    kind = fields.String(load_default="invoice", validate=validate.OneOf(ADDRESS_KINDS))
    street = fields.String(load_default="", validate=validate.Length(max=256))
    postcode = fields.String(load_default="", validate=validate.Length(max=16))
    city = fields.String(required=True, validate=validate.Length(min=1, max=128))
    country = CountryCode(required=True)


class PartySchema(Schema):
    """A party as the API shows it; ``merged_into_id`` is set once it was merged away."""

    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    phone = fields.String()
    stage = fields.String()
    is_vendor = fields.Boolean()
    customer_group = fields.Function(
        lambda party: party.customer_group.code if party.customer_group else None
    )
    tags = fields.Function(lambda party: [tag.name for tag in party.tags])
    addresses = fields.List(fields.Nested(AddressSchema))
    merged_into_id = fields.Integer(allow_none=True)
    created_at = Timestamp()


class PartyInputSchema(Schema):
    """What creating a party takes.

    ``customer_group`` is a customer group code; ``tags`` are free labels, created as needed;
    ``addresses`` replace the party's addresses; ``cause`` explains the stage (change).
    """

    name = fields.String(required=True, validate=[validate.Length(min=1, max=128), not_blank])
    email = fields.String(load_default="", validate=[validate.Length(max=254), _email])
    phone = fields.String(load_default="", validate=validate.Length(max=64))
    stage = fields.String(load_default="prospect", validate=validate.OneOf(STAGES))
    cause = fields.String(validate=validate.Length(min=1, max=256))
    is_vendor = fields.Boolean(load_default=False)
    customer_group = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(max=32))
    tags = fields.List(fields.String(), load_default=list, validate=_tag_names)
    addresses = fields.List(fields.Nested(AddressSchema), load_default=list)


class PartyChangeSchema(PartyInputSchema):
    """What changing a party takes, loaded ``partial``: any of the fields of a new party."""


class PartyQuerySchema(ListArgsSchema):
    """Which parties to list: text found in name, e-mail or phone, a stage, a page."""

    stage = fields.String(validate=validate.OneOf(STAGES))


PartyPageSchema = page_schema(PartySchema, "PartyPage")


class StageSchema(Schema):
    """A move to another stage, and why."""

    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    cause = fields.String(required=True, validate=validate.Length(min=1, max=256))


class StageChangeSchema(Schema):
    """One line of a party's stage history."""

    changed_at = Timestamp()
    old_stage = fields.String(allow_none=True)
    new_stage = fields.String()
    cause = fields.String()


class MergeSchema(Schema):
    """The duplicate party to merge into this one."""

    duplicate_id = id_field(required=True)


def _with_collections(parties):
    """Load the tags and addresses of ``parties`` in one query each, not one per party."""
    if parties:
        db().scalars(select(Party).where(Party.id.in_([p.id for p in parties]))
                     .options(selectinload(Party.tags), selectinload(Party.addresses))).all()
    return parties



def blueprint():
    """The parties pages: list and search, new party, a party's page with its forms."""
    bp = Blueprint("parties", __name__, url_prefix="/parties", template_folder="templates")

    bp.before_request(readers_and_writers(VIEWERS, ("sales",), READ_PAGES))

    def _list_page(errors=None, status=200):
        q = request.args.get("q", "").strip()[:128]
        stage = request.args.get("stage") if request.args.get("stage") in STAGES else None
        page = page_number()
        parties, total = search_parties(db(), q, stage, page, PER_PAGE)
        return render_template(
            "sales/parties.html", parties=_with_collections(parties), total=total, page=page,
            pages=page_count(total), q=q, stage=stage, stages=STAGES,
            groups=list_coded(db(), CustomerGroup), errors=errors or {},
            posted=request.form if errors else {},
        ), status

    @bp.route("/")
    def index():
        """Parties, searched by name, e-mail or phone and filtered by stage, 25 a page."""
        return _list_page()

    @bp.route("/customer-groups", methods=["POST"])
    def create_customer_group():
        """Add a customer group from the small form of the parties list."""
        data, errors = read_form(CodedSchema())
        if not errors:
            group, errors = attempt(lambda: committed(create_coded(db(), CustomerGroup, data)))
            if not errors:
                flash(f"Customer group {group.code} created.", "info")
                return redirect(url_for("parties.index"))
        return _list_page(errors, 422)

    @bp.route("/new", methods=["GET", "POST"])
    def new():
        """The form creating a party; its first stage is recorded as created by the user."""
        errors = {}
        if request.method == "POST":
            data, errors = read_form(PartyInputSchema(exclude=("addresses", "cause")),
                                     _split_tags(request.form), lists=("tags",))
            if not errors:
                party, errors = attempt(lambda: committed(
                    create_party(db(), data, cause=f"created by {current_user.name}")
                ))
                if not errors:
                    flash(f"Party {party.name} created.", "info")
                    return redirect(url_for("parties.show", party_id=party.id))
        return render_template(
            "sales/parties_new.html", values=request.form, errors=errors, stages=STAGES,
            groups=list_coded(db(), CustomerGroup),
        ), 422 if errors else 200

    def _party_page(party, errors=None, status=200, edited=None):
        """A party's page; ``edited`` holds the edit form's submitted values to show again."""
        survivor = db().get(Party, party.merged_into_id) if party.merged_into_id else None
        orders = db().scalars(select(Order).where(Order.party_id == party.id)
                              .order_by(Order.id.desc()).limit(ORDERS_SHOWN)).all()
        order_total = db().scalar(select(func.count(Order.id))
                                  .where(Order.party_id == party.id))
        # The candidates first offered share the first word of the party's name; the merge
        # form is for the sales role.
        match = request.args.get("match", (party.name.split() or [""])[0])[:128]
        candidates = [] if survivor or not current_user.has_role("sales") else [
            other for other in search_parties(db(), match, per_page=MERGE_CANDIDATES)[0]
            if other.id != party.id
        ]
        return render_template(
            "sales/parties_show.html", party=party, survivor=survivor, orders=orders,
            order_total=order_total, type_titles={
                code: kind.title for code, kind in order_types(hook()).items()
            }, values=edited or _current_values(party), stages=STAGES,
            groups=list_coded(db(), CustomerGroup), kinds=ADDRESS_KINDS, match=match,
            candidates=candidates, errors=errors or {},
            posted=request.form if errors else {},
        ), status

    @bp.route("/<id:party_id>")
    def show(party_id):
        """A party: its details and edit form, addresses, tags, stage history, orders, and the
        merge form; a merged party's page says which party it was merged into."""
        return _party_page(get_party(db(), party_id, live=False))

    @bp.route("/<id:party_id>", methods=["POST"])
    def edit(party_id):
        """Save the edit form; a stage change without a cause is "changed by <user>"."""
        party = get_party(db(), party_id, lock=BEING_CHANGED)
        data, errors = read_form(PartyInputSchema(exclude=("addresses",)),
                                 _split_tags(request.form), lists=("tags",))
        if not errors:
            cause = data.pop("cause", None) or f"changed by {current_user.name}"
            _, errors = attempt(lambda: committed(update_party(db(), party, data, cause)))
            if not errors:
                flash(f"Party {party.name} saved.", "info")
                return redirect(url_for("parties.show", party_id=party.id))
        return _party_page(party, errors, 422, edited=request.form)

    @bp.route("/<id:party_id>/addresses", methods=["POST"])
    def add_address(party_id):
        """Add an address to a party."""
        party = get_party(db(), party_id, lock=BEING_CHANGED)
        data, errors = read_form(AddressSchema())
        if errors:
            return _party_page(party, errors, 422)
        party.addresses.append(Address(**data))
        db().commit()
        flash("Address added.", "info")
        return redirect(url_for("parties.show", party_id=party.id))

    @bp.route("/<id:party_id>/addresses/<id:address_id>/remove", methods=["POST"])
    def remove_address(party_id, address_id):
        """Remove one of a party's addresses."""
        party = get_party(db(), party_id, lock=BEING_CHANGED)
        address = next((a for a in party.addresses if a.id == address_id), None)
        if address is None:
            raise NotFound(f"party {party.name!r} has no address {address_id}")
        party.addresses.remove(address)
        db().commit()
        flash("Address removed.", "info")
        return redirect(url_for("parties.show", party_id=party.id))

    @bp.route("/<id:party_id>/merge", methods=["POST"])
    def merge(party_id):
        """Merge the chosen duplicate into this party; the page then shows the result."""
        party = get_party(db(), party_id)
        data, errors = read_form(MergeSchema())
        status = 422
        if not errors:
            try:
                merge_parties(db(), hook(), party.id, data["duplicate_id"])
                duplicate = db().get(Party, data["duplicate_id"])
                db().commit()
                flash(f"Party {duplicate.name} (#{duplicate.id}) merged into {party.name}.",
                      "info")
                return redirect(url_for("parties.show", party_id=party.id))
            except ComptoirError as error:  # the duplicate is unknown, merged or this party
                db().rollback()
                errors = error.fields or {"duplicate_id": [error.message]}
                status = error.status
        return _party_page(party, errors, status)

    return bp


def _split_tags(form):
    """The submitted form with its comma-separated ``tags`` box split into several values."""
    form = form.copy()
    form.setlist("tags", form.get("tags", "").split(","))
    return form


def _current_values(party):
    """The edit form's values for ``party`` as it is now."""
    return {
        "name": party.name, "email": party.email, "phone": party.phone, "stage": party.stage,
        "is_vendor": party.is_vendor, "tags": ", ".join(tag.name for tag in party.tags),
        "customer_group": party.customer_group.code if party.customer_group else "",
    }


def api_blueprint():
    """The parties API: parties, their stage and history, merging, and customer groups."""
    blp = ApiBlueprint("parties_api", __name__, url_prefix="/api/v1",
                       description="Parties, their stage history, and customer groups")

    # Accounting reads the parties it invoices and takes payments from; sales changes them.
    blp.before_request(readers_and_writers(VIEWERS, ("sales",)))

    @blp.route("/parties")
    class Parties(MethodView):
        @blp.arguments(PartyQuerySchema, location="query")
        @blp.response(200, PartyPageSchema)
        def get(self, args):
            """Live parties by name, one page at a time.

            ``q`` searches name, e-mail and phone; ``stage`` filters; ``per_page`` is at most
            100.  Merged parties are left out.
            """
            parties, total = search_parties(db(), args["q"], args.get("stage"), args["page"],
                                            args["per_page"])
            return page_of(_with_collections(parties), total, args)

        @blp.arguments(PartyInputSchema)
        @blp.response(201, PartySchema)
        def post(self, data):
            """Create a party; its first stage is recorded with ``cause`` (default "created")."""
            cause = data.pop("cause", "created")
            party = create_party(db(), data, cause)
            db().commit()
            return party

    @blp.route("/parties/<id:party_id>")
    class PartyItem(MethodView):
        @blp.response(200, PartySchema)
        @refusals(blp, 404)
        def get(self, party_id):
            """One party, merged ones included (``merged_into_id`` names the survivor)."""
            return get_party(db(), party_id, live=False)

        @blp.arguments(PartyChangeSchema(partial=True), required=False)  # nothing sent: no change
        @blp.response(200, PartySchema)
        @refusals(blp, 404, 409)
        def patch(self, data, party_id):
            """Change a party; a new stage needs a cause.

            The stage history records the ``cause``.  ``addresses`` and ``tags``, when given,
            replace the current ones.  A merged party can no longer change (409).
            """
            party = get_party(db(), party_id, lock=BEING_CHANGED)
            cause = data.pop("cause", None)
            if data.get("stage") == party.stage:
                del data["stage"]  # sent back unchanged: not a stage change, needs no cause
            update_party(db(), party, data, cause)
            db().commit()
            return party

    @blp.route("/parties/<id:party_id>/stage", methods=["POST"])
    @blp.arguments(StageSchema)
    @blp.response(200, PartySchema)
    @refusals(blp, 404, 409)
    def change_stage(data, party_id):
        """Move a party to another stage; the change and its cause go to its history."""
        party = get_party(db(), party_id, lock=BEING_CHANGED)
        update_party(db(), party, {"stage": data["stage"]}, data["cause"])
        db().commit()
        return party

    @blp.route("/parties/<id:party_id>/history")
    @blp.response(200, StageChangeSchema(many=True))
    @refusals(blp, 404)
    def history(party_id):
        """A party's stage changes, oldest first: when, from, to, and why."""
        return get_party(db(), party_id, live=False).history

    @blp.route("/parties/<id:party_id>/merge", methods=["POST"])
    @blp.arguments(MergeSchema)
    @blp.response(200, PartySchema)
    @refusals(blp, 404, 409)
    def merge(data, party_id):
        """Merge the party ``duplicate_id`` into this one.

        Everything naming it moves here: orders, quotations, addresses, tags, history, packing
        slips, invoices, payments and ledger entries, any module's records.  The duplicate is kept,
        marked as merged into this one, and no longer listed.
        """
        survivor = merge_parties(db(), hook(), party_id, data["duplicate_id"])
        db().commit()
        return survivor

    add_coded_routes(blp, "/customer-groups", CustomerGroup, CodedSchema, "customer group")
    return blp
