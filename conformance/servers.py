"""Start and stop the two servers under comparison, with one configuration for both.

Directus is installed and started by the shared reference scripts (setup.sh, start.sh,
stop.sh); everything they write for this run (database, logs, mail, PID files) goes to a
temporary folder, never into the scripts' own folder (read-only in CI). authgate runs as a
real ``authgate serve`` process from the checkout's virtual environment.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "Admin-Passw0rd!"
SECRET = "conformance-secret-not-for-production-0123456789"

# Allow-listed mail link targets, the same on both servers.
RESET_URL = "http://example.com/reset-password"
REGISTER_URL = "http://example.com/verify-email"
INVITE_URL = "http://example.com/accept-invite"

# The configuration both servers get (Directus's variable names; authgate reads the same).
COMMON_ENV: dict[str, str] = {
    "SECRET": SECRET,
    "ADMIN_EMAIL": ADMIN_EMAIL,
    "ADMIN_PASSWORD": ADMIN_PASSWORD,
    "HOST": "127.0.0.1",
    "DB_CLIENT": "sqlite3",
    "ACCESS_TOKEN_TTL": "15m",
    "REFRESH_TOKEN_TTL": "7d",
    "SESSION_COOKIE_TTL": "1d",
    "PASSWORD_RESET_URL_ALLOW_LIST": RESET_URL,
    "USER_REGISTER_URL_ALLOW_LIST": REGISTER_URL,
    "USER_INVITE_URL_ALLOW_LIST": INVITE_URL,
    # Stalls lowered on both sides: the run measures answers, not timing.
    "LOGIN_STALL_TIME": "20",
    "REGISTER_STALL_TIME": "20",
    "PASSWORD_REQUEST_STALL_TIME": "20",
    # Cheap argon2 on both sides (users created by the run are hashed with these).
    "HASH_MEMORY_COST": "4096",
    "HASH_TIME_COST": "1",
    "HASH_PARALLELISM": "1",
    "RATE_LIMITER_ENABLED": "false",
    "RATE_LIMITER_GLOBAL_ENABLED": "false",
    "RATE_LIMITER_REGISTRATION_ENABLED": "false",
    "RATE_LIMITER_EMAIL_ENABLED": "false",
    "CORS_ENABLED": "true",
    "CORS_ORIGIN": "true",
    "CORS_CREDENTIALS": "true",
    "EMAIL_FROM": "no-reply@example.com",
    "EMAIL_TRANSPORT": "smtp",
    "EMAIL_SMTP_HOST": "127.0.0.1",
    "EMAIL_SMTP_SECURE": "false",
    "EMAIL_SMTP_IGNORE_TLS": "true",
    "EMAIL_SMTP_POOL": "false",
    "LOG_LEVEL": "warn",
    "LOG_STYLE": "raw",
}

# What the reference's npm needs to reach the registry too: the machine's extra certificate
# authorities (a TLS-inspecting proxy) and proxy settings. Without NODE_EXTRA_CA_CERTS the
# npm of setup.sh's own Node 22 fails with SELF_SIGNED_CERT_IN_CHAIN on such a machine.
NETWORK_ENV = (
    "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "npm_config_cafile",
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
)  # fmt: skip
_PASSED_THROUGH = (
    "PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CACHE_HOME", "REF_ROOT", *NETWORK_ENV,
)  # fmt: skip
START_TIMEOUT = 180.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def base_env() -> dict[str, str]:
    return {k: os.environ[k] for k in _PASSED_THROUGH if k in os.environ}


def wait_for_ping(base: str, timeout: float, alive: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and alive.poll() is not None:
            raise RuntimeError(f"server at {base} exited with {alive.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/server/ping", timeout=2) as answer:  # noqa: S310
                if answer.read() == b"pong":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer from {base}/server/ping after {timeout:.0f}s")


@dataclass
class Server:
    """One running server: its name ("authgate" or "directus"), base URL and mail folder."""

    name: str
    base: str
    mail_dir: Path
    log: Path
    stop_actions: list[subprocess.Popen[bytes]] = field(default_factory=list)


def _run(cmd: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}); log {log}:\n{tail}")


class Directus:
    """The reference Directus, driven by the shared scripts with this run's folders."""

    def __init__(self, scripts: Path, work: Path) -> None:
        self.scripts = scripts
        self.work = work / "directus"
        self.port = free_port()
        self.smtp_port = free_port()
        self.env = (
            base_env()
            | COMMON_ENV
            | {
                "PORT": str(self.port),
                "PUBLIC_URL": f"http://127.0.0.1:{self.port}",
                "DB_FILENAME": str(self.work / "data.db"),
                "STORAGE_LOCAL_ROOT": str(self.work / "uploads"),
                "EXTENSIONS_PATH": str(self.work / "extensions"),
                "DIRECTUS_PIDFILE": str(self.work / "directus.pid"),
                "DIRECTUS_LOG": str(self.work / "directus.log"),
                "SMTP_SINK_PIDFILE": str(self.work / "smtp_sink.pid"),
                "SMTP_SINK_LOG": str(self.work / "smtp_sink.log"),
                "MAIL_DIR": str(self.work / "mail"),
                "EMAIL_SMTP_PORT": str(self.smtp_port),
                "START_TIMEOUT": str(int(START_TIMEOUT)),
            }
        )
        self.server = Server(
            "directus", f"http://127.0.0.1:{self.port}", self.work / "mail", self.work / "run.log"
        )

    def start(self) -> Server:
        self.work.mkdir(parents=True, exist_ok=True)
        # setup.sh installs (once, into REF_ROOT) and bootstraps DB_FILENAME: a fresh database.
        _run(["bash", str(self.scripts / "setup.sh")], self.env, self.server.log)
        _run(["bash", str(self.scripts / "start.sh")], self.env, self.server.log)
        wait_for_ping(self.server.base, 30)
        return self.server

    def stop(self) -> None:
        if (self.work / "directus.pid").exists() or (self.work / "smtp_sink.pid").exists():
            subprocess.run(
                ["bash", str(self.scripts / "stop.sh")],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )


class Authgate:
    """``authgate serve`` from the checkout, with its own SMTP sink (the reference's sink)."""

    def __init__(self, checkout: Path, scripts: Path, work: Path) -> None:
        self.checkout = checkout
        self.scripts = scripts
        self.work = work / "authgate"
        self.port = free_port()
        self.smtp_port = free_port()
        self.env = (
            base_env()
            | COMMON_ENV
            | {
                "PORT": str(self.port),
                "PUBLIC_URL": f"http://127.0.0.1:{self.port}",
                "DATA_DIR": str(self.work / "data"),
                "DB_FILENAME": str(self.work / "data" / "data.db"),
                "EMAIL_SMTP_PORT": str(self.smtp_port),
                "REDIS_ENABLED": "false",
            }
        )
        self.server = Server(
            "authgate", f"http://127.0.0.1:{self.port}", self.work / "mail", self.work / "run.log"
        )
        self.procs: list[subprocess.Popen[bytes]] = []

    def _spawn(self, cmd: list[str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                cmd, env=self.env, cwd=self.work, stdout=out, stderr=subprocess.STDOUT
            )
        self.procs.append(proc)
        return proc

    def start(self) -> Server:
        (self.work / "data").mkdir(parents=True, exist_ok=True)
        self.server.mail_dir.mkdir(parents=True, exist_ok=True)
        sink = [sys.executable, str(self.scripts / "smtp_sink.py"), "--host", "127.0.0.1"]
        sink += ["--port", str(self.smtp_port), "--dir", str(self.server.mail_dir)]
        self._spawn(sink, self.work / "smtp_sink.log")
        exe = self.checkout / ".venv" / "bin" / "authgate"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "authgate"]
        proc = self._spawn([*cmd, "serve"], self.server.log)
        wait_for_ping(self.server.base, 60, alive=proc)
        return self.server

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.procs.clear()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
