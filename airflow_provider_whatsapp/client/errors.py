"""One error hierarchy for everything the gateway, Graph or the network can say, and
for the input the provider refuses before sending.

Every error carries what an on-call engineer needs: HTTP status, Graph ``code`` /
``error_subcode`` / ``fbtrace_id``, the service's message, whether a retry can help
(``retryable``) and a one-line ``hint`` saying what to do. ``WhatsAppValidationError``
(also a ``ValueError``) is the branch of refused input: ``PhoneNumberError``,
``MediaValidationError``, ``MessageValidationError``, ``TemplateDefinitionError``,
``TemplateParameterError``, ``TemplateNotUsableError``, ``InvalidRecipientError``. The
roots live in a module that imports nothing, so those can subclass them cheaply.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Mapping
from typing import Any

from .._errors import MessageValidationError as MessageValidationError
from .._errors import WhatsAppError as WhatsAppError
from .._errors import WhatsAppValidationError as WhatsAppValidationError
from ..limits import MARKETING_LIMIT_RETRY_HOURS, PAIR_RATE_SECONDS


class WhatsAppConfigError(WhatsAppError):
    """Settings are missing or wrong (no key, no phone number id, bad host)."""


class AuthenticationError(WhatsAppError):
    """The Maton API key was refused (HTTP 401): missing, mistyped or revoked."""

    _account_wide = True
    default_hint = "Check the Maton API key (connection password or MATON_API_KEY)"


class TokenExpiredError(AuthenticationError):
    """The WhatsApp token behind the Maton connection is invalid or expired (Graph 0, 190)."""

    default_hint = (
        "The WhatsApp token behind the Maton connection is invalid: reconnect it at Maton"
    )


class MissingConnectionError(WhatsAppError):
    """No Maton connection could be resolved for the call: Maton's 400 "Missing app
    connection", or the 412 its SDK documents for an action needing a connection it could
    not resolve. Account-level: every other request with the key fails the same way."""

    _account_wide = True
    default_hint = (
        "Maton has no ACTIVE WhatsApp Business connection for this key: create one "
        "(ctrl host /connections) or fix the connection's maton_connection extra"
    )


class PermissionDeniedError(WhatsAppError):
    """The account or its token lacks a permission or capability (HTTP 403; Graph 3, 10, 131005)."""

    default_hint = "The WhatsApp Business account lacks this permission or capability"


class NotFoundError(WhatsAppError):
    """An id the request names does not exist, or not for this account (HTTP 404)."""

    default_hint = "Check the phone_number_id / waba_id / id used"


class TemplateNotFoundError(NotFoundError):
    """No template of this name (in this language) in the WhatsApp Business account.

    Says what was looked for and where: a template lives in one WABA, so a name that
    exists elsewhere, a language spelt differently or another account's id all end here.
    """

    default_hint = (
        "Check the template name and language, and that the template belongs to this "
        "WhatsApp Business account (the waba_id argument, or the connection's waba_id extra)"
    )

    @classmethod
    def looked_for(
        cls,
        name: str,
        language: str | None,
        waba_id: str | None,
        *,
        cause: WhatsAppError | None = None,
    ) -> TemplateNotFoundError:
        """The error for ``name`` (``language``: None = any) in ``waba_id``, keeping the
        status and Graph codes of the ``cause`` (Graph's own "can't be found" answer)."""
        spelt = f"in language {language!r}" if language else "in any language"
        message = (
            f"template {name!r} {spelt} does not exist in WhatsApp Business account "
            f"(waba_id) {waba_id!r}"
        )
        if cause is None:
            return cls(message)
        return cls(
            message,
            status=cause.status,
            code=cause.code,
            error_subcode=cause.error_subcode,
            fbtrace_id=cause.fbtrace_id,
        )


class InvalidRequestError(WhatsAppError):
    """The API refused the request as invalid (HTTP 400; Graph 100, 131008, 131009, ...)."""

    default_hint = "The request was rejected as invalid: fix the payload"


class RateLimitError(WhatsAppError):
    """Too many requests (HTTP 429, Graph 4, 80007): retried after ``retry_after``."""

    retryable = True
    default_hint = "Rate limited: slow down (Maton allows 10 requests/second per account)"


class ThroughputLimitError(RateLimitError):
    """Graph 130429: the sending phone number's throughput (80 messages/s by default) is
    used up for this second; a retry a few seconds later goes through."""

    default_hint = "Throughput limit of the phone number: throttle, retry in a few seconds"


class PairRateLimitError(RateLimitError):
    """Graph 131056: too many messages from this number to the same recipient in a short
    time (WhatsApp allows about one every ``PAIR_RATE_SECONDS``)."""

    default_hint = (
        f"Too many messages to one recipient: wait about {PAIR_RATE_SECONDS} s before the next"
    )


class ServerError(WhatsAppError):
    """A fault on Maton's or Meta's side (HTTP 5xx, Graph 131000, 131016, ...): retried."""

    retryable = True
    default_hint = "Transient fault upstream: retry later"


class TemplateError(InvalidRequestError):
    """A message template refused at send time: missing, not approved, paused, wrong parameters."""

    default_hint = "Check the template name, language, status and parameters"


class TemplateExistsError(TemplateError):
    """A template of this name and language exists already (Graph 100, subcode 2388024):
    another run created it between our listing and our create, or it is being deleted."""

    SUBCODE = 2388024


class RecipientError(InvalidRequestError):
    """This recipient cannot get this message (not on WhatsApp, not allowed, ...); others can."""

    default_hint = "The recipient cannot receive this message"


class WindowClosedError(RecipientError):
    """Graph 131047: free-form messages reach only users who wrote in the last 24 hours."""

    default_hint = (
        "Send a template: the 24-hour window is closed (free-form messages only reach "
        "users who wrote in the last 24 hours)"
    )


class MarketingLimitError(RecipientError):
    """Graph 131049: the recipient got as many marketing messages as WhatsApp allows them
    for now (from every business, not only this one).

    Not retryable: a retry within ``MARKETING_LIMIT_RETRY_HOURS`` meets the same cap, so
    the client and a bulk send never retry it. A day later it may pass (``retry_later``):
    ``whatsapp_retry_policy()`` schedules that retry.
    """

    retry_later = True
    default_hint = f"Per-user marketing limit: do not retry within {MARKETING_LIMIT_RETRY_HOURS} h"


class MarketingOptOutError(RecipientError):
    """Graph 131050: the recipient stopped marketing messages from this business; only
    they can undo it, so no retry ever helps."""

    default_hint = "The user stopped marketing messages from this business: do not resend"


class AccountError(WhatsAppError):
    """The WhatsApp Business account is blocked, locked or spam-limited (Graph 368, 131031, 131048)."""

    _account_wide = True
    default_hint = "The WhatsApp Business account is restricted: check WhatsApp Manager"


class MessagingLimitError(AccountError):
    """A bulk send has more recipients than the sending number's messaging limit allows:
    the unique users a business portfolio may message outside the customer-service window
    per rolling 24 hours (``whatsapp_business_manager_messaging_limit``: 250, 2,000,
    10,000, 100,000 or unlimited), shared by every number of the portfolio.

    Raised by the bulk pre-flight before any message (WhatsApp would refuse those past
    the limit one by one with 131048). Not retryable: a retry counts the same recipients
    against the same limit. ``tier`` (``TIER_250``), ``limit`` (250) and ``recipients``
    (those the send would message) say what was compared.
    """

    default_hint = (
        "Split the recipients across days (the limit counts unique users per rolling 24 h), "
        "or raise the tier in WhatsApp Manager (verify the business, keep quality high); "
        "over_messaging_limit='send_up_to_limit' sends up to the limit and reports the rest"
    )
    tier: str | None = None
    limit: int | None = None
    recipients: int | None = None

    @classmethod
    def over_limit(
        cls, tier: str, limit: int, recipients: int, phone_number_id: str | None = None
    ) -> MessagingLimitError:
        """The pre-flight's refusal: ``recipients`` to message, ``limit`` allowed."""
        number = f" of phone number {phone_number_id}" if phone_number_id else ""
        error = cls(
            f"Bulk send refused before any message: {recipients} recipients to message, "
            f"more than the messaging limit{number} ({tier}: {limit} unique users per "
            "rolling 24 h, shared by the business portfolio's numbers); 0 messages sent"
        )
        error.tier, error.limit, error.recipients = tier, limit, recipients
        return error


class MediaError(InvalidRequestError):
    """Media that WhatsApp could not fetch, upload or accept (Graph 131052, 131053)."""

    default_hint = "Check the media: public https URL or uploaded id, allowed type and size"


class WhatsAppConnectionError(WhatsAppError):
    """The request never reached the server (refused, DNS, connect timeout): safe to retry."""

    retryable = True
    default_hint = "Check the host of the connection and the network"


class AmbiguousSendError(WhatsAppError):
    """The request may have reached the server but no answer came back.

    Resending could deliver twice, so this is not retried unless the caller opted in.
    """

    default_hint = "The message may or may not have been sent: check before resending"


MATON_500_HINT = (
    "Retry later; if it persists, the WhatsApp authorisation behind the Maton connection "
    "has likely expired: re-authorise the Maton connection (create a new one with "
    "create_maton_connection() or POST /connections on the ctrl host, open its url, "
    "then delete the stale one or set maton_connection to the new id)"
)

# Graph error code -> (class, retryable override, hint)
_GRAPH_CODES: dict[int, tuple[type[WhatsAppError], bool | None, str | None]] = {
    0: (TokenExpiredError, None, None),
    2500: (
        WhatsAppConfigError,
        None,
        "Unknown API path: check the connection's host (the gateway URL, with no path) "
        "and api_version",
    ),
    190: (TokenExpiredError, None, None),
    3: (PermissionDeniedError, None, None),
    10: (PermissionDeniedError, None, None),
    4: (RateLimitError, None, "App call-rate limit: back off"),
    80007: (RateLimitError, None, "Business-account rate limit: back off"),
    130429: (ThroughputLimitError, None, None),
    131056: (PairRateLimitError, None, None),
    100: (InvalidRequestError, None, None),
    368: (AccountError, None, "Blocked for policy violations"),
    130472: (RecipientError, None, "Recipient is in a Meta experiment group"),
    131000: (ServerError, None, "Unknown error: retry once or twice"),
    131005: (PermissionDeniedError, None, None),
    131008: (InvalidRequestError, None, "A required parameter is missing"),
    131009: (InvalidRequestError, None, "A parameter value is invalid"),
    131016: (ServerError, None, "Service unavailable: back off"),
    131021: (RecipientError, None, "Sender and recipient are the same number"),
    131026: (
        RecipientError,
        None,
        "Undeliverable: not on WhatsApp, old app, or terms not accepted",
    ),
    131030: (RecipientError, None, "Add the recipient to the test number's allowed list"),
    131031: (AccountError, None, "The business account is locked"),
    131047: (WindowClosedError, None, None),
    131048: (
        AccountError,
        False,
        "Spam rate limit: WhatsApp restricts how many messages this number may send now "
        "(low quality, or the messaging limit of unique users per 24 h used up): check both "
        "in WhatsApp Manager before sending more",
    ),
    131049: (MarketingLimitError, None, None),
    131050: (MarketingOptOutError, None, None),
    131051: (InvalidRequestError, None, "Unsupported message type"),
    131052: (MediaError, None, "Media download failed"),
    131053: (MediaError, None, "Media upload failed"),
    131057: (ServerError, None, "Account in maintenance: retry later"),
    131062: (
        RecipientError,
        False,
        "Not supported for a business-scoped user id (one-tap, zero-tap and copy-code "
        "authentication templates need a phone number): send it to the user's phone number",
    ),
    132000: (TemplateError, None, "Template parameter count mismatch"),
    132001: (TemplateError, None, "Template missing in that language or not approved"),
    132005: (TemplateError, None, "Template text too long after filling parameters"),
    132007: (TemplateError, None, "Template content violates policy"),
    132012: (TemplateError, None, "Template parameter format mismatch"),
    132015: (TemplateError, None, "Template is paused for low quality"),
    132016: (TemplateError, None, "Template is disabled"),
    133004: (ServerError, None, "Server temporarily unavailable: back off"),
    133010: (RecipientError, None, "Phone number not registered on the platform"),
    135000: (InvalidRequestError, None, None),
}


def parse_retry_after(value: str | None, cap: float = 60.0) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = parsed.timestamp() - time.time()
    return max(0.0, min(seconds, cap))


def _short_text(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    if text.lstrip().startswith("<"):
        import re

        found = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        title = " ".join(found.group(1).split()) if found else ""
        # The page's text says what went wrong ("Missing app connection"); its title is
        # often just the status ("400 Bad Request"), which the page's <h1> repeats.
        page = re.sub(r"<head\b.*?</head>|<(script|style)\b.*?</\1>", " ", text, flags=re.I | re.S)
        page = " ".join(re.sub(r"<[^>]+>", " ", page).split())
        if title and page.startswith(title):
            page = page[len(title) :].strip()
        text = f"{title}: {page}" if title and page else title or page
    text = " ".join(text.split())
    return text[:300]


def _location(loc: Any) -> str:
    """``["body", "messages", 0, "to"]`` -> ``body.messages[0].to`` (FastAPI's error loc)."""
    if not isinstance(loc, list | tuple):
        return str(loc) if loc not in (None, "") else ""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _maton_message(payload: Mapping[str, Any]) -> str:
    """The message of Maton's own error bodies, in any of their shapes.

    ``{"message": ...}``, ``{"error": "..."}``, ``{"detail": "..."}`` and FastAPI's
    validation list ``{"detail": [{"loc": [...], "msg": ...}, ...]}`` (the fourth shape,
    ``{"error": {"message": ...}}``, is read as a Graph error without a code).
    """
    detail = payload.get("detail")
    if isinstance(detail, list) and detail:
        parts = []
        for item in detail:
            if isinstance(item, Mapping):
                where = _location(item.get("loc"))
                msg = str(item.get("msg") or item.get("message") or item.get("type") or "")
                parts.append(f"{where}: {msg}" if where and msg else where or msg)
            elif item not in (None, ""):
                parts.append(str(item))
        if any(parts):
            return "; ".join(p for p in parts if p)
    candidates = [payload.get(k) for k in ("error", "message", "detail", "error_description")]
    return next((str(c) for c in candidates if isinstance(c, str | int | float) and c), "")


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_from_response(
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    *,
    redact: str | None = None,
    recipient: str | None = None,
    max_retry_after: float = 60.0,
) -> WhatsAppError:
    """Classify any error answer (Graph JSON, Maton's own bodies, text, HTML, empty).

    Never raises: whatever the body, a ``WhatsAppError`` comes back.
    ``redact`` (the API key) is blanked out of anything the server echoed;
    ``recipient`` (the number a message went to) is masked in it (``+44••••••0123``).
    """
    headers = headers or {}
    retry_after = parse_retry_after(headers.get("retry-after"), max_retry_after)
    try:
        payload: Any = json.loads(body) if body else None
    except ValueError:
        payload = None

    graph = payload.get("error") if isinstance(payload, dict) else None
    code = subcode = None
    fbtrace = details = None
    transient = False
    if isinstance(graph, dict):
        message = str(graph.get("error_user_msg") or graph.get("message") or "")
        code = _as_int(graph.get("code"))
        subcode = _as_int(graph.get("error_subcode"))
        fbtrace = graph.get("fbtrace_id") if isinstance(graph.get("fbtrace_id"), str) else None
        data = graph.get("error_data")
        if isinstance(data, dict) and data.get("details"):
            details = str(data["details"])
        transient = graph.get("is_transient") is True
    elif isinstance(payload, dict):
        message = _maton_message(payload) or _short_text(body)
    else:
        message = _short_text(body) if body else ""
    if redact:
        message = message.replace(redact, "***")
        details = details.replace(redact, "***") if details else None
    if recipient:
        from ..messages.phone import mask_phone_in

        message = mask_phone_in(message, recipient)
        details = mask_phone_in(details, recipient) if details else None
    message = message or f"HTTP {status} with no explanation"

    cls: type[WhatsAppError]
    retryable: bool | None = None
    hint: str | None = None
    if code is not None and code in _GRAPH_CODES:
        cls, retryable, hint = _GRAPH_CODES[code]
        if code == 100 and subcode == 33:
            cls, hint = NotFoundError, None
        elif code == 100 and subcode == TemplateExistsError.SUBCODE:
            cls, hint = TemplateExistsError, None
    elif code is not None and 200 <= code <= 299:
        cls = PermissionDeniedError
    elif status == 401:
        cls = AuthenticationError
    elif status == 429:
        cls = RateLimitError
    elif status == 404:
        cls = NotFoundError
        if not isinstance(payload, dict):  # not the API's JSON: likely not the gateway
            hint = "Not an API answer: check the connection's host (the Maton gateway URL)"
    elif status == 412 or (status == 400 and "connection" in message.lower()):
        cls = MissingConnectionError  # 412: Maton's SDK's "connection it could not resolve"
    elif status == 400 and "app name" in message.lower():
        cls, hint = (
            WhatsAppConfigError,
            "The gateway path must start with /whatsapp-business/: check the host",
        )
    elif status == 403:
        cls = PermissionDeniedError
    elif status == 500 and code is None:
        # Not Graph's error object: Maton's own 500, which its current docs give when the
        # WhatsApp authorisation behind the Maton connection has expired. Maton documents
        # no body for it, so any Graph-less 500 gets the hint (and stays retryable: it may
        # as well be a passing fault).
        cls, hint = ServerError, MATON_500_HINT
    elif status >= 500:
        cls = ServerError
    else:
        cls = InvalidRequestError
    if transient:
        retryable = True
    return cls(
        message,
        status=status,
        code=code,
        error_subcode=subcode,
        fbtrace_id=fbtrace,
        details=details,
        hint=hint,
        retryable=retryable,
        retry_after=retry_after,
    )
