"""citizen lockout counters move to the store (user-wide lock, atomic counts)

The wrong-password count, the number of locks and the lock's end are kept in the store
(``idp.citizens.lockout``), counted atomically and alike for user names without an
account, so the three columns go. Downgrade brings them back empty (no lock).

Revision ID: 3c5e7a9b1d20
Revises: 899b84067774
Create Date: 2026-12-02 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "3c5e7a9b1d20"
down_revision = "899b84067774"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("lockouts")
        batch_op.drop_column("failed_logins")


def downgrade():
    with op.batch_alter_table("citizen", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
