"""The deployment, once per session: Postgres, the four Airflow components, the emulator.

Its folder is ``.e2e/`` (kept after the run for a look at the logs; replaced by the next
run). A failed test gets the tail of every component's output in its report.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from e2e.deployment import REPO, Deployment, e2e_deployment

_deployment: Deployment | None = None


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # pytest tears the session fixture down: everything stops


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    global _deployment
    signal.signal(signal.SIGTERM, _on_sigterm)
    dep = e2e_deployment(Path(REPO / ".e2e"))
    _deployment = dep
    dep.start()
    try:
        yield dep
    finally:
        _deployment = None
        dep.stop()
        dep.say("deployment stopped")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and _deployment is not None:
        report.sections.append(("component output (tails)", _deployment.report()))
