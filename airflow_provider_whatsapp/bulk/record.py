"""The delivery record of a bulk send: who was accepted, who was in flight, across tries.

Only the standard library here. :mod:`airflow_provider_whatsapp.bulk` drives it; the bulk
operator imports it when it runs (its storages, in :mod:`~airflow_provider_whatsapp.bulk.storage`,
only fit :class:`RecordStorage`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Iterable
from typing import Protocol

#: Bytes of HMAC-SHA256 kept per recipient: 96 bits make a collision (one recipient
#: wrongly skipped as another) about 1e-14 likely even among ten million recipients.
DIGEST_BYTES = 12
#: Accepted digests gathered in the head before they move into a segment of their own.
SEGMENT_SIZE = 64
#: Seconds answers wait for a departure's write to carry them before they get a write of
#: their own (a send's last answers, a slow trickle).
ANSWER_LINGER = 0.05
_RECORD_VERSION = 2


def _pack(digests: Iterable[bytes]) -> str:
    return base64.b64encode(b"".join(sorted(digests))).decode()


def _unpack(blob: str | None) -> set[bytes]:
    raw = base64.b64decode(blob) if blob else b""
    return {raw[i : i + DIGEST_BYTES] for i in range(0, len(raw), DIGEST_BYTES)}


def _wake(waiting: list[asyncio.Future[None]]) -> None:
    for future in waiting:
        if not future.done():  # a waiter cancelled meanwhile
            future.set_result(None)


class RecordKeyError(RuntimeError):
    """The record was written under another key: its digests cannot be matched."""


class RecordStorage(Protocol):
    """Where a :class:`DeliveryRecord` keeps its values: string keys, string values.
    Calls are blocking: the record makes them off the event loop.

    ``expiring``: the value is the completion marker, which a storage with retention may
    let expire (then a cleared re-run sends everyone again); every other value must last
    until deleted: one that expired between tries would resend who it recorded.
    """

    def get(self, key: str) -> str | None: ...

    def put(self, key: str, value: str, *, expiring: bool = False) -> None: ...

    def delete(self, key: str) -> None: ...


class RecordStore:
    """A :class:`RecordStorage` in memory (one try, or tests and benchmarks); the
    operator's keeps the values in the task state store (Airflow 3.3+) or Variables.
    ``writes`` / ``bytes_written`` count what a send costs its storage; ``expiring``
    holds the keys last written as allowed to expire.
    """

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.writes = 0
        self.bytes_written = 0
        self.expiring: set[str] = set()

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)
        self.expiring.discard(key)

    def put(self, key: str, value: str, *, expiring: bool = False) -> None:
        """:meth:`set`, counted."""
        self.set(key, value)
        self.writes += 1
        self.bytes_written += len(key) + len(value)
        if expiring:
            self.expiring.add(key)
        else:
            self.expiring.discard(key)


class DeliveryRecord:
    """Which recipients were accepted, and which were in flight, across task tries.

    Recipients are kept as keyed digests (HMAC-SHA256 of the normalised number, or of the
    business-scoped user id as written, under ``secret``, truncated to
    :data:`DIGEST_BYTES`): whoever reads the storage cannot list the recipients. A BSUID
    (``US.…``) and a number never share a digest: they differ as text. Layout under ``key``: a small head (tries, segment count, the
    accepted digests not yet in a segment, those in flight, those whose outcome an
    earlier try left unknown) and append-only segments ``key.sN`` of
    :data:`SEGMENT_SIZE` accepted digests each, written before the head that counts
    them, so a crash in between is conservative. The bytes a send writes grow linearly
    with its recipients: each write is one bounded head, plus a segment now and then.

    A recipient is reserved (:meth:`reserve`) just before its request leaves: it waits
    for one durable write of the in-flight set that covers every recipient reserved
    meanwhile (group commit; writes run back to back, the next one starting the moment
    the last is durable, with everything reserved meanwhile). Answers (:meth:`accept`,
    :meth:`release`, :meth:`unknown_outcome`) ride along in the next write a departure
    starts, so a departure never queues behind a write of answers alone; answers no
    departure carries within :data:`ANSWER_LINGER` get a write of their own. After a
    crash the next try sees at most the requests really in flight as of unknown
    outcome: the durable in-flight set is always one the concurrency bounds.
    """

    def __init__(
        self, store: RecordStorage | None = None, key: str = "bulk", secret: bytes | None = None
    ) -> None:
        self.store: RecordStorage = store if store is not None else RecordStore()
        self.key = key
        self._secret = secret if secret is not None else os.urandom(32)
        self._check = hmac.new(self._secret, b"\0record-check", hashlib.sha256).hexdigest()[:12]
        self.accepted: set[bytes] = set()
        self.unknown: set[bytes] = set()  # in flight when an earlier try stopped
        self.in_flight: set[bytes] = set()
        self.completed = False
        self.tries = 1
        self._segments = 0
        self._tail: list[bytes] = []
        self._durable_in_flight: frozenset[bytes] = frozenset()
        self._dirty = False  # changed since the last snapshot
        self._flush = False  # write even with no departure waiting (answers lingered)
        self._writer: asyncio.Task[None] | None = None
        self._waiting: list[asyncio.Future[None]] = []  # departures for the next write
        self._linger: asyncio.TimerHandle | None = None
        self._error: BaseException | None = None
        self._load()

    # -- reading --------------------------------------------------------------------
    def _load(self) -> None:
        data = self.store.get(self.key)
        if not data:
            return
        head = json.loads(data)
        if head.get("check") != self._check:
            raise RecordKeyError(
                f"the delivery record {self.key!r} was written under another key (the Maton "
                "API key changed since an earlier try), so it cannot tell who was sent: "
                "restore the key, or delete the record to send to everyone again"
            )
        self.tries = int(head.get("tries", 0)) + 1
        if head.get("done"):
            self.completed = True
            return
        self._segments = int(head.get("segments", 0))
        for n in range(self._segments):
            self.accepted |= _unpack(self.store.get(self._segment_key(n)))
        self._tail = sorted(_unpack(head.get("tail")))
        self.accepted.update(self._tail)
        self.unknown = (
            _unpack(head.get("in_flight")) | _unpack(head.get("unknown"))
        ) - self.accepted

    @property
    def error(self) -> BaseException | None:
        """Why the storage could not be written, once it failed (then no send may start)."""
        return self._error

    def _segment_key(self, n: int) -> str:
        return f"{self.key}.s{n}"

    def digest(self, to: str) -> bytes:
        """The keyed digest of ``to``: a normalised number or a business-scoped user id."""
        return hmac.new(self._secret, to.encode(), hashlib.sha256).digest()[:DIGEST_BYTES]

    # -- changes ----------------------------------------------------------------------
    async def reserve(self, digest: bytes) -> None:
        """Return once ``digest`` is durably in flight (at once if it already is: a
        retried request of the same recipient)."""
        self.in_flight.add(digest)
        if digest not in self._durable_in_flight:
            await self._commit()

    def accept(self, digest: bytes) -> None:
        self.in_flight.discard(digest)
        self.unknown.discard(digest)
        if digest not in self.accepted:
            self.accepted.add(digest)
            self._tail.append(digest)
        self._answered()

    def release(self, digest: bytes) -> None:
        """The gateway answered with a failure: nothing was sent, a later try may resend."""
        self.in_flight.discard(digest)
        self.unknown.discard(digest)
        self._answered()

    def unknown_outcome(self, digest: bytes) -> None:
        """The answer was lost: a later try must not resend it unless asked to."""
        self.in_flight.discard(digest)
        self.unknown.add(digest)
        self._answered()

    async def close(self) -> None:
        """Make every change durable (the end of a try)."""
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self._dirty or self._writer is not None:
            await self._commit()

    def complete(self) -> None:
        """The send is done: shrink the record to a small marker (blocking).

        A later run of the same task instance (cleared by hand) then skips everyone.
        """
        marker = {
            "v": _RECORD_VERSION,
            "check": self._check,
            "tries": self.tries,
            "done": True,
            "accepted": len(self.accepted),
            "segments": self._segments,
            "finished_at": int(time.time()),
        }
        self.store.put(self.key, json.dumps(marker), expiring=True)
        for n in range(self._segments + 1):  # +1: one a crash may have left uncounted
            self.store.delete(self._segment_key(n))
        self.completed = True

    # -- group commit -----------------------------------------------------------------
    def _answered(self) -> None:
        """An answer changed the record. It rides on the next write a departure starts
        (the next departure never waits behind a write of answers alone); with no
        departure within :data:`ANSWER_LINGER` seconds, a write of its own starts."""
        self._dirty = True
        self._linger_answers()

    def _linger_answers(self) -> None:
        if self._writer is None and self._linger is None and self._error is None:
            loop = asyncio.get_running_loop()
            self._linger = loop.call_later(ANSWER_LINGER, self._answers_waited)

    def _answers_waited(self) -> None:
        self._linger = None
        if self._dirty and self._error is None:
            self._flush = True
            if self._writer is None:
                self._start_writer()

    def _start_writer(self) -> None:
        self._writer = asyncio.get_running_loop().create_task(self._write_loop())

    async def _commit(self) -> None:
        """Wait for a write whose snapshot is taken after this call (it covers every
        change so far): the next one to start, at once if none is running."""
        if self._error is not None:
            raise self._error
        durable = asyncio.get_running_loop().create_future()
        self._waiting.append(durable)
        self._dirty = True
        if self._writer is None:
            self._start_writer()
        await durable  # its own future: a cancelled waiter cancels no other
        if self._error is not None:
            raise self._error

    async def _write_loop(self) -> None:
        """Write back to back while departures wait (or lingered answers do): each write
        takes the snapshot of everything changed since the last one began. The writing
        thread itself frees every departure waiting for it (all in one loop turn, the
        first after the write)."""
        loop = asyncio.get_running_loop()
        durable: list[asyncio.Future[None]] = []
        try:
            # Answers alone do not keep it going: they wait for a departure or the linger.
            while self._dirty and (self._waiting or self._flush):
                self._dirty = self._flush = False
                durable, self._waiting = self._waiting, []
                in_flight = frozenset(self.in_flight)
                writes = self._snapshot()
                done = functools.partial(self._made_durable, in_flight, durable)
                await asyncio.to_thread(self._write, writes, loop, done)
        except BaseException as exc:  # storage down: every waiter hears it
            self._error = exc
            _wake(durable + self._waiting)
        finally:
            self._writer = None
            if self._dirty:  # answers the last write did not carry
                self._linger_answers()

    def _snapshot(self) -> list[tuple[str, str]]:
        """What to write now, in order: sealed segments first, then the head."""
        writes = []
        while len(self._tail) >= SEGMENT_SIZE:
            sealed, self._tail = self._tail[:SEGMENT_SIZE], self._tail[SEGMENT_SIZE:]
            writes.append((self._segment_key(self._segments), _pack(sealed)))
            self._segments += 1
        head = {
            "v": _RECORD_VERSION,
            "check": self._check,
            "tries": self.tries,
            "segments": self._segments,
            "tail": _pack(self._tail),
            "in_flight": _pack(self.in_flight),
            "unknown": _pack(self.unknown),
        }
        writes.append((self.key, json.dumps(head, separators=(",", ":"))))
        return writes

    def _write(
        self,
        writes: list[tuple[str, str]],
        loop: asyncio.AbstractEventLoop,
        done: Callable[[], None],
    ) -> None:
        for key, value in writes:
            self.store.put(key, value)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(done)

    def _made_durable(
        self, in_flight: frozenset[bytes], waiting: list[asyncio.Future[None]]
    ) -> None:
        self._durable_in_flight = in_flight
        _wake(waiting)
