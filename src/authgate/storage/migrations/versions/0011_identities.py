"""Linked identities (several providers, one account) and what an OpenID provider said about
the sessions it opened (the ID token for RP-initiated logout, ``sid``/``sub`` for back-channel
logout).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import GUID, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_identities",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("user", GUID(), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_identities_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authgate_identities")),
    )
    op.create_index(
        "uq_authgate_identities_provider_subject",
        "authgate_identities",
        ["provider", "subject"],
        unique=True,
    )
    op.create_index("ix_authgate_identities_user", "authgate_identities", ["user"])
    op.create_table(
        "authgate_sso_sessions",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user", GUID(), nullable=False),
        sa.Column("provider", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("sid", sa.String(length=255), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["token"],
            ["directus_sessions.token"],
            name=op.f("fk_authgate_sso_sessions_token_directus_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_sso_sessions_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_authgate_sso_sessions")),
    )
    op.create_index(
        "ix_authgate_sso_sessions_provider_sid", "authgate_sso_sessions", ["provider", "sid"]
    )
    op.create_index(
        "ix_authgate_sso_sessions_provider_subject",
        "authgate_sso_sessions",
        ["provider", "subject"],
    )


def downgrade() -> None:
    op.drop_table("authgate_sso_sessions")
    op.drop_table("authgate_identities")
