"""The emulator's behaviour knobs, each described once.

A setting is a :class:`Settings` field whose metadata says what it means and how a value
is checked; the constructor of ``WhatsAppEmulator`` and its properties, ``configure()``,
``/_emulator/config`` and the command line (``python -m airflow_provider_whatsapp.testing``)
are all derived from these fields. Stdlib only: reached from the pytest plugin.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# How Maton's own errors are written: "json" {"error": "..."}; the four shapes of Maton's
# current docs, "message" {"message": ...}, "error_object" {"error": {"message": ...}},
# "detail" {"detail": "..."}, "detail_list" {"detail": [{"loc": [...], "msg": ...}]};
# and plain "text" or an "html" page.
MATON_ERROR_STYLES = (
    "json",
    "message",
    "error_object",
    "detail",
    "detail_list",
    "text",
    "html",
)

# How Maton answers a gateway call when no connection resolves (the default one gone, or
# the Maton-Connection header's unknown or not ACTIVE): the seed's 400 "Missing app
# connection", or the 412 Maton's SDK documents for a connection it could not resolve.
MISSING_CONNECTION_STATUSES = (400, 412)
# The key of a connection's id in ctrl answers: the seed's "connection_id", or the
# "connection_Id" of Maton's OpenAPI spec.
CONNECTION_ID_KEYS = ("connection_id", "connection_Id")
# The emulated number's business portfolio's messaging limit, as the phone number answers
# it in ``whatsapp_business_manager_messaging_limit`` (Meta's "Messaging limits" page and
# the phone_number_quality_update webhook reference): unique users per rolling 24 h.
MESSAGING_LIMITS = ("TIER_50", "TIER_250", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED")
# quality_rating of a phone number (Meta's OpenAPI spec v23.0, and UNKNOWN as answered
# for a new number); throughput.level (Meta's "Throughput" page: 80 or 1,000 messages/s).
QUALITY_RATINGS = ("GREEN", "YELLOW", "RED", "NA", "UNKNOWN")
THROUGHPUT_LEVELS = ("STANDARD", "HIGH", "NOT_APPLICABLE")


def _one_of(name: str, choices: tuple[Any, ...]) -> Callable[[Any], Any]:
    """A check that ``value`` is one of ``choices`` (a number may come as its text)."""

    def check(value: Any) -> Any:
        for choice in choices:
            if not isinstance(value, bool) and str(value) == str(choice):
                return choice
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")

    return check


def _messaging_limit(value: Any) -> str | None:
    """A tier of :data:`MESSAGING_LIMITS`, or None/"" (the field is not served)."""
    if value in (None, ""):
        return None
    return str(_one_of("messaging_limit", MESSAGING_LIMITS)(value))


def _rate(value: Any) -> float | None:
    rate = float(value) if value else None
    if rate is not None and rate < 0:
        raise ValueError("rate_limit must be positive (or None/0 for no limit)")
    return rate


def _seconds(name: str, *, optional: bool = False) -> Callable[[Any], Any]:
    def check(value: Any) -> float | None:
        if value is None and optional:
            return None
        seconds = float(value)
        if seconds < 0:
            raise ValueError(f"{name} must not be negative")
        return seconds

    return check


def _count(value: Any) -> int:
    count = int(value)
    if count < 0:
        raise ValueError("review_after_reads must not be negative")
    return count


def _phones(value: Any) -> frozenset[str] | None:
    if isinstance(value, str):
        raise ValueError("allowed_recipients must be a collection of phone numbers")
    return None if value is None else frozenset(str(v) for v in value)


def _rejections(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping) or not value:
        return {str(k): str(v) for k, v in (value or {}).items()}
    pairs = {}
    for item in value:  # the command line's NAME=REASON items
        name, sep, reason = str(item).partition("=")
        if not sep:
            raise ValueError(f"reject_templates expects NAME=REASON, got {item!r}")
        pairs[name] = reason
    return pairs


def _style(value: Any) -> str:
    if value not in MATON_ERROR_STYLES:
        raise ValueError(f"maton_error_style must be one of {MATON_ERROR_STYLES}")
    return str(value)


def setting(default: Any, doc: str, check: Callable[[Any], Any], **cli: Any) -> Any:
    """A :class:`Settings` field: its default, meaning, check, and command-line form
    (``argparse`` keywords; ``flag`` renames the option, ``flag=None`` leaves it out)."""
    factory = default if callable(default) else None
    meta = {"doc": doc, "check": check, "cli": cli}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Settings:
    """Behaviour knobs that tests may change while the server runs."""

    rate_limit: float | None = setting(
        10, "Requests per sliding second per API key; None or 0: off.", _rate, type=float
    )
    latency: float = setting(
        0.0, "Seconds added to every gateway/ctrl answer.", _seconds("latency"), type=float
    )
    allowed_recipients: frozenset[str] | None = setting(
        None,
        "None: anyone; else the others get error 131030.",
        _phones,
        nargs="*",
        metavar="PHONE",
    )
    enforce_window: bool = setting(
        True,
        "Free-form messages need an open 24-hour window.",
        bool,
        action=argparse.BooleanOptionalAction,
    )
    review_delay: float | None = setting(
        None,
        "Seconds until PENDING templates get a verdict; None: they stay PENDING.",
        _seconds("review_delay", optional=True),
        type=float,
    )
    review_after_reads: int = setting(
        0,
        "PENDING answers each review waits for, whatever the clock.",
        _count,
        type=int,
        metavar="N",
    )
    reject_templates: dict[str, str] = setting(
        dict,
        "Template name -> the rejection reason its review gives.",
        _rejections,
        flag="--reject",
        action="append",
        metavar="NAME=REASON",
    )
    maton_error_style: str = setting(
        "json",
        "The body of Maton's own errors: " + " | ".join(MATON_ERROR_STYLES) + ".",
        _style,
        choices=MATON_ERROR_STYLES,
    )
    missing_connection_status: int = setting(
        400,
        "HTTP status of Maton's answer when no connection resolves: 400 (Missing app "
        "connection) | 412 (Precondition Failed, as Maton's SDK documents).",
        _one_of("missing_connection_status", MISSING_CONNECTION_STATUSES),
        type=int,
        choices=MISSING_CONNECTION_STATUSES,
    )
    messaging_limit: str | None = setting(
        "TIER_UNLIMITED",
        "The number's messaging limit (whatsapp_business_manager_messaging_limit): "
        + " | ".join(MESSAGING_LIMITS)
        + "; sends to more unique users outside their window per rolling 24 h get 131048. "
        "None or '': the field is unknown (asking for it: Graph error 100).",
        _messaging_limit,
        metavar="TIER",
    )
    quality_rating: str = setting(
        "GREEN",
        "The number's quality_rating: " + " | ".join(QUALITY_RATINGS) + ".",
        _one_of("quality_rating", QUALITY_RATINGS),
        choices=QUALITY_RATINGS,
    )
    throughput_level: str = setting(
        "STANDARD",
        "The number's throughput.level: " + " | ".join(THROUGHPUT_LEVELS) + ".",
        _one_of("throughput_level", THROUGHPUT_LEVELS),
        choices=THROUGHPUT_LEVELS,
    )
    connection_id_key: str = setting(
        "connection_id",
        "How ctrl answers spell a connection's id: " + " | ".join(CONNECTION_ID_KEYS) + ".",
        _one_of("connection_id_key", CONNECTION_ID_KEYS),
        choices=CONNECTION_ID_KEYS,
    )


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def apply_settings(settings: Settings, values: Mapping[str, Any]) -> None:
    """Check every value first, then set them all (a bad one changes nothing)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    checked = {name: FIELDS[name].metadata["check"](value) for name, value in values.items()}
    for name, value in checked.items():
        setattr(settings, name, value)


def make_settings(**values: Any) -> Settings:
    """Checked settings; the defaults for whatever is not given."""
    settings = Settings()
    apply_settings(settings, values)
    return settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One command-line option per setting (``--rate-limit``, ``--reject``, ...)."""
    for name, f in FIELDS.items():
        cli = dict(f.metadata["cli"])
        flag = cli.pop("flag", "--" + name.replace("_", "-"))
        default = f.default_factory() if callable(f.default_factory) else f.default
        parser.add_argument(
            flag, dest=name, default=None, help=f"{f.metadata['doc']} (default: {default})", **cli
        )


def from_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (the others keep their defaults)."""
    return {name: getattr(args, name) for name in FIELDS if getattr(args, name) is not None}


def setting_docs() -> Iterable[tuple[str, str]]:
    return ((name, f.metadata["doc"]) for name, f in FIELDS.items())
