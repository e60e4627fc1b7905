"""Two-factor recovery codes, kept as keyed hashes (``authgate_recovery_codes``), and
``directus_sessions.authgate_mfa``: a session whose SSO provider asserted multi-factor.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import GUID, UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_recovery_codes",
        sa.Column("user", GUID(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_recovery_codes_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user", "digest", name=op.f("pk_authgate_recovery_codes")),
    )
    op.add_column("directus_sessions", sa.Column("authgate_mfa", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("directus_sessions") as batch:
        batch.drop_column("authgate_mfa")
    op.drop_table("authgate_recovery_codes")
