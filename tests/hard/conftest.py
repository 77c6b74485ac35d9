"""The hard tests' ``hard`` marker."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hard: issue 6's hard tests (faults, fuzzing, secret scan, bad connections)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/hard is marked ``hard`` (deselect with ``-m 'not hard'``)."""
    for item in items:
        if "/tests/hard/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.hard)
