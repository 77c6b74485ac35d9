"""Shared pieces of the hard tests: the ``hard`` marker and a fast client config."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_whatsapp.client import ClientConfig


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hard: issue 6's hard tests (faults, fuzzing, secret scan, bad connections)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/hard is marked ``hard`` (deselect with ``-m 'not hard'``)."""
    for item in items:
        if "/tests/hard/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.hard)


def client_config(emu: Any, **changes: Any) -> ClientConfig:
    """A ClientConfig pointed at ``emu``: no client-side rate limit, fast retries."""
    settings: dict[str, Any] = {
        "api_key": emu.api_key,
        "base_url": emu.url,
        "ctrl_url": emu.url,
        "phone_number_id": emu.phone_number_id,
        "waba_id": emu.waba_id,
        "rate_limit": None,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 5.0,
    }
    settings.update(changes)
    return ClientConfig(**settings)
