"""One message to each of a few recipients, every one on its own: the path alerts take.

A ``to`` naming several people (a list, comma-separated text, a list Jinja rendered to
text) is split, each number checked, and the message sent to every valid one: an invalid
number or a refused send is reported for that recipient and never stops the others. No
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

_JINJA_MARKS = ("{{", "{%")


class Log(Protocol):
    """Where a send reports each recipient: a ``logging.Logger``, Airflow's task logger."""

    def info(self, msg: str, /, *args: Any) -> Any: ...

    def error(self, msg: str, /, *args: Any) -> Any: ...


_QUOTES = "'\""


def is_templated(value: Any) -> bool:
    """Text Jinja has yet to render (checked only once it is)."""
    return isinstance(value, str) and any(mark in value for mark in _JINJA_MARKS)


def split_recipients(value: Any) -> list[Any]:
    """One number, a comma-separated string, a list, or a list rendered to text.

    ``"{{ params.team }}"`` renders a list as ``"['+1 555 0100', '1555']"`` (or JSON with
    ``| tojson``): brackets, quotes and commas are separators, as no phone number holds
    one. A list's strings are split the same way (a Variable rendered into one item may
    hold several numbers); other items (an int, a wrong type) are kept as they are, so
    the phone check can name them.
    """
    if value is None:
        return []
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            parts = (part.strip().strip(_QUOTES).strip() for part in text[1:-1].split(","))
            return [part for part in parts if part]
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [part for item in value for part in split_recipients(item)]
    return [value]


def syntax_problems(items: Sequence[Any]) -> list[str]:
    """``recipient 1 of 3, ••••••••56ef, contains letters`` for each literal item that can never
    be a number, judged without country data (so without importing ``phonenumbers``): what
    a DAG file's parse can afford. Jinja and non-numbers are left to the send."""
    from ..messages.phone import PhoneNumberError, check_phone_syntax

    problems = []
    for position, item in enumerate(items, start=1):
        if is_templated(item) or not isinstance(item, (str, int)):
            continue
        try:
            check_phone_syntax(item)
        except PhoneNumberError as exc:
            problems.append(f"recipient {position} of {len(items)}, {exc.shown}, {exc.problem}")
    return problems


@dataclass(frozen=True)
class Screened:
    """The recipients a message can go to (API digits), and a line for each other one:
    ``recipient 3 of 5 (+••••••••9999): has no such country code`` (numbers masked)."""

    valid: list[str]
    invalid: list[str]


def screen_recipients(items: Sequence[Any]) -> Screened:
    """Normalise each item (country code and length checked); never raises for one."""
    from ..messages.phone import PhoneNumberError, normalize_phone

    valid: list[str] = []
    invalid: list[str] = []
    for position, item in enumerate(items, start=1):
        try:
            valid.append(normalize_phone(item))
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
