"""Every client call, through real HTTP to the emulator."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import time
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from airflow_provider_whatsapp.client import (
    AsyncWhatsAppClient,
    ClientConfig,
    WhatsAppClient,
    errors,
)
from airflow_provider_whatsapp.client.ratelimit import SlidingWindowLimiter
from airflow_provider_whatsapp.client.request import ApiRequest
from airflow_provider_whatsapp.messages import TextMessage
from tests.helpers import client_config

PHONE = "16505551234"
SECRET = "sk-VERY-DISTINCT-KEY-7f3a"


def text_to(phone: str = PHONE, body: str = "hi") -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "to": phone, "type": "text", "text": {"body": body}}


def gateway(emu: Any, path: str = "") -> list[Any]:
    return [r for r in emu.requests if path in r.path]


@pytest.fixture
def steady_heap() -> Iterator[None]:
    """For tests that compare when requests reach the emulator. It runs in this process:
    a full garbage collection of the suite's heap (~100 ms) stalls its thread between a
    request's departure (when the limiter counts it) and its arrival stamp, a delay no
    gateway in another process would see. Freezing the heap built so far keeps the
    collections during the test short."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def test_send_message_exact_request(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    with WhatsAppClient(
        client_config(whatsapp_emulator, maton_connection=whatsapp_emulator.connection_id)
    ) as client:
        answer = client.send_message(
            TextMessage.create("+1 (650) 555-1234", "hello", preview_url=True)
        )
    assert answer["messages"][0]["id"].startswith("wamid.")
    (req,) = whatsapp_emulator.requests
    assert req.method == "POST"
    assert req.path == f"/whatsapp-business/v25.0/{whatsapp_emulator.phone_number_id}/messages"
    assert req.headers["authorization"] == f"Bearer {whatsapp_emulator.api_key}"
    assert req.headers["maton-connection"] == whatsapp_emulator.connection_id
    assert req.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": PHONE,
        "type": "text",
        "text": {"body": "hello", "preview_url": True},
    }


def test_no_maton_connection_header_when_unset(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        client.send_message(text_to())
    assert "maton-connection" not in whatsapp_emulator.requests[0].headers


def test_send_validates_dicts_before_any_request(whatsapp_emulator) -> None:
    with (
        WhatsAppClient(client_config(whatsapp_emulator)) as client,
        pytest.raises(ValueError, match="body"),
    ):
        client.send_message(text_to(body="x" * 4097))
    assert whatsapp_emulator.requests == []


def test_mark_as_read(whatsapp_emulator) -> None:
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        assert client.mark_as_read("wamid.ABC") == {"success": True}
    assert whatsapp_emulator.requests[0].json == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.ABC",
    }


def test_media_upload_get_download_delete(whatsapp_emulator, tmp_path) -> None:
    png = tmp_path / "chart.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        media_id = client.upload_media(png, "image/png")
        info = client.get_media(media_id)
        assert info["mime_type"] == "image/png"
        assert client.download_media(media_id) == png.read_bytes()
        assert client.delete_media(media_id) == {"success": True}
        with pytest.raises(errors.NotFoundError):
            client.get_media(media_id)
    upload = whatsapp_emulator.requests[0]
    assert upload.form == {"messaging_product": "whatsapp", "type": "image/png"}
    assert upload.files[0]["content_type"] == "image/png"
    assert upload.files[0]["filename"] == "chart.png"
    cdn = [r for r in whatsapp_emulator.requests if r.path.startswith("/_lookaside")]
    assert len(cdn) == 1
    assert "authorization" not in cdn[0].headers  # the key never goes to Meta's CDN


def test_upload_without_mime_type_is_refused(whatsapp_emulator) -> None:
    with (
        WhatsAppClient(client_config(whatsapp_emulator)) as client,
        pytest.raises(errors.WhatsAppConfigError, match="mime"),
    ):
        client.upload_media(b"raw bytes")
    assert whatsapp_emulator.requests == []


def test_upload_guesses_the_mime_type_as_the_operators_do(whatsapp_emulator, tmp_path) -> None:
    """The operators' guesser: extension first, else the first bytes (a PNG named chart)."""
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    chart = tmp_path / "chart"
    chart.write_bytes(png)
    voice = tmp_path / "voice.opus"
    voice.write_bytes(b"OggS" + b"0" * 100)
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        client.upload_media(chart)
        client.upload_media(png)
        client.upload_media(voice)
    assert [r.form["type"] for r in whatsapp_emulator.requests] == [
        "image/png",
        "image/png",
        "audio/ogg",
    ]


def test_templates_paging_follows_after_cursor_through_gateway(whatsapp_emulator) -> None:
    for n in range(230):
        whatsapp_emulator.add_template(f"tpl_{n:03d}")
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        templates = client.list_templates()
    names = {t["name"] for t in templates}
    assert {f"tpl_{n:03d}" for n in range(230)} <= names
    pages = gateway(whatsapp_emulator, "/message_templates")
    assert len(pages) >= 3
    assert all(r.host.startswith("127.0.0.1") for r in pages)  # never the absolute paging.next
    assert pages[0].query["limit"] == "100"
    assert "after" in pages[1].query


def test_get_create_edit_delete_template(whatsapp_emulator) -> None:
    definition = {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "components": [
            {"type": "BODY", "text": "Order {{1}} is ready", "example": {"body_text": [["A12"]]}}
        ],
    }
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        created = client.create_template(definition)
        assert created["status"] == "PENDING"
        found = client.get_template("order_update", "en_US")
        assert found is not None and found["id"] == created["id"]
        assert client.get_template("order_update", "pt_BR") is None
        assert client.get_template("nope") is None
        whatsapp_emulator.set_template_status("order_update", "APPROVED")
        client.edit_template(created["id"], {"components": definition["components"]})
        assert client.delete_template("order_update", "en_US") == {"success": True}
    create = next(
        r
        for r in whatsapp_emulator.requests
        if r.method == "POST" and r.path.endswith("/message_templates")
    )
    assert create.json == definition
    delete = next(r for r in whatsapp_emulator.requests if r.method == "DELETE")
    assert delete.query == {"name": "order_update", "hsm_id": created["id"]}


def test_create_template_validates_before_request(whatsapp_emulator) -> None:
    with WhatsAppClient(client_config(whatsapp_emulator)) as client, pytest.raises(ValueError):
        client.create_template(
            {"name": "Bad Name", "language": "en_US", "category": "UTILITY", "components": []}
        )
    assert whatsapp_emulator.requests == []


def test_phone_numbers_profile_and_connections(whatsapp_emulator) -> None:
    with WhatsAppClient(client_config(whatsapp_emulator)) as client:
        assert client.list_phone_numbers()[0]["id"] == whatsapp_emulator.phone_number_id
        assert client.get_phone_number()["id"] == whatsapp_emulator.phone_number_id
        client.update_business_profile(about="Alerts from our data platform")
        assert client.get_business_profile()["about"] == "Alerts from our data platform"
        with pytest.raises(ValueError, match="about"):
            client.update_business_profile(about="x" * 140)
        connections = client.list_maton_connections()
        assert connections[0]["connection_id"] == whatsapp_emulator.connection_id
        new = client.create_maton_connection()
        assert new["status"] == "PENDING" and new["url"].startswith("https://")
        assert (
            client.get_maton_connection(new["connection_id"])["connection_id"]
            == new["connection_id"]
        )
        client.delete_maton_connection(new["connection_id"])
    ctrl = [r for r in whatsapp_emulator.requests if r.path.startswith("/connections")]
    assert ctrl[0].query == {"app": "whatsapp-business", "status": "ACTIVE"}
    assert ctrl[1].json == {"app": "whatsapp-business"}


def test_connection_ids_spelt_connection_Id_are_read(whatsapp_emulator) -> None:
    """Maton's OpenAPI spec spells the id ``connection_Id``: every connection call gives
    it back under ``connection_id`` too, so code reading ``["connection_id"]`` works."""
    emu = whatsapp_emulator
    emu.connection_id_key = "connection_Id"
    with WhatsAppClient(client_config(emu)) as client:
        (listed,) = client.list_maton_connections()
        new = client.create_maton_connection()
        fetched = client.get_maton_connection(new["connection_id"])
        client.delete_maton_connection(fetched["connection_id"])

    async def read_async() -> dict[str, Any]:
        async with AsyncWhatsAppClient(client_config(emu)) as aclient:
            (found,) = await aclient.list_maton_connections()
            return await aclient.get_maton_connection(found["connection_id"])

    again = asyncio.run(read_async())
    assert listed["connection_id"] == listed["connection_Id"] == emu.connection_id
    assert again["connection_id"] == emu.connection_id
    assert new["connection_id"] == new["connection_Id"] == fetched["connection_id"]
    assert [c["connection_Id"] for c in emu.connections] == [emu.connection_id]  # deleted
    ctrl = [(r.method, r.path) for r in emu.requests if r.path.startswith("/connections")]
    assert ctrl[2:4] == [
        ("GET", f"/connections/{new['connection_id']}"),
        ("DELETE", f"/connections/{new['connection_id']}"),
    ]


@pytest.mark.parametrize(
    "answer",
    [
        {"connections": [{"connection_id": "c-1", "status": "ACTIVE"}]},
        {"connections": [{"connection_Id": "c-1", "status": "ACTIVE"}]},
        {"connections": [{"connection": {"connection_Id": "c-1", "status": "ACTIVE"}}]},
        {"connections": [{"connection": {"connection_id": "c-1", "status": "ACTIVE"}}]},
        {"connections": [{"connection_Id": "c-1", "connection": {"status": "ACTIVE"}}]},
        [{"connection_Id": "c-1", "status": "ACTIVE"}],  # a bare list
    ],
)
def test_every_spelling_of_a_listed_connection_id_is_read(answer: Any) -> None:
    """The list call's answer as Maton's documents spell it (the emulator nests nothing in
    a list, so the sans-IO call is handed each answer)."""
    from airflow_provider_whatsapp.client import api

    call = api.list_maton_connections(ClientConfig(api_key="k"))
    request = next(call)
    assert (request.method, request.path, request.target) == ("GET", "connections", "ctrl")
    with pytest.raises(StopIteration) as done:
        call.send(answer)
    [connection] = done.value.value
    assert (connection["connection_id"], connection["status"]) == ("c-1", "ACTIVE")


@pytest.mark.parametrize("style", ["json", "text", "html"])
def test_wrong_key_is_an_authentication_error(whatsapp_emulator, style) -> None:
    whatsapp_emulator.maton_error_style = style
    with WhatsAppClient(client_config(whatsapp_emulator, api_key="wrong")) as client:
        with pytest.raises(errors.AuthenticationError) as info:
            client.list_phone_numbers()
    assert not info.value.retryable
    assert len(whatsapp_emulator.requests) == 1  # no retry storm


def test_unknown_maton_connection(whatsapp_emulator) -> None:
    with WhatsAppClient(client_config(whatsapp_emulator, maton_connection="no-such-id")) as client:
        with pytest.raises(errors.MissingConnectionError, match="maton_connection"):
            client.get_phone_number()


@pytest.mark.parametrize(
    ("prepare", "message", "cls", "code"),
    [
        (None, text_to(), errors.WindowClosedError, 131047),
        ("allow", text_to("447700900123"), errors.RecipientError, 131030),
        (
            None,
            {
                "to": PHONE,
                "type": "template",
                "template": {"name": "missing", "language": {"code": "en_US"}},
            },
            errors.TemplateError,
            132001,
        ),
    ],
)
def test_graph_errors_from_the_emulator(whatsapp_emulator, prepare, message, cls, code) -> None:
    if prepare == "allow":
        whatsapp_emulator.allowed_recipients = {PHONE}
        whatsapp_emulator.open_window("447700900123")
    with WhatsAppClient(client_config(whatsapp_emulator)) as client, pytest.raises(cls) as info:
        client.send_message(message)
    assert info.value.code == code
    assert info.value.fbtrace_id
    assert len(whatsapp_emulator.requests) == 1


def test_parameter_count_mismatch(whatsapp_emulator) -> None:
    whatsapp_emulator.add_template(
        "order_ready",
        components=[
            {
                "type": "BODY",
                "text": "Order {{1}} for {{2}}",
                "example": {"body_text": [["1", "b"]]},
            }
        ],
    )
    message = {
        "to": PHONE,
        "type": "template",
        "template": {
            "name": "order_ready",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "1"}]}],
        },
    }
    with (
        WhatsAppClient(client_config(whatsapp_emulator)) as client,
        pytest.raises(errors.TemplateError) as info,
    ):
        client.send_message(message)
    assert info.value.code == 132000


@pytest.mark.usefixtures("steady_heap")
def test_retries_honour_retry_after_then_succeed(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    whatsapp_emulator.inject_faults(1.0, ("429",), retry_after=0.4)
    with WhatsAppClient(client_config(whatsapp_emulator, max_retries=2, rate_limit=None)) as client:
        start = time.monotonic()
        with pytest.raises(errors.RateLimitError):
            client.send_message(text_to())
        elapsed = time.monotonic() - start
    attempts = gateway(whatsapp_emulator, "/messages")
    assert len(attempts) == 3  # first try + max_retries
    assert elapsed >= 0.8  # two waits of Retry-After 0.4 s
    gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(attempts)]
    assert all(g >= 0.38 for g in gaps)


def test_server_errors_are_retried_until_success(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    whatsapp_emulator.inject_faults(0.5, ("500", "503"), seed=3)
    with WhatsAppClient(client_config(whatsapp_emulator, max_retries=8, rate_limit=None)) as client:
        for _ in range(10):
            client.send_message(text_to())
    assert len(whatsapp_emulator.messages) == 10
    assert len(gateway(whatsapp_emulator, "/messages")) > 10


def test_max_retries_zero_means_one_attempt(whatsapp_emulator) -> None:
    whatsapp_emulator.inject_faults(1.0, ("503",))
    whatsapp_emulator.open_window(PHONE)
    with (
        WhatsAppClient(client_config(whatsapp_emulator, max_retries=0)) as client,
        pytest.raises(errors.ServerError),
    ):
        client.send_message(text_to())
    assert len(whatsapp_emulator.requests) == 1


@pytest.mark.parametrize("kind", ["drop_after", "slow_after"])
def test_lost_answer_to_a_send_is_ambiguous_and_not_resent(whatsapp_emulator, kind) -> None:
    whatsapp_emulator.open_window(PHONE)
    whatsapp_emulator.inject_faults(1.0, (kind,), slow_seconds=3)
    with WhatsAppClient(client_config(whatsapp_emulator, timeout=0.5, max_retries=3)) as client:
        with pytest.raises(errors.AmbiguousSendError) as info:
            client.send_message(text_to())
    assert not info.value.retryable
    assert len(gateway(whatsapp_emulator, "/messages")) == 1
    assert len(whatsapp_emulator.messages) == 1  # it did land: resending would duplicate


def test_ambiguous_send_is_resent_when_opted_in(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    whatsapp_emulator.inject_faults(1.0, ("drop_after",))
    with (
        WhatsAppClient(
            client_config(whatsapp_emulator, retry_ambiguous=True, max_retries=2)
        ) as client,
        pytest.raises(errors.WhatsAppConnectionError),
    ):
        client.send_message(text_to())
    assert len(gateway(whatsapp_emulator, "/messages")) == 3


def test_lost_answer_to_a_read_is_retried(whatsapp_emulator) -> None:
    whatsapp_emulator.inject_faults(0.5, ("drop_after",), paths="all", seed=1)
    with WhatsAppClient(client_config(whatsapp_emulator, max_retries=10)) as client:
        for _ in range(6):
            assert client.get_phone_number()["id"] == whatsapp_emulator.phone_number_id


def test_unreachable_host_is_a_connection_error(whatsapp_emulator) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    config = client_config(whatsapp_emulator, base_url=f"http://127.0.0.1:{port}", max_retries=2)
    with WhatsAppClient(config) as client, pytest.raises(errors.WhatsAppConnectionError) as info:
        client.send_message(text_to())
    assert "refused" in str(info.value).lower() or "ConnectError" in str(info.value)
    assert isinstance(info.value.__cause__, httpx.ConnectError)  # chained, not dropped


def test_a_network_failure_keeps_its_httpx_cause_without_the_key(whatsapp_emulator) -> None:
    """A key pasted with a line break: h11 refuses the header and writes its value, key
    and all, into its message, which httpx and httpcore repeat. Our error is chained to
    httpx's, and no text in the printed traceback (every exception in the chain) shows
    the key. A request the HTTP library refuses to write is a config error: no retry."""
    with WhatsAppClient(client_config(whatsapp_emulator, api_key=SECRET + "\n")) as client:
        with pytest.raises(errors.WhatsAppConfigError, match="line breaks") as info:
            client.get_phone_number()
    assert not info.value.retryable
    assert isinstance(info.value.__cause__, httpx.LocalProtocolError)
    printed = "".join(traceback.format_exception(info.value))
    assert "Illegal header value" in printed  # the cause is shown...
    assert "The above exception was the direct cause" in printed
    assert SECRET not in printed  # ...without the key
    chain: list[BaseException] = []
    error: BaseException | None = info.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert len(chain) >= 3  # ours, httpx's, httpcore's (and h11's)
    assert not [e for e in chain if SECRET in str(e) or SECRET in repr(e.args)]
    assert whatsapp_emulator.requests == []  # it never left


@pytest.mark.usefixtures("steady_heap")
def test_burst_of_50_at_limit_10_gets_no_429(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    config = client_config(whatsapp_emulator, api_key=whatsapp_emulator.api_key, max_retries=0)

    async def burst() -> None:
        async with AsyncWhatsAppClient(config, concurrency=50) as client:
            await asyncio.gather(*(client.send_message(text_to()) for _ in range(50)))

    start = time.monotonic()
    asyncio.run(burst())
    elapsed = time.monotonic() - start
    assert whatsapp_emulator.count_429() == 0
    assert len(whatsapp_emulator.messages) == 50
    assert elapsed >= 4.0  # 50 at 10/s: the limiter really spaced them


class HeldBackLimiter(SlidingWindowLimiter):
    """Grants a slot, then holds the request back 50 ms, as a TLS handshake or a busy
    machine would between the slot and the request's bytes leaving. Records where each
    slot is moved when its request leaves (:meth:`restamp`)."""

    def __init__(self) -> None:
        super().__init__(10)
        self.granted: list[float] = []
        self.departed: list[float] = []

    def restamp(self, stamp: float) -> float:
        self.departed.append(moved := super().restamp(stamp))
        return moved

    def acquire(self) -> float:
        self.granted.append(stamp := super().acquire())
        time.sleep(0.05)
        return stamp

    async def acquire_async(self) -> float:
        self.granted.append(stamp := await super().acquire_async())
        await asyncio.sleep(0.05)
        return stamp


def test_the_slot_is_taken_when_the_request_leaves(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    config = client_config(whatsapp_emulator, max_retries=0)
    limiter = HeldBackLimiter()
    with WhatsAppClient(config, limiter=limiter) as client:
        client.send_message(text_to())
    (slot,) = limiter.departed
    assert slot >= limiter.granted[0] + 0.05

    limiter = HeldBackLimiter()

    async def send() -> None:
        async with AsyncWhatsAppClient(config, limiter=limiter) as aclient:
            await aclient.send_message(text_to())

    asyncio.run(send())
    (slot,) = limiter.departed
    assert slot >= limiter.granted[0] + 0.05
    assert len(whatsapp_emulator.messages) == 2


@pytest.mark.usefixtures("steady_heap")
def test_sync_and_async_clients_share_one_limit(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    config = client_config(whatsapp_emulator, max_retries=0)

    async def both() -> None:
        async with AsyncWhatsAppClient(config, concurrency=20) as aclient:
            with WhatsAppClient(config) as client:
                sync_part = asyncio.to_thread(
                    lambda: [client.send_message(text_to()) for _ in range(12)]
                )
                await asyncio.gather(
                    sync_part, *(aclient.send_message(text_to()) for _ in range(12))
                )

    asyncio.run(both())
    assert whatsapp_emulator.count_429() == 0
    assert len(whatsapp_emulator.messages) == 24


async def test_async_client_calls(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    whatsapp_emulator.add_template("hello_async")
    async with AsyncWhatsAppClient(client_config(whatsapp_emulator)) as client:
        answer = await client.send_message(text_to())
        assert answer["contacts"][0]["wa_id"] == PHONE
        assert (await client.get_template("hello_async"))["name"] == "hello_async"
        assert (await client.get_phone_number())["id"] == whatsapp_emulator.phone_number_id
        with pytest.raises(errors.WindowClosedError):
            await client.send_message(text_to("447700900123"))


def test_key_never_in_logs_reprs_or_errors(caplog) -> None:
    from airflow_provider_whatsapp.testing import WhatsAppEmulator

    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with WhatsAppEmulator(api_key=SECRET) as emu:
        emu.open_window(PHONE)
        emu.inject_faults(0.5, ("500", "429", "drop_after"), retry_after=0.01, seed=2)
        config = client_config(emu, max_retries=1)
        with WhatsAppClient(config) as client:
            texts += [repr(config), repr(client), str(config)]
            for body in ("a", "b", "c", "d"):
                try:
                    client.send_message(text_to(body=body))
                except errors.WhatsAppError as exc:
                    texts += [str(exc), repr(exc), str(exc.to_dict())]
            with pytest.raises(errors.WindowClosedError) as info:
                client.send_message(text_to("447700900123"))
            texts.append(str(info.value))
        with (
            WhatsAppClient(client_config(emu, api_key=SECRET + "x")) as bad,
            pytest.raises(errors.AuthenticationError) as auth,
        ):
            bad.list_phone_numbers()
        texts.append(str(auth.value))
        non_gateway = [r for r in emu.requests if r.path.startswith("/_lookaside")]
    texts += [r.getMessage() for r in caplog.records]
    assert texts
    assert not [t for t in texts if SECRET in t]
    assert not [r for r in non_gateway if SECRET in str(r.headers)]


# -- before_send: a hook on every attempt, after its rate-limit slot -----------------


def test_before_send_sees_every_attempt_just_before_it_leaves(whatsapp_emulator) -> None:
    whatsapp_emulator.open_window(PHONE)
    whatsapp_emulator.inject_faults(1.0, ("503",))
    seen: list[ApiRequest] = []
    config = client_config(whatsapp_emulator, max_retries=2)
    with (
        WhatsAppClient(config, before_send=[seen.append]) as client,
        pytest.raises(errors.ServerError),
    ):
        client.send_message(text_to())
    assert len(seen) == len(whatsapp_emulator.requests) == 3  # the first try and 2 retries
    assert {(r.method, r.target) for r in seen} == {("POST", "gateway")}


class OrderLimiter(SlidingWindowLimiter):
    def __init__(self, events: list[str]) -> None:
        super().__init__(10)
        self.events = events

    async def acquire_async(self) -> float:
        stamp = await super().acquire_async()
        self.events.append("slot")
        return stamp


def test_async_before_send_runs_after_the_slot_and_can_stop_the_request(
    whatsapp_emulator,
) -> None:
    whatsapp_emulator.open_window(PHONE)
    events: list[str] = []

    async def note(request: ApiRequest) -> None:
        events.append("hook")

    async def refuse(request: ApiRequest) -> None:
        raise errors.WhatsAppConfigError("stopped before it left")

    async def main() -> None:
        config = client_config(whatsapp_emulator)
        async with AsyncWhatsAppClient(
            config, limiter=OrderLimiter(events), before_send=[note]
        ) as client:
            await client.send_message(text_to())
            client.before_send.append(refuse)
            with pytest.raises(errors.WhatsAppConfigError, match="stopped"):
                await client.send_message(text_to())

    asyncio.run(main())
    assert events == ["slot", "hook", "slot", "hook"]
    assert len(whatsapp_emulator.requests) == 1  # the refused one never left


# -- the key goes to trusted hosts only ------------------------------------------------


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://gateway.maton.ai/whatsapp-business/v21.0/1/messages", True),
        ("https://GATEWAY.maton.ai:443/x", True),
        ("https://ctrl.maton.ai/connections", True),
        ("https://gateway.maton.ai:8443/x", False),
        ("http://gateway.maton.ai:443.evil.example/x", False),
        ("https://gateway.maton.ai.evil.example/x", False),
        ("https://gateway.maton.ai@evil.example/x", False),
        ("https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1", False),
        ("https://gateway.maton.ai:port/x", False),
        ("not a url", False),
    ],
)
def test_trusted_hosts_decide_where_the_key_may_go(url: str, trusted: bool) -> None:
    config = ClientConfig(api_key="k", base_url="https://gateway.maton.ai")  # the older split
    assert config.trusted_hosts == {"gateway.maton.ai", "ctrl.maton.ai"}
    assert config.trusts(url) is trusted


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api.maton.ai/whatsapp-business/v25.0/1/messages", True),
        ("https://api.maton.ai/connections", True),
        ("http://api.maton.ai/connections", False),
        ("https://gateway.maton.ai/whatsapp-business/v25.0/1/messages", False),
        ("https://ctrl.maton.ai/connections", False),
        ("https://api.maton.ai.evil.example/x", False),
    ],
)
def test_the_default_single_host_is_the_only_trusted_one(url: str, trusted: bool) -> None:
    """By default gateway and ctrl are one host, and the key goes nowhere else."""
    config = ClientConfig(api_key="k")
    assert config.trusted_hosts == {"api.maton.ai"}
    assert config.trusts(url) is trusted


def test_a_media_download_from_another_host_carries_no_key(whatsapp_emulator) -> None:
    """The emulator's "CDN" is ``localhost:<port>``, the gateway ``127.0.0.1:<port>``: the
    same server, another host. Every request the client makes is checked against
    ``trusted_hosts``; the CDN's gets neither the key nor the Maton connection."""
    config = client_config(whatsapp_emulator, maton_connection=whatsapp_emulator.connection_id)
    assert not config.trusts(f"http://localhost:{whatsapp_emulator.port}/_lookaside/1")
    with WhatsAppClient(config) as client:
        media_id = client.upload_media(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
        client.download_media(media_id)
    by_host = {r.host: r.headers for r in whatsapp_emulator.requests}
    assert set(by_host) == {
        f"127.0.0.1:{whatsapp_emulator.port}",
        f"localhost:{whatsapp_emulator.port}",
    }
    assert by_host[f"127.0.0.1:{whatsapp_emulator.port}"]["authorization"].endswith(
        whatsapp_emulator.api_key
    )
    cdn = by_host[f"localhost:{whatsapp_emulator.port}"]
    assert "authorization" not in cdn and "maton-connection" not in cdn
