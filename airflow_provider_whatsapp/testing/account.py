"""Account-level trouble on demand: a revoked key, a removed or expired Maton connection,
a locked or spam-limited WhatsApp account; and the account's own limits: the sending
number's messaging limit, quality rating and throughput, served on the phone-number read
and the messaging limit enforced on sends (see :func:`count_recipient`).

A test breaks the account at once or after a counted number of further accepted
messages (never after a time), so "the send stopped here" is exact however slow the
machine. Decided when a request is processed, under the state lock, so no message is
accepted past the count. Stdlib only, like the rest of the state.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import GraphError, Reply, maton_error, missing_connection

if TYPE_CHECKING:
    from .state import State

#: kind -> what it models. Maton's own answers (401, 400 or 412, 500) reach every gateway
#: path (the missing connection's status is the ``missing_connection_status`` setting);
#: Graph's token error too; a locked or spam-limited account refuses message sends.
ACCOUNT_FAULTS = {
    "revoke_key": "the Maton API key was revoked: 401 Invalid API key, everywhere",
    "remove_connection": "the Maton connections were deleted: 400 Missing app connection "
    "(or 412, see missing_connection_status)",
    "expire_authorisation": "the WhatsApp authorisation behind the connection expired: "
    "Maton's 500 (no Graph error object)",
    "expire_token": "Graph 190: the access token behind the connection is invalid",
    "lock_account": "Graph 131031: the business account is locked",
    "spam_limit": "Graph 131048: spam-quality rate limit",
}


@dataclass
class AccountTrouble:
    """The account fault a test asked for, and when it takes effect."""

    kind: str | None = None
    at_messages: int = 0  # takes effect once this many messages have been accepted
    active: bool = False
    removed: dict[str, Any] = field(default_factory=dict)  # connections to give back


def break_account(state: State, kind: str, after_messages: int = 0) -> None:
    """Make ``kind`` happen once ``after_messages`` more messages are accepted (caller
    holds the lock)."""
    if kind not in ACCOUNT_FAULTS:
        raise ValueError(f"kind must be one of {sorted(ACCOUNT_FAULTS)}, got {kind!r}")
    if after_messages < 0:
        raise ValueError("after_messages must not be negative")
    restore_account(state)
    state.account = AccountTrouble(kind, len(state.messages) + int(after_messages))
    _arm(state)


def restore_account(state: State) -> None:
    """Undo the account fault: key valid, connections back (caller holds the lock)."""
    trouble = state.account
    state.connections.update(trouble.removed)
    state.account = AccountTrouble()


def _arm(state: State) -> None:
    trouble = state.account
    if trouble.kind is None or trouble.active or len(state.messages) < trouble.at_messages:
        return
    trouble.active = True
    if trouble.kind == "remove_connection":
        trouble.removed, state.connections = dict(state.connections), {}


def answer(state: State, method: str, path: str) -> Reply | None:
    """The account fault's answer to this request, or ``None`` (caller holds the lock)."""
    _arm(state)
    trouble = state.account
    if not trouble.active:
        return None
    kind, style = trouble.kind, state.settings.maton_error_style
    if kind == "revoke_key":
        return maton_error(401, "Invalid API key", style)
    if not path.startswith("/whatsapp-business/"):
        return None  # the ctrl host still answers: a user can look at the connections
    if kind == "remove_connection":
        return missing_connection(state.settings)
    if kind == "expire_authorisation":
        return maton_error(500, "Internal Server Error", style)
    if kind == "expire_token":
        return GraphError(
            190,
            "Error validating access token: Session has expired.",
            subcode=463,
            status=401,
        ).reply()
    if method != "POST" or not path.rstrip("/").endswith("/messages"):
        return None
    if kind == "lock_account":
        return GraphError(131031, "(#131031) Business Account locked").reply()
    return GraphError(
        131048,
        "(#131048) Spam rate limit hit",
        "Message failed to send because there are restrictions on how many messages can "
        "be sent from this phone number.",
    ).reply()


# -- the messaging limit ----------------------------------------------------------------
#: Tier -> unique users per rolling 24 h (None: unlimited): Meta's "Messaging limits" page
#: and the phone_number_quality_update webhook reference (TIER_250 "a messaging limit of
#: 250", TIER_2K "of 2,000"...). The emulator's own reading, not the provider's.
TIER_USERS: dict[str, int | None] = {
    "TIER_50": 50,
    "TIER_250": 250,
    "TIER_2K": 2_000,
    "TIER_10K": 10_000,
    "TIER_100K": 100_000,
    "TIER_UNLIMITED": None,
}
LIMIT_WINDOW_SECONDS = 24 * 3600.0
PHONE_NUMBER_NODE = "WhatsAppBusinessPhoneNumber"


@dataclass
class MessagingLimitUse:
    """The unique users messaged outside their 24-hour window, each with the last time
    (the emulator's clock), oldest first: those within the last 24 h count."""

    contacted: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def counted(self, now: float) -> int:
        """Users messaged within the rolling 24 h before ``now`` (older ones forgotten)."""
        while self.contacted:
            first, last = next(iter(self.contacted.items()))
            if now - last < LIMIT_WINDOW_SECONDS:
                break
            del self.contacted[first]
        return len(self.contacted)


def number_limits(state: State) -> dict[str, Any]:
    """The limit fields of the emulated number's node: its messaging limit (left out
    when the ``messaging_limit`` setting is None: a Graph that does not know the field),
    quality rating and throughput level."""
    settings = state.settings
    fields: dict[str, Any] = {
        "quality_rating": settings.quality_rating,
        "throughput": {"level": settings.throughput_level},
    }
    if settings.messaging_limit is not None:
        fields["whatsapp_business_manager_messaging_limit"] = settings.messaging_limit
    return fields


def select_fields(node: dict[str, Any], asked: str | None) -> dict[str, Any]:
    """``node`` as Graph answers ``?fields=a,b``: ``id`` and the fields asked for; a field
    the node does not have is refused as Graph refuses it (code 100)."""
    names = [name.strip() for name in (asked or "").split(",") if name.strip()]
    if not names:
        return node
    unknown = [name for name in names if name not in node]
    if unknown:
        raise GraphError(
            100,
            f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type "
            f"({PHONE_NUMBER_NODE})",
        )
    return {"id": node.get("id"), **{name: node[name] for name in names}}


def count_recipient(state: State, to: str) -> None:
    """Count a message about to be accepted for ``to`` against the messaging limit, or
    refuse it (caller holds the lock).

    Meta's rule ("Messaging limits"): a business portfolio may deliver to at most its
    tier's number of unique users outside a customer-service window per moving 24 hours;
    a user messaged again inside those 24 h is not counted twice, one whose window is open
    is not counted at all. Past the limit a message to a new user is refused with
    131048, in the words of Meta's error-codes page ("Spam rate limit hit: Message failed
    to send because there are restrictions on how many messages can be sent from this
    phone number"; the reference digest's "131048 | spam-quality rate limit | not
    short-term"), answered at once as the emulator answers every refusal.
    """
    limit = TIER_USERS.get(state.settings.messaging_limit or "")
    if limit is None or state.window_open(to):
        return
    use, now = state.messaging, state.clock()
    if to not in use.contacted and use.counted(now) >= limit:
        raise GraphError(
            131048,
            "(#131048) Spam rate limit hit",
            "Message failed to send because there are restrictions on how many messages "
            f"can be sent from this phone number ({state.settings.messaging_limit}: {limit} "
            "unique users per 24 hours reached).",
        )
    use.contacted[to] = now
    use.contacted.move_to_end(to)
