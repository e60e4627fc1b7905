"""Failed sign-in checks per user and address (the lockout), and pending registrations.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import GUID, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_login_failures",
        sa.Column("user", GUID(), nullable=False),
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pending", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pending_at", UTCDateTime(), nullable=True),
        sa.Column("locks", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_failure", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_login_failures_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user", "scope", name=op.f("pk_authgate_login_failures")),
    )
    op.create_table(
        "authgate_pending_registrations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user", GUID(), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("first_name", sa.String(length=50), nullable=True),
        sa.Column("last_name", sa.String(length=50), nullable=True),
        sa.Column("expires", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_pending_registrations_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authgate_pending_registrations")),
    )
    op.create_index(
        "ix_authgate_pending_registrations_user",
        "authgate_pending_registrations",
        ["user"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        "ix_authgate_pending_registrations_user", table_name="authgate_pending_registrations"
    )
    op.drop_table("authgate_pending_registrations")
    op.drop_table("authgate_login_failures")
