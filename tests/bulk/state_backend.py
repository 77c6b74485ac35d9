"""A task state store backend with an outage a test switches on (Airflow 3.3+).

Configured the way a deployment configures its own (``[state_store] backend``), it keeps
task state in the metadata database like Airflow's default and fails task-state writes
from the ``fail_from``-th on: every one after it, or only that one (``once``), as an
api-server whose database went away for a while. It notes each write it let through.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

BACKEND = "tests.bulk.state_backend.FlakyStateBackend"

try:
    from airflow.state import TaskScope
    from airflow.state.metastore import MetastoreBackend
except ImportError:  # Airflow before 3.3: no task state store (the tests needing it skip)
    MetastoreBackend = object  # type: ignore[assignment,misc]
    TaskScope = None  # type: ignore[assignment,misc]


class StateStoreDown(OSError):
    """The outage."""


class FlakyStateBackend(MetastoreBackend):  # type: ignore[misc,valid-type]
    def __init__(self) -> None:
        super().__init__()
        self.fail_from: int | None = None
        self.once = False
        self.failures = 0
        self.on_failure: Callable[[], None] | None = None
        #: (key, expires_at) of every task-state write let through, in order.
        self.writes: list[tuple[str, datetime | None]] = []

    def set(self, scope: Any, key: str, value: str, **kwargs: Any) -> None:
        if isinstance(scope, TaskScope) and self._down():
            self.failures += 1
            if self.on_failure is not None:
                self.on_failure()
            raise StateStoreDown("the metadata database went away")
        super().set(scope, key, value, **kwargs)
        if isinstance(scope, TaskScope):
            self.writes.append((key, kwargs.get("expires_at")))

    def _down(self) -> bool:
        if self.fail_from is None or len(self.writes) < self.fail_from:
            return False
        return not (self.once and self.failures)


@pytest.fixture
def flaky_state_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[FlakyStateBackend]:
    """This test's api-server keeps task state through a :class:`FlakyStateBackend`
    (healthy until the test sets ``fail_from``)."""
    state = pytest.importorskip("airflow.state", reason="Airflow 3.3+ has a task state store")
    monkeypatch.setenv("AIRFLOW__STATE_STORE__BACKEND", BACKEND)
    monkeypatch.setattr(state, "_backend_instance", None)  # Airflow caches the backend
    backend = state.get_state_backend()
    assert isinstance(backend, FlakyStateBackend)
    yield backend
