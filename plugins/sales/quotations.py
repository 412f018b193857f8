"""Services on quotations: create, change, price, revise, send, accept (into an order), lose.

Every function works inside the caller's transaction (the caller commits) and raises a
ComptoirError naming what is wrong.  Only a draft can change; a revision copies the quotation
into a new draft with the same number and archives the earlier one, which stays read-only.
Pricing follows the orders' chain, in a fixed number of SQL statements whatever the number of
lines.
"""

from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from core.documents import (
    change_currency,
    change_line,
    figures_shown,
    insert_lines,
    line_of,
    party_for,
    pricing_lines,
    store_prices,
)
from core.errors import Conflict, NotFound, ValidationError
from core.models import Party
from core.money import check_currency
from core.numbering import next_number
from core.orders import PricesChanged, create_order
from core.parties import advance_to, contains
from core.pricing import PricingContext, price
from plugins.sales.models import Quotation, QuotationLine

# What people see: the stored statuses, with open quotations past their date shown "expired".
SHOWN_STATUSES = ("draft", "sent", "expired", "accepted", "lost", "archived")
OPEN = ("draft", "sent")
# Amount columns hold 18 digits, 6 of them after the point.
MAX_AMOUNT = 10**12


def load_quotation(session, quotation_id, *, lock=False):
    """The quotation ``quotation_id`` with its lines and their items; ``lock`` takes its row
    lock, so that two requests changing one quotation run one after the other."""
    query = (select(Quotation).where(Quotation.id == quotation_id)
             .options(selectinload(Quotation.lines).selectinload(QuotationLine.item)))
    if lock:
        query = query.with_for_update(of=Quotation)
    quotation = session.scalars(query).unique().one_or_none()
    if quotation is None:
        raise NotFound(f"quotation {quotation_id} does not exist")
    return quotation


def _shown(status, today):
    """A condition selecting the quotations whose shown status is ``status`` on ``today``."""
    expired = and_(Quotation.status.in_(OPEN), Quotation.valid_until < today)
    if status == "expired":
        return expired
    if status in OPEN:
        return and_(Quotation.status == status, Quotation.valid_until >= today)
    return Quotation.status == status


def search_quotations(session, text="", status=None, page=1, per_page=25, today=None):
    """Quotations whose number or party name contains ``text``, newest first, as
    ``(quotations, total count)``.

    ``status`` is a shown status (``"expired"`` included); without one, every quotation but the
    archived revisions.
    """
    today = today or date.today()
    query = select(Quotation).join(Party, Party.id == Quotation.party_id)
    if text:
        pattern = contains(text)
        query = query.where(or_(func.lower(Quotation.number).like(pattern, escape="\\"),
                                func.lower(Party.name).like(pattern, escape="\\")))
    if status:
        query = query.where(_shown(status, today))
    else:
        query = query.where(Quotation.status != "archived")
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    quotations = session.scalars(
        query.options(selectinload(Quotation.order))
        .order_by(Quotation.number.desc(), Quotation.revision.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return quotations, total


def revisions(session, quotation):
    """Every revision of ``quotation``'s number, the first one first."""
    return session.scalars(select(Quotation).where(Quotation.number == quotation.number)
                           .order_by(Quotation.revision)).all()


def create_quotation(session, hook, data, today=None):
    """Create a draft quotation from validated ``data`` (header fields and ``lines``), priced.

    The party must be a live one and the validity date must not be in the past.
    """
    quotation = Quotation(
        number=next_number(session, "quotation"),
        revision=1,
        party=party_for(session, data["party_id"]),
        currency=check_currency(data["currency"]),
        valid_until=_valid_until(data["valid_until"], today),
        discount=data.get("discount") or 0,
        status="draft",
        lost_reason="",
        lines=[],
    )
    session.add(quotation)
    insert_lines(session, quotation, QuotationLine, "quotation_id", data.get("lines", ()))
    price_quotation(session, hook, quotation)
    return quotation


def update_quotation(session, hook, quotation, data, today=None):
    """Change a draft's header (party, currency, validity date, discount) and reprice it.

    The currency changes only while no line has a typed unit price (409); the other lines are
    repriced in the new one (422 when an item has no price in it).
    """
    require_draft(quotation)
    if "party_id" in data:
        quotation.party = party_for(session, data["party_id"])
    if "currency" in data:
        change_currency(quotation, data["currency"], f"quotation {quotation.number}")
    if "valid_until" in data:
        quotation.valid_until = _valid_until(data["valid_until"], today)
    if "discount" in data:
        quotation.discount = data["discount"] or 0
    price_quotation(session, hook, quotation)
    return quotation


def _valid_until(value, today):
    if value < (today or date.today()):
        raise ValidationError("the validity date must not be in the past",
                              fields={"valid_until": ["Must not be in the past."]})
    return value


def add_lines(session, hook, quotation, lines):
    """Append validated ``lines`` to a draft and reprice it; returns the new lines."""
    require_draft(quotation)
    added = insert_lines(session, quotation, QuotationLine, "quotation_id", lines)
    price_quotation(session, hook, quotation)
    return added


def update_line(session, hook, quotation, line_id, data):
    """Change one line of a draft (item, quantity, typed price or discount) and reprice."""
    require_draft(quotation)
    line = line_of(quotation, line_id, f"quotation {quotation.number}")
    change_line(session, line, data)
    price_quotation(session, hook, quotation)
    return line


def remove_line(session, hook, quotation, line_id):
    """Remove one line of a draft and reprice."""
    require_draft(quotation)
    quotation.lines.remove(line_of(quotation, line_id, f"quotation {quotation.number}"))
    price_quotation(session, hook, quotation)


def price_quotation(session, hook, quotation):
    """Price every line of a draft in one pass, storing prices, totals and explanations.

    Prices follow the rules of today, for the quotation's party, currency and discount.
    """
    require_draft(quotation)
    lines = pricing_lines(quotation)
    context = PricingContext(
        currency=quotation.currency,
        date=date.today(),
        party_id=quotation.party.id,
        customer_group_id=quotation.party.customer_group_id,
        discount=quotation.discount,
        session=session,
    )
    result = price(hook, context, lines)
    figures = [result.total, *(figure for line in result.lines
                               for figure in (line.unit_price, line.amount, line.tax_amount))]
    if any(abs(figure) >= MAX_AMOUNT for figure in figures):
        raise ValidationError("the amounts are too large",
                              fields={"lines": ["Amounts must stay below 1,000,000,000,000."]})
    session.flush()  # every line has its id
    store_prices(session, quotation.lines, result)
    quotation.untaxed, quotation.tax, quotation.total = result.untaxed, result.tax, result.total
    session.flush()
    return result


def revise_quotation(session, hook, quotation):
    """Copy an open quotation into its next revision, a repriced draft with the same number;
    the revision copied is archived and stays read-only.  Returns the new revision."""
    if quotation.status not in OPEN:
        raise Conflict(_refusal(quotation, "revised"))
    quotation.status = "archived"
    revised = Quotation(
        number=quotation.number,
        revision=quotation.revision + 1,
        party=quotation.party,
        currency=quotation.currency,
        valid_until=quotation.valid_until,
        discount=quotation.discount,
        status="draft",
        lost_reason="",
        lines=[],
    )
    session.add(revised)
    insert_lines(session, revised, QuotationLine, "quotation_id", [
        {"item_id": line.item_id, "description": line.description, "quantity": line.quantity,
         "manual_price": line.manual_price, "manual_discount": line.manual_discount}
        for line in quotation.lines
    ])
    price_quotation(session, hook, revised)
    return revised


def send_quotation(session, hook, quotation, today=None):
    """Mark a draft as sent to the customer (refused once expired or without lines).

    It is priced a last time first: if any figure moved (a price list changed since), it stays
    a draft with its new prices and PricesChanged (409) is raised, to be sent again once checked.
    """
    require_draft(quotation)
    require_valid(quotation, "sent", today)
    if not quotation.lines:
        raise Conflict(f"quotation {quotation.number} has no lines to send")
    _price_a_last_time(session, hook, quotation, "send")
    quotation.status = "sent"
    session.flush()
    return quotation


def accept_quotation(session, hook, quotation, today=None):
    """The customer accepts a draft or sent quotation: it becomes a draft sales order.

    The order keeps exactly the quoted prices (each line's unit price and discount are given as
    typed ones) and the quotation keeps the link to it; a party not yet a customer becomes one.
    A sent quotation is taken as sent (the customer accepted that offer); a draft is priced a
    last time first, as when sending.  Refused once expired, or without lines.  Returns the
    order.
    """
    if quotation.status not in OPEN:
        raise Conflict(_refusal(quotation, "accepted"))
    require_valid(quotation, "accepted", today)
    if not quotation.lines:
        raise Conflict(f"quotation {quotation.number} has no lines to accept")
    if quotation.status == "draft":
        _price_a_last_time(session, hook, quotation, "accept")
    order = create_order(session, hook, {
        "type": "sales",
        "party_id": quotation.party_id,
        "currency": quotation.currency,
        "discount": quotation.discount,
        "lines": [
            {"item_id": line.item_id, "description": line.description,
             "quantity": line.quantity, "manual_price": line.unit_price,
             "manual_discount": line.discount,
             "price_source": f"quotation {quotation.number}"}
            for line in quotation.lines
        ],
    })
    quotation.order = order
    quotation.status = "accepted"
    advance_to(session, quotation.party, "customer", f"quotation {quotation.number} accepted")
    session.flush()
    return order


def _price_a_last_time(session, hook, quotation, action):
    """Reprice a draft; if any figure moved, keep the new prices and raise PricesChanged."""
    shown = figures_shown(quotation)
    price_quotation(session, hook, quotation)
    if figures_shown(quotation) != shown:
        raise PricesChanged(f"the prices of quotation {quotation.number} changed since it was "
                            f"last priced: the total is now {quotation.total} "
                            f"{quotation.currency}; check it and {action} it again")


def lose_quotation(session, quotation, reason):
    """Mark a draft or sent quotation as lost, with the ``reason`` the customer gave."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("a lost quotation needs a reason", fields={"reason": ["Required."]})
    if len(reason) > 256:
        raise ValidationError("the reason is too long",
                              fields={"reason": ["At most 256 characters."]})
    if quotation.status not in OPEN:
        raise Conflict(_refusal(quotation, "marked lost"))
    quotation.status = "lost"
    quotation.lost_reason = reason
    session.flush()
    return quotation


def require_draft(quotation):
    """Refuse (409) to change a quotation revision that is not a draft, saying why."""
    if quotation.status != "draft":
        raise Conflict(_refusal(quotation, "changed"))


def require_valid(quotation, action, today=None):
    """Refuse (409) to have an expired quotation ``action`` ("sent", "e-mailed"), saying how to
    make it valid again."""
    if quotation.shown_status(today) == "expired":
        remedy = ("give it a later validity date" if quotation.status == "draft"
                  else "revise it and give the revision a later validity date")
        raise Conflict(f"quotation {quotation.number} expired on {quotation.valid_until} and "
                       f"cannot be {action}: {remedy}")


def _refusal(quotation, action):
    name = f"quotation {quotation.number} revision {quotation.revision}"
    if quotation.status == "archived":
        return f"{name} is archived (a later revision replaces it) and cannot be {action}"
    return f"{name} is {quotation.status} and cannot be {action}"
