"""Passkeys (WebAuthn credentials) of users.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import GUID, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_passkeys",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("user", GUID(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("user_handle", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("backup_state", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=True),
        sa.Column("aaguid", sa.String(length=36), nullable=True),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_passkeys_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authgate_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_authgate_passkeys_credential_id")),
    )
    op.create_index("ix_authgate_passkeys_user", "authgate_passkeys", ["user"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_authgate_passkeys_user", table_name="authgate_passkeys")
    op.drop_table("authgate_passkeys")
