"""Adaptive concurrency (AIMD) and rpm/tpm buckets, driven by a fake clock where time matters."""

from __future__ import annotations

import asyncio

import pytest

from modelbench.bench import BackendLimiter, TokenBucket
from modelbench.bench.limiter import Gate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_gate_is_fifo_and_follows_capacity_changes() -> None:
    async def main() -> list[str]:
        gate = Gate(1)
        order: list[str] = []
        await gate.acquire()

        async def worker(name: str) -> None:
            await gate.acquire()
            order.append(name)

        tasks = [asyncio.create_task(worker(n)) for n in "abc"]
        await asyncio.sleep(0)
        assert gate.waiting == 3
        gate.capacity = 3  # two more may enter now
        await asyncio.sleep(0)
        assert order == ["a", "b"]
        gate.release()
        await asyncio.gather(*tasks)
        assert gate.in_use == 3
        return order

    assert asyncio.run(main()) == ["a", "b", "c"]


def test_cancelled_waiter_gives_up_its_place() -> None:
    async def main() -> None:
        gate = Gate(1)
        await gate.acquire()
        waiter = asyncio.create_task(gate.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        gate.release()
        assert gate.in_use == 0
        assert gate.waiting == 0

    asyncio.run(main())


def test_token_bucket_spaces_reservations() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2.0, burst=2.0, clock=clock)  # 120 rpm
    assert [bucket.reserve(1) for _ in range(4)] == [0.0, 0.0, 0.5, 1.0]
    clock.now += 1.0
    assert bucket.reserve(1) == pytest.approx(0.5)
    bucket.adjust(-10)  # credit never exceeds the burst
    clock.now += 100
    assert bucket.reserve(2) == 0.0
    assert bucket.reserve(1) == pytest.approx(0.5)


def test_aimd_halves_once_per_burst_of_429s_and_grows_by_one() -> None:
    async def main() -> BackendLimiter:
        clock = Clock()
        limiter = BackendLimiter(8, clock=clock)
        permits = [await limiter.acquire() for _ in range(8)]
        assert limiter.in_flight == 8
        clock.now += 1
        limiter.release(permits[0], ok=False, rate_limited=True)
        assert limiter.window == 4
        # 429s for requests sent before that cut do not cut again
        limiter.release(permits[1], ok=False, rate_limited=True)
        limiter.release(permits[2], ok=False, rate_limited=True)
        assert limiter.window == 4
        fresh = await asyncio.wait_for(_acquire_after_release(limiter, permits[3:]), 1)
        limiter.release(fresh, ok=False, rate_limited=True)  # sent after the cut: cuts
        assert limiter.window == 2
        for _ in range(10):
            limiter.release(await limiter.acquire(), ok=True)
        assert limiter.window == 8  # +1 per success, capped at the ceiling
        assert limiter.rate_limited == 4
        assert limiter.lowest_window == 2
        return limiter

    asyncio.run(main())


async def _acquire_after_release(limiter: BackendLimiter, permits: list) -> object:  # type: ignore[type-arg]
    for permit in permits:
        limiter.release(permit, ok=False)  # plain errors leave the window alone
    assert limiter.window == 4
    return await limiter.acquire()


def test_window_never_below_one_and_limits_in_flight() -> None:
    async def main() -> None:
        clock = Clock()
        limiter = BackendLimiter(2, clock=clock)
        for _ in range(5):
            permit = await limiter.acquire()
            clock.now += 1
            limiter.release(permit, ok=False, rate_limited=True)
        assert limiter.window == 1
        first = await limiter.acquire()
        second = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        assert not second.done()  # window 1: the second waits
        limiter.release(first, ok=True)
        limiter.release(await second, ok=True)
        assert limiter.window == 2

    asyncio.run(main())


def test_rpm_and_tpm_make_acquire_wait() -> None:
    async def main() -> None:
        limiter = BackendLimiter(10, rpm=600, tpm=60_000)  # 10 requests/s, 1000 tokens/s
        assert limiter.rpm is not None
        assert limiter.tpm is not None
        assert limiter.rpm.burst == 10
        loop = asyncio.get_running_loop()
        start = loop.time()
        permits = [await limiter.acquire(tokens=100) for _ in range(10)]
        assert loop.time() - start < 0.05  # within the burst
        for p in permits:
            limiter.release(p, ok=True, tokens=50)  # used less than estimated: credited back
        permit = await limiter.acquire(tokens=100)
        waited = loop.time() - start
        assert 0.05 < waited < 0.5  # the 11th request waited for the rpm bucket (~0.1 s)
        limiter.release(permit, ok=True)

    asyncio.run(main())
