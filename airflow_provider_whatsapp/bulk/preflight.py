"""The sending number's limits, read before a bulk send: its messaging limit, quality
rating and throughput.

WhatsApp lets a business portfolio message only so many unique users outside the
customer-service window per rolling 24 hours (Meta, "Messaging limits": 250, then 2,000,
10,000, 100,000, unlimited; shared by every number of the portfolio). The phone number
answers its portfolio's tier in ``whatsapp_business_manager_messaging_limit`` (the older
``messaging_limit_tier`` is deprecated), beside ``quality_rating`` and ``throughput``.
Past the limit WhatsApp refuses each further new user with 131048, one request at a time;
this pre-flight compares the recipients a send would message with the tier first, so a
send that cannot fit stops with 0 messages (or, when asked, sends up to the limit and
reports the rest).

No Airflow here; cheap to import (the error classes load when a check needs them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..client import WhatsAppClient

__all__ = [
    "MESSAGING_LIMIT_FIELDS",
    "OVER_MESSAGING_LIMIT",
    "AccountLimits",
    "check_over_messaging_limit",
    "messaging_cap",
    "read_account_limits",
]

#: The phone-number field of the portfolio's messaging limit (Meta's "Messaging limits"
#: page, "via API"; ``messaging_limit_tier`` is deprecated).
MESSAGING_LIMIT_FIELD = "whatsapp_business_manager_messaging_limit"
LEGACY_LIMIT_FIELD = "messaging_limit_tier"
MESSAGING_LIMIT_FIELDS = (MESSAGING_LIMIT_FIELD, "quality_rating", "throughput")
#: What a bulk send does when its recipients exceed the tier.
OVER_MESSAGING_LIMIT = ("fail", "send_up_to_limit", "send_all")
WARN_QUALITY = {
    "YELLOW": "medium",
    "RED": "low",
}


@dataclass(frozen=True)
class AccountLimits:
    """What the sending number said about its limits (``None``: not answered)."""

    tier: str | None
    quality_rating: str | None
    throughput: str | None

    @property
    def known(self) -> bool:
        """Whether ``tier`` is one the rule book knows (else no limit can be checked)."""
        from ..limits import MESSAGING_LIMIT_TIERS  # the operator's parse-time check skips it

        return self.tier in MESSAGING_LIMIT_TIERS

    @property
    def limit(self) -> int | None:
        """Unique users per rolling 24 h (``limits.MESSAGING_LIMIT_TIERS``); ``None``:
        unlimited or not known."""
        from ..limits import MESSAGING_LIMIT_TIERS

        return MESSAGING_LIMIT_TIERS.get(self.tier or "")

    def to_dict(self) -> dict[str, Any]:
        """For XCom: ``{"tier", "limit", "quality_rating", "throughput"}``."""
        return {
            "tier": self.tier,
            "limit": self.limit,
            "quality_rating": self.quality_rating,
            "throughput": self.throughput,
        }

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any]) -> AccountLimits:
        """Read a phone-number answer (the legacy tier field when the current is absent)."""
        tier = answer.get(MESSAGING_LIMIT_FIELD) or answer.get(LEGACY_LIMIT_FIELD)
        throughput = answer.get("throughput")
        if isinstance(throughput, Mapping):  # Graph: {"level": "STANDARD"}
            throughput = throughput.get("level")
        quality = answer.get("quality_rating")
        return cls(
            tier=str(tier).upper() if tier else None,
            quality_rating=str(quality).upper() if quality else None,
            throughput=str(throughput) if throughput else None,
        )


def check_over_messaging_limit(value: Any) -> str:
    """``value`` if it is one of :data:`OVER_MESSAGING_LIMIT`; else a clear error."""
    if value in OVER_MESSAGING_LIMIT:
        return str(value)
    from .._errors import WhatsAppValidationError

    raise WhatsAppValidationError(
        f"over_messaging_limit must be one of {', '.join(repr(v) for v in OVER_MESSAGING_LIMIT)}"
        f", got {value!r}"
    )


def read_account_limits(client: WhatsAppClient, log: Any) -> AccountLimits | None:
    """Read the sending number's limits and log them; ``None`` when they cannot be read.

    A gateway or Graph version that does not know a field (Graph code 100), or a token
    without the permission, is no reason to stop a send: the log says the pre-flight is
    skipped and why, and WhatsApp still enforces the limit (131048 stops the send then).
    A quality rating of YELLOW or RED is logged as a warning.
    """
    from ..client.errors import WhatsAppError

    try:
        answer = client.get_phone_number(fields=MESSAGING_LIMIT_FIELDS)
    except WhatsAppError as exc:
        log.warning(
            "Messaging limit pre-flight skipped: could not read the sending number's "
            "messaging limit, quality rating and throughput (%s); sending without the check "
            "(WhatsApp still refuses users past the limit, with 131048)",
            exc,
        )
        return None
    limits = AccountLimits.from_answer(answer if isinstance(answer, Mapping) else {})
    limit = limits.limit
    allowed = (
        "unlimited"
        if limits.tier == "TIER_UNLIMITED"
        else (f"{limit} unique users per rolling 24 h" if limit is not None else "not known")
    )
    log.info(
        "Sending number: messaging limit %s (%s), quality rating %s, throughput %s",
        limits.tier or "not answered",
        allowed,
        limits.quality_rating or "not answered",
        limits.throughput or "not answered",
    )
    if limits.quality_rating in WARN_QUALITY:
        log.warning(
            "Quality rating of the sending number is %s (%s quality): recipients have been "
            "blocking or reporting its messages; WhatsApp may pause its templates or restrict "
            "it further. Check WhatsApp Manager (Phone numbers > Insights) before sending more",
            limits.quality_rating,
            WARN_QUALITY[limits.quality_rating],
        )
    if not limits.known:
        log.warning(
            "Messaging limit pre-flight skipped: the sending number answered no known "
            "messaging limit (%s: %r); sending without the check",
            MESSAGING_LIMIT_FIELD,
            limits.tier,
        )
    return limits


def messaging_cap(
    limits: AccountLimits | None,
    recipients: int,
    over_messaging_limit: str,
    log: Any,
    *,
    phone_number_id: str | None = None,
) -> int | None:
    """How many of ``recipients`` the send may message: ``None`` for all of them.

    ``fail`` raises
    :class:`~airflow_provider_whatsapp.client.errors.MessagingLimitError` (nothing is
    sent) when ``recipients`` exceed the tier; ``send_up_to_limit`` returns the limit (the rest are
    held back and reported); ``send_all`` only logs.
    """
    limit = limits.limit if limits is not None else None
    if limits is None or limit is None or recipients <= limit:
        if limits is not None and limit is not None:
            log.info(
                "Messaging limit pre-flight: %d recipient(s) to message, within %s (%d)",
                recipients,
                limits.tier,
                limit,
            )
        return None
    tier = limits.tier or ""
    if over_messaging_limit == "fail":
        from ..client.errors import MessagingLimitError

        raise MessagingLimitError.over_limit(tier, limit, recipients, phone_number_id)
    if over_messaging_limit == "send_up_to_limit":
        log.warning(
            "Messaging limit pre-flight: %d recipient(s) to message, more than %s (%d unique "
            "users per rolling 24 h): sending to the first %d, the other %d are held back "
            "and reported not_sent",
            recipients,
            tier,
            limit,
            limit,
            recipients - limit,
        )
        return limit
    log.warning(
        "Messaging limit pre-flight: %d recipient(s) to message, more than %s (%d unique "
        "users per rolling 24 h); sending to all (over_messaging_limit='send_all'): "
        "WhatsApp refuses users past the limit with 131048, which stops the send",
        recipients,
        tier,
        limit,
    )
    return None


def held_back_reason(limits: AccountLimits) -> str:
    """The reason of a recipient held back by ``send_up_to_limit``."""
    return (
        f"held back: over the messaging limit ({limits.tier}: {limits.limit} unique users per "
        "rolling 24 h); clear the task once 24 h have passed or the tier is raised: it sends "
        "only those not accepted"
    )
