"""Fixtures for the emulator's own tests: one shared server, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator, pytest_plugin
from tests.helpers import TO


def pytest_configure(config: pytest.Config) -> None:
    """Load the plugin when the package is not installed (no pytest11 entry point yet)."""
    if not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "whatsapp_emulator")


@pytest.fixture
def gw(emu: WhatsAppEmulator) -> Iterator[httpx.Client]:
    """A client for the gateway's Graph paths (``/whatsapp-business/v21.0``), key set."""
    with httpx.Client(
        base_url=f"{emu.url}/whatsapp-business/v21.0",
        headers={"Authorization": f"Bearer {emu.api_key}"},
        timeout=10,
    ) as client:
        yield client


@pytest.fixture
def ctrl(emu: WhatsAppEmulator) -> Iterator[httpx.Client]:
    """A client for the ctrl host (connections), key set."""
    with httpx.Client(
        base_url=emu.url, headers={"Authorization": f"Bearer {emu.api_key}"}, timeout=10
    ) as client:
        yield client


def graph_error(response: httpx.Response, code: int, status: int = 400) -> dict[str, Any]:
    """Assert a Graph error with ``code`` and return its ``error`` object."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error, dict), error
    assert error["code"] == code, error
    assert error["type"] in {"OAuthException", "GraphMethodException"}
    assert error["fbtrace_id"].startswith("A")
    return error


def text_message(to: str = TO, body: str = "hello") -> dict[str, Any]:
    """A minimal valid text message."""
    return {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": body}}
