"""Reading a template's review status: the one rule book for the sensor and its trigger."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_TARGET_STATUSES = ("APPROVED",)
#: Statuses from which no amount of waiting leads to approval.
DEFAULT_FAILURE_STATUSES = ("REJECTED", "PAUSED", "DISABLED")
#: Looks that may find the template missing before the wait fails (it may not exist yet).
DEFAULT_MISSING_GRACE = 3


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


def check_status(
    template: Mapping[str, Any] | None,
    *,
    name: str,
    language: str | None,
    target_statuses: Iterable[str],
    failure_statuses: Iterable[str],
    missing_pokes: int,
    missing_grace: int,
) -> StatusCheck:
    """Decide from one fetched template (``None`` = absent, seen ``missing_pokes`` times)."""
    what = label(name, language)
    if template is None:
        if missing_pokes > missing_grace:
            return StatusCheck(
                failed=True,
                message=f"{what} does not exist (checked {missing_pokes} times): "
                "check template_name/language, or create it first",
            )
        return StatusCheck(message=f"{what} not found yet ({missing_pokes}/{missing_grace + 1})")
    status = str(template.get("status", "")).upper()
    if status in {s.upper() for s in target_statuses}:
        return StatusCheck(done=True, message=f"{what} is {status}", template=summarize(template))
    if status in {s.upper() for s in failure_statuses}:
        reason = template.get("rejected_reason") or template.get("reason")
        why = f": reason {reason}" if reason and reason != "NONE" else ""
        hint = {
            "REJECTED": "fix the template and submit it again (or appeal in WhatsApp Manager)",
            "PAUSED": "its quality is low: review feedback in WhatsApp Manager",
            "DISABLED": "it was disabled for low quality: create a new one",
        }.get(status, "")
        return StatusCheck(
            failed=True,
            message=f"{what} is {status}{why}" + (f"; {hint}" if hint else ""),
            template=summarize(template),
        )
    return StatusCheck(message=f"{what} is {status or 'of unknown status'}; waiting")


class StatusWatch:
    """One wait for a template's review, as the sensor (in the worker) and its trigger (in
    the triggerer) both run it: what ends it, and how many looks in a row found the
    template missing, carried from the sensor's first look into the trigger so deferring
    grants no extra grace. ``None`` statuses: the defaults above.
    """

    def __init__(
        self,
        template_name: str,
        language: str | None = None,
        *,
        target_statuses: Sequence[str] | None = None,
        failure_statuses: Sequence[str] | None = None,
        missing_grace: int = DEFAULT_MISSING_GRACE,
        missing_pokes: int = 0,
    ) -> None:
        self.template_name = template_name
        self.language = language or None
        self.target_statuses = tuple(
            DEFAULT_TARGET_STATUSES if target_statuses is None else target_statuses
        )
        self.failure_statuses = tuple(
            DEFAULT_FAILURE_STATUSES if failure_statuses is None else failure_statuses
        )
        self.missing_grace = missing_grace
        self.missing_pokes = missing_pokes

    def look(self, template: Mapping[str, Any] | None, *, missing_at_least: int = 0) -> StatusCheck:
        """Decide from one fetched template (``None``: absent). ``missing_at_least``: the
        looks known to have missed it elsewhere (the pokes before a reschedule)."""
        if template is None:
            self.missing_pokes = max(self.missing_pokes + 1, missing_at_least)
        else:
            self.missing_pokes = 0
        return check_status(
            template,
            name=self.template_name,
            language=self.language,
            target_statuses=self.target_statuses,
            failure_statuses=self.failure_statuses,
            missing_pokes=self.missing_pokes,
            missing_grace=self.missing_grace,
        )

    def to_kwargs(self) -> dict[str, Any]:
        """The watch as JSON-safe keyword arguments (the trigger's, of the same names)."""
        return {
            "template_name": self.template_name,
            "language": self.language,
            "target_statuses": list(self.target_statuses),
            "failure_statuses": list(self.failure_statuses),
            "missing_grace": self.missing_grace,
            "missing_pokes": self.missing_pokes,
        }
