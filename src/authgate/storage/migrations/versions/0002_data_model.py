"""The data model's metadata (collections, fields, relations) and the cache epoch.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directus_collections",
        sa.Column("collection", sa.String(length=64), nullable=False),
        sa.Column("icon", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("display_template", sa.String(length=255), nullable=True),
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("singleton", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("archive_field", sa.String(length=64), nullable=True),
        sa.Column(
            "archive_app_filter", sa.Boolean(), server_default=sa.text("true"), nullable=False
        ),
        sa.Column("archive_value", sa.String(length=255), nullable=True),
        sa.Column("unarchive_value", sa.String(length=255), nullable=True),
        sa.Column("sort_field", sa.String(length=64), nullable=True),
        sa.Column("accountability", sa.String(length=255), server_default="all", nullable=True),
        sa.Column("color", sa.String(length=255), nullable=True),
        sa.Column("item_duplication_fields", sa.JSON(), nullable=True),
        sa.Column("sort", sa.Integer(), nullable=True),
        sa.Column("group", sa.String(length=64), nullable=True),
        sa.Column("collapse", sa.String(length=255), server_default="open", nullable=False),
        sa.Column("preview_url", sa.String(length=255), nullable=True),
        sa.Column("versioning", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("collection", name=op.f("pk_directus_collections")),
    )
    op.create_table(
        "directus_fields",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collection", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("special", sa.String(length=64), nullable=True),
        sa.Column("interface", sa.String(length=64), nullable=True),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("display", sa.String(length=64), nullable=True),
        sa.Column("display_options", sa.JSON(), nullable=True),
        sa.Column("readonly", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("hidden", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=True),
        sa.Column("width", sa.String(length=30), server_default="full", nullable=True),
        sa.Column("translations", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=True),
        sa.Column("required", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("group", sa.String(length=64), nullable=True),
        sa.Column("validation", sa.JSON(), nullable=True),
        sa.Column("validation_message", sa.Text(), nullable=True),
        sa.Column("searchable", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_fields")),
    )
    op.create_index(
        "ix_directus_fields_collection", "directus_fields", ["collection", "field"], unique=True
    )
    op.create_table(
        "directus_relations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("many_collection", sa.String(length=64), nullable=False),
        sa.Column("many_field", sa.String(length=64), nullable=False),
        sa.Column("one_collection", sa.String(length=64), nullable=True),
        sa.Column("one_field", sa.String(length=64), nullable=True),
        sa.Column("one_collection_field", sa.String(length=64), nullable=True),
        sa.Column("one_allowed_collections", sa.Text(), nullable=True),
        sa.Column("junction_field", sa.String(length=64), nullable=True),
        sa.Column("sort_field", sa.String(length=64), nullable=True),
        sa.Column(
            "one_deselect_action", sa.String(length=255), server_default="nullify", nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_relations")),
    )
    op.create_table(
        "authgate_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_authgate_state")),
    )
    state = sa.table("authgate_state", sa.column("key", sa.String), sa.column("value", sa.Integer))
    op.bulk_insert(state, [{"key": "epoch", "value": 1}])


def downgrade() -> None:
    op.drop_table("authgate_state")
    op.drop_table("directus_relations")
    op.drop_index("ix_directus_fields_collection", table_name="directus_fields")
    op.drop_table("directus_fields")
    op.drop_table("directus_collections")
