"""A posted invoice keeps the customer it was issued to (name, invoice address, e-mail), which
its document prints whatever the party becomes.

Invoices posted before this revision are given their party as it is now: what they were issued
to was not kept.

Revision ID: invoicing_0010
Revises: invoicing_0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "invoicing_0010"
down_revision = "invoicing_0009"
branch_labels = None
depends_on = None

invoices = sa.table("invoicing_invoice", sa.column("id", sa.Integer),
                    sa.column("party_id", sa.Integer), sa.column("status", sa.String),
                    sa.column("billed_to", sa.JSON().with_variant(JSONB(), "postgresql")))
parties = sa.table("core_party", sa.column("id", sa.Integer), sa.column("name", sa.String),
                   sa.column("email", sa.String))
addresses = sa.table("core_address", sa.column("id", sa.Integer),
                     sa.column("party_id", sa.Integer), sa.column("kind", sa.String),
                     sa.column("street", sa.String), sa.column("postcode", sa.String),
                     sa.column("city", sa.String), sa.column("country", sa.String))


def upgrade():
    op.add_column("invoicing_invoice", sa.Column("billed_to", invoices.c.billed_to.type,
                                                 nullable=True))
    connection = op.get_bind()
    posted = connection.execute(
        sa.select(invoices.c.id, parties.c.id, parties.c.name, parties.c.email)
        .join(parties, parties.c.id == invoices.c.party_id)
        .where(invoices.c.status == "posted")).all()
    if not posted:
        return
    # Each party's first invoice address, as core.parties.billing_details takes it.
    first = (sa.select(sa.func.min(addresses.c.id)).where(addresses.c.kind == "invoice")
             .group_by(addresses.c.party_id))
    address_of = {row.party_id: {"street": row.street, "postcode": row.postcode,
                                 "city": row.city, "country": row.country}
                  for row in connection.execute(sa.select(addresses)
                                                .where(addresses.c.id.in_(first)))}
    connection.execute(
        invoices.update().where(invoices.c.id == sa.bindparam("invoice_id"))
        .values(billed_to=sa.bindparam("billed")),
        [{"invoice_id": invoice_id,
          "billed": {"name": name, "email": email or None, "address": address_of.get(party_id)}}
         for invoice_id, party_id, name, email in posted])


def downgrade():
    op.drop_column("invoicing_invoice", "billed_to")
