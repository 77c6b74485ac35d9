"""Everything the emulator remembers, behind one lock.

Handlers run on the server's event-loop thread while tests read and steer the state from
their own thread, so every mutation and every read goes through :attr:`State.lock`.
Stdlib only: importing this module must stay cheap (it is reached from the pytest plugin).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import itertools
import re
import threading
import time
from collections import UserDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .account import AccountTrouble, MessagingLimitUse
from .faults import FaultPlan
from .settings import Settings

DEFAULT_CONNECTION_ID = "21fd90f9-5935-43cd-b6c8-bde9d915ca80"
DEFAULT_BODY = {"type": "BODY", "text": "Hello {{1}}", "example": {"body_text": [["World"]]}}
WINDOW_SECONDS = 24 * 3600.0
MEDIA_ID_BASE = 1_040_000_000_000_000
TEMPLATE_ID_BASE = 594_425_479_261_000


@dataclass
class RecordedRequest:
    """One HTTP request as the emulator received it (and how it answered)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    form: dict[str, str]
    files: list[dict[str, Any]]
    status: int | None
    fault: str | None
    processed: bool
    received_at: float
    host: str
    answered_at: float | None = None
    """When the answer left (the emulator's clock); ``None`` while unanswered or dropped."""


@dataclass
class SentMessage:
    """A message the emulated API accepted (answered 200 with a wamid).

    ``to`` is whom it went to: the phone number, or the business-scoped user id of a
    send by ``recipient`` (then also in ``user_id``, as the API's answer names it)."""

    to: str
    type: str
    payload: dict[str, Any]
    message_id: str
    received_at: float
    user_id: str | None = None


@dataclass
class Template:
    """A message template of the emulated WhatsApp Business account."""

    id: str
    name: str
    language: str
    category: str
    components: list[Any]
    parameter_format: str
    status: str
    rejected_reason: str | None = None
    submitted_at: float = 0.0
    """When it was (re)submitted for review, on the emulator's :class:`Clock`."""
    pending_reads: int = 0
    """API reads that answered PENDING since the last submission."""

    def resubmit(self, now: float) -> None:
        """Back to PENDING review (an edit, or a test moving it there) at ``now``."""
        self.status, self.rejected_reason = "PENDING", None
        self.submitted_at, self.pending_reads = now, 0

    def to_api(self) -> dict[str, Any]:
        """The template as Graph lists it (``rejected_reason`` only when rejected)."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "language": self.language,
            "status": self.status,
            "category": self.category,
            "components": copy.deepcopy(self.components),
            "parameter_format": self.parameter_format,
            "quality_score": {"score": "GREEN" if self.status == "APPROVED" else "UNKNOWN"},
        }
        if self.status == "REJECTED":
            out["rejected_reason"] = self.rejected_reason or "NONE"
        return out


@dataclass
class Connection:
    """A Maton OAuth connection (ctrl host)."""

    connection_id: str
    status: str
    created: float
    creation_time: str
    last_updated_time: str
    url: str
    app: str = "whatsapp-business"
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_api(self, id_key: str = "connection_id") -> dict[str, Any]:
        """The connection as Maton's ctrl host shows it, its id under ``id_key``
        (``connection_id``, or ``connection_Id`` as Maton's OpenAPI spec spells it)."""
        return {
            id_key: self.connection_id,
            "status": self.status,
            "creation_time": self.creation_time,
            "last_updated_time": self.last_updated_time,
            "url": self.url,
            "app": self.app,
            "metadata": dict(self.metadata),
        }


_PHONE_AS_WRITTEN = re.compile(r"\+?[0-9 ().-]+")
_USER_ID = re.compile(r"[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]{1,128}")


def phone_digits(phone: object) -> str:
    """``"+1 (650) 555-1234"`` -> ``"16505551234"``: the digits, as the API writes ``to``.

    The emulator's own rule (it never imports the provider's): the provider sends digits
    only, so a window opened for a number as people write it must match that. A
    business-scoped user id (``US.13491208655302741918``) is kept as written: a user who
    hides their number opens a window under it. Anything else (letters, too few or too
    many digits) is a ``ValueError`` naming the value.
    """
    text = str(phone).strip()
    if _USER_ID.fullmatch(text):
        return text
    digits = re.sub(r"\D", "", text)
    if not _PHONE_AS_WRITTEN.fullmatch(text) or not 7 <= len(digits) <= 15:
        raise ValueError(
            f"not a phone number: {text!r} (7..15 digits, optionally with a leading +, "
            "spaces, dots, dashes or brackets)"
        )
    return digits


def _tick(seconds: float) -> float:
    """``seconds`` rounded to a multiple of 2**-20: exact in binary, so sums stay exact."""
    return round(seconds * 1048576) / 1048576


class Clock:
    """The emulator's time in seconds: the machine's monotonic clock until a test freezes
    it; :meth:`advance` moves it on, frozen or not. Every time rule reads it (the rate
    limit's sliding second, template reviews, the hourly creation limit, the 24-hour
    window, media URL expiry), so a test checks them by moving it instead of sleeping.

    Readings are whole multiples of 2**-20 s (about a microsecond), so whole-second
    advances add and subtract exactly: an hour after ``t`` is ``t + 3600`` to the bit,
    not 3599.9999999999995 (which left an hourly limit shut at its boundary)."""

    def __init__(self) -> None:
        self._frozen_at: float | None = None
        self._offset = 0.0

    def __call__(self) -> float:
        base = _tick(time.monotonic()) if self._frozen_at is None else self._frozen_at
        return base + self._offset

    def freeze(self) -> None:
        """Stop the clock where it is (until :meth:`advance` moves it)."""
        if self._frozen_at is None:
            self._frozen_at = _tick(time.monotonic())

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` on (never back)."""
        if not seconds >= 0:
            raise ValueError(f"the emulator's clock only moves forward, got {seconds!r}")
        self._offset += seconds


class PhoneWindows(UserDict[str, float]):
    """When each user last wrote in, keyed by :func:`phone_digits`: a window opened for
    ``+1 650 555 1234`` (Python API, ``--open-window``, ``POST /_emulator/windows``) is
    the window of a message sent to ``16505551234``."""

    def __setitem__(self, phone: str, opened: float) -> None:
        self.data[phone_digits(phone)] = opened

    def __getitem__(self, phone: str) -> float:
        return self.data[_window_key(phone)]

    def __delitem__(self, phone: str) -> None:
        del self.data[_window_key(phone)]

    def __contains__(self, phone: object) -> bool:
        return _window_key(phone) in self.data


def _window_key(phone: object) -> str:
    """A number's digits, or a business-scoped user id as written."""
    text = str(phone).strip()
    return text if _USER_ID.fullmatch(text) else re.sub(r"\D", "", text)


def utc_now_iso() -> str:
    """Maton-style timestamp (``2025-12-08T07:20:53.488460Z``)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_profile() -> dict[str, Any]:
    """The business profile a fresh emulated phone number has."""
    return {
        "about": "Emulated WhatsApp Business",
        "address": "1 Hacker Way, Menlo Park, CA",
        "description": "A local emulator of the WhatsApp Business Cloud API.",
        "email": "business@example.com",
        "profile_picture_url": "https://pps.whatsapp.net/v/emulator.jpg",
        "websites": ["https://www.example.com/"],
        "vertical": "PROF_SERVICES",
    }


class State:
    """All mutable emulator data; hold :attr:`lock` while touching any of it."""

    def __init__(
        self,
        *,
        api_key: str,
        phone_number_id: str,
        waba_id: str,
        connection_id: str,
        settings: Settings,
    ) -> None:
        self.lock = threading.RLock()
        self.api_key = api_key
        self.phone_number_id = phone_number_id
        self.waba_id = waba_id
        self.default_connection_id = connection_id
        self.initial_settings = settings
        self.settings = dataclasses.replace(settings)
        self.initial_templates: list[Template] = []
        self.port = 0
        self._ids = itertools.count(1)
        self.clear()

    def clear(self) -> None:
        """Forget traffic, media, windows and limits; restore templates, settings and
        the running clock."""
        with self.lock:
            self.clock = Clock()
            self.requests: list[RecordedRequest] = []
            self.messages: list[SentMessage] = []
            self.media: dict[str, dict[str, Any]] = {}
            self.lookaside_tokens: dict[str, tuple[str, float]] = {}
            self.windows = PhoneWindows()
            self.rate_windows: dict[str, deque[float]] = {}
            self.template_creations: deque[float] = deque()
            self.faults = FaultPlan()
            self.account = AccountTrouble()
            self.messaging = MessagingLimitUse()
            self.templates = [
                dataclasses.replace(t, components=copy.deepcopy(t.components))
                for t in self.initial_templates
            ]
            self.settings = dataclasses.replace(
                self.initial_settings,
                reject_templates=dict(self.initial_settings.reject_templates),
            )
            self.profile = default_profile()
            now = utc_now_iso()
            self.connections = {
                self.default_connection_id: Connection(
                    connection_id=self.default_connection_id,
                    status="ACTIVE",
                    created=time.monotonic(),
                    creation_time=now,
                    last_updated_time=now,
                    url="https://connect.maton.ai/?session_token=emulator-default",
                )
            }

    def new_id(self, base: int) -> str:
        """A fresh numeric id; ``base`` keeps media, template and other ids apart."""
        return str(base + next(self._ids))

    # -- templates -----------------------------------------------------------------
    def apply_reviews(self) -> None:
        """Move PENDING templates to their verdict once ``review_delay`` has passed and
        the API has answered PENDING for them ``review_after_reads`` times."""
        delay = self.settings.review_delay
        if delay is None:
            return
        now = self.clock()
        reads = self.settings.review_after_reads
        for tpl in self.templates:
            if (
                tpl.status == "PENDING"
                and now - tpl.submitted_at >= delay
                and tpl.pending_reads >= reads
            ):
                reason = self.settings.reject_templates.get(tpl.name)
                tpl.status = "APPROVED" if reason is None else "REJECTED"
                tpl.rejected_reason = reason

    @staticmethod
    def count_reads(templates: Iterable[Template]) -> None:
        """Count an API answer that showed these templates (a PENDING one's review may
        wait for such reads: see ``Settings.review_after_reads``)."""
        for tpl in templates:
            if tpl.status == "PENDING":
                tpl.pending_reads += 1

    def find_templates(self, name: str, language: str | None = None) -> list[Template]:
        """Templates called ``name`` (in ``language`` when given)."""
        return [
            t
            for t in self.templates
            if t.name == name and (language is None or t.language == language)
        ]

    def template_by_id(self, template_id: str) -> Template | None:
        """The template with that id, if any."""
        return next((t for t in self.templates if t.id == template_id), None)

    # -- connections ---------------------------------------------------------------
    def default_connection(self) -> Connection | None:
        """Maton's default: the oldest ACTIVE connection."""
        active = [c for c in self.connections.values() if c.status == "ACTIVE"]
        return min(active, key=lambda c: c.created) if active else None

    # -- windows -------------------------------------------------------------------
    def window_open(self, phone: str) -> bool:
        """Whether ``phone`` wrote to the business within the last 24 hours."""
        opened = self.windows.get(phone)
        return opened is not None and self.clock() - opened < WINDOW_SECONDS
