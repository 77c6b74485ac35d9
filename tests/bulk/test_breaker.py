"""The bulk breaker: an account-level answer stops the send, counted at the emulator.

The emulator breaks the account after a counted number of accepted messages (never
after a time). Whatever the trouble (revoked key, Maton connection gone, authorisation
expired, token invalid, account locked or spam-limited): requests that reach the
emulator after the first final account-level answer are at most the concurrency (those
already on their way), every recipient not sent is ``not_sent`` and absent from the
record, and a retry once the account is restored sends exactly the recipients not
accepted, none twice. Recipient-level errors do not stop a send.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_whatsapp.bulk.sender import NOT_SENT_REASON, BulkReport
from airflow_provider_whatsapp.client.errors import MissingConnectionError, error_from_response
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from airflow_provider_whatsapp.testing.state import RecordedRequest
from tests.bulk.child import open_record, send, spec_for

CONCURRENCY = 16
TOTAL = 400
AFTER = 60  # messages accepted before the account breaks
# Latency keeps a full concurrency of requests on the wire when the account breaks.
pytestmark = pytest.mark.emu(latency=0.01, enforce_window=False)

# emulator kind -> (HTTP status, Graph code) the stopping error carries
KINDS = {
    "revoke_key": (401, None),
    "remove_connection": (400, None),
    "remove_connection_412": (412, None),  # as Maton's SDK documents a missing connection
    "expire_authorisation": (500, None),
    "expire_token": (401, 190),
    "lock_account": (400, 131031),
    "spam_limit": (400, 131048),
}
# The emulator settings a case needs beside its kind (the kind: the name before "_412").
SETTINGS = {"remove_connection_412": {"missing_connection_status": 412}}


def phones(n: int, prefix: str) -> list[str]:
    """``n`` US numbers (11 digits, country code 1) starting with ``prefix``."""
    width = 11 - len(prefix)
    assert n <= 10**width, (n, prefix)
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def spec(emu: WhatsAppEmulator, numbers: list[str], store: Path) -> dict[str, Any]:
    return spec_for(emu, numbers, store, concurrency=CONCURRENCY)


def statuses(report: BulkReport) -> dict[str, str]:
    by_to = {r.to: r.status for r in report.results}
    assert len(by_to) == len(report.results) == report.total, "each recipient reported once"
    return by_to


def requests_after_trip(requests: list[RecordedRequest], report: BulkReport) -> int:
    """Requests received after the first final account-level answer left the emulator.

    The breaker trips when the client reads a final answer, which is no earlier than
    the first one the emulator sent, so this bounds the requests sent after the trip.
    """
    failed = {r.to for r in report.results if r.status == "failed"}
    last: dict[str, RecordedRequest] = {}
    for req in requests:
        to = (req.json or {}).get("to")
        if to in failed:
            last[to] = req
    assert last, "no recipient got the account-level answer"
    answered = [r.answered_at for r in last.values() if r.answered_at is not None]
    trip = min(answered)
    return sum(r.received_at > trip for r in requests)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_account_level_error_stops_the_send_and_a_retry_sends_the_rest(
    emu: WhatsAppEmulator, tmp_path: Path, kind: str
) -> None:
    numbers = phones(TOTAL, prefix=f"1{sorted(KINDS).index(kind) + 2}55")
    emu.configure(**SETTINGS.get(kind, {}))
    emu.break_account(kind.removesuffix("_412"), after_messages=AFTER)
    the_spec = spec(emu, numbers, tmp_path / "record")
    report = send(the_spec, open_record(the_spec))

    status, code = KINDS[kind]
    stopped = report.stopped_by
    assert stopped is not None and stopped.account_level
    assert (stopped.status, stopped.code) == (status, code), stopped
    assert report.summary()["stopped_by"]["status"] == status
    by_to = statuses(report)
    accepted = {to for to, s in by_to.items() if s == "accepted"}
    failed = {to for to, s in by_to.items() if s == "failed"}
    not_sent = {to for to, s in by_to.items() if s == "not_sent"}
    assert accepted | failed | not_sent == set(numbers)
    assert len(emu.messages) == len(accepted) == AFTER  # counted: exactly AFTER got through
    # Only what was already on its way got the account-level answer...
    assert 1 <= len(failed) <= CONCURRENCY
    after = requests_after_trip(emu.requests, report)
    assert after <= CONCURRENCY, after
    # ...and everyone else was never sent, each one said so.
    assert len(not_sent) >= TOTAL - AFTER - CONCURRENCY
    sent_to = {(r.json or {}).get("to") for r in emu.requests}
    assert not (not_sent & sent_to) or kind == "expire_authorisation", "not_sent were sent"
    assert {r.reason for r in report.results if r.status == "not_sent"} == {NOT_SENT_REASON}
    assert "account-level" in NOT_SENT_REASON and "retry" in NOT_SENT_REASON
    # The failures name the account-level reason and the fix.
    assert stopped.hint and stopped.hint in str(stopped)
    if kind.startswith("remove_connection"):  # 400 or 412: the same error, the same fix
        assert type(stopped) is MissingConnectionError, repr(stopped)
        assert stopped.hint == MissingConnectionError.default_hint
        reasons = {r.reason for r in report.results if r.status == "failed"}
        assert reasons and all("ACTIVE WhatsApp Business connection" in r for r in reasons)
    record = open_record(the_spec)
    assert {to for to in numbers if record.digest(to) in record.accepted} == accepted

    # Account restored: a retry of the same task (same record) sends exactly the rest.
    emu.restore_account()
    again = send(the_spec, record)
    assert again.stopped_by is None
    by_to = statuses(again)
    assert {to for to, s in by_to.items() if s == "skipped"} == accepted
    assert {to for to, s in by_to.items() if s == "accepted"} == failed | not_sent
    counts = Counter(m.to for m in emu.messages)
    assert set(counts) == set(numbers) and set(counts.values()) == {1}, "a duplicate"


def test_expired_authorisation_stops_only_after_the_transport_retried_it(
    emu: WhatsAppEmulator, tmp_path: Path
) -> None:
    """Maton's Graph-less 500 may be a passing fault: each recipient that failed on it
    was tried 1 + max_retries times before the breaker took it as account-level."""
    numbers = phones(200, prefix="1955")
    emu.break_account("expire_authorisation", after_messages=10)
    the_spec = spec(emu, numbers, tmp_path / "record")
    report = send(the_spec, open_record(the_spec))
    assert report.stopped_by is not None and report.stopped_by.status == 500
    failed = [r.to for r in report.results if r.status == "failed"]
    tries = Counter((r.json or {}).get("to") for r in emu.requests)
    assert failed and all(tries[to] == 6 for to in failed), {to: tries[to] for to in failed}
    # Recipients whose retries the breaker cut short got only 500s: nothing delivered.
    faulted = {(r.json or {}).get("to") for r in emu.requests if r.fault}
    assert not faulted & {m.to for m in emu.messages}


def test_recipient_level_errors_do_not_stop_the_send(emu: WhatsAppEmulator, tmp_path: Path) -> None:
    numbers = phones(240, prefix="1855")
    outside = set(numbers[::4])  # not in the test number's allowed list: 131030
    closed = set(numbers[1::4])  # free-form text outside the 24-hour window: 131047
    emu.allowed_recipients = set(numbers) - outside
    emu.enforce_window = True
    emu.open_window(*(set(numbers) - closed))
    the_spec = spec(emu, numbers, tmp_path / "record")
    report = send(the_spec, open_record(the_spec))
    assert report.stopped_by is None
    by_to = statuses(report)
    failed = {r.to: r.code for r in report.results if r.status == "failed"}
    assert failed == {**dict.fromkeys(outside, 131030), **dict.fromkeys(closed, 131047)}
    assert {to for to, s in by_to.items() if s == "accepted"} == set(numbers) - outside - closed
    assert report.counts["not_sent"] == 0
    assert len(emu.requests) == len(numbers), "every recipient was tried once"


@pytest.mark.parametrize(
    ("status", "body", "account_level"),
    [
        (401, b'{"error": "Invalid API key"}', True),
        (400, b'{"error": "Missing app connection"}', True),
        (412, b'{"message": "Missing app connection"}', True),
        (412, b"Precondition Failed", True),
        (500, b"Internal Server Error", True),
        (500, b'{"error": {"message": "x", "code": 131000}}', False),
        (401, b'{"error": {"message": "expired", "code": 190}}', True),
        (400, b'{"error": {"message": "token", "code": 0}}', True),
        (400, b'{"error": {"message": "locked", "code": 131031}}', True),
        (400, b'{"error": {"message": "spam", "code": 131048}}', True),
        (400, b'{"error": {"message": "policy", "code": 368}}', True),
        (400, b'{"error": {"message": "undeliverable", "code": 131026}}', False),
        (400, b'{"error": {"message": "window", "code": 131047}}', False),
        (400, b'{"error": {"message": "allowed list", "code": 131030}}', False),
        (400, b'{"error": {"message": "invalid", "code": 100}}', False),
        (400, b'{"error": {"message": "marketing cap", "code": 131049}}', False),
        (429, b'{"error": "Rate limit exceeded"}', False),
        (503, b"Service unavailable", False),
        (400, b'{"error": {"message": "throughput", "code": 130429}}', False),
    ],
)
def test_which_answers_are_account_level(status: int, body: bytes, account_level: bool) -> None:
    assert error_from_response(status, body).account_level is account_level
