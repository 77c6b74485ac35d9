"""Sending one message to many recipients: bounded concurrency, per-recipient results,
and a delivery record so a retry never messages an accepted recipient twice.

No Airflow here: the operator supplies the record's storage (a :class:`DeliveryRecord`)
and the benchmarks drive the same code.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal

from ..client.errors import AmbiguousSendError, WhatsAppError

if TYPE_CHECKING:
    from ..client import AsyncWhatsAppClient
    from ..messages import RecipientMessage as Message

log = logging.getLogger(__name__)

Status = Literal["accepted", "failed", "invalid", "skipped", "ambiguous", "duplicate"]


@dataclass(frozen=True)
class Job:
    """One recipient: its position in the input and how to build its message."""

    index: int
    to: str
    build: Callable[[], Message]


@dataclass(slots=True)
class RecipientResult:
    to: str
    status: Status
    message_id: str | None = None
    code: int | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        row: dict[str, Any] = {"to": self.to, "status": self.status}
        if self.message_id:
            row["message_id"] = self.message_id
        if self.code is not None:
            row["code"] = self.code
        if self.reason:
            row["reason"] = self.reason
        return row


def _pack(numbers: Iterable[str]) -> str:
    return base64.b64encode(zlib.compress("\n".join(sorted(numbers)).encode(), 6)).decode()


def _unpack(blob: str | None) -> set[str]:
    if not blob:
        return set()
    text = zlib.decompress(base64.b64decode(blob)).decode()
    return set(text.split("\n")) if text else set()


class DeliveryRecord:
    """Which recipients were accepted, and which were in flight, across task tries.

    ``in_flight`` is written *before* a block of sends; a recipient leaves it when the
    gateway answers. After a crash, whatever is still in flight may or may not have
    been delivered: the next try reports it as ambiguous instead of resending.
    Subclasses persist :meth:`dump` somewhere that survives the worker.
    """

    def __init__(self, data: str | None = None) -> None:
        state = json.loads(data) if data else {}
        self.accepted: set[str] = _unpack(state.get("accepted"))
        # In flight when an earlier try stopped: outcome unknown.
        self.unknown: set[str] = _unpack(state.get("unknown")) | _unpack(state.get("in_flight"))
        self.in_flight: set[str] = set()
        self.tries = int(state.get("tries", 0)) + 1
        self._dirty = True

    def dump(self) -> str:
        return json.dumps(
            {
                "version": 1,
                "tries": self.tries,
                "accepted": _pack(self.accepted),
                "in_flight": _pack(self.in_flight),
                "unknown": _pack(self.unknown),
            }
        )

    def reserve(self, numbers: Iterable[str]) -> None:
        self.in_flight.update(numbers)
        self._dirty = True
        self.flush()

    def accept(self, to: str) -> None:
        self.in_flight.discard(to)
        self.unknown.discard(to)
        self.accepted.add(to)
        self._dirty = True

    def release(self, to: str) -> None:
        """The gateway answered with a failure: nothing was sent, a later try may resend."""
        self.in_flight.discard(to)
        self.unknown.discard(to)
        self._dirty = True

    def flush(self) -> None:
        if self._dirty:
            self.save(self.dump())
            self._dirty = False

    def save(self, data: str) -> None:
        """Persist ``data``; the base class keeps it in memory only."""
        self.saved = data


@dataclass
class BulkReport:
    total: int = 0
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("accepted", "failed", "invalid", "skipped", "ambiguous", "duplicate"), 0
        )
    )
    results: list[RecipientResult] = field(default_factory=list)
    elapsed: float = 0.0
    retryable_failures: int = 0

    def add(self, result: RecipientResult, *, retryable: bool = False) -> None:
        self.counts[result.status] += 1
        self.results.append(result)
        if retryable:
            self.retryable_failures += 1

    @property
    def done(self) -> int:
        return len(self.results)

    @property
    def failure_ratio(self) -> float:
        bad = self.counts["failed"] + self.counts["invalid"]
        return bad / self.total if self.total else 0.0

    def summary(self) -> dict[str, Any]:
        sent = self.counts["accepted"]
        return {
            "total": self.total,
            **self.counts,
            "failure_ratio": round(self.failure_ratio, 4),
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(sent / self.elapsed, 2) if self.elapsed else 0.0,
        }


def _chunks(jobs: Iterable[Job], size: int) -> Iterator[list[Job]]:
    it = iter(jobs)
    while chunk := list(islice(it, size)):
        yield chunk


class BulkSender:
    """Send :class:`Job` s through one async client.

    ``concurrency`` bounds requests in flight; the client's rate limiter bounds the
    rate (and slows down on a 429 from the gateway, honouring ``Retry-After``).
    """

    def __init__(
        self,
        client: AsyncWhatsAppClient,
        *,
        concurrency: int = 16,
        record: DeliveryRecord | None = None,
        resend_unknown: bool = False,
        progress_every: float = 5.0,
        expected_total: int | None = None,
        logger: Any = None,
    ) -> None:
        self.client = client
        self.concurrency = max(1, concurrency)
        self.record = record or DeliveryRecord()
        self.resend_unknown = resend_unknown
        self.progress_every = progress_every
        self.expected_total = expected_total
        self.log = logger or log
        self.report = BulkReport()
        self._seen: set[str] = set()
        self._started = 0.0

    async def run(self, jobs: Iterable[Job]) -> BulkReport:
        self._started = time.monotonic()
        progress = asyncio.create_task(self._progress())
        try:
            await self._dispatch(jobs)
        finally:
            progress.cancel()
            self.report.elapsed = time.monotonic() - self._started
            self.record.flush()
        self._log_progress(final=True)
        return self.report

    def _screen(self, job: Job) -> Message | None:
        """Decide without a request whether ``job`` is sent; record the outcome if not."""
        report = self.report
        report.total += 1
        try:
            message = job.build()
        except ValueError as exc:
            report.add(RecipientResult(job.to, "invalid", reason=_one_line(exc)))
            return None
        to = message.to or job.to
        if to in self._seen:
            report.add(RecipientResult(to, "duplicate", reason="already in this send"))
            return None
        self._seen.add(to)
        if to in self.record.accepted:
            report.add(RecipientResult(to, "skipped", reason="accepted in an earlier try"))
            return None
        if to in self.record.unknown and not self.resend_unknown:
            report.add(
                RecipientResult(
                    to,
                    "ambiguous",
                    reason="an earlier try stopped while sending: may have been delivered",
                )
            )
            return None
        return message

    async def _dispatch(self, jobs: Iterable[Job]) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        for chunk in _chunks(jobs, self.concurrency * 4):
            ready = [(m.to, m) for m in map(self._screen, chunk) if m is not None]
            if not ready:
                continue
            self.record.reserve(to for to, _ in ready)
            for to, message in ready:
                await slots.acquire()
                task = asyncio.create_task(self._send(to, message, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)

    async def _send(self, to: str, message: Message, slots: asyncio.Semaphore) -> None:
        try:
            answer = await self.client.send_message(message)
        except AmbiguousSendError as exc:
            self.report.add(RecipientResult(to, "ambiguous", reason=_one_line(exc)))
        except WhatsAppError as exc:
            self.record.release(to)
            result = RecipientResult(
                to, "failed", code=exc.code or exc.status, reason=_one_line(exc)
            )
            self.report.add(result, retryable=exc.retryable)
        except ValueError as exc:
            self.record.release(to)
            self.report.add(RecipientResult(to, "invalid", reason=_one_line(exc)))
        else:
            self.record.accept(to)
            self.report.add(RecipientResult(to, "accepted", message_id=_message_id(answer)))
        finally:
            slots.release()

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_every)
            self._log_progress()
            self.record.flush()

    def _log_progress(self, final: bool = False) -> None:
        report = self.report
        elapsed = max(time.monotonic() - self._started, 1e-9)
        rate = report.counts["accepted"] / elapsed
        eta = ""
        if self.expected_total and not final and rate > 0:
            left = max(self.expected_total - report.done, 0)
            eta = f", ETA {left / max(report.done / elapsed, 1e-9):.0f}s"
        total = f"/{self.expected_total}" if self.expected_total else ""
        self.log.info(
            "%s %d%s done: %d accepted, %d failed, %d invalid, %d skipped, %d ambiguous; %.1f msg/s%s",
            "Finished:" if final else "Progress:",
            report.done,
            total,
            report.counts["accepted"],
            report.counts["failed"],
            report.counts["invalid"],
            report.counts["skipped"],
            report.counts["ambiguous"],
            rate,
            eta,
        )


def _one_line(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: say which field broke which rule
        try:
            first = errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return (
                f"{where}: {first.get('msg', '')}"[:300] if where else str(first.get("msg"))[:300]
            )
        except (IndexError, TypeError, AttributeError):
            pass
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _message_id(answer: Any) -> str | None:
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None
