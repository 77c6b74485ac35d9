"""Injected faults and Maton's per-key rate limit: the two ways a healthy request fails.

Both decide at arrival, per request, under the state lock; neither does any I/O.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field

#: Graph's refusals of a send, by code (the fault kind): (message, details), as Meta's error
#: codes page words them. Answered HTTP 400 with Graph's error object, nothing processed.
GRAPH_FAULTS: dict[str, tuple[str, str]] = {
    "130429": (
        "(#130429) Rate limit hit",
        "Cloud API message throughput has been reached.",
    ),
    "131056": (
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone "
        "number in a short period of time.",
    ),
    "131049": (
        "(#131049) This message was not delivered to maintain healthy ecosystem engagement.",
        "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
    ),
    "131050": (
        "(#131050) Unable to deliver the message. This recipient has chosen to stop "
        "receiving marketing messages on WhatsApp from your business.",
        "The user has stopped marketing messages from this business.",
    ),
    "131026": (
        "(#131026) Message Undeliverable",
        "Message Undeliverable.",
    ),
}
FAULT_KINDS = frozenset(
    {"429", "500", "503", "drop_before", "drop_after", "slow_after", *GRAPH_FAULTS}
)
FAULT_PATHS = frozenset({"messages", "all"})


@dataclass
class FaultPlan:
    """Which share of which requests fail, and how (seeded, so runs repeat)."""

    ratio: float = 0.0
    kinds: tuple[str, ...] = ("429", "500", "503")
    retry_after: float = 1.0
    slow_seconds: float = 60.0
    paths: str = "messages"
    seed: int | None = 0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        # Arguments arrive from Python callers and from JSON bodies alike: normalize them.
        self.ratio = float(self.ratio)
        self.kinds = tuple(str(k) for k in self.kinds)
        self.retry_after = float(self.retry_after)
        self.slow_seconds = float(self.slow_seconds)
        if not 0.0 <= self.ratio <= 1.0:
            raise ValueError("ratio must be within 0..1")
        unknown = set(self.kinds) - FAULT_KINDS
        if unknown or not self.kinds:
            raise ValueError(
                f"fault kinds must be among {sorted(FAULT_KINDS)}, got {sorted(unknown)}"
            )
        if self.paths not in FAULT_PATHS:
            raise ValueError(f"paths must be one of {sorted(FAULT_PATHS)}")
        self.rng = random.Random(self.seed)

    def applies(self, method: str, path: str) -> bool:
        """Whether this request is eligible (gateway routes only)."""
        if self.ratio <= 0.0 or not path.startswith("/whatsapp-business/"):
            return False
        return self.paths == "all" or (method == "POST" and path.rstrip("/").endswith("/messages"))

    def draw(self) -> str | None:
        """The fault for the next eligible request, or ``None``."""
        if self.rng.random() >= self.ratio:
            return None
        return self.kinds[0] if len(self.kinds) == 1 else self.rng.choice(self.kinds)


def rate_limited(window: deque[float], now: float, limit: float | None) -> bool:
    """Sliding one-second window by arrival time; only admitted requests count.

    Rejected requests are not added, so a client that keeps retrying too fast is not
    locked out for longer than a second after its last admitted request.
    """
    if limit is None:
        return False
    while window and now - window[0] >= 1.0:
        window.popleft()
    if len(window) >= limit:
        return True
    window.append(now)
    return False
