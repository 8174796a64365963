"""upstream identity providers and linked identities (federation)

``upstream``: the OpenID providers citizens may sign in with (VNeID and others);
``upstream_link``: an upstream identity (issuer, sub) linked to one citizen.

Revision ID: c8e1f5a2b934
Revises: a6c3d9e2f150
Create Date: 2026-12-03 10:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "c8e1f5a2b934"
down_revision = "a6c3d9e2f150"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "upstream",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_sealed", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("id_number_claim", sa.String(64), nullable=False),
        sa.Column("name_claim", sa.String(64), nullable=True),
        sa.Column("birthdate_claim", sa.String(64), nullable=True),
        sa.Column("phone_claim", sa.String(64), nullable=True),
        sa.Column("acr", sa.String(16), nullable=False),
        sa.Column("create_accounts", sa.Boolean(), nullable=False),
        sa.Column("link_without_password", sa.Boolean(), nullable=False),
        sa.Column("logout_upstream", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "upstream_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "upstream",
            sa.String(32),
            sa.ForeignKey("upstream.name", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column(
            "citizen_id",
            sa.Integer(),
            sa.ForeignKey("citizen.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("issuer", "subject", name="uq_upstream_link_identity"),
        sa.UniqueConstraint("upstream", "citizen_id", name="uq_upstream_link_citizen"),
    )
    op.create_index("ix_upstream_link_upstream", "upstream_link", ["upstream"])
    op.create_index("ix_upstream_link_citizen_id", "upstream_link", ["citizen_id"])


def downgrade():
    op.drop_table("upstream_link")
    op.drop_table("upstream")
