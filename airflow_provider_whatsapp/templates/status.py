"""Reading a template's review status: the one rule book for the sensor and its trigger."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TARGET_STATUSES = ("APPROVED",)
#: Statuses from which no amount of waiting leads to approval.
DEFAULT_FAILURE_STATUSES = ("REJECTED", "PAUSED", "DISABLED")


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
