"""refresh tokens bound to a DPoP key (RFC 9449 §5.8)

``oauth_token.dpop_jkt``: the RFC 7638 thumbprint of the key a public client's refresh
token is bound to; empty for every existing row (none was bound).

Revision ID: a6c3d9e2f150
Revises: f4b2a8c61d07
Create Date: 2026-12-03 08:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "a6c3d9e2f150"
down_revision = "f4b2a8c61d07"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.drop_column("dpop_jkt")
