"""Account-level trouble on demand: a revoked key, a removed or expired Maton connection,
a locked or spam-limited WhatsApp account.

A test breaks the account at once or after a counted number of further accepted
messages (never after a time), so "the send stopped here" is exact however slow the
machine. Decided when a request is processed, under the state lock, so no message is
accepted past the count. Stdlib only, like the rest of the state.
"""

from __future__ import annotations

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
