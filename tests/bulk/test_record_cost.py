"""What the delivery record makes a departure wait for (issue 18), counted in writes.

A departure waits for one durable write whose snapshot holds it; answers ride along and
never make a departure wait for a write of their own. Counted in storage writes, not
seconds.
"""

from __future__ import annotations

import asyncio

from airflow_provider_whatsapp.bulk.record import DeliveryRecord, RecordStore

KEY = "whatsapp_bulk__cost"
SECRET = b"the-maton-key"


def reopened(store: RecordStore) -> DeliveryRecord:
    """What a next try would read from ``store``."""
    copy = RecordStore()
    copy.values = dict(store.values)
    return DeliveryRecord(copy, KEY, SECRET)


def test_a_departure_never_waits_behind_a_write_of_answers_alone() -> None:
    """An answer comes, and at the next loop turn the next recipient leaves: its
    reservation is the first write after the answer, and carries the answer too (it
    used to wait for the answer's own write, then for one more)."""

    async def main() -> tuple[int, DeliveryRecord]:
        store = RecordStore()
        record = DeliveryRecord(store, KEY, SECRET)
        first, second = record.digest("16505550001"), record.digest("16505550002")
        await record.reserve(first)
        before = store.writes
        record.accept(first)  # its answer...
        await asyncio.sleep(0)  # ... one loop turn ...
        await record.reserve(second)  # ... and the next recipient leaves
        writes = store.writes - before
        await record.close()
        return writes, reopened(store)

    writes, after = asyncio.run(main())
    assert writes == 1, f"the departure waited for {writes} writes"
    assert after.accepted == {after.digest("16505550001")}
    assert after.unknown == {after.digest("16505550002")}  # durably in flight


def test_answers_with_no_departure_after_them_are_written_on_their_own() -> None:
    """The last answers of a send (or of a slow trickle) do not wait for ``close``."""

    async def main() -> tuple[DeliveryRecord, DeliveryRecord]:
        store = RecordStore()
        record = DeliveryRecord(store, KEY, SECRET)
        sent = record.digest("16505550003")
        await record.reserve(sent)
        during = reopened(store)
        written = store.writes
        record.accept(sent)
        for _ in range(2000):  # no departure follows: the answer gets a write of its own
            if store.writes > written:
                break
            await asyncio.sleep(0.005)
        return during, reopened(store)

    during, after = asyncio.run(main())
    assert during.unknown == {during.digest("16505550003")} and not during.accepted
    assert after.accepted == {after.digest("16505550003")} and not after.unknown


def test_many_departures_share_one_write() -> None:
    """Recipients reserved while a write is running all leave after the next one."""

    async def main() -> int:
        store = RecordStore()
        record = DeliveryRecord(store, KEY, SECRET)
        digests = [record.digest(f"1650555{n:04d}") for n in range(40)]
        await asyncio.gather(*(record.reserve(d) for d in digests))
        return store.writes

    assert asyncio.run(main()) == 1
