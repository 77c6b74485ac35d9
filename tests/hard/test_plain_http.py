"""The key never travels in clear: a plain-http gateway or ctrl host is refused before any
request, unless it is loopback or the connection says ``allow_insecure_http`` (unsafe).

"Before any request" is measured, not assumed: the gateway names used here resolve (only
they: ``socket.getaddrinfo`` is pointed at loopback for them) to the real emulator. So a
refused connection is one that would have reached the emulator, yet the emulator counts
no request and no name is even looked up; the same connection with
``allow_insecure_http`` does reach it. Each test uses names of its own (``*.example``,
never resolvable for real), so the once-per-URL warning is this test's.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
import types
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_whatsapp.client import ClientConfig, WhatsAppClient
from airflow_provider_whatsapp.client.errors import WhatsAppConfigError
from airflow_provider_whatsapp.hooks.whatsapp import WhatsAppHook
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.version_compat import AIRFLOW_V_3_3_PLUS
from tests.helpers import TO, set_connection, task_states

pytestmark = pytest.mark.emu(open_window=[TO])


class Names:
    """Host names this test resolves to 127.0.0.1, and the look-ups made for them."""

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:8]
        self.gateway = f"gateway-{tag}.example"
        self.ctrl = f"ctrl-{tag}.example"
        self.lookups: list[str] = []


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Names:
    found = Names()
    real: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name in (found.gateway, found.ctrl):
            found.lookups.append(name)
            return real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return found


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level("WARNING", logger="airflow_provider_whatsapp")
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def connect(
    monkeypatch: pytest.MonkeyPatch, emu: WhatsAppEmulator, host: str, **extra: Any
) -> None:
    """``whatsapp_default``: the emulator's connection with this host and extras."""
    conn = emu.airflow_connection(**extra)
    conn["host"] = host
    set_connection(monkeypatch, conn)


def send_through_the_hook() -> None:
    with WhatsAppHook().get_conn() as client:
        client.send_message({"to": TO, "type": "text", "text": {"body": "hi"}})
        client.list_maton_connections()


# -- refused ----------------------------------------------------------------------------


@pytest.mark.parametrize("credentials", ["", "user:s3cr3t-in-url@"])
def test_an_http_gateway_is_refused_before_any_request(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, names: Names, credentials: str
) -> None:
    """Sync client, async client and the Test button: one error naming ``host``, the URL
    (never its credentials nor the key) and both fixes; nothing leaves."""
    url = f"http://{names.gateway}:{emu.port}"
    connect(monkeypatch, emu, f"http://{credentials}{names.gateway}:{emu.port}", ctrl_host=emu.url)

    with pytest.raises(WhatsAppConfigError) as failure:
        send_through_the_hook()
    text = str(failure.value)
    assert f"connection 'whatsapp_default': host '{url}' is plain http" in text
    assert "clear text" in text
    assert f"Use https ('https://{names.gateway}:{emu.port}')" in text
    assert "allow_insecure_http" in text and "unsafe" in text
    assert "s3cr3t" not in text and emu.api_key not in text

    async def open_async() -> None:
        await WhatsAppHook().get_async_conn()

    with pytest.raises(WhatsAppConfigError, match=r"host .* is plain http"):
        asyncio.run(open_async())

    ok, message = WhatsAppHook().test_connection()
    assert ok is False and message == text

    assert emu.requests == [] and names.lookups == []


def test_an_http_ctrl_host_is_refused_too(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, names: Names
) -> None:
    """A loopback gateway is fine, the ctrl host is not: the whole connection is refused,
    so not even a gateway request leaves."""
    url = f"http://{names.ctrl}:{emu.port}"
    connect(monkeypatch, emu, emu.url, ctrl_host=url)

    with pytest.raises(WhatsAppConfigError) as failure:
        send_through_the_hook()
    assert f"connection 'whatsapp_default': extra 'ctrl_host' '{url}' is plain http" in str(
        failure.value
    )

    ok, message = WhatsAppHook().test_connection()
    assert ok is False and "extra 'ctrl_host'" in message and "allow_insecure_http" in message
    assert emu.requests == [] and names.lookups == []


@pytest.mark.parametrize("value", [False, "false", " False ", "", None])
def test_allow_insecure_http_off_still_refuses(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, names: Names, value: Any
) -> None:
    connect(monkeypatch, emu, f"http://{names.gateway}:{emu.port}", allow_insecure_http=value)
    with pytest.raises(WhatsAppConfigError, match=r"host .* is plain http"):
        send_through_the_hook()
    assert emu.requests == []


@pytest.mark.parametrize("value", [1, 0, "yes", "on", [True], {"x": 1}])
def test_a_non_boolean_allow_insecure_http_is_an_error_naming_it(
    emu: WhatsAppEmulator, monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    """A switch that weakens security is never guessed on, even for a loopback host."""
    connect(monkeypatch, emu, emu.url, allow_insecure_http=value)
    with pytest.raises(WhatsAppConfigError) as failure:
        _ = WhatsAppHook().config
    assert (
        f"connection 'whatsapp_default': extra 'allow_insecure_http' must be true or false, "
        f"got {value!r}" in str(failure.value)
    )
    ok, message = WhatsAppHook().test_connection()
    assert ok is False and "allow_insecure_http" in message
    assert emu.requests == []


# -- accepted ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, "true", " TRUE "])
def test_allow_insecure_http_lets_it_through_with_a_warning(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    names: Names,
    warnings: Callable[[], list[str]],
    value: Any,
) -> None:
    """The same connections, switched on (JSON ``true``, or a URI query's ``"true"``): they
    reach the emulator, key and all, and each http URL is warned about once."""
    gateway, ctrl = f"http://{names.gateway}:{emu.port}", f"http://{names.ctrl}:{emu.port}"
    connect(monkeypatch, emu, gateway, ctrl_host=ctrl, allow_insecure_http=value)

    send_through_the_hook()
    assert WhatsAppHook().test_connection()[0] is True

    assert {r.host for r in emu.requests} == {
        f"{names.gateway}:{emu.port}",
        f"{names.ctrl}:{emu.port}",
    }
    assert {r.headers["authorization"] for r in emu.requests} == {f"Bearer {emu.api_key}"}
    assert [m.to for m in emu.messages] == [TO]
    found = warnings()
    assert found == [
        f"connection 'whatsapp_default': {field} {url!r} is plain http, allowed by "
        "allow_insecure_http: the Maton key crosses the network in clear text on every "
        "request (unsafe; use https)"
        for field, url in (("host", gateway), ("extra 'ctrl_host'", ctrl))
    ]
    assert not any(emu.api_key in line for line in found)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost"],
)
def test_a_loopback_http_host_needs_no_switch_and_warns_nothing(
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    warnings: Callable[[], list[str]],
    host: str,
) -> None:
    connect(monkeypatch, emu, f"http://{host}:{emu.port}")
    send_through_the_hook()
    assert [m.to for m in emu.messages] == [TO]
    assert warnings() == []


# -- the bare client --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://gateway.maton.ai",
        "https://10.0.0.5:8443",
        "http://127.0.0.1:8080",
        "http://127.8.9.10",
        "http://localhost:1",
        "http://LOCALHOST.:1",
        "http://[::1]:8080",
        "http://[::ffff:127.0.0.1]:9",
        "HTTP://127.0.0.1",
    ],
)
def test_client_config_accepts_https_and_loopback_http(url: str) -> None:
    config = ClientConfig(api_key="k", base_url=url, ctrl_url=url)
    assert config.trusts(f"{config.base_url}/x")


@pytest.mark.parametrize(
    "url",
    [
        "http://gateway.maton.ai",
        "HTTP://api.maton.ai",
        "http://10.0.0.5:8080",
        "http://0.0.0.0:8080",
        "http://[::2]",
        "http://localhost.example.com",  # loopback by name only if it is the very name
        "http://app.localhost",
        "http://127.0.0.1.nip.io",  # DNS would say 127.0.0.1: never asked
        "http://127.1",  # an inet_aton shorthand, not a literal address
        "http://key:s3cr3t@gateway.maton.ai",
    ],
)
@pytest.mark.parametrize("field", ["base_url", "ctrl_url"])
def test_client_config_refuses_plain_http_elsewhere(url: str, field: str) -> None:
    with pytest.raises(WhatsAppConfigError) as failure:
        ClientConfig(api_key="sk-bare-client", **{field: url})
    text = str(failure.value)
    assert text.startswith(f"{field} 'http://") and "is plain http" in text
    assert "allow_insecure_http=True" in text and "unsafe" in text
    assert "s3cr3t" not in text and "sk-bare-client" not in text


def test_the_bare_client_with_allow_insecure_http_sends_and_warns(
    emu: WhatsAppEmulator, names: Names, warnings: Callable[[], list[str]]
) -> None:
    url = f"http://{names.gateway}:{emu.port}"
    with pytest.raises(WhatsAppConfigError):
        ClientConfig(api_key=emu.api_key, base_url=url, ctrl_url=url)
    assert names.lookups == []

    config = ClientConfig(
        api_key=emu.api_key,
        base_url=url,
        ctrl_url=url,
        phone_number_id=emu.phone_number_id,
        allow_insecure_http=True,
    )
    with WhatsAppClient(config) as client:
        client.send_message({"to": TO, "type": "text", "text": {"body": "hi"}})
    with WhatsAppClient(config.for_bulk()):  # a copy of the config: no second warning
        pass
    assert [m.to for m in emu.messages] == [TO]
    assert warnings() == [
        f"base_url {url!r} is plain http, allowed by allow_insecure_http: the Maton key "
        "crosses the network in clear text on every request (unsafe; use https)"
    ]


def test_allow_insecure_http_must_be_a_bool() -> None:
    with pytest.raises(ValueError, match="allow_insecure_http must be True or False, got 'no'"):
        ClientConfig(api_key="k", allow_insecure_http="no")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.maton.ai/x", True),
        ("http://api.maton.ai/x", False),  # the right host, in clear: no key
        ("http://api.maton.ai/connections", False),
    ],
)
def test_the_key_never_goes_to_a_trusted_host_over_http(url: str, trusted: bool) -> None:
    """A URL from an answer (a CDN link, a paging link) that names the gateway's host over
    http gets no key: the host is trusted by the scheme configured for it only."""
    assert ClientConfig(api_key="k").trusts(url) is trusted


# -- the task -----------------------------------------------------------------------------


@pytest.mark.dag
@pytest.mark.parametrize("field", ["host", "ctrl_host"])
def test_the_task_fails_without_retry_naming_the_field(
    airflow_db: Any,
    emu: WhatsAppEmulator,
    monkeypatch: pytest.MonkeyPatch,
    names: Names,
    field: str,
) -> None:
    """``dag.test()`` with retries=1: the refusal is final (one try), says which field,
    and the emulator, which that host would have reached, sees nothing."""
    from tests.dags.plain_http import FAILURES, dag

    url = f"http://{names.gateway}:{emu.port}"
    if field == "host":
        connect(monkeypatch, emu, url, ctrl_host=emu.url)
    else:
        connect(monkeypatch, emu, emu.url, ctrl_host=url)
    FAILURES.clear()
    when = datetime(2026, 5, 6, 7, 8, 9, tzinfo=timezone.utc)

    dr = dag.test(logical_date=when, run_after=when, run_conf={"to": TO})

    assert task_states(dr) == {"send": "failed"}
    [ti] = dr.get_task_instances()
    assert ti.try_number == 1, "no retry can fix an http host"
    named = "host" if field == "host" else "extra 'ctrl_host'"
    if AIRFLOW_V_3_3_PLUS:  # dag.test() before 3.3 puts no exception in callback contexts
        [failure] = FAILURES
        assert f"connection 'whatsapp_default': {named} '{url}' is plain http" in failure
        assert emu.api_key not in failure
    assert emu.requests == [] and names.lookups == []


# -- the form -------------------------------------------------------------------------------


def test_airflow_3_1_draws_the_switch_as_a_checkbox(monkeypatch: pytest.MonkeyPatch) -> None:
    """3.1 builds the form from ``get_connection_form_widgets``. wtforms and
    flask-appbuilder are not installed here (3.1's UI stands in light versions of them
    too): stand-ins that record which field class each extra gets."""

    class Field:
        def __init__(self, label: str, **kwargs: Any) -> None:
            self.label, self.kwargs = label, kwargs

    class BooleanField(Field): ...

    class IntegerField(Field): ...

    class StringField(Field): ...

    stand_ins = {
        "wtforms": {
            "BooleanField": BooleanField,
            "IntegerField": IntegerField,
            "StringField": StringField,
        },
        "wtforms.validators": {"Optional": lambda: None},
        "flask_babel": {"lazy_gettext": lambda text: text},
        "flask_appbuilder": {},
        "flask_appbuilder.fieldwidgets": {"BS3TextFieldWidget": lambda: None},
    }
    for name, attributes in stand_ins.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)

    widgets = WhatsAppHook.get_connection_form_widgets()
    switch = widgets["allow_insecure_http"]
    assert type(switch) is BooleanField
    assert switch.kwargs["default"] is False
    assert "UNSAFE" in switch.label and "clear text" in switch.kwargs["description"]
    assert type(widgets["max_retries"]) is IntegerField
    assert type(widgets["ctrl_host"]) is StringField
