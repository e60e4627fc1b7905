"""Decision 15 across real processes: three ``authgate serve`` processes on one PostgreSQL
database and one Redis (and three on one SQLite file). Forty concurrent wrong sign-ins spread over them check at most
``auth_login_attempts`` passwords (every check is counted by a wrapper around the hasher in
each process), and the lock outlives a real Redis restart (Redis keeps nothing on disk here).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import ADMIN_TOKEN, BASE_ENV, PASSWORD, unique_email
from tests.support.backends import (
    postgres_database,
    redis_namespace,
    require_redis,
    sqlite_database,
)
from tests.support.instances import restart_redis

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
LIMIT = 5
# Each process counts the passwords it checks into one shared file (O_APPEND lines).
LAUNCHER = """
import os, sys
import authgate.passwords as passwords
original = passwords.PasswordHasher.verify
async def verify(self, stored, password):
    with open(os.environ["VERIFY_LOG"], "a") as log:
        log.write("checked\\n")
    return await original(self, stored, password)
passwords.PasswordHasher.verify = verify
from authgate.cli import main
sys.exit(main(["serve"]))
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"authgate serve exited with {process.returncode}", pytrace=False)
        try:
            if httpx.get(f"{url}/server/ping", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not start", pytrace=False)


@pytest.fixture(scope="module", params=["postgres+redis", "sqlite"])
def instances(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str], Path]]:
    tmp = tmp_path_factory.mktemp("instances")
    launcher = tmp / "launch.py"
    launcher.write_text(LAUNCHER)
    verify_log = tmp / "verified.log"
    verify_log.touch()
    with ExitStack() as stack:
        if request.param == "sqlite":
            store = stack.enter_context(sqlite_database(tmp))
        else:
            store = {
                **stack.enter_context(postgres_database()),
                **stack.enter_context(redis_namespace()),
            }
        env = {
            **BASE_ENV,
            **store,
            "IP_TRUST_PROXY": "true",
            # A real check's cost (tens of milliseconds), so that the attempts overlap.
            "HASH_MEMORY_COST": "19456",
            "HASH_TIME_COST": "2",
            "VERIFY_LOG": str(verify_log),
            "PATH": os.environ.get("PATH", ""),
        }
        urls, processes = [], []
        for n in range(3):
            port = _free_port()
            data = tmp / f"data{n}"
            data.mkdir()
            with (tmp / f"out{n}.log").open("wb") as out, (tmp / f"err{n}.log").open("wb") as err:
                process = subprocess.Popen(
                    [sys.executable, str(launcher)],
                    cwd=tmp,
                    env={**env, "PORT": str(port), "DATA_DIR": str(data)},
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                )
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
            if n == 0:  # the first one creates the schema and the admin; then the others
                _wait_ready(urls[0], process)
        try:
            for url, process in zip(urls, processes, strict=True):
                _wait_ready(url, process)
            yield request.param, urls, verify_log
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def _checked(log: Path) -> int:
    return len(log.read_text().splitlines())


def _login(url: str, email: str, password: str, address: str) -> int:
    return httpx.post(
        f"{url}/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=30,
    ).status_code


def test_forty_concurrent_wrong_sign_ins_over_three_instances_and_a_redis_restart(
    instances: tuple[str, list[str], Path],
) -> None:
    backend, urls, verify_log = instances
    assert httpx.patch(
        f"{urls[0]}/settings", json={"auth_login_attempts": LIMIT}, headers=ADMIN
    ).is_success
    email = unique_email("instances")
    created = httpx.post(
        f"{urls[1]}/users", json={"email": email, "password": PASSWORD}, headers=ADMIN
    )
    assert created.is_success, created.text
    before = _checked(verify_log)
    attacker = "198.51.100.77"

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = list(
            pool.map(lambda n: _login(urls[n % 3], email, "Wrong-Passw0rd!", attacker), range(40))
        )
    checked = _checked(verify_log) - before
    print(f"{backend}: 40 concurrent wrong sign-ins over 3 instances, {checked} passwords checked")
    if backend == "postgres+redis":  # (the SQLite instances use no Redis)
        require_redis()
        downtime = restart_redis()
        print(f"Redis restarted in {downtime:.2f} s")
    after_restart = [_login(url, email, PASSWORD, attacker) for url in urls]
    owner = _login(urls[2], email, PASSWORD, "203.0.113.77")

    assert answers == [401] * 40
    assert checked == LIMIT
    assert after_restart == [401, 401, 401]
    assert owner == 200
    assert _checked(verify_log) - before == LIMIT + 1  # only the owner's password was checked
