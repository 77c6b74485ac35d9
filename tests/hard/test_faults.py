"""Fault injection at scale: the bulk sender over the async client against a faulty emulator.

Two families of faults, told apart by whether the server acted on the request:

* answered without processing (429 with Retry-After, 500, 503) and refused connections
  (nothing listening: ``httpx.ConnectError``): the request certainly did not land, so it
  is retried until it does. Every recipient must be accepted exactly once.
* lost after the request went out (``drop_after``: processed, then the connection closed
  unanswered; ``slow_after``: processed, answered after the client's timeout): the client
  cannot know whether the message was delivered, so the recipient is reported
  ``ambiguous`` and is not resent, unless the user opted in (``retry_ambiguous`` on the
  client, ``resend_unknown`` on the bulk sender), in which case duplicates happen.

``drop_before`` (closed unanswered, not processed) looks to the client exactly like
``drop_after``: it is ambiguous too, correctly; the refused connection is the fault that
"happens before the request leaves".

Counts are taken at the emulator (``emu.messages`` and ``emu.requests``), never from the
sender's own report alone.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import types
from collections import Counter, defaultdict
from typing import Any

import httpx
import pytest
import tenacity

from airflow_provider_whatsapp.bulk.sender import BulkReport, BulkSender, DeliveryRecord
from airflow_provider_whatsapp.client import AsyncWhatsAppClient, ClientConfig, WhatsAppClient
from airflow_provider_whatsapp.client.errors import WhatsAppConnectionError
from airflow_provider_whatsapp.client.request import ApiRequest
from airflow_provider_whatsapp.messages import TextMessage
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.bulk.child import jobs_for
from tests.helpers import client_config, free_port

STATUSES = ("accepted", "failed", "invalid", "skipped", "ambiguous", "duplicate")
# 20 % faults: a recipient fails all 1 + MAX_RETRIES attempts with probability 0.2**11
# (about 2e-8), so "every recipient accepted" cannot be a fluke of the draw.
MAX_RETRIES = 10
CONCURRENCY = 32
SECRET = b"the-maton-key"  # what keys the record's digests (the operator uses the Maton key)
# `emu`: rate limit off at the server, a little latency, free-form sends allowed.
pytestmark = pytest.mark.emu(latency=0.002, enforce_window=False)


def phones(n: int, prefix: str = "1555") -> list[str]:
    return [f"{prefix}{i:07d}" for i in range(n)]


def send_all(
    config: ClientConfig,
    numbers: list[str],
    *,
    record: DeliveryRecord | None = None,
    resend_unknown: bool = False,
    watch: Any = None,
) -> tuple[BulkReport, int]:
    """Run one bulk send; returns the report and the client's HTTP attempts (counted by a
    ``before_send`` hook).

    ``watch(attempts)`` is called with the attempts list before the send starts."""
    attempts: list[ApiRequest] = []

    async def count(request: ApiRequest) -> None:
        attempts.append(request)

    async def main() -> tuple[BulkReport, int]:
        client = AsyncWhatsAppClient(config, concurrency=CONCURRENCY, before_send=[count])
        if watch is not None:
            watch(attempts)
        try:
            sender = BulkSender(
                client,
                concurrency=CONCURRENCY,
                record=record,
                resend_unknown=resend_unknown,
                progress_every=3600,
            )
            report = await sender.run(jobs_for(numbers))
        finally:
            await client.aclose()
        return report, len(attempts)

    return asyncio.run(main())


def assert_adds_up(report: BulkReport, numbers: list[str]) -> dict[str, str]:
    """The per-recipient report covers the input exactly once; returns to -> status."""
    assert report.total == len(numbers)
    assert len(report.results) == len(numbers)
    assert sum(report.counts[s] for s in STATUSES) == len(numbers)
    assert Counter(r.status for r in report.results) == Counter(
        {s: c for s, c in report.counts.items() if c}
    )
    by_to = {r.to: r.status for r in report.results}
    assert sorted(by_to) == sorted(numbers), "a recipient is missing or reported twice"
    summary = report.summary()
    assert sum(summary[s] for s in STATUSES) == summary["total"] == len(numbers)
    return by_to


def accepted_counts(emu: WhatsAppEmulator) -> Counter[str]:
    return Counter(m.to for m in emu.messages)


def faults_by_recipient(emu: WhatsAppEmulator) -> dict[str, list[str | None]]:
    """The faults each recipient's send requests met, in order (None: a clean answer)."""
    seen: dict[str, list[str | None]] = defaultdict(list)
    for rec in emu.requests:
        if rec.method == "POST" and rec.path.endswith("/messages") and isinstance(rec.json, dict):
            seen[rec.json["to"]].append(rec.fault)
    return seen


@pytest.fixture(autouse=True)
def quiet_retries(caplog: pytest.LogCaptureFixture) -> None:
    """Thousands of "retrying" warnings are expected here; keep only errors."""
    caplog.set_level(logging.ERROR, logger="airflow_provider_whatsapp")


# -- faults the server answers without processing ---------------------------------------


def test_5000_sends_through_20_percent_answered_faults_each_accepted_once(
    emu: WhatsAppEmulator,
) -> None:
    numbers = phones(5000)
    emu.inject_faults(0.2, ["429", "500", "503"], retry_after=0.05, seed=6)
    config = client_config(emu, rate_limit=None, max_retries=MAX_RETRIES)

    report, attempts = send_all(config, numbers)

    by_to = assert_adds_up(report, numbers)
    assert report.counts["accepted"] == 5000, report.summary()
    assert set(by_to.values()) == {"accepted"}
    # Counted at the emulator: every recipient exactly once, nobody else.
    counts = accepted_counts(emu)
    assert set(counts) == set(numbers)
    assert set(counts.values()) == {1}
    # The faults really happened (about 20 % of ~6,250 requests), of every kind, and
    # none was processed; every request the client made reached the server.
    requests = emu.requests
    faults = Counter(r.fault for r in requests if r.fault)
    assert set(faults) == {"429", "500", "503"}
    assert sum(faults.values()) > 800, faults
    assert not any(r.processed for r in requests if r.fault)
    assert len(requests) == attempts == 5000 + sum(faults.values())
    assert emu.count_429() == faults["429"]
    # Message ids in the report are the ones the emulator issued.
    issued = {m.to: m.message_id for m in emu.messages}
    assert all(r.message_id == issued[r.to] for r in report.results)


def test_refused_connection_is_retried_until_the_limit_fast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing listening: ConnectError, retried max_retries times, then one clear error."""
    port = free_port()
    config = ClientConfig(
        api_key="sk-any",
        base_url=f"http://127.0.0.1:{port}",
        phone_number_id="100000000000001",
        rate_limit=None,
        max_retries=3,
        backoff_base=0.01,
        backoff_max=0.05,
    )
    waits: list[float] = []
    monkeypatch.setattr(tenacity.nap, "time", types.SimpleNamespace(sleep=waits.append))
    attempts: list[ApiRequest] = []
    with (
        WhatsAppClient(config, before_send=[attempts.append]) as client,
        pytest.raises(WhatsAppConnectionError) as caught,
    ):
        client.send_message(TextMessage.create("15550000001", "hi"))
    assert len(attempts) == 4  # the first try and 3 retries, no more
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.retryable is True
    assert "ConnectError" in str(caught.value)
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert "host" in str(caught.value)  # the hint names what to check
    assert "sk-any" not in str(caught.value)
    assert len(waits) == 3 and all(0 < w <= 0.05 for w in waits), waits  # backoff_max


def test_bulk_started_while_the_gateway_is_down_delivers_each_once_when_it_comes_up() -> None:
    """Connections refused until the client has tried twice per slot: retried (they never
    left), none lost. The emulator starts on the client's count, not on a clock."""
    port = free_port()
    emulator = WhatsAppEmulator(port=port, rate_limit=None, latency=0.002, enforce_window=False)
    numbers = phones(400, prefix="1666")
    config = ClientConfig(
        api_key=emulator.api_key,
        base_url=f"http://127.0.0.1:{port}",
        ctrl_url=f"http://127.0.0.1:{port}",
        phone_number_id=emulator.phone_number_id,
        rate_limit=None,
        max_retries=MAX_RETRIES,
        backoff_base=0.05,
        backoff_max=0.2,
    )
    stop = threading.Event()

    def start_after_refusals(attempts: list[ApiRequest]) -> None:
        def wait() -> None:
            while len(attempts) < 2 * CONCURRENCY and not stop.wait(0.005):
                pass
            emulator.start()

        starter.append(threading.Thread(target=wait, daemon=True))
        starter[0].start()

    starter: list[threading.Thread] = []
    try:
        report, attempts = send_all(config, numbers, watch=start_after_refusals)
        starter[0].join()
        by_to = assert_adds_up(report, numbers)
        assert set(by_to.values()) == {"accepted"}, report.summary()
        counts = accepted_counts(emulator)
        assert set(counts) == set(numbers)
        assert set(counts.values()) == {1}
        # The refused attempts never reached the server; the client did make them.
        assert len(emulator.requests) == len(numbers)
        assert attempts > len(numbers), "no connection was refused: the outage did not happen"
    finally:
        stop.set()
        emulator.stop()


# -- faults after the request went out ---------------------------------------------------

LANDED = ("drop_after", "slow_after")  # processed, then the answer was lost
LOST = (*LANDED, "drop_before")  # no answer: the client cannot tell these apart


def run_mixed(emu: WhatsAppEmulator, numbers: list[str], **config_changes: Any) -> Any:
    emu.inject_faults(
        0.2,
        ["429", "500", "503", "drop_before", "drop_after", "slow_after"],
        retry_after=0.05,
        seed=7,
        slow_seconds=5.0,
    )
    config = client_config(
        emu,
        rate_limit=None,
        max_retries=MAX_RETRIES,
        timeout=2.0,  # well below slow_seconds: a slow answer is a lost answer
        **config_changes,
    )
    record = DeliveryRecord(secret=SECRET)
    report, _ = send_all(config, numbers, record=record)
    emu.clear_faults()
    return report, record


def reopened(record: DeliveryRecord) -> DeliveryRecord:
    """The record as the task's next try reads it: same storage, key and secret."""
    return DeliveryRecord(record.store, record.key, SECRET)


def test_lost_answers_are_ambiguous_and_never_resent(emu: WhatsAppEmulator) -> None:
    numbers = phones(1200, prefix="1777")
    report, record = run_mixed(emu, numbers)

    by_to = assert_adds_up(report, numbers)
    assert set(by_to.values()) <= {"accepted", "ambiguous"}, report.summary()
    faults = faults_by_recipient(emu)
    counts = accepted_counts(emu)
    lost = {to for to, seen in faults.items() if any(f in LOST for f in seen)}
    ambiguous = {to for to, status in by_to.items() if status == "ambiguous"}
    # Exactly the recipients whose answer was lost are ambiguous...
    assert ambiguous == lost
    assert len(ambiguous) > 60, "too few lost answers for the test to mean anything"
    for to in ambiguous:
        # ...their lost request was their last: never resent...
        assert faults[to][-1] in LOST
        assert sum(f in LOST for f in faults[to]) == 1
        # ...landed exactly once if it was processed (drop_after, slow_after), else never
        # (drop_before: closed unanswered before the server acted on it).
        assert counts[to] == (1 if faults[to][-1] in LANDED else 0), (to, faults[to])
    # Every other recipient is exact, however many answered faults it went through.
    for to in set(numbers) - ambiguous:
        assert by_to[to] == "accepted"
        assert counts[to] == 1, (to, faults[to])
    dropped_before = {to for to in ambiguous if faults[to][-1] == "drop_before"}
    assert dropped_before and set(counts) == set(numbers) - dropped_before
    kinds = Counter(f for seen in faults.values() for f in seen if f)
    assert set(kinds) == {"429", "500", "503", "drop_before", "drop_after", "slow_after"}
    # The reason says what to do; the record keeps them "in flight" (outcome unknown).
    reasons = {r.reason for r in report.results if r.status == "ambiguous"}
    assert all(r and "may or may not have been sent" in r for r in reasons), reasons
    assert {to for to in numbers if record.digest(to) in record.unknown} == ambiguous
    assert {to for to in numbers if record.digest(to) in record.accepted} == set(
        numbers
    ) - ambiguous

    # A retry of the task (same record) neither resends nor forgets them.
    requests_before = len(emu.requests)
    again, _ = send_all(client_config(emu, rate_limit=None), numbers, record=reopened(record))
    by_to = assert_adds_up(again, numbers)
    assert {to for to, s in by_to.items() if s == "ambiguous"} == ambiguous
    assert {to for to, s in by_to.items() if s == "skipped"} == set(numbers) - ambiguous
    assert len(emu.requests) == requests_before, "a retry sent something"
    assert accepted_counts(emu) == counts


def test_opting_in_resends_lost_answers_and_duplicates_the_ones_that_landed(
    emu: WhatsAppEmulator,
) -> None:
    """``retry_ambiguous=True``: nobody is ambiguous, everybody is accepted, and every
    lost-but-processed request is a duplicate at the emulator. That is the price of the
    opt-in, and why it is off by default."""
    numbers = phones(600, prefix="1888")
    report, _ = run_mixed(emu, numbers, retry_ambiguous=True)

    by_to = assert_adds_up(report, numbers)
    assert set(by_to.values()) == {"accepted"}, report.summary()
    faults = faults_by_recipient(emu)
    counts = accepted_counts(emu)
    for to in numbers:
        landed = sum(f in LANDED for f in faults[to])
        assert counts[to] == 1 + landed, (to, faults[to])
    assert any("drop_before" in seen for seen in faults.values())  # resent, no duplicate
    duplicated = {to for to in numbers if counts[to] > 1}
    assert len(duplicated) > 20, "opting in should have produced duplicates here"


def test_resend_unknown_on_a_later_try_duplicates_what_had_landed(
    emu: WhatsAppEmulator,
) -> None:
    """The bulk sender's opt-in: recipients left ambiguous by an earlier try are sent
    again on the next one. Those whose lost request had landed get the message twice;
    those dropped before processing get it once (the client could not tell which)."""
    numbers = phones(600, prefix="1999")
    first, record = run_mixed(emu, numbers)
    ambiguous = {r.to for r in first.results if r.status == "ambiguous"}
    assert ambiguous

    second, _ = send_all(
        client_config(emu, rate_limit=None), numbers, record=reopened(record), resend_unknown=True
    )
    by_to = assert_adds_up(second, numbers)
    assert {to for to, s in by_to.items() if s == "accepted"} == ambiguous
    assert {to for to, s in by_to.items() if s == "skipped"} == set(numbers) - ambiguous
    counts = accepted_counts(emu)
    faults = faults_by_recipient(emu)
    twice = set()
    for to in ambiguous:  # sent again: twice in all if the lost request had landed
        lost = [f for f in faults[to] if f in LOST]
        assert len(lost) == 1 and faults[to][-1] is None, faults[to]
        assert counts[to] == (2 if lost[0] in LANDED else 1), (to, faults[to])
        twice.update([to] if counts[to] == 2 else [])
    assert twice, "no duplicate: the opt-in's risk did not show"
    assert all(counts[to] == 1 for to in set(numbers) - ambiguous)
