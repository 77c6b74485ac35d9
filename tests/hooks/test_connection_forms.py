"""One emulator, every way Airflow lets a user write its connection: URI, JSON, form fields.

Airflow splits the same URL into different fields by form (a URI's port goes to ``port``,
its path to ``schema``; the form's Host field holds a whole URL). Each case sets
``AIRFLOW_CONN_WHATSAPP_DEFAULT`` as a user would, sends a message through the hook, and
checks that the emulator received it: the request reached the right port and scheme.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest

from airflow_provider_whatsapp.client.errors import WhatsAppConfigError
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import set_connection

TO = "15550001234"


@pytest.fixture
def emu(shared_emulator: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch) -> WhatsAppEmulator:
    shared_emulator.reset()
    shared_emulator.open_window(TO)
    monkeypatch.delenv("MATON_API_KEY", raising=False)
    return shared_emulator


def uri_query(emu: WhatsAppEmulator) -> str:
    return f"phone_number_id={emu.phone_number_id}&waba_id={emu.waba_id}"


def fields(emu: WhatsAppEmulator, **conn: Any) -> str:
    """A JSON connection (the form's fields) with these host/port/schema fields."""
    extra = {"phone_number_id": emu.phone_number_id, "waba_id": emu.waba_id}
    return json.dumps({"conn_type": "whatsapp", "password": emu.api_key, "extra": extra, **conn})


# Each form as a user writes it for the emulator on http://127.0.0.1:PORT.
FORMS: dict[str, Any] = {
    # the form: loopback host, port, no scheme anywhere (http: loopback)
    "uri": lambda e: f"whatsapp://:{e.api_key}@127.0.0.1:{e.port}/?{uri_query(e)}",
    "uri-localhost": lambda e: f"whatsapp://:{e.api_key}@localhost:{e.port}/?{uri_query(e)}",
    "uri-no-slash": lambda e: f"whatsapp://:{e.api_key}@127.0.0.1:{e.port}?{uri_query(e)}",
    "uri-schema-path": lambda e: f"whatsapp://:{e.api_key}@127.0.0.1:{e.port}/http?{uri_query(e)}",
    "uri-protocol-host": (
        lambda e: f"whatsapp://http://:{e.api_key}@127.0.0.1:{e.port}/?{uri_query(e)}"
    ),
    "uri-encoded-url-host": (
        lambda e: f"whatsapp://:{e.api_key}@{quote(e.url, safe='')}/?{uri_query(e)}"
    ),
    "json-url-host": lambda e: fields(e, host=e.url),  # the emulator's own printed form
    "json-host-port": lambda e: fields(e, host="127.0.0.1", port=e.port),
    "json-host-port-string": lambda e: fields(e, host="127.0.0.1", port=str(e.port)),
    "json-scheme-host-port": lambda e: fields(e, host="http://127.0.0.1", port=e.port),
    "json-host-port-schema": lambda e: fields(e, host="127.0.0.1", port=e.port, schema="http"),
    "json-bare-host-with-port": lambda e: fields(e, host=f"127.0.0.1:{e.port}"),
    "json-url-host-same-port": lambda e: fields(e, host=e.url, port=e.port),
}


@pytest.mark.parametrize("form", FORMS)
def test_every_connection_form_reaches_the_emulator(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_WHATSAPP_DEFAULT", FORMS[form](emu))
    hook = WhatsAppHook()
    assert (
        hook.config.base_url
        == f"http://{'localhost' if 'localhost' in form else '127.0.0.1'}:{emu.port}"
    )
    with hook.get_conn() as client:
        client.send_message({"to": TO, "type": "text", "text": {"body": form}})
    [sent] = emu.messages
    assert (sent.to, sent.payload["text"]["body"]) == (TO, form)
    assert [r.headers.get("authorization") for r in emu.requests] == [f"Bearer {emu.api_key}"]


def test_the_async_client_reaches_the_emulator_through_a_uri(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The triggerer's path (async connection look-up) honours the URI's port too."""
    monkeypatch.setenv("AIRFLOW_CONN_WHATSAPP_DEFAULT", FORMS["uri"](emu))

    async def send() -> None:
        async with await WhatsAppHook().get_async_conn() as client:
            await client.send_message({"to": TO, "type": "text", "text": {"body": "async"}})

    asyncio.run(send())
    assert [m.payload["text"]["body"] for m in emu.messages] == ["async"]


@pytest.mark.parametrize(
    ("conn", "expected"),
    [
        ({"host": "gateway.example.com", "port": 8443}, "https://gateway.example.com:8443"),
        (
            {
                "host": "gateway.example.com",
                "schema": "http",
                "extra": {"allow_insecure_http": True},
            },
            "http://gateway.example.com",
        ),
        ({"host": "HTTPS://gateway.example.com", "schema": "https"}, "https://gateway.example.com"),
        ({"host": "proxy.example.com/maton", "port": 99}, "https://proxy.example.com:99/maton"),
        ({"host": "::1", "port": 8080}, "http://[::1]:8080"),
        ({"host": "127.0.0.2"}, "http://127.0.0.2"),
        ({"host": "https://127.0.0.1:8443"}, "https://127.0.0.1:8443"),
        ({"host": "127.0.0.1", "schema": "https", "port": 8443}, "https://127.0.0.1:8443"),
        ({"host": "gateway.example.com"}, "https://gateway.example.com"),
    ],
)
def test_host_port_and_schema_make_one_url(
    monkeypatch: pytest.MonkeyPatch, conn: dict[str, Any], expected: str
) -> None:
    """No scheme given: https, except http for a loopback host; a given scheme always wins."""
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": "conn-forms-key-1", **conn})
    assert WhatsAppHook().config.base_url == expected


def test_a_bare_loopback_ctrl_host_is_http_too(monkeypatch: pytest.MonkeyPatch) -> None:
    set_connection(
        monkeypatch,
        {
            "conn_type": "whatsapp",
            "password": "conn-forms-key-1",
            "extra": {"ctrl_host": "localhost:9"},
        },
    )
    assert WhatsAppHook().config.ctrl_url == "http://localhost:9"


@pytest.mark.parametrize(
    ("conn", "expected"),
    [
        (
            {"host": "http://127.0.0.1:1", "port": 2},
            "host 'http://127.0.0.1:1' says port 1 but the port field says 2",
        ),
        (
            {"host": "https://gateway.example.com", "schema": "http"},
            "host 'https://gateway.example.com' says 'https' but schema says 'http'",
        ),
        ({"host": "gateway.example.com", "schema": "ftp"}, "schema 'ftp' is not a URL scheme"),
        ({"host": "gateway.example.com", "port": 70000}, "port must be 1 to 65535, got 70000"),
        ({"port": 8443}, "port or schema is set but host is empty"),
    ],
)
def test_contradicting_fields_fail_naming_them_before_any_request(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    conn: dict[str, Any],
    expected: str,
) -> None:
    set_connection(monkeypatch, {"conn_type": "whatsapp", "password": emu.api_key, **conn})
    with pytest.raises(WhatsAppConfigError) as failure:
        _ = WhatsAppHook().config
    assert expected in str(failure.value)
    assert "'whatsapp_default'" in str(failure.value)
    assert emu.api_key not in str(failure.value)
    assert emu.requests == []


@pytest.mark.parametrize("conn_type", ["http", "https", "generic"])
def test_a_connection_of_another_type_fails_before_any_request(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, conn_type: str
) -> None:
    """Its fields mean other things (an http connection's host, login, password): the hook
    sends nothing with it, though the emulator would accept every field."""
    set_connection(monkeypatch, {**emu.airflow_connection(), "conn_type": conn_type}, "alerts")
    hook = WhatsAppHook("alerts")
    with pytest.raises(WhatsAppConfigError) as failure:
        hook.get_conn().send_message({"to": TO, "type": "text", "text": {"body": "x"}})
    text = str(failure.value)
    assert "connection 'alerts'" in text
    assert f"of type {conn_type!r}" in text
    assert "type 'whatsapp'" in text
    assert emu.api_key not in text

    async def send_async() -> None:
        await WhatsAppHook("alerts").get_async_conn()

    with pytest.raises(WhatsAppConfigError, match=f"of type {conn_type!r}"):
        asyncio.run(send_async())

    ok, message = WhatsAppHook("alerts").test_connection()
    assert ok is False and f"of type {conn_type!r}" in message
    assert emu.requests == [] and emu.messages == []


def test_a_connection_without_a_type_is_taken_as_whatsapp(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON env var may leave conn_type out; that is no other type."""
    conn = emu.airflow_connection()
    del conn["conn_type"]
    set_connection(monkeypatch, conn)
    with WhatsAppHook().get_conn() as client:
        client.send_message({"to": TO, "type": "text", "text": {"body": "typeless"}})
    assert [m.payload["text"]["body"] for m in emu.messages] == ["typeless"]
