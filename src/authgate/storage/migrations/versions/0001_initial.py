"""The Directus system tables, authgate's counters, and the public policy.

Revision ID: 0001
Revises:
"""

import uuid

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import GUID, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_authgate_counters")),
    )
    op.create_index(
        "ix_authgate_counters_expires_at", "authgate_counters", ["expires_at"], unique=False
    )

    op.create_table(
        "directus_activity",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=45), nullable=False),
        sa.Column("user", GUID(), nullable=True),
        sa.Column("timestamp", UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(length=50), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("collection", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=255), nullable=False),
        sa.Column("origin", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_activity")),
    )
    op.create_index(
        "ix_directus_activity_collection_item",
        "directus_activity",
        ["collection", "item"],
        unique=False,
    )

    op.create_table(
        "directus_policies",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("icon", sa.String(length=64), server_default="badge", nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("ip_access", sa.Text(), nullable=True),
        sa.Column("enforce_tfa", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("admin_access", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("app_access", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_policies")),
    )
    op.create_table(
        "directus_roles",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "icon", sa.String(length=64), server_default="supervised_user_circle", nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("parent", GUID(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent"], ["directus_roles.id"], name=op.f("fk_directus_roles_parent_directus_roles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_roles")),
    )
    op.create_table(
        "directus_permissions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("collection", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=True),
        sa.Column("validation", sa.JSON(), nullable=True),
        sa.Column("presets", sa.JSON(), nullable=True),
        sa.Column("fields", sa.Text(), nullable=True),
        sa.Column("policy", GUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy"],
            ["directus_policies.id"],
            name=op.f("fk_directus_permissions_policy_directus_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_permissions")),
    )
    op.create_index(
        "ix_directus_permissions_policy", "directus_permissions", ["policy"], unique=False
    )

    op.create_table(
        "directus_revisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("activity", sa.Integer(), nullable=False),
        sa.Column("collection", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=255), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("delta", sa.JSON(), nullable=True),
        sa.Column("parent", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity"],
            ["directus_activity.id"],
            name=op.f("fk_directus_revisions_activity_directus_activity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent"],
            ["directus_revisions.id"],
            name=op.f("fk_directus_revisions_parent_directus_revisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_revisions")),
    )
    op.create_table(
        "directus_settings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_name", sa.String(length=100), server_default="Directus", nullable=False),
        sa.Column("project_url", sa.String(length=255), nullable=True),
        sa.Column("project_color", sa.String(length=255), server_default="#6644FF", nullable=False),
        sa.Column("project_logo", GUID(), nullable=True),
        sa.Column("public_foreground", GUID(), nullable=True),
        sa.Column("public_background", GUID(), nullable=True),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column(
            "auth_login_attempts", sa.Integer(), server_default=sa.text("(25)"), nullable=True
        ),
        sa.Column("auth_password_policy", sa.String(length=100), nullable=True),
        sa.Column(
            "storage_asset_transform", sa.String(length=7), server_default="all", nullable=True
        ),
        sa.Column("storage_asset_presets", sa.JSON(), nullable=True),
        sa.Column("custom_css", sa.Text(), nullable=True),
        sa.Column("storage_default_folder", GUID(), nullable=True),
        sa.Column("basemaps", sa.JSON(), nullable=True),
        sa.Column("mapbox_key", sa.String(length=255), nullable=True),
        sa.Column("module_bar", sa.JSON(), nullable=True),
        sa.Column("project_descriptor", sa.String(length=100), nullable=True),
        sa.Column(
            "default_language", sa.String(length=255), server_default="en-US", nullable=False
        ),
        sa.Column("custom_aspect_ratios", sa.JSON(), nullable=True),
        sa.Column("public_favicon", GUID(), nullable=True),
        sa.Column(
            "default_appearance", sa.String(length=255), server_default="auto", nullable=False
        ),
        sa.Column("default_theme_light", sa.String(length=255), nullable=True),
        sa.Column("theme_light_overrides", sa.JSON(), nullable=True),
        sa.Column("default_theme_dark", sa.String(length=255), nullable=True),
        sa.Column("theme_dark_overrides", sa.JSON(), nullable=True),
        sa.Column("report_error_url", sa.String(length=255), nullable=True),
        sa.Column("report_bug_url", sa.String(length=255), nullable=True),
        sa.Column("report_feature_url", sa.String(length=255), nullable=True),
        sa.Column(
            "public_registration", sa.Boolean(), server_default=sa.text("(false)"), nullable=False
        ),
        sa.Column(
            "public_registration_verify_email",
            sa.Boolean(),
            server_default=sa.text("(true)"),
            nullable=False,
        ),
        sa.Column("public_registration_role", GUID(), nullable=True),
        sa.Column("public_registration_email_filter", sa.JSON(), nullable=True),
        sa.Column("visual_editor_urls", sa.JSON(), nullable=True),
        sa.Column("project_id", GUID(), nullable=True),
        sa.Column("project_owner", sa.String(length=255), nullable=True),
        sa.Column("project_usage", sa.String(length=255), nullable=True),
        sa.Column("org_name", sa.String(length=255), nullable=True),
        sa.Column("product_updates", sa.Boolean(), nullable=True),
        sa.Column("project_status", sa.String(length=255), nullable=True),
        sa.Column(
            "collaborative_editing_enabled",
            sa.Boolean(),
            server_default=sa.text("(false)"),
            nullable=False,
        ),
        sa.Column(
            "default_save_action",
            sa.String(length=255),
            server_default="save-and-quit",
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["public_registration_role"],
            ["directus_roles.id"],
            name=op.f("fk_directus_settings_public_registration_role_directus_roles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_settings")),
    )
    op.create_table(
        "directus_users",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("first_name", sa.String(length=50), nullable=True),
        sa.Column("last_name", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=128), nullable=True),
        sa.Column("password", sa.String(length=255), nullable=True),
        sa.Column("location", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=50), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("avatar", GUID(), nullable=True),
        sa.Column("language", sa.String(length=255), nullable=True),
        sa.Column("tfa_secret", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("role", GUID(), nullable=True),
        sa.Column("token", sa.String(length=255), nullable=True),
        sa.Column("last_access", UTCDateTime(), nullable=True),
        sa.Column("last_page", sa.String(length=255), nullable=True),
        sa.Column("provider", sa.String(length=128), server_default="default", nullable=False),
        sa.Column("external_identifier", sa.String(length=255), nullable=True),
        sa.Column("auth_data", sa.JSON(), nullable=True),
        sa.Column(
            "email_notifications", sa.Boolean(), server_default=sa.text("(true)"), nullable=True
        ),
        sa.Column("appearance", sa.String(length=255), nullable=True),
        sa.Column("theme_dark", sa.String(length=255), nullable=True),
        sa.Column("theme_light", sa.String(length=255), nullable=True),
        sa.Column("theme_light_overrides", sa.JSON(), nullable=True),
        sa.Column("theme_dark_overrides", sa.JSON(), nullable=True),
        sa.Column("text_direction", sa.String(length=255), server_default="auto", nullable=False),
        sa.ForeignKeyConstraint(
            ["role"],
            ["directus_roles.id"],
            name=op.f("fk_directus_users_role_directus_roles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_users")),
        sa.UniqueConstraint("email", name=op.f("uq_directus_users_email")),
        sa.UniqueConstraint(
            "external_identifier", name=op.f("uq_directus_users_external_identifier")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_directus_users_token")),
    )
    op.create_index("ix_directus_users_role", "directus_users", ["role"], unique=False)
    # Case-insensitive uniqueness of emails, enforced by the database itself.
    op.create_index(
        "uq_directus_users_email_lower", "directus_users", [sa.text("lower(email)")], unique=True
    )
    op.create_index(
        "ix_directus_users_external_identifier_lower",
        "directus_users",
        [sa.text("lower(external_identifier)")],
        unique=False,
    )

    op.create_table(
        "directus_access",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("role", GUID(), nullable=True),
        sa.Column("user", GUID(), nullable=True),
        sa.Column("policy", GUID(), nullable=False),
        sa.Column("sort", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["policy"],
            ["directus_policies.id"],
            name=op.f("fk_directus_access_policy_directus_policies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role"],
            ["directus_roles.id"],
            name=op.f("fk_directus_access_role_directus_roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_directus_access_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directus_access")),
    )
    op.create_index("ix_directus_access_role", "directus_access", ["role"], unique=False)
    op.create_index("ix_directus_access_user", "directus_access", ["user"], unique=False)

    op.create_table(
        "directus_sessions",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("user", GUID(), nullable=True),
        sa.Column("expires", UTCDateTime(), nullable=False),
        sa.Column("ip", sa.String(length=255), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("share", GUID(), nullable=True),
        sa.Column("origin", sa.String(length=255), nullable=True),
        sa.Column("next_token", sa.String(length=64), nullable=True),
        sa.Column("oauth_client", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_directus_sessions_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_directus_sessions")),
    )
    op.create_index("ix_directus_sessions_expires", "directus_sessions", ["expires"], unique=False)
    op.create_index(
        "ix_directus_sessions_live_expires",
        "directus_sessions",
        ["expires"],
        unique=False,
        sqlite_where=sa.text("next_token IS NULL"),
        postgresql_where=sa.text("next_token IS NULL"),
    )
    op.create_index(
        "ix_directus_sessions_next_token", "directus_sessions", ["next_token"], unique=False
    )
    op.create_index("ix_directus_sessions_user", "directus_sessions", ["user"], unique=False)

    _seed()


PUBLIC_POLICY_ID = "abf8a154-5b1c-4a46-ac9c-7300570f4f17"


def _seed() -> None:
    """What every Directus install has after its migrations: the public policy (fixed id),
    the access row that makes it public, and the settings singleton."""
    policies = sa.table(
        "directus_policies",
        sa.column("id", GUID()),
        sa.column("name", sa.String),
        sa.column("icon", sa.String),
        sa.column("description", sa.Text),
        sa.column("app_access", sa.Boolean),
        sa.column("admin_access", sa.Boolean),
    )
    access = sa.table(
        "directus_access",
        sa.column("id", GUID()),
        sa.column("role", GUID()),
        sa.column("user", GUID()),
        sa.column("policy", GUID()),
        sa.column("sort", sa.Integer),
    )
    settings = sa.table("directus_settings", sa.column("project_id", GUID()))
    op.bulk_insert(
        policies,
        [
            {
                "id": PUBLIC_POLICY_ID,
                "name": "$t:public_label",
                "icon": "public",
                "description": "$t:public_description",
                "app_access": False,
                "admin_access": False,
            }
        ],
    )
    op.bulk_insert(
        access,
        [
            {
                "id": str(uuid.uuid4()),
                "role": None,
                "user": None,
                "policy": PUBLIC_POLICY_ID,
                "sort": 1,
            }
        ],
    )
    op.bulk_insert(settings, [{"project_id": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_index("ix_directus_sessions_user", table_name="directus_sessions")
    op.drop_index("ix_directus_sessions_next_token", table_name="directus_sessions")
    op.drop_index("ix_directus_sessions_live_expires", table_name="directus_sessions")
    op.drop_index("ix_directus_sessions_expires", table_name="directus_sessions")

    op.drop_table("directus_sessions")
    op.drop_index("ix_directus_access_user", table_name="directus_access")
    op.drop_index("ix_directus_access_role", table_name="directus_access")

    op.drop_table("directus_access")
    op.drop_index("ix_directus_users_external_identifier_lower", table_name="directus_users")
    op.drop_index("uq_directus_users_email_lower", table_name="directus_users")
    op.drop_index("ix_directus_users_role", table_name="directus_users")

    op.drop_table("directus_users")
    op.drop_table("directus_settings")
    op.drop_table("directus_revisions")
    op.drop_index("ix_directus_permissions_policy", table_name="directus_permissions")

    op.drop_table("directus_permissions")
    op.drop_table("directus_roles")
    op.drop_table("directus_policies")
    op.drop_index("ix_directus_activity_collection_item", table_name="directus_activity")

    op.drop_table("directus_activity")
    op.drop_index("ix_authgate_counters_expires_at", table_name="authgate_counters")

    op.drop_table("authgate_counters")
