"""A bounded schemathesis run against a real server, from the server's own OpenAPI document
(as an administrator sees it): no answer is a 500, every error is in Directus's envelope."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.e2e.conftest import Mailbox, Server, start_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[Server]:
    with ExitStack() as stack:
        yield start_server("sqlite", stack, tmp_path_factory.mktemp("fuzz"), mailbox)


def test_no_server_error_and_every_error_in_the_envelope(fuzzed: Server, tmp_path: Path) -> None:
    client = fuzzed.client()
    document = client.get("/server/specs/oas", headers=fuzzed.admin)
    assert document.status_code == 200
    spec = tmp_path / "oas.json"
    spec.write_text(json.dumps(document.json()))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(spec),
        "--url",
        fuzzed.url,
        "--header",
        f"Authorization: Bearer {ADMIN_TOKEN}",
        "--checks",
        "not_a_server_error,directus_envelope",
        "--max-examples",
        "8",
        "--max-time",
        "35",
        "--seed",
        "12",
        "--phases",
        "examples,coverage,fuzzing",
        "--request-timeout",
        "10",
        "--workers",
        "2",
        # The administrator's own account stays usable for the whole run.
        "--exclude-operation-id-regex",
        "^(patch|delete)Users",
        "--warnings",
        "off",
        "--no-color",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
    }
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert "No issues found" in output or "passed" in output.lower(), output[-3000:]
