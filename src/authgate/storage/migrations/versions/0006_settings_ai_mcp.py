"""The ``directus_settings`` columns Directus 12.4 added for its AI assistant and MCP server.

authgate serves neither feature, but clients (the Data Studio among them) read these keys from
``/settings``: they are stored and answered with Directus's defaults. The allowed-model lists
are written into the existing row, as Directus's own migration (20260110A) does.

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None

_DEFAULT_MODELS = {
    "ai_openai_allowed_models": ["gpt-5.4-nano", "gpt-5.4-mini", "gpt-5.4"],
    "ai_anthropic_allowed_models": ["claude-haiku-4-5", "claude-sonnet-4-6"],
    "ai_google_allowed_models": [
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-2.5-pro",
        "gemini-2.5-flash",
    ],
}


def _columns() -> list[sa.Column[object]]:
    def flag(name: str, default: str) -> sa.Column[object]:
        return sa.Column(name, sa.Boolean(), server_default=sa.text(default), nullable=False)

    return [
        flag("mcp_enabled", "false"),
        flag("mcp_allow_deletes", "false"),
        sa.Column("mcp_prompts_collection", sa.String(length=255), nullable=True),
        flag("mcp_system_prompt_enabled", "true"),
        sa.Column("mcp_system_prompt", sa.Text(), nullable=True),
        sa.Column("ai_openai_api_key", sa.Text(), nullable=True),
        sa.Column("ai_anthropic_api_key", sa.Text(), nullable=True),
        sa.Column("ai_system_prompt", sa.Text(), nullable=True),
        sa.Column("ai_google_api_key", sa.Text(), nullable=True),
        sa.Column("ai_openai_compatible_api_key", sa.Text(), nullable=True),
        sa.Column("ai_openai_compatible_base_url", sa.Text(), nullable=True),
        sa.Column("ai_openai_compatible_name", sa.Text(), nullable=True),
        sa.Column("ai_openai_compatible_models", sa.JSON(), nullable=True),
        sa.Column("ai_openai_compatible_headers", sa.JSON(), nullable=True),
        sa.Column("ai_openai_allowed_models", sa.JSON(), nullable=True),
        sa.Column("ai_anthropic_allowed_models", sa.JSON(), nullable=True),
        sa.Column("ai_google_allowed_models", sa.JSON(), nullable=True),
        sa.Column("ai_translation_default_model", sa.Text(), nullable=True),
        sa.Column("ai_translation_glossary", sa.JSON(), nullable=True),
        sa.Column("ai_translation_style_guide", sa.Text(), nullable=True),
        flag("mcp_oauth_enabled", "false"),
        flag("mcp_oauth_dcr_enabled", "false"),
        flag("mcp_oauth_cimd_enabled", "false"),
    ]


def upgrade() -> None:
    with op.batch_alter_table("directus_settings") as batch:
        for column in _columns():
            batch.add_column(column)
    settings = sa.table(
        "directus_settings", *(sa.column(name, sa.JSON()) for name in _DEFAULT_MODELS)
    )
    op.execute(settings.update().values(**_DEFAULT_MODELS))


def downgrade() -> None:
    with op.batch_alter_table("directus_settings") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
