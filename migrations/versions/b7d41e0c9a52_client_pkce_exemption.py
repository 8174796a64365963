"""oauth_client.pkce_exempt: the operator's exemption from PKCE for a legacy agency

Revision ID: b7d41e0c9a52
Revises: 5d1f0b7c2e94
Create Date: 2026-12-02 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41e0c9a52'
down_revision = '5d1f0b7c2e94'
branch_labels = None
depends_on = None


def upgrade():
    # Existing clients are not exempt: PKCE S256 becomes required for every client, and an
    # operator exempts the legacy agencies that cannot send it (docs/agencies.md).
    with op.batch_alter_table('oauth_client', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('pkce_exempt', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('oauth_client', schema=None) as batch_op:
        batch_op.drop_column('pkce_exempt')
