"""``WhatsAppHook``: connection -> ClientConfig, the async look-up, test_connection, masking."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.client import AsyncWhatsAppClient, ClientConfig, WhatsAppClient
from airflow_provider_whatsapp.client.errors import WhatsAppConfigError
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook, config_from_connection
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import (
    AIRFLOW_V_3_3_2_PLUS,
    AIRFLOW_V_3_3_PLUS,
)
from tests.helpers import (
    PHONE_ID,
    WABA,
    FakeSupervisorComms,
    connections_to,
    free_port,
    set_connection,
)

#: Where the connection's documentation lives (the site's connection page).
CONNECTION_DOCS = Path(__file__).resolve().parents[2] / "docs" / "connection.md"


def unique_key() -> str:
    return f"maton-key-{uuid.uuid4().hex}"


# -- Airflow finds the hook -------------------------------------------------------------
def test_airflow_builds_the_hook_for_a_named_whatsapp_connection(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What Airflow's own code does with a connection id (``BaseHook.get_hook``, behind
    ``airflow connections test`` and the UI's Test button): the connection type leads to
    WhatsAppHook, built for that very connection (no ``whatsapp_default`` exists here)."""
    from airflow.sdk import BaseHook

    set_connection(monkeypatch, emu.airflow_connection(), conn_id="whatsapp_alerts")
    hook = BaseHook.get_hook("whatsapp_alerts")
    assert isinstance(hook, WhatsAppHook)
    ok, message = hook.test_connection()
    assert ok is True, message
    assert [r.headers["authorization"] for r in emu.requests] == [f"Bearer {emu.api_key}"]


# -- connection -> ClientConfig ----------------------------------------------------------
def test_every_extra_maps_onto_the_client_config(monkeypatch: pytest.MonkeyPatch) -> None:
    key = unique_key()
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "host": "gateway.example.com",
            "password": key,
            "extra": {
                "maton_connection": "c0ffee00-0000-4000-8000-000000000001",
                "phone_number_id": 123456789012345,
                "waba_id": "987654321098765",
                "api_version": "v23.0",
                "ctrl_host": "https://ctrl.example.com/",
                "timeout": "12.5",
                "rate_limit": 0,
                "max_retries": "2",
            },
        },
    )
    config = WhatsAppHook().config
    assert config == ClientConfig(
        api_key=key,
        base_url="https://gateway.example.com",
        ctrl_url="https://ctrl.example.com",
        maton_connection="c0ffee00-0000-4000-8000-000000000001",
        phone_number_id="123456789012345",
        waba_id="987654321098765",
        api_version="v23.0",
        timeout=12.5,
        rate_limit=None,
        max_retries=2,
    )
    assert isinstance(config.max_retries, int)
    assert key not in repr(config)


def test_defaults_when_only_the_key_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    key = unique_key()
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": key})
    config = WhatsAppHook().config
    assert (config.base_url, config.ctrl_url) == ("https://api.maton.ai", "https://api.maton.ai")
    assert config.api_version == "v25.0"
    assert (config.timeout, config.rate_limit, config.max_retries) == (30, 10, 5)
    assert (config.maton_connection, config.phone_number_id, config.waba_id) == (None, None, None)


def built(client: WhatsAppClient, request: Any) -> tuple[str, str, dict[str, str]]:
    """(method, URL, headers) of a request an API call yields, as the client's transport
    builds it to send: nothing leaves the machine."""
    import contextlib

    with contextlib.ExitStack() as files:
        kwargs = client.transport.build(request, files)
    return kwargs["method"], kwargs["url"], kwargs["headers"]


@pytest.mark.parametrize(
    ("host", "extra", "gateway", "ctrl"),
    [
        # Nothing set: Maton's one host, the current Graph version.
        ("", {}, "https://api.maton.ai/whatsapp-business/v25.0", "https://api.maton.ai"),
        # The older split, as configured: gateway.maton.ai keeps ctrl.maton.ai.
        (
            "https://gateway.maton.ai",
            {},
            "https://gateway.maton.ai/whatsapp-business/v25.0",
            "https://ctrl.maton.ai",
        ),
        (
            "gateway.maton.ai",
            {"ctrl_host": "https://ctrl.maton.ai", "api_version": "v21.0"},
            "https://gateway.maton.ai/whatsapp-business/v21.0",  # a pinned version stays
            "https://ctrl.maton.ai",
        ),
    ],
)
def test_the_urls_a_connection_talks_to(
    monkeypatch: pytest.MonkeyPatch, host: str, extra: dict[str, Any], gateway: str, ctrl: str
) -> None:
    """Where the hook's client sends a message and a connection call, with the key only
    to those hosts: built by the client's transport, not sent (the Maton hosts are not
    reachable from here; tests/hard/test_maton_hosts.py sends to them on loopback)."""
    from airflow_provider_whatsapp.client import api

    key = unique_key()
    conn = {"host": host, "password": key, "extra": {"phone_number_id": "1", **extra}}
    set_connection(monkeypatch, {"conn_type": "whatsapp", **conn})
    with WhatsAppHook().get_conn() as client:
        message = {"type": "text", "to": "16505551234", "text": {"body": "hi"}}
        send = built(client, next(api.send_message(client.config, message)))
        listing = built(client, next(api.list_maton_connections(client.config)))
        download = api.download_media(client.config, "2")
        media = built(client, next(download))
        cdn = built(client, download.send({"url": "https://lookaside.fbsbx.com/2"}))
    assert send[:2] == ("POST", f"{gateway}/1/messages")
    assert listing[:2] == ("GET", f"{ctrl}/connections")
    assert media[:2] == ("GET", f"{gateway}/2")
    for _, _, headers in (send, listing, media):
        assert headers["Authorization"] == f"Bearer {key}"
    assert cdn[1] == "https://lookaside.fbsbx.com/2" and "Authorization" not in cdn[2]


@pytest.mark.parametrize(
    ("host", "extra", "expected"),
    [
        ("http://127.0.0.1:8080/", {}, {"base_url": "http://127.0.0.1:8080"}),
        ("  gateway.example.com  ", {}, {"base_url": "https://gateway.example.com"}),
        ("", {"ctrl_host": " ctrl.example.com "}, {"ctrl_url": "https://ctrl.example.com"}),
        ("", {"rate_limit": 2.5, "max_retries": 0}, {"rate_limit": 2.5, "max_retries": 0}),
        ("", {"rate_limit": "", "timeout": None}, {"rate_limit": 10, "timeout": 30}),
        ("", {"max_retries": 3.0, "timeout": 7}, {"max_retries": 3, "timeout": 7.0}),
        ("", {"max_retries": " 4 ", "rate_limit": "0.5"}, {"max_retries": 4, "rate_limit": 0.5}),
        ("", {"maton_connection": "", "phone_number_id": ""}, {"maton_connection": None}),
    ],
)
def test_host_and_extra_variants(
    monkeypatch: pytest.MonkeyPatch, host: str, extra: dict[str, Any], expected: dict[str, Any]
) -> None:
    set_connection(
        monkeypatch,
        {"conn_type": "whatsapp", "host": host, "password": unique_key(), "extra": extra},
    )
    config = WhatsAppHook().config
    for name, value in expected.items():
        assert getattr(config, name) == value, name


def test_hook_arguments_override_the_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "password": unique_key(),
            "extra": {"phone_number_id": "1", "waba_id": "2"},
        },
    )
    config = WhatsAppHook(phone_number_id="111", waba_id="222").config
    assert (config.phone_number_id, config.waba_id) == ("111", "222")
    kept = WhatsAppHook(phone_number_id=None).config
    assert (kept.phone_number_id, kept.waba_id) == ("1", "2")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"timeout": "soon"}, "extra 'timeout' must be a number, got 'soon'"),
        ({"timeout": "nan"}, "extra 'timeout' must be a number, got 'nan'"),
        ({"rate_limit": True}, "extra 'rate_limit' must be a number, got True"),
        ({"max_retries": [1]}, "extra 'max_retries' must be a whole number, got [1]"),
        ({"max_retries": 2.5}, "extra 'max_retries' must be a whole number, got 2.5"),
        ({"max_retries": "2.5"}, "extra 'max_retries' must be a whole number, got '2.5'"),
        ({"max_retries": False}, "extra 'max_retries' must be a whole number, got False"),
        ({"ctrl_host": "ftp://ctrl.example.com"}, "ctrl_url must be an http(s) URL"),
        ({"api_version": "21.0"}, "api_version looks like 'v25.0', got '21.0'"),
    ],
)
def test_bad_extras_raise_a_config_error_naming_them(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any], expected: str
) -> None:
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": unique_key(), "extra": extra})
    with pytest.raises(WhatsAppConfigError) as failure:
        _ = WhatsAppHook().config
    assert expected in str(failure.value)
    assert "'whatsapp_default'" in str(failure.value)


def test_empty_password_falls_back_to_maton_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    env_key, conn_key = unique_key(), unique_key()
    monkeypatch.setenv("MATON_API_KEY", env_key)
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": ""})
    assert WhatsAppHook().config.api_key == env_key
    set_connection(monkeypatch, {"conn_type": "whatsapp"})
    assert WhatsAppHook().config.api_key == env_key
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": conn_key})
    assert WhatsAppHook().config.api_key == conn_key  # the connection's key wins


def test_no_key_anywhere_names_both_places(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATON_API_KEY", raising=False)
    set_connection(monkeypatch, {"conn_type": "whatsapp", "host": "gateway.example.com"})
    with pytest.raises(WhatsAppConfigError) as failure:
        _ = WhatsAppHook().config
    text = str(failure.value)
    assert "password" in text
    assert "MATON_API_KEY" in text
    assert "'whatsapp_default'" in text


def test_key_is_registered_with_the_secrets_masker(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk._shared.secrets_masker import SecretsMasker, _secrets_masker

    key = unique_key()
    masker = _secrets_masker()
    monkeypatch.setattr(SecretsMasker, "mask_secrets_in_logs", True)

    def logged(message: str) -> str:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, message, (key,), None)
        masker.filter(record)
        return record.getMessage()

    assert key in logged("before: %s")  # a fresh key is not masked yet
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": key})
    _ = WhatsAppHook().config
    assert logged("key is %s") == "key is ***"

    env_key = unique_key()  # a key from MATON_API_KEY is masked too
    monkeypatch.setenv("MATON_API_KEY", env_key)
    set_connection(monkeypatch, {"conn_type": "whatsapp"})
    _ = WhatsAppHook().config
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "env %s", (env_key,), None)
    masker.filter(record)
    assert record.getMessage() == "env ***"


def test_config_from_connection_direct_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import Connection

    conn = Connection(
        conn_id="wa", conn_type="whatsapp", password=unique_key(), extra='{"waba_id": 7}'
    )
    config = config_from_connection(conn, phone_number_id="5", waba_id=None)
    assert (config.phone_number_id, config.waba_id) == ("5", "7")


# -- clients ------------------------------------------------------------------------------
def test_get_conn_returns_one_pooled_sync_client(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(monkeypatch, emu.airflow_connection())
    hook = WhatsAppHook()
    client = hook.get_conn()
    assert isinstance(client, WhatsAppClient)
    assert hook.get_conn() is client
    assert client.config is hook.config
    assert hook.client.get_phone_number()["id"] == PHONE_ID
    assert [t["name"] for t in hook.client.list_templates()] == [t["name"] for t in emu.templates]


async def test_async_config_never_looks_up_synchronously_on_the_event_loop(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a running event loop (a triggerer) no blocking connection look-up may happen there.

    3.3.2+: the hook's own ``aget_connection`` (async masking). Before: its
    ``get_connection`` in a worker thread (their ``aget_connection`` masks with a blocking
    supervisor call). Either way the look-up goes through the hook, so an override counts.
    """
    set_connection(monkeypatch, emu.airflow_connection())
    sync_threads: list[int] = []
    async_calls: list[str] = []
    original_sync = WhatsAppHook.get_connection.__func__  # type: ignore[attr-defined]
    original_async = WhatsAppHook.aget_connection.__func__  # type: ignore[attr-defined]

    def sync_spy(cls: Any, conn_id: str) -> Any:
        sync_threads.append(threading.get_ident())
        return original_sync(cls, conn_id)

    async def async_spy(cls: Any, conn_id: str) -> Any:
        async_calls.append(conn_id)
        return await original_async(cls, conn_id)

    monkeypatch.setattr(WhatsAppHook, "get_connection", classmethod(sync_spy))
    monkeypatch.setattr(WhatsAppHook, "aget_connection", classmethod(async_spy))

    hook = WhatsAppHook(phone_number_id="555")
    config = await hook.get_async_config()
    assert (config.base_url, config.phone_number_id, config.waba_id) == (emu.url, "555", WABA)
    assert config.api_key == emu.api_key
    assert await hook.get_async_config() is config  # looked up once
    assert hook.config is config  # the sync property reuses it: no further look-up

    client = await WhatsAppHook().get_async_conn(concurrency=2)
    try:
        assert isinstance(client, AsyncWhatsAppClient)
        assert (await client.get_phone_number(PHONE_ID))["id"] == PHONE_ID
    finally:
        await client.aclose()
    loop_thread = threading.get_ident()
    assert loop_thread not in sync_threads
    if AIRFLOW_V_3_3_2_PLUS:
        assert (async_calls, sync_threads) == (["whatsapp_default"] * 2, [])
    else:
        assert (async_calls, len(sync_threads)) == ([], 2)


def test_close_closes_the_pooled_connection_and_a_later_call_opens_another(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    port = whatsapp_emulator_connection.port
    with WhatsAppHook() as hook:
        assert hook.client.get_phone_number()["id"] == PHONE_ID
        assert connections_to(port) == 1  # kept alive for the next request
    assert connections_to(port) == 0
    assert hook.client.get_phone_number()["id"] == PHONE_ID  # a new pool
    hook.close()
    assert connections_to(port) == 0


async def test_aclose_closes_every_client_the_hook_handed_out(
    whatsapp_emulator_connection: WhatsAppEmulator,
) -> None:
    port = whatsapp_emulator_connection.port
    async with WhatsAppHook() as hook:
        clients = [await hook.get_async_conn(concurrency=1) for _ in range(2)]
        for client in clients:
            assert (await client.get_phone_number(PHONE_ID))["id"] == PHONE_ID
        assert connections_to(port) == 2
    assert connections_to(port) == 0


# -- test_connection ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("extra", "expected", "path"),
    [
        ({}, "Connected: phone number", f"/whatsapp-business/v21.0/{PHONE_ID}"),
        (
            {"phone_number_id": ""},
            "Connected: 1 phone number(s) in the account",
            f"/whatsapp-business/v21.0/{WABA}/phone_numbers",
        ),
        ({"phone_number_id": "", "waba_id": ""}, "Key accepted: 1 ACTIVE", "/connections"),
    ],
)
def test_test_connection_succeeds_read_only(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    extra: dict[str, Any],
    expected: str,
    path: str,
) -> None:
    set_connection(monkeypatch, emu.airflow_connection(**extra))
    ok, message = WhatsAppHook().test_connection()
    assert ok is True, message
    assert message.startswith(expected)
    assert [(r.method, r.path) for r in emu.requests] == [("GET", path)]
    assert emu.messages == []


def test_test_connection_reports_a_wrong_key(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = emu.airflow_connection(max_retries=5)
    conn["password"] = wrong = unique_key()
    set_connection(monkeypatch, conn)
    ok, message = WhatsAppHook().test_connection()
    assert ok is False
    assert "HTTP 401" in message
    assert "Maton API key" in message
    assert wrong not in message
    assert len(emu.requests) == 1  # read-only and not retried
    assert {r.method for r in emu.requests} == {"GET"}


def test_test_connection_reports_an_unknown_maton_connection(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_connection(
        monkeypatch,
        emu.airflow_connection(maton_connection="00000000-0000-4000-8000-00000000dead"),
    )
    ok, message = WhatsAppHook().test_connection()
    assert ok is False
    assert "HTTP 400" in message
    assert "ACTIVE WhatsApp Business connection" in message
    assert [r.headers.get("maton-connection") for r in emu.requests] == [
        "00000000-0000-4000-8000-00000000dead"
    ]


def test_readme_cli_alternative_to_the_test_button_works(emu: WhatsAppEmulator) -> None:
    """The docs send users whose "Test" icon answers "Bad Request" (apache/airflow#73298)
    to ``airflow connections test whatsapp_default``: it works, read-only, and says why not."""
    readme = CONNECTION_DOCS.read_text()
    assert "airflow connections test whatsapp_default" in readme
    assert "apache/airflow#73298" in readme
    assert "AIRFLOW__CORE__TEST_CONNECTION=Enabled" in readme
    assert "in the connection form" not in readme

    def cli(conn: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "AIRFLOW_CONN_WHATSAPP_DEFAULT": json.dumps(conn),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        }
        command = [sys.executable, "-m", "airflow", "connections", "test", "whatsapp_default"]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    good = cli(emu.airflow_connection())
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Connection success!" in good.stdout
    assert [(r.method, r.path) for r in emu.requests] == [
        ("GET", f"/whatsapp-business/v21.0/{PHONE_ID}")
    ]
    conn = emu.airflow_connection()
    conn["password"] = wrong = unique_key()
    bad = cli(conn)
    assert "Connection failed!" in bad.stdout
    # 3.3.2 made a failed test exit 1; before, the CLI printed the failure and exited 0
    assert (bad.returncode != 0) is AIRFLOW_V_3_3_2_PLUS
    assert "HTTP 401" in bad.stdout + bad.stderr
    assert wrong not in bad.stdout + bad.stderr
    assert emu.messages == []


@pytest.mark.parametrize("extra", [{}, {"phone_number_id": "", "waba_id": ""}])
def test_test_connection_reports_an_unreachable_host(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]
) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    key = unique_key()
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "host": url,
            "password": key,
            "extra": {"phone_number_id": PHONE_ID, "waba_id": WABA, "ctrl_host": url, **extra},
        },
    )
    ok, message = WhatsAppHook().test_connection()
    assert ok is False
    assert url in message
    assert "Connection refused" in message
    assert "Check the host of the connection" in message
    assert key not in message


def test_test_connection_reports_a_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MATON_API_KEY", raising=False)
    set_connection(monkeypatch, {"conn_type": "whatsapp", "extra": {"phone_number_id": "1"}})
    ok, message = WhatsAppHook().test_connection()
    assert ok is False
    assert "MATON_API_KEY" in message


async def test_async_config_masks_through_the_async_channel_only(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No blocking supervisor call from the event loop: extras and key masked with asend
    (3.3+), or, before the task SDK could mask asynchronously, from a worker thread."""
    from airflow.sdk.execution_time import task_runner

    comms = FakeSupervisorComms()
    monkeypatch.setattr(task_runner, "SUPERVISOR_COMMS", comms, raising=False)
    key = unique_key()
    monkeypatch.setenv("MATON_API_KEY", key)
    conn = emu.airflow_connection()
    conn["password"] = ""
    set_connection(monkeypatch, conn)

    config = await WhatsAppHook().get_async_config()

    assert config.api_key == key
    assert config.phone_number_id == PHONE_ID
    # the env key reached the supervisor's masker too
    assert key in (comms.async_masks if AIRFLOW_V_3_3_PLUS else comms.thread_masks)
    assert comms.loop_sends == []
