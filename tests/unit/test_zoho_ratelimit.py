"""The client-side rate limiter, on a fake clock so nothing sleeps."""

from __future__ import annotations

import threading
import time

import pytest

from core.zoho.errors import ZohoRateLimited
from core.zoho.ratelimit import DAY_S, RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(clock: FakeClock, per_minute: int = 6, per_day: int = 1000) -> RateLimiter:
    return RateLimiter(per_minute=per_minute, per_day=per_day, clock=clock, sleep=clock.sleep)


def test_bursts_up_to_the_minute_budget_then_says_how_long_to_wait() -> None:
    clock = FakeClock()
    rl = limiter(clock, per_minute=6)
    assert [rl.try_acquire() for _ in range(6)] == [0.0] * 6
    assert rl.try_acquire() == pytest.approx(10.0)  # one token every 60/6 s


def test_tokens_refill_with_time() -> None:
    clock = FakeClock()
    rl = limiter(clock, per_minute=6)
    for _ in range(6):
        rl.try_acquire()
    clock.now += 10.0
    assert rl.try_acquire() == 0.0
    assert rl.try_acquire() > 0


def test_acquire_sleeps_when_the_wait_fits_and_raises_when_it_does_not() -> None:
    clock = FakeClock()
    rl = limiter(clock, per_minute=6)
    for _ in range(6):
        rl.acquire(max_wait_s=0)
    rl.acquire(max_wait_s=15)  # waits 10 s on the fake clock
    assert clock.slept == [pytest.approx(10.0)]
    with pytest.raises(ZohoRateLimited) as caught:
        rl.acquire(max_wait_s=1)
    assert caught.value.retry_after_s == pytest.approx(10.0)


def test_daily_cap_holds_over_a_rolling_day() -> None:
    clock = FakeClock()
    rl = limiter(clock, per_minute=60, per_day=5)
    for _ in range(5):
        assert rl.try_acquire() == 0.0
        clock.now += 60
    wait = rl.try_acquire()
    assert wait == pytest.approx(DAY_S - 5 * 60)
    clock.now += wait
    assert rl.try_acquire() == 0.0


def test_pause_holds_everyone_back_after_a_429() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.pause(30)
    assert rl.try_acquire() == pytest.approx(30)
    clock.now += 30
    assert rl.try_acquire() == 0.0


def test_threads_never_get_more_permits_than_the_budget() -> None:
    rl = RateLimiter(per_minute=50, per_day=10_000)  # real clock; refill is ~0.8 per second
    granted = 0
    lock = threading.Lock()
    start = time.monotonic()

    def worker() -> None:
        nonlocal granted
        for _ in range(20):
            if rl.try_acquire() == 0.0:
                with lock:
                    granted += 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert 50 <= granted <= 50 + int(elapsed * 50 / 60) + 1
