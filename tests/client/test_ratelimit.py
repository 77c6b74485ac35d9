"""The limiter never lets more than `rate` starts into any sliding one-second window."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest

from airflow_provider_whatsapp.client.ratelimit import SlidingWindowLimiter, shared_limiter


def max_in_any_window(starts: list[float], window: float = 1.0) -> int:
    starts = sorted(starts)
    best, j = 0, 0
    for i, t in enumerate(starts):
        while starts[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


class GrantClock:
    """The real clock, remembering each thread's last reading: right after ``acquire``
    returns, that reading is the instant the limiter granted the slot. Stamping
    ``time.monotonic()`` after the call instead would add scheduling delays, which on a
    loaded machine can push two windows' starts into one."""

    def __init__(self) -> None:
        self._local = threading.local()

    def __call__(self) -> float:
        self._local.last = now = time.monotonic()
        return now

    @property
    def granted_at(self) -> float:
        return float(self._local.last)


class FakeClock:
    """A clock and the sleep that moves it: given to the limiter's ``clock`` and ``sleep``,
    every wait is recorded and costs no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fake_limiter(rate: float, **kwargs: float) -> tuple[SlidingWindowLimiter, FakeClock]:
    clock = FakeClock()
    return SlidingWindowLimiter(rate, clock=clock, sleep=clock.sleep, **kwargs), clock


def test_no_window_holds_more_than_rate_with_a_fake_clock() -> None:
    limiter, clock = fake_limiter(10)
    starts = [limiter.acquire() for _ in range(200)]
    assert starts == sorted(starts) and starts[-1] == clock.now
    assert max_in_any_window(starts) == 10
    rate = (len(starts) - 1) / (starts[-1] - starts[0])
    assert rate >= 9.5  # wastes little: at least 95 % of the limit


def test_starts_are_evenly_spaced_not_a_burst() -> None:
    limiter, clock = fake_limiter(10)
    start = clock.now
    starts = [limiter.acquire() for _ in range(30)]
    assert starts[0] == start  # the first at once
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) == pytest.approx(1.03 / 10)  # the window (with its safety) / 10
    assert starts[10] >= start + 1.0 and max_in_any_window(starts) == 10


def test_the_next_task_on_the_account_does_not_burst_into_the_last_ones_second() -> None:
    """An account pool's tasks run one after the other, each with its own limiter at 8/s
    of the account's 10: the second starts 0.2 s after the first's last request. Evenly
    spaced, no gateway second holds more than 10 (bursts of 8 would put 16 in one)."""
    first, clock = fake_limiter(8)
    starts = [first.acquire() for _ in range(40)]
    clock.now += 0.2
    second = SlidingWindowLimiter(8, clock=clock, sleep=clock.sleep)
    starts += [second.acquire() for _ in range(40)]
    assert max_in_any_window(starts) <= 10


def test_threads_share_the_limit() -> None:
    clock = GrantClock()
    limiter = SlidingWindowLimiter(20, clock=clock)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            limiter.acquire()
            with lock:
                starts.append(clock.granted_at)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 40
    assert max_in_any_window(starts) <= 20


def test_async_tasks_share_the_limit() -> None:
    clock = GrantClock()
    limiter = SlidingWindowLimiter(25, clock=clock)

    async def main() -> list[float]:
        starts: list[float] = []

        async def one() -> None:
            await limiter.acquire_async()
            starts.append(clock.granted_at)  # no await between the grant and here

        await asyncio.gather(*(one() for _ in range(60)))
        return starts

    starts = asyncio.run(main())
    assert max_in_any_window(starts) <= 25


def test_penalize_halves_and_pauses_then_reward_recovers() -> None:
    limiter, clock = fake_limiter(10)
    start = clock.now
    limiter.penalize(2.0)
    assert limiter.rate == 5
    assert limiter.acquire() == start + 2.0  # paused for Retry-After
    assert clock.sleeps == [2.0]
    for _ in range(20):
        clock.now += 1.0
        limiter.reward()
    assert limiter.rate == 10


def test_fractional_rates() -> None:
    limiter, _ = fake_limiter(0.5)
    starts = [limiter.acquire() for _ in range(5)]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(g >= 2.0 for g in gaps)


def test_shared_limiter_is_one_per_account() -> None:
    a = shared_limiter("acct#1", 10)
    assert shared_limiter("acct#1", 10) is a
    assert shared_limiter("acct#2", 10) is not a


def test_fractional_rate_never_exceeds_its_floor_in_one_second() -> None:
    limiter, _ = fake_limiter(9.875)
    starts = [limiter.acquire() for _ in range(100)]
    assert max_in_any_window(starts) <= 9


def test_a_burst_of_429s_halves_the_rate_once() -> None:
    limiter, _ = fake_limiter(10)
    for _ in range(4):
        limiter.penalize(1.0)
    assert limiter.rate == 5


def test_restamp_moves_a_late_slot_to_its_departure() -> None:
    """A slot taken at t whose request leaves at t + 0.05: the window counts from the
    departure, so the next window's first request is held back those 50 ms too."""
    limiter, clock = fake_limiter(2, safety=0.0)
    first = limiter.acquire()
    clock.now += 0.05
    assert limiter.restamp(first) == first + 0.05
    clock.now += 0.1
    second = limiter.acquire()  # half a second (1 / rate) after the first's grant
    assert second == pytest.approx(first + 0.5)
    assert limiter.restamp(second) == second  # left at once: unchanged
    third = limiter.acquire()
    assert third == pytest.approx(first + 1.05)  # a second after the first's departure
    # In the window now: second and third; the restamped first slot aged out.
    assert limiter.acquire() == pytest.approx(second + 1.0)


def test_late_wake_ups_do_not_slow_the_rate() -> None:
    """A busy machine wakes each waiter 10 ms late: the spacing keeps its schedule, so
    the rate stays the limit's (8 per 1.03 s) instead of losing 10 ms a request."""
    limiter, clock = fake_limiter(8)

    def late_sleep(seconds: float) -> None:
        clock.sleep(seconds + 0.01)

    limiter._sleep = late_sleep
    starts = [limiter.acquire() for _ in range(161)]
    assert max_in_any_window(starts) <= 8
    assert 160 / (starts[-1] - starts[0]) >= 0.99 * 8 / 1.03


def test_restamp_of_a_slot_already_aged_out_still_counts_the_departure() -> None:
    limiter, clock = fake_limiter(2, safety=0.0)
    stamp = limiter.acquire()
    clock.now += 2.0
    limiter.acquire()  # the old slot aged out: a new one at once
    late = limiter.restamp(stamp)  # the old request only leaves now
    assert late == clock.now
    assert limiter.acquire() == late + 1.0  # two in this window: the next waits a second
    assert clock.sleeps == [1.0]
