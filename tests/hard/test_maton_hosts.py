"""Which host each call goes to, and the key with it: Maton's current single host
(``api.maton.ai``) and the older split (``gateway.maton.ai`` + ``ctrl.maton.ai``).

Real HTTP through the hook's clients to the emulator. The Maton host names cannot be
resolved here, so name resolution (only that) is pointed at loopback for them: every
request still leaves by its own URL, and the emulator records the ``Host`` it was sent
to. The media CDN stays on ``localhost``: a host the key must never reach.

The emulator speaks http only, and a Maton name is no loopback host by its letters, so
these connections say ``allow_insecure_http`` (their traffic never leaves the machine).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_whatsapp.client.config import ClientConfig, default_ctrl_url
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import set_connection

MATON_NAMES = ("api.maton.ai", "gateway.maton.ai", "ctrl.maton.ai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def maton_names_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resolve the Maton host names to 127.0.0.1; every other name as before."""
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        return real("127.0.0.1" if name in MATON_NAMES else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def connect(
    monkeypatch: pytest.MonkeyPatch, emu: WhatsAppEmulator, host: str, **extra: Any
) -> None:
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "host": host,
            "password": emu.api_key,
            "extra": {
                "phone_number_id": emu.phone_number_id,
                "waba_id": emu.waba_id,
                "allow_insecure_http": True,  # http to a Maton name: see the module docstring
                **extra,
            },
        },
    )


def exercise(emu: WhatsAppEmulator) -> None:
    """Gateway and ctrl calls, sync and async, and a media download from the CDN."""
    hook = WhatsAppHook()
    with hook.get_conn() as client:
        client.get_phone_number()
        client.list_maton_connections()
        media_id = client.upload_media(PNG, "image/png")
        assert client.download_media(media_id) == PNG

    async def run_async() -> None:
        async with await WhatsAppHook().get_async_conn() as aclient:
            await aclient.list_templates()
            await aclient.get_maton_connection(emu.connection_id)

    asyncio.run(run_async())


def hosts_by_route(emu: WhatsAppEmulator) -> dict[str, set[str]]:
    """Host header -> which routes reached it, and whether each carried the key."""
    found: dict[str, set[str]] = {}
    for request in emu.requests:
        route = request.path.split("/")[1]
        keyed = request.headers.get("authorization") == f"Bearer {emu.api_key}"
        found.setdefault(request.host, set()).add(f"{route}{' +key' if keyed else ''}")
    return found


def test_api_maton_ai_sends_connection_calls_to_the_same_host(
    whatsapp_emulator: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    maton_names_on_loopback: None,
) -> None:
    emu, port = whatsapp_emulator, whatsapp_emulator.port
    connect(monkeypatch, emu, f"http://api.maton.ai:{port}")  # no ctrl_host, as Maton documents
    config = WhatsAppHook().config
    assert config.ctrl_url == config.base_url == f"http://api.maton.ai:{port}"
    exercise(emu)
    assert hosts_by_route(emu) == {
        f"api.maton.ai:{port}": {"whatsapp-business +key", "connections +key"},
        f"localhost:{port}": {"_lookaside"},  # the CDN: never the key
    }


@pytest.mark.parametrize("gateway", ["gateway.maton.ai", "api.maton.ai"])
def test_a_ctrl_host_set_keeps_connection_calls_on_it(
    whatsapp_emulator: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    maton_names_on_loopback: None,
    gateway: str,
) -> None:
    """The older split, and an explicit ctrl_host beside the single host: it wins."""
    emu, port = whatsapp_emulator, whatsapp_emulator.port
    connect(monkeypatch, emu, f"http://{gateway}:{port}", ctrl_host=f"http://ctrl.maton.ai:{port}")
    exercise(emu)
    assert hosts_by_route(emu) == {
        f"{gateway}:{port}": {"whatsapp-business +key"},
        f"ctrl.maton.ai:{port}": {"connections +key"},
        f"localhost:{port}": {"_lookaside"},
    }


@pytest.mark.parametrize(
    ("host", "extra", "gateway", "ctrl"),
    [
        ("", {}, "https://api.maton.ai", "https://api.maton.ai"),  # the defaults: one host
        ("gateway.maton.ai", {}, "https://gateway.maton.ai", "https://ctrl.maton.ai"),  # split
        ("", {"ctrl_host": "ctrl.maton.ai"}, "https://api.maton.ai", "https://ctrl.maton.ai"),
        ("api.maton.ai", {}, "https://api.maton.ai", "https://api.maton.ai"),
        ("https://API.maton.ai/", {}, "https://API.maton.ai", "https://API.maton.ai"),
        ("api.maton.ai", {"ctrl_host": ""}, "https://api.maton.ai", "https://api.maton.ai"),
        (
            "api.maton.ai",
            {"ctrl_host": "ctrl.maton.ai"},
            "https://api.maton.ai",
            "https://ctrl.maton.ai",
        ),
        # Any other gateway (a proxy, the emulator) serves /connections itself, like Maton.
        ("http://127.0.0.1:8080", {}, "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        (
            "gateway.maton.ai.evil.example",
            {},
            "https://gateway.maton.ai.evil.example",
            "https://gateway.maton.ai.evil.example",
        ),
    ],
)
def test_which_ctrl_url_a_connection_gets(
    monkeypatch: pytest.MonkeyPatch, host: str, extra: dict[str, Any], gateway: str, ctrl: str
) -> None:
    set_connection(
        monkeypatch, {"conn_type": "whatsapp", "host": host, "password": "k", "extra": extra}
    )
    config = WhatsAppHook().config
    assert (config.base_url, config.ctrl_url) == (gateway, ctrl)
    assert config.trusted_hosts == {gateway.split("//")[1].lower(), ctrl.split("//")[1].lower()}


def test_client_config_alone_follows_the_same_rule() -> None:
    config = ClientConfig(api_key="k")
    assert (config.base_url, config.ctrl_url) == ("https://api.maton.ai", "https://api.maton.ai")
    assert config.trusted_hosts == {"api.maton.ai"}
    split = ClientConfig(api_key="k", base_url="https://gateway.maton.ai")
    assert split.ctrl_url == "https://ctrl.maton.ai"
    assert split.trusted_hosts == {"gateway.maton.ai", "ctrl.maton.ai"}
    # Parsed hosts, not text: a look-alike keeps its own URL, never gains ctrl.maton.ai.
    assert default_ctrl_url("https://gateway.maton.ai.evil.example") == (
        "https://gateway.maton.ai.evil.example"
    )
    assert default_ctrl_url("https://GATEWAY.maton.ai:443/") == "https://ctrl.maton.ai"
