"""The fault suite (issue 12): three ``authgate serve`` processes on one PostgreSQL database and
one Redis namespace, under a modest load from a few client threads (sign-ins, wrong sign-ins,
refreshes of a pool of refresh tokens in json mode with each successor fed back, ``/users/me``,
password-reset requests), while PostgreSQL is restarted, then Redis, then one instance is
killed with ``SIGKILL``.

Each fault asserts: no ``500`` (an outage answers ``503`` with ``Retry-After``), and every kind
of request succeeds again on every surviving instance within one second of the service
answering again (measured from the first answer of the service's own client to the first
``2xx`` of each kind on each instance, and printed with the number of requests and the errors
by status: ``pytest -s`` shows them). The last test checks what the whole run left behind: no
refresh token with two successors or none, no session, ``login`` activity row or mail left by
a request that answered an error, and each surviving instance's ``GET /metrics`` counting the
sign-ins, refreshes and errors its clients saw.

The restarts stop the machine's shared PostgreSQL and Redis (as CI's machine runs them) and
always start them again (``tests/support/instances.py``); each outage lasts a second or two.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PASSWORD
from tests.e2e.conftest import Mailbox, Server
from tests.support.backends import PG_HOST, PG_PORT, PG_USER
from tests.support.instances import (
    ensure_services_running,
    postgres_answers,
    redis_answers,
    restart_postgres,
    restart_redis,
    start_instances,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.redis]

INSTANCES = 3
THREADS = 8
CHAINS = 12  # refresh tokens rotated over and over, each by one thread at a time
LOGIN_USERS = 4
RESET_USERS = 90
RECOVERY_BOUND = 1.0  # seconds: the bound
BEFORE = 2.5  # seconds of load before each fault
AFTER = 2.5  # ... and after every kind answered again on every instance
RESET_SPACING = 0.15  # seconds between two password-reset requests (each mails one address)
METRICS_TOKEN = "faults-metrics-token-0123456789"
KINDS = ("login", "refresh", "me")  # what must come back on every instance
# Each thread's round of requests.
ROUND = ("login", "refresh", "me", "wrong", "refresh", "me", "login", "refresh", "me", "reset")
ALLOWED = {
    "login": {200},
    "wrong": {401},
    "refresh": {200},
    "me": {200},
    "reset": {204},
}
ENV = {
    "METRICS_ENABLED": "true",
    "METRICS_TOKENS": METRICS_TOKEN,
    # The per-IP limiter in Redis, set far above this load: every request needs Redis.
    "RATE_LIMITER_ENABLED": "true",
    "RATE_LIMITER_POINTS": "1000000",
    "RATE_LIMITER_DURATION": "1",
}


@dataclass(frozen=True)
class Answer:
    kind: str
    instance: int
    user: str
    started: float
    ended: float
    status: int  # 0: no answer (connection refused or cut)
    retry_after: str | None


@dataclass
class Chain:
    email: str
    token: str
    successors: int = 0  # rotations the client saw (a repeat within the grace period: none)
    lost: str = ""  # the answer that refused its current token


@dataclass
class Fleet:
    servers: list[Server]
    database: str
    mailbox: Mailbox
    chains: list[Chain]
    login_users: list[str]
    wrong_user: str
    reset_users: list[str]
    access: str
    alive: list[int] = field(default_factory=lambda: list(range(INSTANCES)))
    answers: list[Answer] = field(default_factory=list)
    resets: dict[str, int] = field(default_factory=dict)  # address -> status of its request


def _create_user(server: Server, email: str) -> None:
    server.create_user(email, PASSWORD, role=None)


def _login(url: str, email: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{url}/auth/login", json={"email": email, "password": password}, timeout=15)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Fleet]:
    with ExitStack() as stack:
        servers = start_instances(stack, tmp_path_factory, mailbox, INSTANCES, ENV)
        # Whatever happens, PostgreSQL and Redis answer again before the database is dropped.
        stack.callback(ensure_services_running)
        first = servers[0]
        stamp = f"{os.getpid()}-{time.monotonic_ns() % 10**9}"
        chain_users = [f"faults-chain-{n}-{stamp}@example.com" for n in range(CHAINS)]
        login_users = [f"faults-login-{n}-{stamp}@example.com" for n in range(LOGIN_USERS)]
        reset_users = [f"faults-reset-{n}-{stamp}@example.com" for n in range(RESET_USERS)]
        wrong_user = f"faults-wrong-{stamp}@example.com"
        for email in [*chain_users, *login_users, *reset_users, wrong_user]:
            _create_user(first, email)
        chains = []
        for email in chain_users:  # one session each: its chain is the user's only one
            response = _login(first.url, email)
            assert response.status_code == 200, response.text
            chains.append(Chain(email, response.json()["data"]["refresh_token"]))
        me = _login(first.url, login_users[0])
        assert me.status_code == 200, me.text
        yield Fleet(
            servers=servers,
            database=first.env["DB_DATABASE"],
            mailbox=mailbox,
            chains=chains,
            login_users=login_users,
            wrong_user=wrong_user,
            reset_users=reset_users,
            access=me.json()["data"]["access_token"],
        )


# --------------------------------------------------------------------------------------------
# The load


class Load:
    """``THREADS`` clients, each going round ``ROUND`` over the live instances."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.stop = threading.Event()
        self.chains: queue.SimpleQueue[Chain] = queue.SimpleQueue()
        for chain in fleet.chains:
            if not chain.lost:
                self.chains.put(chain)
        self.resets = [u for u in fleet.reset_users if u not in fleet.resets]
        self.lock = threading.Lock()
        self.last_reset = 0.0
        self.answers: list[Answer] = []

    def run(self, number: int) -> None:
        clients = [httpx.Client(base_url=s.url, timeout=15) for s in self.fleet.servers]
        access = self.fleet.access
        try:
            # Spread over the cycle of (kind, instance) pairs: every pair comes up often.
            step = number * len(ROUND) * INSTANCES // THREADS
            while not self.stop.is_set():
                kind = ROUND[step % len(ROUND)]
                alive = self.fleet.alive
                # (Shifted by one every round: each kind goes to every instance in turn.)
                instance = alive[(step + step // len(ROUND)) % len(alive)]
                step += 1
                got = self._one(kind, instance, clients[instance], access)
                if got is not None:
                    access = got
        finally:
            for client in clients:
                client.close()

    def _one(self, kind: str, instance: int, client: httpx.Client, access: str) -> str | None:
        """One request; answers a new access token when it got one."""
        planned = self._plan(kind, instance)
        if planned is None:
            return None
        user, chain, (method, path, body) = planned
        headers = {"Authorization": f"Bearer {access}"} if kind == "me" else {}
        started = time.monotonic()
        try:
            response = client.request(method, path, json=body, headers=headers)
            status, retry_after = response.status_code, response.headers.get("retry-after")
        except httpx.TransportError:
            response, status, retry_after = None, 0, None
        answer = Answer(kind, instance, user, started, time.monotonic(), status, retry_after)
        with self.lock:
            self.answers.append(answer)
            if kind == "reset":
                self.fleet.resets[user] = status
        data = response.json()["data"] if response is not None and status == 200 else None
        if chain is not None:
            self._settle(chain, status, data, response)
        return data["access_token"] if data and kind in ("login", "refresh") else None

    def _plan(
        self, kind: str, instance: int
    ) -> tuple[str, Chain | None, tuple[str, str, dict[str, str] | None]] | None:
        """Who the request is for, the chain it rotates, and the request; None: skip it."""
        if kind == "login":
            user = self.fleet.login_users[int(time.monotonic() * 1000) % LOGIN_USERS]
            return user, None, ("POST", "/auth/login", {"email": user, "password": PASSWORD})
        if kind == "wrong":
            user = self.fleet.wrong_user
            wrong = {"email": user, "password": "Wrong-Passw0rd!"}
            return user, None, ("POST", "/auth/login", wrong)
        if kind == "refresh":
            try:
                chain = self.chains.get_nowait()
            except queue.Empty:
                return None
            body = {"refresh_token": chain.token, "mode": "json"}
            return chain.email, chain, ("POST", "/auth/refresh", body)
        if kind == "reset":
            # (Never to the instance that the last fault kills: a mail queued in a killed
            # process is lost with it, which is what an outbox in memory means.)
            if instance == INSTANCES - 1 or not self._reset_due():
                return None
            with self.lock:
                if not self.resets:
                    return None
                user = self.resets.pop()
            return user, None, ("POST", "/auth/password/request", {"email": user})
        return "", None, ("GET", "/users/me", None)

    def _settle(
        self, chain: Chain, status: int, data: dict[str, str] | None, response: object
    ) -> None:
        """Feed the successor back; a 503 or a cut connection keeps the token for a retry."""
        if data is not None:
            if data["refresh_token"] != chain.token:
                chain.successors += 1
            chain.token = data["refresh_token"]
        elif status not in (0, 503):  # refused: the token is lost
            chain.lost = f"{status} {getattr(response, 'text', '')}"
        if not chain.lost:
            self.chains.put(chain)

    def _reset_due(self) -> bool:
        with self.lock:
            now = time.monotonic()
            if now - self.last_reset < RESET_SPACING:
                return False
            self.last_reset = now
            return True


@contextmanager
def _loaded(fleet: Fleet) -> Iterator[Load]:
    load = Load(fleet)
    threads = [threading.Thread(target=load.run, args=(n,), daemon=True) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    try:
        yield load
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        fleet.answers.extend(load.answers)


class Watch:
    """Polls a service from the test's own client: when it stopped and started answering."""

    def __init__(self, probe: Callable[[], bool]) -> None:
        self.probe = probe
        self.down_at: float | None = None
        self.back_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            answers = self.probe()
            now = time.monotonic()
            if not answers and self.down_at is None:
                self.down_at = now
            elif answers and self.down_at is not None and self.back_at is None:
                self.back_at = now
                return
            time.sleep(0.01)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _recovery(load: Load, survivors: list[int], since: float) -> dict[tuple[int, str], float]:
    """Per surviving instance and kind: seconds from ``since`` to its first 2xx answer."""
    with load.lock:
        answers = list(load.answers)
    found: dict[tuple[int, str], float] = {}
    for answer in sorted(answers, key=lambda a: a.ended):
        key = (answer.instance, answer.kind)
        if (
            answer.kind in KINDS
            and answer.instance in survivors
            and 200 <= answer.status < 300
            and answer.ended >= since
            and key not in found
        ):
            found[key] = answer.ended - since
    return found


def _wait_recovered(load: Load, survivors: list[int], since: float) -> dict[tuple[int, str], float]:
    deadline = since + 10
    while time.monotonic() < deadline:
        found = _recovery(load, survivors, since)
        if len(found) == len(survivors) * len(KINDS):
            return found
        time.sleep(0.02)
    return _recovery(load, survivors, since)


def _run_fault(
    fleet: Fleet, name: str, fault: Callable[[], float], survivors: list[int] | None = None
) -> None:
    """Load, ``fault`` (which answers when the service answered again), load until every kind
    answered 2xx again on every survivor, a little more load; then the assertions."""
    with _loaded(fleet) as load:
        time.sleep(BEFORE)
        back_at = fault()
        alive = survivors if survivors is not None else list(fleet.alive)
        recovery = _wait_recovered(load, alive, back_at)
        time.sleep(AFTER)
    answers = load.answers
    statuses = Counter(a.status for a in answers)
    errors = Counter(f"{a.kind} {a.status}" for a in answers if a.status not in ALLOWED[a.kind])
    slowest = max(recovery.values(), default=float("nan"))
    latency = {
        kind: sorted(a.ended - a.started for a in answers if a.kind == kind) for kind in ALLOWED
    }
    print(
        f"\n[{name}] {len(answers)} requests; statuses {dict(sorted(statuses.items()))}; "
        f"errors by status {dict(sorted(errors.items()))}; recovery "
        + ", ".join(
            f"{kind} {max(v for (i, k), v in recovery.items() if k == kind) * 1000:.0f} ms"
            for kind in KINDS
            if any(k == kind for (_, k) in recovery)
        )
        + f" (slowest {slowest * 1000:.0f} ms); median latency "
        + ", ".join(f"{k} {v[len(v) // 2] * 1000:.0f} ms" for k, v in latency.items() if v)
    )

    assert statuses[500] == 0, [a for a in answers if a.status == 500][:5]
    unexpected = [
        a
        for a in answers
        if a.status not in ALLOWED[a.kind]
        and a.status != 503
        and not (a.status == 0 and a.instance not in alive)
    ]
    assert unexpected == [], unexpected[:10]
    assert all(a.retry_after for a in answers if a.status == 503), "a 503 without Retry-After"
    missing = {(i, k) for i in alive for k in KINDS} - set(recovery)
    assert not missing, f"no 2xx after the fault for {sorted(missing)}"
    assert slowest <= RECOVERY_BOUND, recovery
    assert not [c for c in fleet.chains if c.lost], [c.lost for c in fleet.chains if c.lost]


# --------------------------------------------------------------------------------------------
# The faults, in order


def _restart(name: str, restart: Callable[[], object], probe: Callable[[], bool]) -> float:
    """Restart a service, always leaving it running; answers when it answered again (as the
    test's own client saw it: polled every 10 ms)."""
    with Watch(probe) as watch:
        try:
            restart()
        finally:
            ensure_services_running()
        returned = time.monotonic()  # (the restart waits until the service answers)
        time.sleep(0.05)
    if watch.down_at is None or watch.back_at is None:  # an outage shorter than one poll
        print(f"\n{name} restarted in less than a poll")
        return returned
    print(f"\n{name} down for {(watch.back_at - watch.down_at) * 1000:.0f} ms")
    return watch.back_at


def test_a_postgresql_restart_under_load(fleet: Fleet) -> None:
    _run_fault(
        fleet,
        "PostgreSQL restart",
        lambda: _restart("PostgreSQL", restart_postgres, postgres_answers),
    )


def test_a_redis_restart_under_load(fleet: Fleet) -> None:
    _run_fault(fleet, "Redis restart", lambda: _restart("Redis", restart_redis, redis_answers))


def test_one_instance_killed_under_load(fleet: Fleet) -> None:
    victim = INSTANCES - 1
    survivors = [n for n in range(INSTANCES) if n != victim]

    def fault() -> float:
        process = fleet.servers[victim].process
        assert process is not None
        process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        fleet.alive = survivors  # the clients' balancer drops it (after its refusals)
        process.wait(timeout=10)
        return killed_at

    _run_fault(fleet, "SIGKILL of one instance", fault, survivors)


# --------------------------------------------------------------------------------------------
# What the whole run left behind


def _metric(text_: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text_.splitlines():
        match = re.match(rf"^{name}\{{(.*)\}} (\S+)$", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


def test_nothing_lost_duplicated_or_left_behind_and_the_metrics_count_it(fleet: Fleet) -> None:
    ensure_services_running()
    survivors = list(fleet.alive)
    answers = fleet.answers
    assert len(answers) > 0

    # Every chain's last token still works: no successor lost.
    url = fleet.servers[survivors[0]].url
    for chain in fleet.chains:
        assert not chain.lost, chain.lost
        response = httpx.post(
            f"{url}/auth/refresh", json={"refresh_token": chain.token, "mode": "json"}, timeout=15
        )
        assert response.status_code == 200, (chain.email, response.text)
        chain.token = response.json()["data"]["refresh_token"]
        chain.successors += 1

    # The sessions table: no row with two successors, no successor missing, one row per
    # rotation the clients saw; one root session and one ``login`` row per sign-in answered 200.
    engine = create_engine(f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{fleet.database}")
    try:
        with engine.connect() as conn:
            twice = conn.execute(
                text(
                    "SELECT next_token FROM directus_sessions WHERE next_token IS NOT NULL "
                    "GROUP BY next_token HAVING count(*) > 1"
                )
            ).all()
            dangling = conn.execute(
                text(
                    "SELECT s.token FROM directus_sessions s WHERE s.next_token IS NOT NULL "
                    "AND NOT EXISTS (SELECT 1 FROM directus_sessions n "
                    "WHERE n.token = s.next_token)"
                )
            ).all()
            rows = {
                email: (sessions_, roots, logins)
                for email, sessions_, roots, logins in conn.execute(
                    text(
                        """
                        SELECT u.email,
                          (SELECT count(*) FROM directus_sessions s WHERE s."user" = u.id),
                          (SELECT count(*) FROM directus_sessions s WHERE s."user" = u.id
                             AND NOT EXISTS (SELECT 1 FROM directus_sessions p
                                             WHERE p.next_token = s.token)),
                          (SELECT count(*) FROM directus_activity a WHERE a."user" = u.id
                             AND a.action = 'login')
                        FROM directus_users u
                        """
                    )
                ).all()
            }
    finally:
        engine.dispose()
    assert twice == []
    assert dangling == []
    for chain in fleet.chains:
        assert rows[chain.email] == (1 + chain.successors, 1, 1), chain.email
    # (A sign-in cut by the SIGKILL may have committed without answering: at most that many.)
    for email in fleet.login_users:
        ok = sum(1 for a in answers if a.user == email and a.kind == "login" and a.status == 200)
        cut = sum(1 for a in answers if a.user == email and a.kind == "login" and a.status == 0)
        first = 1 if email == fleet.login_users[0] else 0  # the fixture's own sign-in
        sessions_, roots, logins = rows[email]
        assert sessions_ == roots, email
        assert ok + first <= roots <= ok + first + cut, (email, rows[email], ok, cut)
        assert logins == roots, (email, rows[email])
    assert rows[fleet.wrong_user] == (0, 0, 0)

    # Mail: one for each reset request answered 204, none for one answered an error.
    for address, status in fleet.resets.items():
        if status == 204:
            fleet.mailbox.next_for(address)
    time.sleep(0.5)
    for address, status in fleet.resets.items():
        expected = 1 if status == 204 else 0
        assert fleet.mailbox.count_for(address) == expected, (address, status)

    # Each surviving instance's metrics count at least what its clients saw.
    scrapes = []
    for number in survivors:
        scrape = httpx.get(
            f"{fleet.servers[number].url}/metrics",
            headers={"Authorization": f"Metrics {METRICS_TOKEN}"},
            timeout=15,
        )
        assert scrape.status_code == 200, scrape.text
        scrapes.append(scrape.text)
    seen = [a for a in answers if a.instance in survivors]

    def counted(name: str, **labels: str) -> float:
        return sum(_metric(s, name, **labels) for s in scrapes)

    def saw(kind: str, status: int) -> int:
        return sum(1 for a in seen if a.kind == kind and a.status == status)

    figures = {
        "logins": (counted("authgate_login_total", outcome="success"), saw("login", 200)),
        "wrong passwords": (
            counted("authgate_login_total", outcome="invalid_credentials")
            + counted("authgate_login_total", outcome="locked"),
            saw("wrong", 401),
        ),
        "refreshes": (
            counted("authgate_refresh_total", outcome="rotated")
            + counted("authgate_refresh_total", outcome="grace"),
            saw("refresh", 200),
        ),
        "503 answers": (
            counted("authgate_http_requests_total", status="503"),
            sum(1 for a in seen if a.status == 503),
        ),
        "401 answers": (
            counted("authgate_http_requests_total", status="401"),
            sum(1 for a in seen if a.status == 401),
        ),
        "500 answers": (counted("authgate_http_requests_total", status="500"), 0),
    }
    print(
        "\n[metrics of the surviving instances] "
        + "; ".join(f"{k}: counted {c:.0f}, clients saw {s}" for k, (c, s) in figures.items())
    )
    for name, (count, saw_) in figures.items():
        assert count >= saw_, name
    assert figures["logins"][1] > 0
    assert figures["refreshes"][1] > 0
    assert figures["500 answers"][0] == 0
