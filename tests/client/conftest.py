from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_whatsapp.client import ClientConfig


@pytest.fixture
def config_for():  # type: ignore[no-untyped-def]
    """A ClientConfig pointed at an emulator, with fast retries for tests."""

    def make(emu: Any, **changes: Any) -> ClientConfig:
        settings: dict[str, Any] = {
            "api_key": emu.api_key,
            "base_url": emu.url,
            "ctrl_url": emu.url,
            "phone_number_id": emu.phone_number_id,
            "waba_id": emu.waba_id,
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "timeout": 5.0,
        }
        settings.update(changes)
        return ClientConfig(**settings)

    return make
