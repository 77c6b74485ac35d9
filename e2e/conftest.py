"""The deployment, once per session: Postgres, the four Airflow components, the emulator.

Two legs, one pytest session each (``make e2e`` runs ``e2e/test_deployment.py`` on
LocalExecutor in ``.e2e/``; ``make e2e-celery`` runs ``e2e/test_celery.py`` on
CeleryExecutor, with Redis and two workers, in ``.e2e-celery/``): a session that collects
both is refused, it would hold two deployments at once. Each folder is kept after the run
for a look at the logs and replaced by the next run. A failed test gets the tail of every
component's output in its report.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from e2e.deployment import REPO, Deployment, e2e_deployment
from e2e.deployment import celery_deployment as build_celery

_deployment: Deployment | None = None
#: The fixture of each leg.
LEGS = ("deployment", "celery_deployment")


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # pytest tears the session fixture down: everything stops


def _running(build: Callable[[Path], Deployment], workdir: str) -> Iterator[Deployment]:
    global _deployment
    signal.signal(signal.SIGTERM, _on_sigterm)
    dep = build(Path(REPO / workdir))
    _deployment = dep
    dep.start()
    try:
        yield dep
    finally:
        _deployment = None
        dep.stop()
        dep.say("deployment stopped")


@pytest.fixture(scope="session")
def deployment() -> Iterator[Deployment]:
    """LocalExecutor (``make e2e``)."""
    yield from _running(e2e_deployment, ".e2e")


@pytest.fixture(scope="session")
def celery_deployment() -> Iterator[Deployment]:
    """CeleryExecutor, Redis, two workers (``make e2e-celery``)."""
    yield from _running(build_celery, ".e2e-celery")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    legs = {leg for item in items for leg in LEGS if leg in getattr(item, "fixturenames", ())}
    if len(legs) > 1:
        raise pytest.UsageError(
            "one e2e leg per pytest session (each starts a whole deployment): "
            "make e2e (e2e/test_deployment.py) or make e2e-celery (e2e/test_celery.py)"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and _deployment is not None:
        report.sections.append(("component output (tails)", _deployment.report()))
