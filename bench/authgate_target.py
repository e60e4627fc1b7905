"""authgate as the bench runs it: a real ``authgate serve`` on a fresh database.

Two phases on the same data:
1. seeding, on a server with argon2's cheapest parameters and no login stall: the admin's
   static token, the item collections (owner field indexed through ``/fields``), the role and
   policy, the bench user, and the refresh-token pool (hundreds of logins, which would take
   minutes with production hashing and say nothing about refresh); then the item rows, written
   straight into the database with the server stopped;
2. measuring, on servers with the production parameters (argon2id m=65536 t=3 p=4, 500 ms
   login stall, as Directus), rate limiter off, LOG_LEVEL=warn: the login and flood users are
   created there, so their hashes have the production parameters; ``verify_hashes`` checks.
"""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path

from bench.api import Api, UserFixtures
from bench.process import ServerProcess, base_env, free_port, tail
from bench.runner import say
from bench.scenarios import ITEM_ROWS
from bench.storage import Store, item_rows

PRODUCTION_HASH = {"HASH_MEMORY_COST": "65536", "HASH_TIME_COST": "3", "HASH_PARALLELISM": "4"}
PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"
CHEAP_HASH = {"HASH_MEMORY_COST": "8", "HASH_TIME_COST": "1", "HASH_PARALLELISM": "1"}


def collection_name(rows: int) -> str:
    return f"bench_items_{rows}"


class AuthgateFixtures(UserFixtures):
    def __init__(self, api: Api, password: str) -> None:
        super().__init__(api, password)
        self.pool: list[str] = []
        self.key = ""  # the bench user's API key, made while seeding

    def api_key(self) -> str:
        return self.key

    def refresh_tokens(self, count: int) -> list[str]:
        if len(self.pool) < count:  # more than planned (never in the standard set): log in
            more = count - len(self.pool)
            self.pool.extend(self.api.logins(self.user_email, self.user_password, more))
        taken, self.pool = self.pool[:count], self.pool[count:]
        return taken

    def collection(self, rows: int) -> str:
        return collection_name(rows)


class AuthgateTarget:
    name = "authgate"
    lacks: dict[str, str] = {}  # noqa: RUF012 - read only: authgate has every capability

    def __init__(self, workdir: Path, store: Store) -> None:
        self.workdir = workdir
        self.store = store
        self.data_dir = workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.admin_password = secrets.token_urlsafe(18)
        self.admin_token = f"bench-admin-static-{secrets.token_hex(16)}"
        self.secret = secrets.token_urlsafe(48)
        self.fixtures = AuthgateFixtures(Api(self.base_url), secrets.token_urlsafe(18))
        self.processes = 1
        self._server: ServerProcess | None = None
        self._user_id = ""
        self._role_id = ""

    # -- processes -------------------------------------------------------------------------

    def _env(self, processes: int, *, seeding: bool, signing: str = "HS256") -> dict[str, str]:
        return {
            **base_env(),
            **self.store.server_env(),
            "DATA_DIR": str(self.data_dir),
            "SECRET": self.secret,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WORKERS": str(processes),
            "LOG_LEVEL": "warn",
            "EMAIL_TRANSPORT": "file",
            "ADMIN_EMAIL": "admin@example.com",
            "ADMIN_PASSWORD": self.admin_password,
            "RATE_LIMITER_ENABLED": "false",
            "RATE_LIMITER_GLOBAL_ENABLED": "false",
            "RATE_LIMITER_REGISTRATION_ENABLED": "false",
            "HASH_TYPE": "2",
            **(CHEAP_HASH if seeding else PRODUCTION_HASH),
            "LOGIN_STALL_TIME": "0" if seeding else "500",
            "AUTH_JWT_ALGORITHM": signing,
        }

    def start(self, processes: int, *, seeding: bool = False, signing: str = "HS256") -> None:
        self.processes = processes
        self._server = ServerProcess(
            [str(Path(sys.executable).with_name("authgate")), "serve"],
            self._env(processes, seeding=seeding, signing=signing),
            self.workdir,
            self.workdir / "server.log",
        )
        try:
            Api(self.base_url).wait_ready(self._server.alive)
        except Exception:
            self.stop()
            raise RuntimeError(
                f"authgate did not start; its log:\n{tail(self._server.log_path)}"
            ) from None

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def pids(self) -> list[int]:
        return [self._server.pid] if self._server is not None else []

    # -- seeding ---------------------------------------------------------------------------

    def seed(self, refresh_tokens: int, item_rows_wanted: bool) -> None:
        """Phase 1 (see the module docstring); leaves the server stopped."""
        self.start(1, seeding=True)
        try:
            admin = self._seed_api(item_rows_wanted)
            fixtures = self.fixtures
            fixtures.pool = admin.logins(
                fixtures.user_email, fixtures.user_password, refresh_tokens
            )
            as_user = admin.with_token(fixtures.user_token)
            self._user_id = str(as_user.call("GET", "/users/me")["id"])
            fixtures.key = str(as_user.call("POST", "/users/me/keys", {"name": "bench"})["token"])
        finally:
            self.stop()
        if item_rows_wanted:
            for rows in ITEM_ROWS:
                started = time.monotonic()
                self.store.insert_items(collection_name(rows), item_rows(rows, self._user_id))
                say(f"[bench] {rows:,} rows written in {time.monotonic() - started:.1f} s")

    def _seed_api(self, with_items: bool) -> Api:
        api = Api(self.base_url)
        session = api.with_token(
            api.login("admin@example.com", self.admin_password)["access_token"]
        )
        session.call("PATCH", "/users/me", {"token": self.admin_token})
        admin = api.with_token(self.admin_token)
        # c64 logins of one user would trip the default lockout (25 attempts) otherwise
        admin.call("PATCH", "/settings", {"auth_login_attempts": None})
        permissions = []
        if with_items:
            for rows in ITEM_ROWS:
                self._create_collection(admin, collection_name(rows))
                permissions.append(
                    {
                        "collection": collection_name(rows),
                        "action": "read",
                        "fields": ["*"],
                        "permissions": {"owner": {"_eq": "$CURRENT_USER"}},
                    }
                )
        policy = admin.call(
            "POST",
            "/policies",
            {
                "name": "bench",
                "app_access": True,
                "admin_access": False,
                "permissions": permissions,
            },
        )
        role = admin.call(
            "POST", "/roles", {"name": "bench", "policies": [{"policy": policy["id"]}]}
        )
        self._role_id = str(role["id"])
        fixtures = self.fixtures
        admin.call(
            "POST",
            "/users",
            {
                "email": fixtures.user_email,
                "password": fixtures.user_password,
                "role": self._role_id,
                "status": "active",
                "token": fixtures.user_token,
            },
        )
        # The most common custom setup (issue 10): read on directus_users with *, no app
        # access, nothing on directus_access; the same policy as Directus's bench user.
        custom_policy = admin.call(
            "POST",
            "/policies",
            {
                "name": "bench-custom",
                "app_access": False,
                "admin_access": False,
                "permissions": [
                    {
                        "collection": "directus_users",
                        "action": "read",
                        "fields": ["*"],
                        "permissions": {},
                    }
                ],
            },
        )
        custom_role = admin.call(
            "POST",
            "/roles",
            {"name": "bench-custom", "policies": [{"policy": custom_policy["id"]}]},
        )
        admin.call(
            "POST",
            "/users",
            {
                "email": fixtures.custom_email,
                "password": fixtures.user_password,
                "role": custom_role["id"],
                "status": "active",
                "token": fixtures.custom_token,
            },
        )
        return admin

    @staticmethod
    def _create_collection(admin: Api, name: str) -> None:
        admin.call(
            "POST",
            "/collections",
            {
                "collection": name,
                "fields": [
                    {
                        "field": "id",
                        "type": "integer",
                        "schema": {"is_primary_key": True, "has_auto_increment": True},
                    },
                    {"field": "title", "type": "string"},
                ],
            },
        )
        # /collections creates no index; /fields does (schema.is_indexed -> CREATE INDEX)
        admin.call(
            "POST",
            f"/fields/{name}",
            {"field": "owner", "type": "uuid", "schema": {"is_indexed": True}},
        )

    # -- measuring -------------------------------------------------------------------------

    def start_measured(self, processes: int, signing: str = "HS256") -> None:
        """Phase 2: a server with production hashing, signing access tokens with ``signing``
        (the first EdDSA start generates its key); the login and flood users exist."""
        self.start(processes, signing=signing)
        self.fixtures.forget_jwts()
        admin = Api(self.base_url, self.admin_token)
        fixtures = self.fixtures
        existing = self.store.password_hashes([fixtures.login_email, fixtures.flood_email])
        for email in (fixtures.login_email, fixtures.flood_email):
            if email not in existing:
                admin.call(
                    "POST",
                    "/users",
                    {
                        "email": email,
                        "password": fixtures.login_password,
                        "role": self._role_id,
                        "status": "active",
                    },
                )
        self.verify_hashes()

    def verify_hashes(self) -> None:
        emails = [self.fixtures.login_email, self.fixtures.flood_email]
        hashes = self.store.password_hashes(emails)
        wrong = [e for e in emails if not hashes.get(e, "").startswith(PRODUCTION_PREFIX)]
        if wrong:
            raise RuntimeError(f"not hashed with m=65536,t=3,p=4: {', '.join(wrong)}")
