"""Services on items: create, change and search them."""

from sqlalchemy import func, or_, select

from core.errors import NotFound, ValidationError
from core.models import Item, ItemGroup, TaxCategory
from core.money import check_currency
from core.parties import contains


def get_item(session, item_id):
    """The item ``item_id``, or NotFound."""
    item = session.get(Item, item_id)
    if item is None:
        raise NotFound(f"item {item_id} does not exist")
    return item


def search_items(session, text="", page=1, per_page=25):
    """Items whose number or name contains ``text``: ``(items, total count)``."""
    query = select(Item)
    if text:
        pattern = contains(text)
        query = query.where(or_(func.lower(Item.number).like(pattern, escape="\\"),
                                func.lower(Item.name).like(pattern, escape="\\")))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    items = session.scalars(
        query.order_by(Item.number).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return items, total


def create_item(session, data):
    """Create an item from validated ``data``; its number must be new."""
    if session.scalar(select(Item.id).where(Item.number == data["number"])) is not None:
        raise ValidationError(f"item number {data['number']!r} is taken",
                              fields={"number": ["This number is taken."]})
    item = Item()
    update_item(session, item, data)
    session.add(item)
    session.flush()
    return item


def update_item(session, item, data):
    """Change ``item`` from validated ``data`` (the number, once given, stays)."""
    for field in ("number", "name", "unit", "list_price", "stock_on_hand", "stocked"):
        if field in data and (field != "number" or item.number is None):
            setattr(item, field, data[field])
    if "currency" in data:
        item.currency = check_currency(data["currency"])
    if "tax_category" in data:
        item.tax_category = _by_code(session, TaxCategory, data["tax_category"], "tax_category")
    if "item_group" in data:
        group = data["item_group"]
        item.item_group = _by_code(session, ItemGroup, group, "item_group") if group else None
    return item


def _by_code(session, model, code, field):
    found = session.scalar(select(model).where(model.code == code))
    if found is None:
        label = field.replace("_", " ")
        raise ValidationError(f"unknown {label} {code!r}", fields={field: [f"Unknown {label}."]})
    return found
