"""Sending one message to many recipients: bounded concurrency, per-recipient results,
and a delivery record so a retry never messages an accepted recipient twice.

No Airflow here: the operator supplies the record's storage (a
:class:`~airflow_provider_whatsapp.bulk.record.RecordStore`) and the benchmarks drive the
same code.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..client.errors import AmbiguousSendError, WhatsAppError
from .record import DeliveryRecord, RecordKeyError, RecordStore

if TYPE_CHECKING:
    from ..client import AsyncWhatsAppClient
    from ..client.request import ApiRequest
    from ..messages import RecipientMessage as Message

__all__ = [
    "BulkReport",
    "BulkSender",
    "DeliveryRecord",
    "Job",
    "RecipientResult",
    "RecordKeyError",
    "RecordStore",
    "Screen",
    "preview",
]

log = logging.getLogger(__name__)

Status = Literal["accepted", "failed", "invalid", "skipped", "ambiguous", "duplicate", "not_sent"]
STATUSES: tuple[Status, ...] = (
    "accepted",
    "failed",
    "invalid",
    "skipped",
    "ambiguous",
    "duplicate",
    "not_sent",
)
NOT_SENT_REASON = "never sent: the send stopped on an account-level error; a retry sends it"
#: Statuses whose reasons a report tallies (``not_sent`` has one reason: ``stopped_by``).
_TALLIED = ("failed", "invalid", "ambiguous")
_EXAMPLES = 3  # positions kept per reason (line numbers of invalid rows)
_GRAPH_PREFIX = re.compile(r"^\(#\d+\)\s*")


class _NotSent(Exception):
    """The breaker tripped before this recipient's request left."""


#: In each recipient's task: its sender and the gate to pass just before its request
#: leaves (:meth:`BulkSender._before_send`, the client's ``before_send`` hook).
_departure: contextvars.ContextVar[tuple[BulkSender, Callable[[], Awaitable[None]]] | None] = (
    contextvars.ContextVar("whatsapp_bulk_departure", default=None)
)


@dataclass(frozen=True)
class Job:
    """One recipient: its position in the input and how to build its message."""

    index: int
    to: str
    build: Callable[[], Message]
    where: str = ""
    """Where it is in the input (``r.csv line 4``): reported with an invalid recipient."""


@dataclass(slots=True)
class RecipientResult:
    to: str
    status: Status
    message_id: str | None = None
    code: int | None = None
    reason: str | None = None
    where: str | None = None
    """Where it is in the input (``r.csv line 4``)."""
    index: int | None = None
    """Its position among the input's entries (0-based): names it without its number."""

    def to_dict(self, *, include_recipient: bool = False) -> dict[str, Any]:
        """Its row for XCom or a results file: position and masked number, the number in
        clear only with ``include_recipient`` (personal data: others read XCom)."""
        from .results import recipient_row

        return recipient_row(self, include_recipient)


@dataclass
class BulkReport:
    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    results: list[RecipientResult] = field(default_factory=list)
    elapsed: float = 0.0
    retryable_failures: int = 0
    stopped_by: WhatsAppError | None = None
    """The account-level error that stopped the send (the breaker), if one did."""
    held_back: int = 0
    """Recipients not sent because the send was capped (``send_limit``: the messaging
    limit); each is also a ``not_sent`` result with the cap's reason."""
    keep_results: bool = True
    """False: counts and reasons only (a :func:`preview` of a large send)."""
    reasons: dict[str, list[Any]] = field(default_factory=dict)
    """Reason -> [count, first positions]: what went wrong, tallied for the task log."""
    sink: Callable[[RecipientResult], None] | None = None
    """Also handed each result as it is added, kept or not (a results file's writer)."""
    _positions: dict[str, tuple[int, str]] = field(default_factory=dict, init=False, repr=False)
    """Recipients on their way (screened, not yet answered) -> their position in the input."""

    @property
    def wants_rows(self) -> bool:
        """Whether each result is kept or written (a preview's report wants neither)."""
        return self.keep_results or self.sink is not None

    def expect(self, job: Job, to: str) -> None:
        """``job``, about to be sent to ``to``: its result, added later by ``to`` alone,
        gets the job's position (a send holds each number once: duplicates are screened
        out). Only the recipients on their way are held."""
        if self.wants_rows:
            self._positions[to] = (job.index, job.where)

    def add(
        self, result: RecipientResult, *, retryable: bool = False, cause: str | None = None
    ) -> None:
        """Count ``result``; ``cause`` is its reason as tallied (default its code and
        reason), the same for every recipient that failed the same way."""
        self.counts[result.status] += 1
        if retryable:
            self.retryable_failures += 1
        if result.status in _TALLIED:
            if cause is None:
                cause = " ".join(str(p) for p in (result.code, result.reason) if p is not None)
            if result.status != "failed":
                cause = f"{result.status}: {cause}"
            tally = self.reasons.setdefault(cause or result.status, [0, []])
            tally[0] += 1
            if result.where and result.status == "invalid" and len(tally[1]) < _EXAMPLES:
                tally[1].append(result.where)  # an input line to fix
        if result.index is None and self._positions:
            position = self._positions.pop(result.to, None)
            if position is not None:
                result.index, where = position
                result.where = result.where or where or None
        if self.keep_results:
            self.results.append(result)
        if self.sink is not None:
            self.sink(result)

    def reason_lines(self, limit: int = 10) -> list[str]:
        """``20 x 132001 Template name does not exist in the translation``, most frequent
        first; an invalid row's line shows its positions."""
        ranked = sorted(self.reasons.items(), key=lambda item: -item[1][0])
        lines = []
        for cause, (count, where) in ranked[:limit]:
            more = ", ..." if count > len(where) else ""
            lines.append(f"{count} x {cause}" + (f" ({', '.join(where)}{more})" if where else ""))
        if len(ranked) > limit:
            rest = sum(count for _, (count, _) in ranked[limit:])
            lines.append(f"{rest} more recipient(s) with {len(ranked) - limit} other reason(s)")
        return lines

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    @property
    def failure_ratio(self) -> float:
        bad = self.counts["failed"] + self.counts["invalid"]
        return bad / self.total if self.total else 0.0

    def summary(self) -> dict[str, Any]:
        sent = self.counts["accepted"]
        out: dict[str, Any] = {
            "total": self.total,
            **self.counts,
            "failure_ratio": round(self.failure_ratio, 4),
            "elapsed_s": round(self.elapsed, 3),
            "rate_per_s": round(sent / self.elapsed, 2) if self.elapsed else 0.0,
        }
        if self.stopped_by is not None:
            out["stopped_by"] = self.stopped_by.to_dict()
        if self.held_back:
            out["held_back"] = self.held_back
        return out


class Screen:
    """Decides without a request whether each :class:`Job` is sent, and reports those
    that are not: invalid (its message cannot be built, or ``check`` refuses it),
    duplicate, skipped (accepted in an earlier try) or ambiguous.

    ``check`` (e.g. the template's placeholders against the recipient's parameters)
    runs only for a recipient about to be sent, after the record is consulted: one
    accepted in an earlier try stays skipped whatever ``check`` would say now, so a
    retry never turns it into a failure. It raises ``ValueError`` to refuse one
    recipient; anything else stops the screening (and so the send).
    """

    def __init__(
        self,
        record: DeliveryRecord | None = None,
        *,
        resend_unknown: bool = False,
        check: Callable[[Message], None] | None = None,
    ) -> None:
        self.record = record or DeliveryRecord()
        self.resend_unknown = resend_unknown
        self.check = check
        self._seen: set[str] = set()

    def __call__(self, job: Job, report: BulkReport) -> tuple[str, bytes, Message] | None:
        """``(to, digest, message)`` to send, or None with the outcome added to ``report``."""
        report.total += 1
        try:
            message = job.build()
        except ValueError as exc:
            report.add(self._invalid(job, job.to, exc))
            return None
        to = message.to or job.to
        where, index = job.where or None, job.index  # its position, in its result
        if to in self._seen:
            report.add(
                RecipientResult(
                    to, "duplicate", reason="already in this send", where=where, index=index
                )
            )
            return None
        self._seen.add(to)
        record = self.record
        if record.completed:
            report.add(
                RecipientResult(
                    to,
                    "skipped",
                    reason="the send completed in an earlier run",
                    where=where,
                    index=index,
                )
            )
            return None
        digest = record.digest(to)
        if digest in record.accepted:
            report.add(
                RecipientResult(
                    to, "skipped", reason="accepted in an earlier try", where=where, index=index
                )
            )
            return None
        if digest in record.unknown and not self.resend_unknown:
            report.add(
                RecipientResult(
                    to,
                    "ambiguous",
                    reason="an earlier try stopped while sending: may have been delivered",
                    where=where,
                    index=index,
                )
            )
            return None
        if self.check is not None:
            try:
                self.check(message)
            except ValueError as exc:
                report.add(self._invalid(job, to, exc))
                return None
        report.expect(job, to)
        return to, digest, message

    @staticmethod
    def _invalid(job: Job, to: str, exc: ValueError) -> RecipientResult:
        return RecipientResult(
            to, "invalid", reason=_exception_summary(exc), where=job.where or None, index=job.index
        )


def preview(
    jobs: Iterable[Job],
    record: DeliveryRecord | None = None,
    *,
    resend_unknown: bool = False,
    check: Callable[[Message], None] | None = None,
) -> BulkReport:
    """Screen every job as :meth:`BulkSender.run` will, sending nothing.

    Run before a send, it reads the whole input first: an unreadable source, or a
    ``check`` that stops (a template that cannot be sent), fails before any message
    leaves; the report counts who will be sent (``total`` minus the others) and tallies
    why the rest will not. It keeps no per-recipient results.
    """
    screen = Screen(record, resend_unknown=resend_unknown, check=check)
    report = BulkReport(keep_results=False)
    for job in jobs:
        screen(job, report)
    return report


class BulkSender:
    """Send :class:`Job` s through one async client.

    ``concurrency`` bounds requests in flight; the client's rate limiter bounds the
    rate (and slows down on a 429 from the gateway, honouring ``Retry-After``). Each
    recipient is reserved in the record only once it holds a concurrency slot and a
    rate-limiter slot, just before its request leaves (a ``before_send`` hook the sender
    adds to the client for the length of :meth:`run`).

    The first answer no other recipient can escape (``WhatsAppError.account_level``:
    revoked key, no Maton connection, locked account...) trips a breaker: no request
    leaves after it but those already on the wire (at most ``concurrency``), and every
    recipient not sent is reported ``not_sent`` and left out of the record, so a retry
    sends it. ``send_limit`` caps the recipients sent (the messaging limit pre-flight's
    ``send_up_to_limit``): those past it are ``not_sent`` with ``held_back_reason`` and
    counted in ``report.held_back``.
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
        check: Callable[[Message], None] | None = None,
        send_limit: int | None = None,
        held_back_reason: str = "held back: over the send's limit",
    ) -> None:
        self.client = client
        # At most this many recipients are sent; the rest are reported not_sent with
        # ``held_back_reason`` (the messaging limit's pre-flight: bulk/preflight.py).
        self.send_limit = send_limit
        self.held_back_reason = held_back_reason
        self._admitted = 0
        self.concurrency = max(1, concurrency)
        self.record = record or DeliveryRecord()
        self.resend_unknown = resend_unknown
        self.progress_every = progress_every
        self.expected_total = expected_total
        self.log = logger or log
        self.report = BulkReport()
        self._screen = Screen(self.record, resend_unknown=resend_unknown, check=check)
        self._started = 0.0
        self._waiting: set[asyncio.Task[None]] = set()  # started, not yet at the gate
        self._cancelled: set[asyncio.Task[None]] = set()  # cancelled by the breaker

    async def run(self, jobs: Iterable[Job]) -> BulkReport:
        self._started = time.monotonic()
        progress = asyncio.create_task(self._progress())
        hook = self._before_send
        self.client.before_send.append(hook)
        try:
            await self._dispatch(jobs)
        finally:
            self.client.before_send.remove(hook)
            progress.cancel()
            self.report.elapsed = time.monotonic() - self._started
            await self.record.close()
        self._log_progress(final=True)
        return self.report

    async def _dispatch(self, jobs: Iterable[Job]) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        tasks: set[asyncio.Task[None]] = set()
        jobs = iter(jobs)  # one pass: a stop reports the rest from where it is
        for job in jobs:
            ready = self._screen(job, self.report)
            if ready is None:
                continue
            if self.send_limit is not None and self._admitted >= self.send_limit:
                self.report.held_back += 1
                self.report.add(RecipientResult(ready[0], "not_sent", reason=self.held_back_reason))
                continue
            self._admitted += 1
            await slots.acquire()
            if self.record.error is not None:
                break  # the record cannot be written: nothing more may leave
            if self.report.stopped_by is not None:
                slots.release()
                self._not_sent(ready[0])
                for job in jobs:  # the iterator's rest: screened, never sent
                    if (rest := self._screen(job, self.report)) is not None:
                        self._not_sent(rest[0])
                break
            task = asyncio.create_task(self._send(*ready, slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=self.record.error is not None)
        if self.record.error is not None:
            raise self.record.error

    async def _send(
        self, to: str, digest: bytes, message: Message, slots: asyncio.Semaphore
    ) -> None:
        record = self.record
        task = asyncio.current_task()
        assert task is not None
        if self.report.stopped_by is not None:  # tripped before this task first ran
            slots.release()
            self._not_sent(to)
            return

        async def gate() -> None:
            self._waiting.discard(task)  # from here on, only the breaker's check stops it
            if self.report.stopped_by is not None:
                raise _NotSent
            await record.reserve(digest)
            if self.report.stopped_by is not None:
                raise _NotSent

        # This task's own context: the gate reserves this recipient, and only it.
        _departure.set((self, gate))
        self._waiting.add(task)
        try:
            answer = await self.client.send_message(message)
        except asyncio.CancelledError:
            if task not in self._cancelled:
                raise  # the run itself is cancelled
            uncancel = getattr(task, "uncancel", None)  # Python 3.11+: the cancel is handled
            if uncancel is not None:
                uncancel()
            self._not_sent(to)  # was waiting for a rate-limit slot: nothing left
        except _NotSent:
            record.release(digest)
            self._not_sent(to)
        except AmbiguousSendError as exc:
            record.unknown_outcome(digest)
            self.report.add(RecipientResult(to, "ambiguous", reason=_exception_summary(exc)))
        except WhatsAppError as exc:
            record.release(digest)
            result = RecipientResult(
                to, "failed", code=exc.code or exc.status, reason=_exception_summary(exc)
            )
            self.report.add(result, retryable=exc.retryable, cause=_cause(exc))
            if exc.account_level:
                self._trip(exc)
        except ValueError as exc:
            record.release(digest)
            self.report.add(RecipientResult(to, "invalid", reason=_exception_summary(exc)))
        else:
            record.accept(digest)
            self.report.add(RecipientResult(to, "accepted", message_id=_message_id(answer)))
        finally:
            self._waiting.discard(task)
            slots.release()

    async def _before_send(self, request: ApiRequest) -> None:
        """The client's hook: a recipient's send passes its gate (in its task's context)."""
        departure = _departure.get()
        if departure is not None and departure[0] is self and request.target == "gateway":
            await departure[1]()

    def _trip(self, error: WhatsAppError) -> None:
        """Stop the send: nothing more leaves; requests waiting for a slot give up."""
        if self.report.stopped_by is not None:
            return
        self.report.stopped_by = error
        self.log.error("Stopping the bulk send on an account-level error: %s", error)
        for task in self._waiting:
            self._cancelled.add(task)
            task.cancel()
        self._waiting.clear()

    def _not_sent(self, to: str) -> None:
        self.report.add(RecipientResult(to, "not_sent", reason=NOT_SENT_REASON))

    async def _progress(self) -> None:
        while True:
            await asyncio.sleep(self.progress_every)
            self._log_progress()

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
            "%s %d%s done: %d accepted, %d failed, %d invalid, %d duplicate, %d skipped, "
            "%d ambiguous, %d not sent; %.1f msg/s%s",
            "Finished:" if final else "Progress:",
            report.done,
            total,
            report.counts["accepted"],
            report.counts["failed"],
            report.counts["invalid"],
            report.counts["duplicate"],
            report.counts["skipped"],
            report.counts["ambiguous"],
            report.counts["not_sent"],
            rate,
            eta,
        )


def _exception_summary(exc: BaseException) -> str:
    """Why a recipient was not sent, in one line of at most 300 characters (its result's
    reason): a validation error's first field and rule, else the exception's first line."""
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


def _cause(exc: WhatsAppError) -> str:
    """``132001 Template name does not exist in the translation``: the code and the
    service's own title (Graph's ``(#132001)`` prefix dropped), the same for every
    recipient that failed the same way (no number, no trace id)."""
    title = _GRAPH_PREFIX.sub("", exc.message.strip().splitlines()[0] if exc.message else "")
    title = title or type(exc).__name__
    code = exc.code if exc.code is not None else (f"HTTP {exc.status}" if exc.status else None)
    return f"{code} {title}"[:200] if code is not None else title[:200]


def _message_id(answer: Any) -> str | None:
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None
