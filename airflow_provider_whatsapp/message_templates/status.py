"""Reading a template's review status: the one rule book for the sensor and its trigger."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_TARGET_STATUSES = ("APPROVED",)
#: Statuses from which no amount of waiting leads to approval.
DEFAULT_FAILURE_STATUSES = ("REJECTED", "PAUSED", "DISABLED")
#: Looks that may find the template missing before the wait fails (it may not exist yet).
DEFAULT_MISSING_GRACE = 3
#: What to do about a template in a failure status.
_FAILURE_HINTS = {
    "REJECTED": "fix the template and submit it again (or appeal in WhatsApp Manager)",
    "PAUSED": "its quality is low: review feedback in WhatsApp Manager",
    "DISABLED": "it was disabled for low quality: create a new one",
}


@dataclass(frozen=True)
class StatusCheck:
    """What one look at the template says: keep waiting, done, or failed (with why)."""

    done: bool = False
    failed: bool = False
    message: str = ""
    template: dict[str, Any] | None = None


def summarize(template: Mapping[str, Any]) -> dict[str, Any]:
    """The small record pushed to XCom: id, name, language, status, category, quality."""
    quality = template.get("quality_score")
    if isinstance(quality, Mapping):
        quality = quality.get("score")
    return {
        "id": template.get("id"),
        "name": template.get("name"),
        "language": template.get("language"),
        "status": template.get("status"),
        "category": template.get("category"),
        "quality": quality,
    }


def label(name: str, language: str | None) -> str:
    """How logs and errors name a template: ``'name' (language)``."""
    return f"template {name!r}" + (f" ({language})" if language else "")


@dataclass
class StatusWatch:
    """One wait for a template's review, as the sensor (in the worker) and its trigger (in
    the triggerer) both run it: what ends it, and how many looks in a row found the
    template missing, carried from the sensor's first look into the trigger so deferring
    grants no extra grace. The trigger stores it as :meth:`to_kwargs` gives it.
    """

    template_name: str
    language: str | None = None
    target_statuses: Sequence[str] = DEFAULT_TARGET_STATUSES
    failure_statuses: Sequence[str] = DEFAULT_FAILURE_STATUSES
    missing_grace: int = DEFAULT_MISSING_GRACE
    missing_pokes: int = 0

    def __post_init__(self) -> None:
        self.language = self.language or None  # "" (an unset templated field): any language
        self.target_statuses = tuple(self.target_statuses)
        self.failure_statuses = tuple(self.failure_statuses)

    def look(self, template: Mapping[str, Any] | None, *, missing_at_least: int = 0) -> StatusCheck:
        """Decide from one fetched template (``None``: absent). ``missing_at_least``: the
        looks known to have missed it elsewhere (the pokes before a reschedule)."""
        what = label(self.template_name, self.language)
        if template is None:
            self.missing_pokes = missed = max(self.missing_pokes + 1, missing_at_least)
            if missed > self.missing_grace:
                return StatusCheck(
                    failed=True,
                    message=f"{what} does not exist (checked {missed} times): "
                    "check template_name/language, or create it first",
                )
            return StatusCheck(message=f"{what} not found yet ({missed}/{self.missing_grace + 1})")
        self.missing_pokes = 0
        status = str(template.get("status", "")).upper()
        if status in {s.upper() for s in self.target_statuses}:
            return StatusCheck(
                done=True, message=f"{what} is {status}", template=summarize(template)
            )
        if status in {s.upper() for s in self.failure_statuses}:
            reason = template.get("rejected_reason") or template.get("reason")
            why = f": reason {reason}" if reason and reason != "NONE" else ""
            hint = _FAILURE_HINTS.get(status)
            return StatusCheck(
                failed=True,
                message=f"{what} is {status}{why}" + (f"; {hint}" if hint else ""),
                template=summarize(template),
            )
        return StatusCheck(message=f"{what} is {status or 'of unknown status'}; waiting")

    def to_kwargs(self) -> dict[str, Any]:
        """The watch as JSON-safe keyword arguments: ``StatusWatch(**watch.to_kwargs())``
        rebuilds it (in the triggerer, from the trigger's stored arguments)."""
        return {
            **dataclasses.asdict(self),
            "target_statuses": list(self.target_statuses),
            "failure_statuses": list(self.failure_statuses),
        }
