"""One message to each of a few recipients, every one on its own: the path alerts take.

A ``to`` naming several people (a list, comma-separated text, a list Jinja rendered to
text) is split, each number (or business-scoped user id) checked, and the message sent to
every valid one: an invalid one or a refused send is reported for that recipient and never stops the others. No
delivery record and no concurrency bound, which a handful of on-call phones do not need;
:mod:`.sender` is the exactly-once path for thousands.

No Airflow here, and cheap to import (a DAG file's notifier reaches it at parse time): the
phone rules and the client are imported by the functions that use them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .recipient_list import is_templated, split_recipients, syntax_problems

if TYPE_CHECKING:
    from ..client import AsyncWhatsAppClient, WhatsAppClient
    from ..messages import RecipientMessage

__all__ = [
    "Fanout",
    "Outcome",
    "Screened",
    "is_templated",
    "message_id",
    "screen_recipients",
    "send_each",
    "send_together",
    "split_recipients",
    "syntax_problems",
]


class Log(Protocol):
    """Where a send reports each recipient: a ``logging.Logger``, Airflow's task logger."""

    def info(self, msg: str, /, *args: Any) -> Any: ...

    def error(self, msg: str, /, *args: Any) -> Any: ...


@dataclass(frozen=True)
class Screened:
    """The recipients a message can go to (API digits, or business-scoped user ids as
    written), and a line for each other one: ``recipient 3 of 5 (+••••••••9999): has no
    such country code`` (numbers and ids masked)."""

    valid: list[str]
    invalid: list[str]


def screen_recipients(items: Sequence[Any]) -> Screened:
    """Normalise each item (a number's country code and length, a business-scoped user
    id's shape checked); never raises for one."""
    from ..messages.phone import PhoneNumberError, normalize_recipient

    valid: list[str] = []
    invalid: list[str] = []
    for position, item in enumerate(items, start=1):
        try:
            valid.append(normalize_recipient(item))
        except PhoneNumberError as exc:
            invalid.append(f"recipient {position} of {len(items)} ({exc.shown}): {exc.problem}")
    return Screened(valid, invalid)


@dataclass(frozen=True)
class Outcome:
    """One recipient's send: accepted with the API's message id, or the error's text."""

    to: str
    message_id: str | None = None
    error: str | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


@dataclass
class Fanout:
    """What a send to several recipients did: each one's outcome, or, when not one request
    could be made, why (``unusable``: the connection could not be built)."""

    outcomes: list[Outcome] = field(default_factory=list)
    unusable: str = ""

    @property
    def sent(self) -> int:
        return sum(outcome.accepted for outcome in self.outcomes)


def message_id(answer: Any) -> str | None:
    """The message id (wamid) of a send's answer, None when it holds none."""
    try:
        return str(answer["messages"][0]["id"])
    except (KeyError, IndexError, TypeError):
        return None


def _record(fanout: Fanout, message: RecipientMessage, result: Any, log: Log, what: str) -> None:
    """Add one outcome and log it: every recipient's send is reported, none swallowed,
    the number masked (in the error's text too, should the service have echoed it)."""
    from ..messages.phone import mask_phone, mask_phone_in

    shown = mask_phone(message.to)
    if isinstance(result, BaseException):
        error = mask_phone_in(str(result), message.to)
        log.error("%s to %s failed: %s", what, shown, error)
        fanout.outcomes.append(Outcome(message.to, error=error))
    else:
        sent_id = message_id(result)
        log.info("%s sent to %s: %s", what, shown, sent_id or "no message id")
        fanout.outcomes.append(Outcome(message.to, message_id=sent_id))


def send_each(
    connect: Callable[[], WhatsAppClient],
    messages: Sequence[RecipientMessage],
    *,
    retry_budget: float | None,
    log: Log,
    what: str = "WhatsApp message",
) -> Fanout:
    """Send the messages one after another through ``connect()``'s client, then close it.

    ``retry_budget`` (seconds) is shared by all: each send may retry only within what the
    ones before it left, so the whole call holds its worker for about the budget plus one
    request's timeout, however many recipients wait. No message: no connection either.
    """
    fanout = Fanout()
    if not messages:
        return fanout
    try:
        client = connect()
    except Exception as exc:
        log.error("%s not sent: connection unusable: %s", what, exc)
        fanout.unusable = f"connection unusable: {exc}"
        return fanout
    started = time.monotonic()
    try:
        for message in messages:
            if retry_budget is not None:
                left = max(retry_budget - (time.monotonic() - started), 0.0)
                client.transport.set_retry_budget(left)
            try:
                answer: Any = client.send_message(message)
            except Exception as exc:
                answer = exc
            _record(fanout, message, answer, log, what)
    finally:
        client.close()
    return fanout


async def send_together(
    connect: Callable[[], Awaitable[AsyncWhatsAppClient]],
    messages: Sequence[RecipientMessage],
    *,
    log: Log,
    what: str = "WhatsApp message",
) -> Fanout:
    """Send the messages at once through ``await connect()``'s client, then close it (the
    client's rate limiter and its retry budget bound them)."""
    fanout = Fanout()
    if not messages:
        return fanout
    try:
        client = await connect()
    except Exception as exc:
        log.error("%s not sent: connection unusable: %s", what, exc)
        fanout.unusable = f"connection unusable: {exc}"
        return fanout
    try:
        results = await asyncio.gather(
            *(client.send_message(m) for m in messages), return_exceptions=True
        )
    finally:
        await client.aclose()
    for message, result in zip(messages, results):
        _record(fanout, message, result, log, what)
    return fanout
