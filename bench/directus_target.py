"""The reference Directus 12.4 (``../shared/reference/directus`` from the checkout), run by its
own scripts.

An instance of its own: a free port, a fresh SQLite file, PID and log files in the bench's
temporary folder (its scripts take every path from the environment), so a Directus that
someone else runs on 8055 is left alone. Its defaults are the production ones: argon2id
m=65536 t=3 p=4, LOGIN_STALL_TIME 500 ms; its env.sh turns the rate limiters off.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from bench.api import Api, UserFixtures
from bench.process import base_env, free_port, tail

# shared/ lies beside the checkout (the project's root is bench/..); AUTHGATE_REFERENCE_DIR
# points elsewhere when it does not.
REFERENCE = Path(
    os.environ.get("AUTHGATE_REFERENCE_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "reference" / "directus"
)
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin-Passw0rd!"  # the reference's documented admin (a throwaway instance)


class DirectusFixtures(UserFixtures):
    def __init__(self, api: Api) -> None:
        super().__init__(api, f"Bench-{secrets.token_hex(8)}")
        # The bench user here already has exactly the custom policy (no app access).
        self.custom_email = self.user_email
        self.custom_token = self.user_token

    def refresh_tokens(self, count: int) -> list[str]:
        # real logins (about 12 a second); lockout is off, so 16 at a time is safe
        return self.api.logins(self.user_email, self.user_password, count, parallel=16)

    def collection(self, rows: int) -> str:
        raise RuntimeError("Directus is not given item collections (see DirectusTarget.lacks)")


class DirectusTarget:
    name = "directus"
    lacks = {  # noqa: RUF012 - read only
        "filtered_permissions": "Directus 12 without a license key refuses permission rows with "
        "filters (reference README)",
        "api_keys": "Directus has one static token per user, no API keys",
        "asymmetric_tokens": "Directus signs access tokens with SECRET only (HS256)",
    }

    def __init__(self, workdir: Path, reference: Path = REFERENCE) -> None:
        self.workdir = workdir
        self.reference = reference
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.pidfile = workdir / "directus.pid"
        self.log = workdir / "directus.log"
        self.fixtures = DirectusFixtures(Api(self.base_url))
        self.processes = 1
        self._started = False

    def _env(self) -> dict[str, str]:
        return {
            **base_env(),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "DB_FILENAME": str(self.workdir / "data" / "data.db"),
            "DIRECTUS_PIDFILE": str(self.pidfile),
            "DIRECTUS_LOG": str(self.log),
            "SMTP_SINK_PIDFILE": str(self.workdir / "smtp_sink.pid"),
            "SMTP_SINK_LOG": str(self.workdir / "smtp_sink.log"),
            "MAIL_DIR": str(self.workdir / "mail"),
            "EMAIL_SMTP_PORT": str(free_port()),
            "LOG_LEVEL": "warn",
        }

    def _script(self, name: str, timeout: float) -> None:
        log = self.workdir / f"{name}.log"
        with log.open("ab") as out:
            done = subprocess.run(  # noqa: S603 - the reference's own script
                ["/bin/bash", str(self.reference / name)],
                env=self._env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed ({done.returncode}):\n{tail(log)}\n{tail(self.log)}")

    def start(self) -> None:
        """Install if needed and bootstrap the fresh database (setup.sh), then start.sh."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._script("setup.sh", timeout=900)
        self._started = True
        self._script("start.sh", timeout=240)

    def stop(self) -> None:
        if self._started:
            self._script("stop.sh", timeout=60)
            self._started = False

    def pids(self) -> list[int]:
        try:
            return [int(self.pidfile.read_text().strip())]
        except (OSError, ValueError):
            return []

    def seed(self) -> None:
        """As the reference's perf_setup.mjs: a policy reading directus_users, a role, and
        three API users (no app access: Directus 12 caps app users at 3 without a license)."""
        api = Api(self.base_url)
        admin = api.with_token(api.login(ADMIN_EMAIL, ADMIN_PASSWORD)["access_token"])
        admin.call("PATCH", "/settings", {"auth_login_attempts": None})
        policy = admin.call(
            "POST",
            "/policies",
            {
                "name": "bench",
                "icon": "speed",
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
        role = admin.call(
            "POST",
            "/roles",
            {"name": "bench", "icon": "speed", "policies": [{"policy": policy["id"]}]},
        )
        f = self.fixtures
        for email, token in (
            (f.user_email, f.user_token),
            (f.login_email, None),
            (f.flood_email, None),
        ):
            user = {
                "email": email,
                "password": f.user_password,
                "role": role["id"],
                "status": "active",
            }
            if token is not None:
                user["token"] = token
            admin.call("POST", "/users", user)
