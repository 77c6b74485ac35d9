"""A sliding-window rate limiter shared by the sync and async clients of one account.

Why not a token bucket: a bucket whose burst equals the rate lets twice the rate
through in its first second, and a gateway that counts a sliding window answers that
with 429s. Here the n-th previous request's start plus the window is the earliest
moment the next may start, so no window of that length ever holds more than n. Starts
are also spaced evenly (window / n apart), never n at once: the next bulk task of an
account pool, starting a moment after the last one's final requests, then adds to the
gateway's window only as the other's requests age out of it.

It also adapts: when the gateway answers 429 anyway (other workers share the account),
:meth:`penalize` halves the rate and pauses everyone for ``Retry-After``; successes
then raise it back step by step (AIMD).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable

#: Extra seconds added to the window, so jitter between our send and the gateway's
#: clock never makes it count n+1 in its own window (costs ~3 % of throughput).
DEFAULT_SAFETY = 0.03


class SlidingWindowLimiter:
    """At most ``rate`` request starts in any sliding window of one second.

    ``clock`` and ``sleep`` (what :meth:`acquire` waits with) default to the real ones; a
    fake pair makes the limiter's timing exact and instant to check.
    """

    def __init__(
        self,
        rate: float,
        *,
        safety: float = DEFAULT_SAFETY,
        min_rate: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.max_rate = float(rate)
        self.min_rate = min(min_rate, self.max_rate)
        self.safety = safety
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._starts: deque[float] = deque()
        self._paused_until = 0.0
        self._rate = self.max_rate
        self._last_raise = 0.0
        self._last_grant = -math.inf
        self.penalties = 0

    @property
    def rate(self) -> float:
        """The rate in force now (below ``max_rate`` after a 429)."""
        return self._rate

    def _shape(self) -> tuple[int, float]:
        """(n, window): n starts per window seconds equals the current rate."""
        n = max(1, math.floor(self._rate))
        # Never a window shorter than the gateway's one second: 9.5/s must not mean
        # 9 per 0.95 s, which lets 18 into one gateway second.
        return n, max(1.0, n / self._rate) + self.safety

    def _claim(self) -> tuple[float, float]:
        """``(0, stamp)`` with a slot taken now, or ``(seconds to wait, 0)``."""
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return self._paused_until - now, 0.0
            n, window = self._shape()
            starts = self._starts
            while starts and starts[0] <= now - window:
                starts.popleft()
            if len(starts) >= n:
                return max(starts[-n] + window - now, 0.0005), 0.0
            # Evenly spaced, not n at once: a task starting right after another on the
            # same account (an account pool's next task) then never fills a gateway window
            # with its first burst on top of the other's last second. On a schedule of
            # grants, not from the last departure or wake-up: a request held back (restamp)
            # or a waiter woken late must not slow every later one.
            spacing = window / n
            due = self._last_grant + spacing
            if due > now:
                return due - now, 0.0
            starts.append(now)
            self._last_grant = due if now - due < spacing else now
            return 0.0, now

    def acquire(self) -> float:
        """Block the calling thread until a request may start; returns the slot's stamp."""
        while (claim := self._claim())[0] > 0:
            self._sleep(claim[0])
        return claim[1]

    async def acquire_async(self) -> float:
        """Wait in the event loop until a request may start; returns the slot's stamp."""
        while (claim := self._claim())[0] > 0:
            await asyncio.sleep(claim[0])
        return claim[1]

    def restamp(self, stamp: float) -> float:
        """The request holding slot ``stamp`` leaves only now: move its slot here.

        A slot is taken before the request is built and given a connection, and a new
        TLS connection or a busy machine can hold it back for tens of milliseconds. Were
        the window counted from the slot, that late request and an on-time one of the
        next window could reach the gateway less than a second apart: a 429. Returns the
        new stamp (a request may be restamped again if its connection is replaced).
        """
        with self._lock:
            now = self._clock()
            if now <= stamp:
                return stamp
            with contextlib.suppress(ValueError):  # already aged out of the window
                self._starts.remove(stamp)
            self._starts.append(now)  # no stamp is later than now: still in order
            return now

    def penalize(self, retry_after: float | None) -> None:
        """The gateway said 429: halve the rate and pause for ``retry_after`` seconds."""
        with self._lock:
            now = self._clock()
            self.penalties += 1
            # 429s from one burst already in flight are one signal: halve once per pause.
            if now >= self._paused_until:
                self._rate = max(self.min_rate, self._rate / 2)
            self._paused_until = max(self._paused_until, now + (retry_after or 1.0))
            self._last_raise = self._paused_until

    def reward(self) -> None:
        """A request succeeded: after a calm second, win back 10 % of the full rate."""
        if self._rate >= self.max_rate:
            return
        with self._lock:
            now = self._clock()
            if now - self._last_raise >= 1.0:
                self._rate = min(self.max_rate, self._rate + self.max_rate * 0.1)
                self._last_raise = now


_shared: weakref.WeakValueDictionary[tuple[str, float], SlidingWindowLimiter] = (
    weakref.WeakValueDictionary()
)
_shared_lock = threading.Lock()


def shared_limiter(account_key: str, rate: float) -> SlidingWindowLimiter:
    """One limiter per account and rate in this process, so a sync client and its
    async twin (or several hooks on one connection) count together."""
    with _shared_lock:
        limiter = _shared.get((account_key, rate))
        if limiter is None:
            limiter = SlidingWindowLimiter(rate)
            _shared[(account_key, rate)] = limiter
        return limiter
