"""Services of the pricing module: price lists and their rules, and the price simulation.

Each function works inside the caller's transaction and raises a ComptoirError naming what is
wrong; the caller commits.  Changing a price list never touches an order: confirmed orders keep
the prices frozen when they were confirmed, and draft orders take the change when repriced.
"""

from sqlalchemy import func, select

from core.errors import NotFound, ValidationError
from core.models import CustomerGroup, Item, ItemGroup, Party
from core.money import check_currency, plain, price_text, round_money
from core.pricing import PricingContext, PricingItem, PricingLine, price
from plugins.pricing.models import PriceList, PriceRuleRow


def list_price_lists(session):
    """Every price list, by name, each with its number of rules: ``[(price list, count)]``."""
    return session.execute(
        select(PriceList, func.count(PriceRuleRow.id))
        .outerjoin(PriceRuleRow, PriceRuleRow.price_list_id == PriceList.id)
        .group_by(PriceList.id)
        .order_by(PriceList.name, PriceList.id)
    ).all()


def get_price_list(session, list_id):
    """The price list ``list_id``, or NotFound."""
    price_list = session.get(PriceList, list_id)
    if price_list is None:
        raise NotFound(f"price list {list_id} does not exist")
    return price_list


def create_price_list(session, data):
    """Create a price list from validated ``data`` (name, currency, active)."""
    price_list = PriceList(name=data["name"].strip(), currency=check_currency(data["currency"]),
                           active=data.get("active", True))
    session.add(price_list)
    session.flush()
    return price_list


def update_price_list(session, price_list, data):
    """Rename ``price_list`` or switch it on or off, from validated ``data``."""
    if "name" in data:
        price_list.name = data["name"].strip()
    if "active" in data:
        price_list.active = data["active"]
    session.flush()
    return price_list


def list_rules(session, price_list, page=1, per_page=25):
    """One page of ``price_list``'s rules, oldest first: ``(rules, total count)``."""
    query = select(PriceRuleRow).where(PriceRuleRow.price_list_id == price_list.id)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rules = session.scalars(
        query.order_by(PriceRuleRow.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return rules, total


def add_rule(session, price_list, data):
    """Add a rule to ``price_list`` from data validated by PriceRuleCreateSchema.

    The customer group and item group are given by code, the item by id; an unknown one is
    refused with a message on its field.
    """
    rule = PriceRuleRow(
        customer_group=_by_code(session, CustomerGroup, data.get("customer_group"),
                                "customer_group"),
        item=_item(session, data.get("item_id")),
        item_group=_by_code(session, ItemGroup, data.get("item_group"), "item_group"),
        min_quantity=data.get("min_quantity") or 0,
        start_date=data.get("start_date"),
        end_date=data.get("end_date"),
        price=data.get("price"),
        discount=data.get("discount"),
    )
    price_list.rules.append(rule)
    session.flush()
    return rule


def _by_code(session, model, code, field):
    if code is None:
        return None
    found = session.scalar(select(model).where(model.code == code))
    if found is None:
        label = field.replace("_", " ")
        raise ValidationError(f"unknown {label} {code!r}", fields={field: [f"Unknown {label}."]})
    return found


def _item(session, item_id):
    if item_id is None:
        return None
    item = session.get(Item, item_id)
    if item is None:
        raise ValidationError(f"item {item_id} does not exist",
                              fields={"item_id": ["Unknown item."]})
    return item


def delete_rule(session, price_list, rule_id):
    """Delete the rule ``rule_id`` of ``price_list`` (NotFound if the list has no such rule)."""
    rule = session.get(PriceRuleRow, rule_id)
    if rule is None or rule.price_list_id != price_list.id:
        raise NotFound(f"price list {price_list.name!r} has no rule {rule_id}")
    session.delete(rule)
    session.flush()


def simulate(session, hook, data):
    """Price a hypothetical order given as data validated by SimulationSchema; save nothing.

    The customer is a party (its customer group applies), a customer group, or nobody.  The
    items are loaded in one query and the whole order priced in one pass of the pricing chain,
    so the number of SQL statements does not grow with the number of lines.  Returns a dict
    shaped like SimulationResultSchema, money rounded to the currency.
    """
    currency = check_currency(data["currency"])
    party_id, group = data.get("party_id"), None
    if party_id is not None:
        group = _party(session, party_id).customer_group
    elif data.get("customer_group") is not None:
        group = _by_code(session, CustomerGroup, data["customer_group"], "customer_group")
    group_id = group.id if group else None
    items = _items(session, [line["item_id"] for line in data["lines"]])
    lines = [
        PricingLine(index, PricingItem.of(items[line["item_id"]]), line["quantity"],
                    line.get("unit_price"), line.get("discount"))
        for index, line in enumerate(data["lines"])
    ]
    context = PricingContext(currency=currency, date=data["date"], party_id=party_id,
                             customer_group_id=group_id, discount=data["discount"],
                             session=session)
    priced = price(hook, context, lines)
    return {
        "party_id": party_id,
        "customer_group": group.code if group else None,  # the party's, when a party is given
        "currency": currency,
        "date": data["date"],
        "discount": plain(data["discount"]),
        "lines": [_line_result(line, result, currency)
                  for line, result in zip(lines, priced.lines, strict=True)],
        "untaxed": priced.untaxed,
        "tax": priced.tax,
        "total": priced.total,
    }


def _party(session, party_id):
    party = session.get(Party, party_id)
    if party is None:
        raise ValidationError(f"party {party_id} does not exist",
                              fields={"party_id": ["Unknown customer."]})
    if party.merged_into_id is not None:
        raise ValidationError(
            f"party {party.name!r} was merged into party {party.merged_into_id}",
            fields={"party_id": [f"Merged into party {party.merged_into_id}."]},
        )
    return party


def _items(session, ids):
    """The items ``ids`` in one query, by id; unknown ones are refused on their line."""
    found = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(set(ids))))}
    missing = {index: {"item_id": ["Unknown item."]}
               for index, item_id in enumerate(ids) if item_id not in found}
    if missing:
        unknown = ", ".join(str(i) for i in sorted({ids[index] for index in missing}))
        raise ValidationError(f"unknown item {unknown}", fields={"lines": missing})
    return found


def _line_result(line, result, currency):
    return {
        "item_id": line.item.id,
        "item_number": line.item.number,
        "item_name": line.item.name,
        "quantity": plain(line.quantity),
        "unit_price": price_text(result.unit_price, currency),
        "discount": plain(result.discount),
        "tax_rate": plain(result.tax_rate),
        "amount": round_money(result.amount, currency),
        "tax_amount": round_money(result.tax_amount, currency),
        "explanation": result.explanation,
    }
