"""WhatsApp's retry advice as an Airflow retry policy (Airflow 3.3+): ``whatsapp_retry_policy()``.

Airflow 3.3 lets a task choose its retry by the exception (``retry_policy=``). What the
policy sees when one of our operators fails: a rate limit, server fault or lost connection
is raised as the provider's error itself (``ThroughputLimitError``, code 130429...), so a
rule by class matches it; an error no retry can fix is raised as ``AirflowFailException``,
which Airflow fails at once without asking the policy; the per-user marketing limit
(131049), which only a retry a day later can fix, is raised as ``MarketingLimitError``
when the task's policy has a rule for it. In ``@task`` code that calls the hook or client,
the policy sees every error as it is: the rules below cover those too.

Cheap to import; the error classes load when the policy is built.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from . import version_compat
from .limits import MARKETING_LIMIT_RETRY_HOURS, PAIR_RATE_SECONDS

if TYPE_CHECKING:
    from airflow.sdk.definitions.retry_policy import ExceptionRetryPolicy

__all__ = ["whatsapp_retry_policy"]

THROUGHPUT_DELAY = timedelta(seconds=5)
PAIR_RATE_DELAY = timedelta(seconds=PAIR_RATE_SECONDS)
MARKETING_LIMIT_DELAY = timedelta(hours=MARKETING_LIMIT_RETRY_HOURS)


def _delay(name: str, value: object, *, at_least: timedelta = timedelta(0)) -> timedelta:
    """``value`` when it is a ``timedelta`` of at least ``at_least``; else a clear error."""
    from .client.errors import WhatsAppConfigError

    if not isinstance(value, timedelta):
        raise WhatsAppConfigError(
            f"whatsapp_retry_policy() argument {name!r} must be a datetime.timedelta, got {value!r}"
        )
    if value < at_least:
        raise WhatsAppConfigError(
            f"whatsapp_retry_policy() argument {name!r} must be at least {at_least}, got "
            f"{value}" + (" (WhatsApp: no retry within 24 h)" if at_least else "")
        )
    return value


def whatsapp_retry_policy(
    *,
    throughput_delay: timedelta = THROUGHPUT_DELAY,
    pair_rate_delay: timedelta = PAIR_RATE_DELAY,
    marketing_limit_delay: timedelta | None = MARKETING_LIMIT_DELAY,
) -> ExceptionRetryPolicy:
    """A retry policy for any WhatsApp operator (``retry_policy=``), from WhatsApp's advice.

    - throughput limit of the phone number (130429): retry after ``throughput_delay``;
    - pair rate, too many messages to one user (131056): after ``pair_rate_delay``
      (WhatsApp allows about one message every 6 s to a user);
    - per-user marketing limit (131049): after ``marketing_limit_delay``, at least 24 h
      (WhatsApp: not within 24 h); ``None`` fails the task instead;
    - never retried, whatever ``retries`` says: the recipient cannot receive it (not on
      WhatsApp 131026, stopped marketing messages 131050, closed window 131047...), the
      token or key is invalid (0, 190, 401), the account is restricted, the template is
      missing, paused or refused, the media or the input is invalid, or the send may have
      arrived (``AmbiguousSendError``: a retry could deliver twice);
    - anything else (other rate limits, server faults, lost connections, your own code's
      exceptions): the task's ``retries`` and ``retry_delay``.

    A retry still needs the task's ``retries``: the policy picks when, not how many.
    Bulk sends and template syncs fail with a summary (``AirflowException``) that no rule
    names: their ``retry_delay`` applies. Airflow 3.3+ only: on older versions this raises
    ``WhatsAppConfigError`` (their operators take no ``retry_policy``).
    """
    from .client.errors import (
        AccountError,
        AmbiguousSendError,
        AuthenticationError,
        MarketingLimitError,
        MediaError,
        MissingConnectionError,
        NotFoundError,
        PairRateLimitError,
        PermissionDeniedError,
        RecipientError,
        TemplateError,
        ThroughputLimitError,
        WhatsAppConfigError,
        WhatsAppValidationError,
    )

    if not version_compat.HAS_RETRY_POLICY:
        raise WhatsAppConfigError(
            "whatsapp_retry_policy() needs Airflow 3.3 or newer (retry_policy= arrived in "
            f"3.3); this is Airflow {'.'.join(map(str, version_compat.AIRFLOW_VERSION))}: "
            "leave retry_policy out, the operators fail at once on errors no retry can fix "
            "and leave the others to the task's retries and retry_delay"
        )
    from .version_compat import ExceptionRetryPolicy, RetryAction, RetryRule

    throughput = _delay("throughput_delay", throughput_delay)
    pair_rate = _delay("pair_rate_delay", pair_rate_delay)
    marketing = marketing_limit_delay
    if marketing is not None:
        marketing = _delay("marketing_limit_delay", marketing, at_least=MARKETING_LIMIT_DELAY)

    rules = [
        RetryRule(
            exception=ThroughputLimitError,
            retry_delay=throughput,
            reason="WhatsApp 130429: throughput limit of the phone number, retry shortly",
        ),
        RetryRule(
            exception=PairRateLimitError,
            retry_delay=pair_rate,
            reason="WhatsApp 131056: too many messages to one recipient, retry after a pause",
        ),
        RetryRule(
            exception=MarketingLimitError,
            action=RetryAction.FAIL if marketing is None else RetryAction.RETRY,
            retry_delay=marketing,
            reason="WhatsApp 131049: per-user marketing limit, "
            + (
                "not retried (marketing_limit_delay=None)"
                if marketing is None
                else "retry in a day"
            ),
        ),
        # After MarketingLimitError's rule (a RecipientError too). The classes of Meta's
        # "never retry" codes only: a bare InvalidRequestError is also what an unknown
        # code becomes, which Graph may flag transient, so it keeps the task's retries.
        RetryRule(
            exception=[
                AuthenticationError,  # 0, 190 (TokenExpiredError), 401
                MissingConnectionError,
                AccountError,  # 368, 131031, 131048
                PermissionDeniedError,
                NotFoundError,  # TemplateNotFoundError too
                RecipientError,  # 131026, 131050 (MarketingOptOutError), 131047...
                TemplateError,  # 132000-132016: missing, paused, refused
                MediaError,
                WhatsAppValidationError,  # TemplateNotUsableError, InvalidRecipientError...
                WhatsAppConfigError,
                AmbiguousSendError,
            ],
            action=RetryAction.FAIL,
            reason="WhatsApp says no retry can help (or the message may have been sent)",
        ),
    ]
    return ExceptionRetryPolicy(rules=rules)
