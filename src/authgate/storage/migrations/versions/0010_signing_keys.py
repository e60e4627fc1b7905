"""The keys access tokens are signed with when ``AUTH_JWT_ALGORITHM`` is asymmetric.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("signs_from", UTCDateTime(), nullable=False),
        sa.Column("retires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_authgate_signing_keys")),
        sa.UniqueConstraint("sequence", name=op.f("uq_authgate_signing_keys_sequence")),
    )


def downgrade() -> None:
    op.drop_table("authgate_signing_keys")
