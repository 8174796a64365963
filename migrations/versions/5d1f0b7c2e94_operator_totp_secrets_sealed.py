"""operators' TOTP secrets encrypted at rest, like citizens'

Each operator's base32 secret becomes a Fernet token under a key derived from the
running SECRET_KEY with HKDF (label "idp operator authenticator-app secret", as in
idp/sealed_secrets.py; derived here so that this revision keeps working whatever the
application code becomes). The column widens to hold the token. Rows already sealed
(a Fernet token starts with "gAAAAA"; a base32 secret never has a lowercase letter) are
left alone, so a rerun changes nothing. Downgrade opens every token back to the secret.

Revision ID: 5d1f0b7c2e94
Revises: 3c5e7a9b1d20
Create Date: 2026-12-02 23:10:00

"""

import base64

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

revision = "5d1f0b7c2e94"
down_revision = "3c5e7a9b1d20"
branch_labels = None
depends_on = None

LABEL = b"idp operator authenticator-app secret"
TOKEN_START = "gAAAAA"

operator = sa.table(
    "operator", sa.column("id", sa.Integer), sa.column("totp_secret", sa.String)
)


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LABEL).derive(
        current_app.config["SECRET_KEY"].encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _rewrite(change) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(operator.c.id, operator.c.totp_secret)).all()
    for row_id, value in rows:
        new = change(value)
        if new != value:
            connection.execute(
                operator.update().where(operator.c.id == row_id).values(totp_secret=new)
            )


def upgrade():
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=False,
        )
    fernet = _fernet()
    _rewrite(
        lambda value: value
        if value.startswith(TOKEN_START)
        else fernet.encrypt(value.encode()).decode()
    )


def downgrade():
    fernet = _fernet()
    _rewrite(
        lambda value: fernet.decrypt(value.encode()).decode()
        if value.startswith(TOKEN_START)
        else value
    )
    with op.batch_alter_table("operator", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=False,
        )
