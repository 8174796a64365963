"""oauth_token holds refresh tokens only: access tokens move to the store

Access tokens are no longer rows (``idp.oidc.access_tokens``: a store record for opaque
tokens, nothing for JWTs). ``access_token_hash`` stays, nullable, as the access token
issued with each refresh token (RFC 7009: revoking either revokes both). Rows without a
refresh token are deleted: the access tokens they stood for stop working at the upgrade
(clients get ``invalid_token`` and ask again). Downgrade keeps the refresh rows.

Revision ID: f4b2a8c61d07
Revises: e3a9c5d71f48
Create Date: 2026-12-03 04:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "f4b2a8c61d07"
down_revision = "e3a9c5d71f48"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("DELETE FROM oauth_token WHERE refresh_token_hash IS NULL")
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.alter_column("access_token_hash", existing_type=sa.String(64), nullable=True)


def downgrade():
    op.execute("DELETE FROM oauth_token WHERE access_token_hash IS NULL")
    with op.batch_alter_table("oauth_token", schema=None) as batch_op:
        batch_op.alter_column("access_token_hash", existing_type=sa.String(64), nullable=False)
