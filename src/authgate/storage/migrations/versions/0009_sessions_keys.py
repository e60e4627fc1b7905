"""Own sessions and API keys: a session's public id that survives refresh rotations
(``authgate_sessions``, named by ``directus_sessions.authgate_session``), and API keys
(``authgate_api_keys``, limited to policies by ``authgate_api_key_policies``).

Existing sessions get a public id per rotation chain (every row of a chain the same one), so
that they are listed and can be ended; what was not recorded then (created, mode) is left
empty.

Revision ID: 0009
Revises: 0008
"""

import uuid

import sqlalchemy as sa
from alembic import op

from authgate.storage.types import GUID, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authgate_sessions",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("user", GUID(), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=True),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.Column("mode", sa.String(length=16), nullable=True),
        sa.Column("ip", sa.String(length=255), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_sessions_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authgate_sessions")),
    )
    op.create_index("ix_authgate_sessions_user", "authgate_sessions", ["user"], unique=False)
    op.add_column("directus_sessions", sa.Column("authgate_session", GUID(), nullable=True))
    op.create_index(
        "ix_directus_sessions_authgate_session",
        "directus_sessions",
        ["authgate_session"],
        unique=False,
    )
    op.create_table(
        "authgate_api_keys",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("user", GUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created", UTCDateTime(), nullable=False),
        sa.Column("expires", UTCDateTime(), nullable=True),
        sa.Column("last_used", UTCDateTime(), nullable=True),
        sa.Column("limited", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["directus_users.id"],
            name=op.f("fk_authgate_api_keys_user_directus_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authgate_api_keys")),
        sa.UniqueConstraint("token", name=op.f("uq_authgate_api_keys_token")),
    )
    op.create_index("ix_authgate_api_keys_user", "authgate_api_keys", ["user"], unique=False)
    op.create_table(
        "authgate_api_key_policies",
        sa.Column("key", GUID(), nullable=False),
        sa.Column("policy", GUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key"],
            ["authgate_api_keys.id"],
            name=op.f("fk_authgate_api_key_policies_key_authgate_api_keys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy"],
            ["directus_policies.id"],
            name=op.f("fk_authgate_api_key_policies_policy_directus_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "policy", name=op.f("pk_authgate_api_key_policies")),
    )
    _identify_existing_sessions()


def _identify_existing_sessions() -> None:
    """One public id per rotation chain of the sessions that exist (walked in Python: a few
    rows per signed-in user, and the same code on SQLite and PostgreSQL)."""
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            'SELECT token, next_token, "user", ip, user_agent FROM directus_sessions'
            ' WHERE "user" IS NOT NULL'
        )
    ).all()
    successor = {row[0]: row[1] for row in rows}
    predecessors: dict[str, list[str]] = {}
    for token, next_token in successor.items():
        if next_token is not None:
            predecessors.setdefault(next_token, []).append(token)
    assigned: dict[str, str] = {}
    info = sa.table(
        "authgate_sessions",
        sa.column("id"),
        sa.column("user"),
        sa.column("ip"),
        sa.column("user_agent"),
    )
    for token, _, user, ip, user_agent in rows:
        if successor[token] is not None and successor[token] in successor:
            continue  # not a chain's newest row
        public_id = str(uuid.uuid4())
        conn.execute(sa.insert(info).values(id=public_id, user=user, ip=ip, user_agent=user_agent))
        stack = [token]
        while stack:
            member = stack.pop()
            if member in assigned:
                continue
            assigned[member] = public_id
            stack.extend(predecessors.get(member, []))
    for token, public_id in assigned.items():
        conn.execute(
            sa.text("UPDATE directus_sessions SET authgate_session = :id WHERE token = :token"),
            {"id": public_id, "token": token},
        )


def downgrade() -> None:
    op.drop_table("authgate_api_key_policies")
    op.drop_index("ix_authgate_api_keys_user", table_name="authgate_api_keys")
    op.drop_table("authgate_api_keys")
    op.drop_index("ix_directus_sessions_authgate_session", table_name="directus_sessions")
    op.drop_column("directus_sessions", "authgate_session")
    op.drop_index("ix_authgate_sessions_user", table_name="authgate_sessions")
    op.drop_table("authgate_sessions")
