"""operator lockout counters move to the store (the citizens' user-wide lock, atomic counts)

Failed console sign-ins and the operator's lock are kept in the store by operator name
(``idp.console.sign_in_rules``, the citizens' ``idp.citizens.lockout`` rule), counted
atomically and alike for names without an operator, so the two columns go. Downgrade
brings them back empty (no lock).

Revision ID: e3a9c5d71f48
Revises: b7d41e0c9a52
Create Date: 2026-12-02 23:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "e3a9c5d71f48"
down_revision = "b7d41e0c9a52"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade():
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
