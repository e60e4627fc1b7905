"""The Directus system tables (names and columns as Directus has them) and authgate's own.

This metadata is what queries are built from; the Alembic migrations create the same schema,
and a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)

from authgate.storage.types import GUID, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

roles = Table(
    "directus_roles",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("icon", String(64), nullable=False, server_default="supervised_user_circle"),
    Column("description", Text),
    Column("parent", GUID, ForeignKey("directus_roles.id")),
)

users = Table(
    "directus_users",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("first_name", String(50)),
    Column("last_name", String(50)),
    Column("email", String(128), unique=True),
    Column("password", String(255)),
    Column("location", String(255)),
    Column("title", String(50)),
    Column("description", Text),
    Column("tags", JSON),
    Column("avatar", GUID),
    Column("language", String(255)),
    Column("tfa_secret", String(255)),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("role", GUID, ForeignKey("directus_roles.id", ondelete="SET NULL")),
    Column("token", String(255), unique=True),
    Column("last_access", UTCDateTime),
    Column("last_page", String(255)),
    Column("provider", String(128), nullable=False, server_default="default"),
    Column("external_identifier", String(255), unique=True),
    Column("auth_data", JSON),
    Column("email_notifications", Boolean, server_default=text("true")),
    Column("appearance", String(255)),
    Column("theme_dark", String(255)),
    Column("theme_light", String(255)),
    Column("theme_light_overrides", JSON),
    Column("theme_dark_overrides", JSON),
    Column("text_direction", String(255), nullable=False, server_default="auto"),
)
# Email uniqueness is case-insensitive (Directus checks it in code; here the database does).
Index("uq_directus_users_email_lower", func.lower(users.c.email), unique=True)
Index("ix_directus_users_external_identifier_lower", func.lower(users.c.external_identifier))
Index("ix_directus_users_role", users.c.role)

policies = Table(
    "directus_policies",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("icon", String(64), nullable=False, server_default="badge"),
    Column("description", Text),
    Column("ip_access", Text),
    Column("enforce_tfa", Boolean, nullable=False, server_default=text("false")),
    Column("admin_access", Boolean, nullable=False, server_default=text("false")),
    Column("app_access", Boolean, nullable=False, server_default=text("false")),
)

access = Table(
    "directus_access",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("role", GUID, ForeignKey("directus_roles.id", ondelete="CASCADE")),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE")),
    Column("policy", GUID, ForeignKey("directus_policies.id", ondelete="CASCADE"), nullable=False),
    Column("sort", Integer),
)
Index("ix_directus_access_role", access.c.role)
Index("ix_directus_access_user", access.c.user)

permissions = Table(
    "directus_permissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("collection", String(64), nullable=False),
    Column("action", String(10), nullable=False),
    Column("permissions", JSON),
    Column("validation", JSON),
    Column("presets", JSON),
    Column("fields", Text),
    Column("policy", GUID, ForeignKey("directus_policies.id", ondelete="CASCADE"), nullable=False),
)
Index("ix_directus_permissions_policy", permissions.c.policy)

# ``token`` and ``next_token`` hold keyed hashes of the tokens, never the tokens themselves.
sessions = Table(
    "directus_sessions",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE")),
    Column("expires", UTCDateTime, nullable=False),
    Column("ip", String(255)),
    Column("user_agent", Text),
    Column("share", GUID),
    Column("origin", String(255)),
    Column("next_token", String(64)),
    Column("oauth_client", String(255)),
    # authgate's own: the SSO provider asserted multi-factor sign-in (``amr``/``acr``) and
    # its ``TRUST_MFA`` says to trust it; kept along the refresh chain.
    Column("authgate_mfa", Boolean),
)
Index("ix_directus_sessions_user", sessions.c.user)
Index("ix_directus_sessions_next_token", sessions.c.next_token)
Index("ix_directus_sessions_expires", sessions.c.expires)
# Live sessions by expiry: purging expired sessions must not scan every tombstone.
Index(
    "ix_directus_sessions_live_expires",
    sessions.c.expires,
    sqlite_where=sessions.c.next_token.is_(None),
    postgresql_where=sessions.c.next_token.is_(None),
)

settings = Table(
    "directus_settings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_name", String(100), nullable=False, server_default="Directus"),
    Column("project_url", String(255)),
    Column("project_color", String(255), nullable=False, server_default="#6644FF"),
    Column("project_logo", GUID),
    Column("public_foreground", GUID),
    Column("public_background", GUID),
    Column("public_note", Text),
    Column("auth_login_attempts", Integer, server_default=text("25")),
    Column("auth_password_policy", String(100)),
    Column("storage_asset_transform", String(7), server_default="all"),
    Column("storage_asset_presets", JSON),
    Column("custom_css", Text),
    Column("storage_default_folder", GUID),
    Column("basemaps", JSON),
    Column("mapbox_key", String(255)),
    Column("module_bar", JSON),
    Column("project_descriptor", String(100)),
    Column("default_language", String(255), nullable=False, server_default="en-US"),
    Column("custom_aspect_ratios", JSON),
    Column("public_favicon", GUID),
    Column("default_appearance", String(255), nullable=False, server_default="auto"),
    Column("default_theme_light", String(255)),
    Column("theme_light_overrides", JSON),
    Column("default_theme_dark", String(255)),
    Column("theme_dark_overrides", JSON),
    Column("report_error_url", String(255)),
    Column("report_bug_url", String(255)),
    Column("report_feature_url", String(255)),
    Column("public_registration", Boolean, nullable=False, server_default=text("false")),
    Column(
        "public_registration_verify_email", Boolean, nullable=False, server_default=text("true")
    ),
    Column("public_registration_role", GUID, ForeignKey("directus_roles.id", ondelete="SET NULL")),
    Column("public_registration_email_filter", JSON),
    Column("visual_editor_urls", JSON),
    Column("project_id", GUID),
    Column("project_owner", String(255)),
    Column("project_usage", String(255)),
    Column("org_name", String(255)),
    Column("product_updates", Boolean),
    Column("project_status", String(255)),
    Column("collaborative_editing_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("default_save_action", String(255), server_default="save-and-quit"),
    # Directus 12.4's AI assistant and MCP server settings: not served by authgate, stored and
    # answered because clients read them (migration 0006).
    Column("mcp_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("mcp_allow_deletes", Boolean, nullable=False, server_default=text("false")),
    Column("mcp_prompts_collection", String(255)),
    Column("mcp_system_prompt_enabled", Boolean, nullable=False, server_default=text("true")),
    Column("mcp_system_prompt", Text),
    Column("ai_openai_api_key", Text),
    Column("ai_anthropic_api_key", Text),
    Column("ai_system_prompt", Text),
    Column("ai_google_api_key", Text),
    Column("ai_openai_compatible_api_key", Text),
    Column("ai_openai_compatible_base_url", Text),
    Column("ai_openai_compatible_name", Text),
    Column("ai_openai_compatible_models", JSON),
    Column("ai_openai_compatible_headers", JSON),
    Column("ai_openai_allowed_models", JSON),
    Column("ai_anthropic_allowed_models", JSON),
    Column("ai_google_allowed_models", JSON),
    Column("ai_translation_default_model", Text),
    Column("ai_translation_glossary", JSON),
    Column("ai_translation_style_guide", Text),
    Column("mcp_oauth_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("mcp_oauth_dcr_enabled", Boolean, nullable=False, server_default=text("false")),
    Column("mcp_oauth_cimd_enabled", Boolean, nullable=False, server_default=text("false")),
)

activity = Table(
    "directus_activity",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(45), nullable=False),
    Column("user", GUID),
    Column("timestamp", UTCDateTime, nullable=False),
    Column("ip", String(50)),
    Column("user_agent", Text),
    Column("collection", String(64), nullable=False),
    Column("item", String(255), nullable=False),
    Column("origin", String(255)),
)
Index("ix_directus_activity_collection_item", activity.c.collection, activity.c.item)

revisions = Table(
    "directus_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "activity", Integer, ForeignKey("directus_activity.id", ondelete="CASCADE"), nullable=False
    ),
    Column("collection", String(64), nullable=False),
    Column("item", String(255), nullable=False),
    Column("data", JSON),
    Column("delta", JSON),
    Column("parent", Integer, ForeignKey("directus_revisions.id")),
)

# authgate's own: counters shared by every instance when no Redis is configured (login
# attempts, rate limits, used TOTP steps).
counters = Table(
    "authgate_counters",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("expires_at", UTCDateTime),
)
Index("ix_authgate_counters_expires_at", counters.c.expires_at)

# authgate's own: failed password and one-time-code checks, one row per user and client
# address (``scope``) plus one per user for the whole account (``scope`` "*"). Kept in the
# database so that a lock outlives a Redis restart; updated under a row lock (see
# ``lockout/repo.py``).
login_failures = Table(
    "authgate_login_failures",
    metadata,
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), primary_key=True),
    Column("scope", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, server_default=text("0")),
    Column("pending", Integer, nullable=False, server_default=text("0")),
    Column("pending_at", UTCDateTime),
    Column("locks", Integer, nullable=False, server_default=text("0")),
    Column("locked_until", UTCDateTime),
    Column("last_failure", UTCDateTime),
)

# authgate's own: registrations of an address still waiting for verification, one per mailed
# link (keyed by a hash of the link's nonce), each with the password chosen in it.
pending_registrations = Table(
    "authgate_pending_registrations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False),
    Column("password", String(255), nullable=False),
    Column("first_name", String(50)),
    Column("last_name", String(50)),
    Column("expires", UTCDateTime, nullable=False),
)
Index("ix_authgate_pending_registrations_user", pending_registrations.c.user)

# The data model's own metadata, as Directus keeps it.
collections_meta = Table(
    "directus_collections",
    metadata,
    Column("collection", String(64), primary_key=True),
    Column("icon", String(64)),
    Column("note", Text),
    Column("display_template", String(255)),
    Column("hidden", Boolean, nullable=False, server_default=text("false")),
    Column("singleton", Boolean, nullable=False, server_default=text("false")),
    Column("translations", JSON),
    Column("archive_field", String(64)),
    Column("archive_app_filter", Boolean, nullable=False, server_default=text("true")),
    Column("archive_value", String(255)),
    Column("unarchive_value", String(255)),
    Column("sort_field", String(64)),
    Column("accountability", String(255), server_default="all"),
    Column("color", String(255)),
    Column("item_duplication_fields", JSON),
    Column("sort", Integer),
    Column("group", String(64)),
    Column("collapse", String(255), nullable=False, server_default="open"),
    Column("preview_url", String(255)),
    Column("versioning", Boolean, nullable=False, server_default=text("false")),
)

fields_meta = Table(
    "directus_fields",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("collection", String(64), nullable=False),
    Column("field", String(64), nullable=False),
    Column("special", String(64)),
    Column("interface", String(64)),
    Column("options", JSON),
    Column("display", String(64)),
    Column("display_options", JSON),
    Column("readonly", Boolean, nullable=False, server_default=text("false")),
    Column("hidden", Boolean, nullable=False, server_default=text("false")),
    Column("sort", Integer),
    Column("width", String(30), server_default="full"),
    Column("translations", JSON),
    Column("note", Text),
    Column("conditions", JSON),
    Column("required", Boolean, server_default=text("false")),
    Column("group", String(64)),
    Column("validation", JSON),
    Column("validation_message", Text),
    Column("searchable", Boolean, nullable=False, server_default=text("true")),
)
Index("ix_directus_fields_collection", fields_meta.c.collection, fields_meta.c.field, unique=True)

relations_meta = Table(
    "directus_relations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("many_collection", String(64), nullable=False),
    Column("many_field", String(64), nullable=False),
    Column("one_collection", String(64)),
    Column("one_field", String(64)),
    Column("one_collection_field", String(64)),
    Column("one_allowed_collections", Text),
    Column("junction_field", String(64)),
    Column("sort_field", String(64)),
    Column("one_deselect_action", String(255), nullable=False, server_default="nullify"),
)

# authgate's own: numbers every instance reads to know when its caches are stale. ``epoch`` is
# bumped in the same transaction as any change to roles, policies, access, permissions,
# collections, fields or relations.
state = Table(
    "authgate_state",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

# authgate's own: passkeys (WebAuthn credentials), one row per credential. ``credential_id``,
# ``public_key`` (the COSE key) and ``user_handle`` are base64url text; the user handle is
# random (never the email or the user id) and the same for every passkey of a user.
passkeys = Table(
    "authgate_passkeys",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False),
    Column("credential_id", String(1400), nullable=False, unique=True),
    Column("public_key", Text, nullable=False),
    Column("user_handle", String(128), nullable=False),
    Column("name", String(255), nullable=False),
    Column("sign_count", BigInteger, nullable=False, server_default=text("0")),
    Column("backup_eligible", Boolean, nullable=False, server_default=text("false")),
    Column("backup_state", Boolean, nullable=False, server_default=text("false")),
    Column("transports", JSON),
    Column("aaguid", String(36)),
    Column("created", UTCDateTime, nullable=False),
    Column("last_used", UTCDateTime),
)
Index("ix_authgate_passkeys_user", passkeys.c.user)

# authgate's own: a user's unused two-factor recovery codes, each kept only as a keyed hash
# (HMAC-SHA-256 under a key derived from ``SECRET``, bound to the user). A code is used by
# deleting its row: of two sign-ins racing with one code, one deletes it, the other finds
# nothing (``users/recovery_codes.py``).
recovery_codes = Table(
    "authgate_recovery_codes",
    metadata,
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), primary_key=True),
    Column("digest", String(64), primary_key=True),
    Column("created", UTCDateTime, nullable=False),
)

# authgate's own: a session's identity across refresh rotations. Every row of a rotation chain
# in ``directus_sessions`` names the same ``authgate_sessions`` row, whose ``id`` is the
# session's public id (never a token or a hash of one), with what was first seen of the client.
# ``last_used`` moves at login and at each refresh only (no write per request).
session_info = Table(
    "authgate_sessions",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False),
    Column("created", UTCDateTime),
    Column("last_used", UTCDateTime),
    Column("mode", String(16)),
    Column("ip", String(255)),
    Column("user_agent", Text),
)
Index("ix_authgate_sessions_user", session_info.c.user)
sessions.append_column(Column("authgate_session", GUID))
Index("ix_directus_sessions_authgate_session", sessions.c.authgate_session)

# authgate's own: API keys, several per user, used like a static token. ``token`` is the keyed
# hash of the secret; ``limited`` keys reach only the policies listed for them in
# ``authgate_api_key_policies`` that the user still has.
api_keys = Table(
    "authgate_api_keys",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("created", UTCDateTime, nullable=False),
    Column("expires", UTCDateTime),
    Column("last_used", UTCDateTime),
    Column("limited", Boolean, nullable=False, server_default=text("false")),
)
Index("ix_authgate_api_keys_user", api_keys.c.user)

api_key_policies = Table(
    "authgate_api_key_policies",
    metadata,
    Column(
        "key",
        GUID,
        ForeignKey("authgate_api_keys.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "policy",
        GUID,
        ForeignKey("directus_policies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

# authgate's own: the keys access tokens are signed with when AUTH_JWT_ALGORITHM is asymmetric
# (``signing/``). ``private_key`` is sealed under SECRET (AES-GCM, ``signing/sealing.py``);
# ``sequence`` is unique, so two instances that both create "the next key" at once cannot
# both succeed: the loser reads the winner's key back.
signing_keys = Table(
    "authgate_signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("sequence", Integer, nullable=False, unique=True),
    Column("algorithm", String(16), nullable=False),
    Column("public_key", Text, nullable=False),  # the JWK, as JSON
    Column("private_key", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("signs_from", UTCDateTime, nullable=False),
    Column("retires_at", UTCDateTime),
)

# authgate's own: identities of other providers linked to an account (issue 15). The user's
# own ``provider``/``external_identifier`` stay where Directus keeps them; these are extra.
# ``subject`` is the provider's subject (OpenID ``sub``), never an email.
identities = Table(
    "authgate_identities",
    metadata,
    Column("id", GUID, primary_key=True),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(128), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("linked_at", UTCDateTime, nullable=False),
)
Index(
    "uq_authgate_identities_provider_subject",
    identities.c.provider,
    identities.c.subject,
    unique=True,
)
Index("ix_authgate_identities_user", identities.c.user)

# authgate's own: what an OpenID provider said about a session it opened (RP-initiated and
# back-channel logout). ``token`` follows the session row through rotation; ``id_token`` is
# sealed (AES-GCM under SECRET), never answered.
sso_sessions = Table(
    "authgate_sso_sessions",
    metadata,
    Column(
        "token",
        String(64),
        ForeignKey("directus_sessions.token", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user", GUID, ForeignKey("directus_users.id", ondelete="CASCADE"), nullable=False),
    Column("provider", String(128), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("sid", String(255)),
    Column("id_token", Text),
)
Index("ix_authgate_sso_sessions_provider_sid", sso_sessions.c.provider, sso_sessions.c.sid)
Index("ix_authgate_sso_sessions_provider_subject", sso_sessions.c.provider, sso_sessions.c.subject)
