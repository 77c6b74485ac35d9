"""Injected faults as a real httpx client experiences them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.helpers import TO

from .conftest import text_message

Send = Callable[..., httpx.Response]


@pytest.fixture
def send(emu: WhatsAppEmulator, gw: httpx.Client) -> Send:
    """POST a valid text message (window open), with an optional read timeout."""
    emu.open_window(TO)

    def post(timeout: float = 5.0) -> httpx.Response:
        return gw.post(f"/{emu.phone_number_id}/messages", json=text_message(), timeout=timeout)

    return post


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("503", 503)])
def test_answered_faults_are_not_processed(
    emu: WhatsAppEmulator, send: Send, kind: str, status: int
) -> None:
    emu.inject_faults(1.0, [kind], retry_after=2.5)
    response = send()
    assert response.status_code == status
    if kind == "429":
        assert response.headers["retry-after"] == "2.5"
    (rec,) = emu.requests
    assert (rec.status, rec.fault, rec.processed) == (status, kind, False)
    assert emu.messages == []


@pytest.mark.parametrize("code", ["130429", "131056", "131049", "131050", "131026"])
def test_graph_refusals_of_a_send_answer_graphs_error_object(
    emu: WhatsAppEmulator, send: Send, code: str
) -> None:
    """Meta's sending limits and undeliverable recipients, on demand: what a retry policy
    is tested against."""
    emu.inject_faults(1.0, [code])
    response = send()
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == int(code)
    assert error["message"].startswith(f"(#{code}) ")
    assert error["error_data"]["details"] and error["fbtrace_id"]
    (rec,) = emu.requests
    assert (rec.status, rec.fault, rec.processed) == (400, code, False)
    assert emu.messages == []


def test_drop_before_closes_unanswered_and_unprocessed(emu: WhatsAppEmulator, send: Send) -> None:
    emu.inject_faults(1.0, ["drop_before"])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        send()
    (rec,) = emu.requests
    assert (rec.status, rec.fault, rec.processed) == (None, "drop_before", False)
    assert emu.messages == []
    emu.clear_faults()
    assert send().status_code == 200  # the client's pool recovers on a fresh connection


def test_drop_after_processes_then_closes(emu: WhatsAppEmulator, send: Send) -> None:
    emu.inject_faults(1.0, ["drop_after"])
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        send()
    (rec,) = emu.requests
    assert (rec.status, rec.fault, rec.processed) == (None, "drop_after", True)
    assert len(emu.sent_to(TO)) == 1  # sent, though the client never heard


def test_slow_after_trips_the_read_timeout_after_processing(
    emu: WhatsAppEmulator, send: Send
) -> None:
    emu.inject_faults(1.0, ["slow_after"])
    with pytest.raises(httpx.ReadTimeout):  # the fault holds the answer back 60 s
        send(timeout=0.3)
    assert len(emu.messages) == 1
    (rec,) = emu.requests
    assert (rec.status, rec.fault, rec.processed) == (None, "slow_after", True)


def test_slow_after_answers_eventually(emu: WhatsAppEmulator, send: Send) -> None:
    emu.inject_faults(1.0, ["slow_after"], slow_seconds=0.3)
    assert send().status_code == 200
    (rec,) = emu.requests
    assert rec.status == 200
    assert rec.answered_at is not None and rec.answered_at - rec.received_at >= 0.3


async def test_async_client_sees_drops_too(emu: WhatsAppEmulator) -> None:
    emu.open_window(TO)
    emu.inject_faults(1.0, ["drop_before"])
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emu.api_key}"}) as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            await client.post(
                f"{emu.url}/whatsapp-business/v21.0/{emu.phone_number_id}/messages",
                json=text_message(),
            )


def test_paths_messages_only_or_all(emu: WhatsAppEmulator, gw: httpx.Client, send: Send) -> None:
    emu.inject_faults(1.0, ["500"])
    assert gw.get(f"/{emu.phone_number_id}").status_code == 200
    assert send().status_code == 500
    emu.inject_faults(1.0, ["503"], paths="all")
    assert gw.get(f"/{emu.phone_number_id}").status_code == 503
    assert gw.get(f"/{emu.waba_id}/message_templates").status_code == 503
    with httpx.Client(headers={"Authorization": f"Bearer {emu.api_key}"}) as ctrl:
        assert ctrl.get(f"{emu.url}/connections").status_code == 200  # ctrl host never faulted


def test_ratio_is_seeded_and_repeatable(emu: WhatsAppEmulator, send: Send) -> None:
    def run() -> list[str | None]:
        emu.reset()
        emu.open_window(TO)
        emu.inject_faults(0.5, ["429", "500"], seed=7)
        for _ in range(40):
            send()
        return [r.fault for r in emu.requests]

    first = run()
    assert first == run()
    faulted = [f for f in first if f]
    assert 8 <= len(faulted) <= 32
    assert set(faulted) == {"429", "500"}
    assert emu.stats[200] == 40 - len(faulted) == len(emu.messages)


def test_invalid_fault_arguments(emu: WhatsAppEmulator) -> None:
    with pytest.raises(ValueError):
        emu.inject_faults(1.5)
    with pytest.raises(ValueError):
        emu.inject_faults(0.5, ["teapot"])
    with pytest.raises(ValueError):
        emu.inject_faults(0.5, paths="some")


def test_stop_returns_promptly_with_a_parked_slow_request() -> None:
    emulator = WhatsAppEmulator(rate_limit=None, enforce_window=False).start()
    emulator.inject_faults(1.0, ["slow_after"], slow_seconds=60)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(
                httpx.post(
                    f"{emulator.url}/whatsapp-business/v21.0/{emulator.phone_number_id}/messages",
                    json=text_message(),
                    headers={"Authorization": f"Bearer {emulator.api_key}"},
                    timeout=None,
                )
            )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while not emulator.messages and thread.is_alive():  # until the request is parked
        time.sleep(0.01)
    emulator.stop()
    thread.join()
    # Dropped at stop: neither answered after the 60 s nor left to a client timeout.
    assert isinstance(outcome[0], (httpx.RemoteProtocolError, httpx.ReadError)), outcome
