"""A token drawn again at every change of the rules, by triggers: pricing keeps the rules it read
in memory while the token stays the same, and reads the token alone.

What a pricing reads of the rules: the price lists and their rules, and the codes of item groups
and customer groups (named in explanations).  A random token rather than a
counter: a change rolled back leaves its token unused, so one token never stands for two sets of
rules.

Revision ID: pricing_0003
Revises: pricing_0002
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "pricing_0003"
down_revision = "pricing_0002"
branch_labels = None
depends_on = None

# What changes the rules pricing reads, by table.  On PostgreSQL one trigger per table watches
# them (and TRUNCATE of a pricing table); on SQLite one trigger per table and change.
WATCHED = {
    "pricing_price_list": ("INSERT", "UPDATE", "DELETE"),
    "pricing_rule": ("INSERT", "UPDATE", "DELETE"),
    "core_item_group": ("UPDATE OF code",),
    "core_customer_group": ("UPDATE OF code",),
}
DRAW = {"sqlite": "random()", "postgresql": "floor(random() * 9e18)::bigint"}


def upgrade():
    table = op.create_table(
        "pricing_rules_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_rules_version")),
    )
    dialect = op.get_bind().dialect.name
    draw = DRAW[dialect]
    op.execute(table.insert().values(id=1, token=sa.text(draw)))
    if dialect == "sqlite":
        for name, watched, event in _sqlite_triggers():
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {watched} "
                       f"BEGIN UPDATE pricing_rules_version SET token = {draw}; END")
        return
    # The table of the trigger's own schema, whatever the search path of the writer.
    op.execute("CREATE FUNCTION pricing_rules_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN EXECUTE format('UPDATE %I.pricing_rules_version SET token = "
               f"{draw}', TG_TABLE_SCHEMA); RETURN NULL; END $$")
    for watched, events in WATCHED.items():
        if "DELETE" in events:
            events += ("TRUNCATE",)
        op.execute(f"CREATE TRIGGER pricing_rules_changed AFTER {' OR '.join(events)} "
                   f"ON {watched} FOR EACH STATEMENT EXECUTE FUNCTION pricing_rules_changed()")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name, _watched, _event in _sqlite_triggers():
            op.execute(f"DROP TRIGGER {name}")
    else:
        for watched in WATCHED:
            op.execute(f"DROP TRIGGER pricing_rules_changed ON {watched}")
        op.execute("DROP FUNCTION pricing_rules_changed()")
    op.drop_table("pricing_rules_version")


def _sqlite_triggers():
    """``(name, table, change)`` of each SQLite trigger."""
    return [(f"pricing_rules_changed_{watched}_{event.split()[0].lower()}", watched, event)
            for watched, events in WATCHED.items() for event in events]
