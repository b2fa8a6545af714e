"""Starting and stopping local servers (redis, celery workers) for tests and benchmarks, and the
one rule for tests that need a service.

A service test whose service (a binary, a server, a Python extra) is missing is skipped on a
developer laptop, with the reason and how to get it; under ``DAGSTER_KEDRO_REQUIRE_SERVICES=1``
(exported by .ci/services.sh, so in CI) it fails instead, so a service that did not come up can
never pass as a skip.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import time

import pytest

REQUIRE_SERVICES = "DAGSTER_KEDRO_REQUIRE_SERVICES"


def needs(available: bool, reason: str) -> None:
    """Skip (or, with $DAGSTER_KEDRO_REQUIRE_SERVICES=1, fail) the calling test unless ``available``."""
    if available:
        return
    if os.environ.get(REQUIRE_SERVICES) == "1":
        pytest.fail(f"{reason} ({REQUIRE_SERVICES}=1: services are required here)", pytrace=False)
    pytest.skip(reason)


def needs_extra(module: str, extra: str) -> None:
    needs(importlib.util.find_spec(module) is not None, f"needs {module}: pip install 'dagster-kedro[{extra}]'")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise TimeoutError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """Stop a process started with start_new_session=True, with its children: SIGTERM, then
    SIGKILL to the whole group after ``grace`` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
