"""Exactly once after a kill, counted at the emulator; storage cost linear; no numbers kept.

The bulk sender runs in a subprocess that is SIGKILLed at several points (or in this
process with a storage that dies after N writes); the next try runs with the same
record. Whatever the point: nobody is messaged twice, everybody whose request never
reached the emulator is sent by the retry or reported ambiguous, and the ambiguous set
is no larger than the concurrency (what can really be in flight).
"""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from airflow_provider_whatsapp.bulk.record import (
    DIGEST_BYTES,
    SEGMENT_SIZE,
    DeliveryRecord,
    RecordKeyError,
    RecordStore,
)
from airflow_provider_whatsapp.bulk.sender import BulkReport
from airflow_provider_whatsapp.testing import WhatsAppEmulator
from tests.bulk.child import KEY, FileStore, open_record, send, spawn, spec_for

CONCURRENCY = 8


@pytest.fixture(scope="module")
def bulk_emu() -> Iterator[WhatsAppEmulator]:
    with WhatsAppEmulator(rate_limit=None, latency=0.01, enforce_window=False) as emulator:
        yield emulator


def phones(n: int, prefix: str) -> list[str]:
    """``n`` US numbers (11 digits, country code 1) starting with ``prefix``."""
    width = 11 - len(prefix)
    assert n <= 10**width, (n, prefix)
    return [f"{prefix}{i:0{width}d}" for i in range(n)]


def judge(emu: WhatsAppEmulator, numbers: list[str], retry: BulkReport) -> dict[str, int]:
    """The exactly-once verdict at the emulator; returns the counts it saw."""
    counts = Counter(m.to for m in emu.messages)
    statuses = {r.to: r.status for r in retry.results}
    assert sorted(statuses) == sorted(numbers), "every recipient reported once"
    assert set(statuses.values()) <= {"accepted", "skipped", "ambiguous"}, retry.summary()
    duplicates = [to for to in numbers if counts[to] > 1]
    ambiguous = {to for to, s in statuses.items() if s == "ambiguous"}
    never_sent = [to for to in numbers if counts[to] == 0 and to not in ambiguous]
    assert duplicates == [], "a recipient was messaged twice"
    assert never_sent == [], "a recipient whose request never left was not sent by the retry"
    assert len(ambiguous) <= CONCURRENCY, f"{len(ambiguous)} ambiguous > concurrency"
    for to, status in statuses.items():  # skipped: really accepted before; accepted: now
        if status in ("skipped", "accepted"):
            assert counts[to] == 1, (to, status)
    return {"ambiguous": len(ambiguous), "skipped": Counter(statuses.values())["skipped"]}


@pytest.mark.parametrize("kill_after", [1, 30, 90, 170, 260])
def test_sigkill_at_any_point_then_retry_is_exactly_once(
    bulk_emu: WhatsAppEmulator, tmp_path: Path, kill_after: int
) -> None:
    emu = bulk_emu
    emu.reset()
    numbers = phones(300, prefix=f"1650{kill_after:03d}")
    spec = spec_for(emu, numbers, tmp_path / "record")
    child = spawn(spec)
    deadline = time.monotonic() + 60
    while len(emu.messages) < kill_after and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)  # mid-send, no cleanup of any kind
    _, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, f"the send ended before the kill: {err[-2000:]!r}"
    before = len(emu.messages)
    assert kill_after <= before < len(numbers), "the kill must land mid-send"

    record = open_record(spec)
    assert record.tries == 2
    assert len(record.unknown) <= CONCURRENCY
    retry = send(spec, record)
    seen = judge(emu, numbers, retry)
    # What had been accepted was durably recorded: at most the in-flight few are unsure.
    assert seen["skipped"] + seen["ambiguous"] >= before - CONCURRENCY


class DyingStore(RecordStore):
    """Storage that fails after ``dead`` writes, or once ``dead(store)`` says so (the
    api-server or database went away); ``values`` keeps what it had committed."""

    def __init__(self, dead: int | Callable[[RecordStore], bool]) -> None:
        super().__init__()
        self.dead = dead if callable(dead) else lambda store: store.writes >= dead

    def set(self, key: str, value: str) -> None:
        if self.dead(self):
            raise OSError("storage is gone")
        super().set(key, value)


@pytest.mark.parametrize("dies_after", [0, 1, 2, 5, 13, 0.25, 0.5, 0.8])
def test_storage_dying_after_n_writes_then_retry_is_exactly_once(
    bulk_emu: WhatsAppEmulator, tmp_path: Path, dies_after: float
) -> None:
    """Dies after ``dies_after`` writes, or (a fraction) at the first write once that share
    of the recipients has its message: late in the send however the writes batch (group
    commits batch more on a busy machine, so a count of writes may never be reached)."""
    emu = bulk_emu
    emu.reset()
    numbers = phones(240, prefix=f"1651{int(dies_after * 100):03d}")
    spec = spec_for(emu, numbers, tmp_path)
    if isinstance(dies_after, int):
        store = DyingStore(dies_after)
    else:
        store = DyingStore(lambda s: len(emu.messages) >= int(len(numbers) * dies_after))
    first = DeliveryRecord(store, KEY, emu.api_key.encode())
    with pytest.raises(OSError, match="storage is gone"):
        send(spec, first)
    if dies_after == 0:
        assert emu.messages == [], "no request leaves before its recipient is recorded"
    survivor = RecordStore()
    survivor.values = dict(store.values)
    retry = send(spec, DeliveryRecord(survivor, KEY, emu.api_key.encode()))
    judge(emu, numbers, retry)


def test_record_bytes_grow_linearly_with_recipients(bulk_emu: WhatsAppEmulator) -> None:
    """Every write is one bounded head (plus a segment per SEGMENT_SIZE acceptances),
    and there are at most ~2 writes per recipient; the old record rewrote the whole
    compressed set each time (quadratic). Both bounds are linear in ``n`` whatever the
    batching (which load changes), so no ratio between two timings' sizes is needed."""
    emu = bulk_emu
    for n in (250, 500):
        emu.reset()
        numbers = phones(n, prefix=f"1652{n:03d}")
        store = RecordStore()
        report = send(spec_for(emu, numbers, Path(".")), DeliveryRecord(store, KEY, b"k"))
        assert report.counts["accepted"] == n
        head_bound = 200 + 4 * (SEGMENT_SIZE + 2 * CONCURRENCY) * DIGEST_BYTES // 3
        segments = n // SEGMENT_SIZE
        assert store.writes <= 2 * n + 2 + segments
        assert store.bytes_written <= store.writes * head_bound + segments * (
            len(KEY) + 8 + 4 * SEGMENT_SIZE * DIGEST_BYTES // 3
        )
        # The final state holds every digest once.
        record = DeliveryRecord(store, KEY, b"k")
        assert len(record.accepted) == n and not record.unknown


def test_record_holds_no_number_and_needs_the_same_key(bulk_emu: WhatsAppEmulator) -> None:
    emu = bulk_emu
    emu.reset()
    numbers = phones(150, prefix="1653")
    store = RecordStore()
    send(spec_for(emu, numbers, Path(".")), DeliveryRecord(store, KEY, b"the-maton-key"))
    everything = "".join(store.values) + "".join(store.values.values())
    for to in numbers:
        assert to not in everything
        assert to[-7:] not in everything
    assert len(store.values) == 1 + 150 // SEGMENT_SIZE  # head and its segments
    again = DeliveryRecord(store, KEY, b"the-maton-key")
    assert again.accepted == {again.digest(to) for to in numbers}
    with pytest.raises(RecordKeyError, match="another key"):
        DeliveryRecord(store, KEY, b"a-rotated-key")
    # A finished send shrinks to a marker: everyone skipped, no segment left.
    again.complete()
    assert list(store.values) == [KEY] and len(store.values[KEY]) < 200
    done = DeliveryRecord(store, KEY, b"the-maton-key")
    assert done.completed and not done.accepted


def test_file_store_round_trip(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.set("a", "1")
    store.set("a", "2")
    assert store.get("a") == "2" and store.get("b") is None
    store.delete("a")
    assert store.get("a") is None
