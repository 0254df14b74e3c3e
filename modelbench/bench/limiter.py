"""Per-backend adaptive concurrency (AIMD) under the config's rpm / tpm / max_parallel limits.

Each backend gets a window of requests allowed in flight. It starts at its ceiling
(``max_parallel``, else the run's concurrency), halves on a 429 (once per burst: 429s from
requests sent before the last cut do not cut again) and grows by one on each success, never
above the ceiling nor below one. ``rpm`` and ``tpm`` are token buckets refilled continuously
(a second's worth of burst), so requests are spaced instead of sent in a burst that the
provider would reject. Waits here happen before a request's timer starts.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["BackendLimiter", "Gate", "Permit", "TokenBucket"]


class Gate:
    """A FIFO semaphore whose capacity can change while it is in use."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, capacity)
        self.in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def capacity(self) -> int:
        return self._capacity

    @capacity.setter
    def capacity(self, value: int) -> None:
        self._capacity = max(1, value)
        self._wake()

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        if self.in_use < self._capacity and not self._waiters:
            self.in_use += 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await future  # _wake counts us in before resolving the future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # granted and cancelled at once: hand the slot on
            elif future in self._waiters:
                self._waiters.remove(future)
            raise

    def release(self) -> None:
        self.in_use -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_use < self._capacity:
            future = self._waiters.popleft()
            if not future.done():
                self.in_use += 1
                future.set_result(None)


class TokenBucket:
    """``rate`` units per second with ``burst`` capacity; ``reserve`` returns the wait.

    A reservation is taken at once (the level may go negative), so callers queue in order of
    arrival and each sleeps exactly until its share has refilled.
    """

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._clock = clock
        self._level = self.burst
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.burst, self._level + (now - self._at) * self.rate)
        self._at = now

    def reserve(self, amount: float) -> float:
        """Take ``amount`` now; seconds to wait before using it (0 when available)."""
        self._refill()
        self._level -= amount
        return 0.0 if self._level >= 0 else -self._level / self.rate

    def adjust(self, amount: float) -> None:
        """Take (or with a negative amount, give back) units after the fact."""
        self._refill()
        self._level = min(self.burst, self._level - amount)


@dataclass
class Permit:
    """One request's place in a backend: give it back with ``BackendLimiter.release``."""

    sent_at: float
    tokens: float


class BackendLimiter:
    """A backend's window of in-flight requests plus its rpm and tpm buckets."""

    def __init__(
        self,
        ceiling: int,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ceiling = max(1, ceiling)
        self.window: float = float(self.ceiling)
        self._gate = Gate(self.ceiling)
        self._clock = clock
        self._last_cut = -math.inf
        self.rpm = TokenBucket(rpm / 60.0, rpm / 60.0, clock) if rpm else None
        self.tpm = TokenBucket(tpm / 60.0, tpm / 60.0, clock) if tpm else None
        self.rate_limited = 0
        self.lowest_window = self.ceiling

    @property
    def in_flight(self) -> int:
        return self._gate.in_use

    @property
    def counts_tokens(self) -> bool:
        """Whether requests must reserve an estimate of their tokens (a tpm limit applies)."""
        return self.tpm is not None

    async def acquire(self, tokens: float = 0.0) -> Permit:
        """Wait for a slot in the window, then for the rpm and tpm buckets."""
        await self._gate.acquire()
        try:
            wait = 0.0
            if self.rpm is not None:
                wait = max(wait, self.rpm.reserve(1))
            if self.tpm is not None and tokens > 0:
                wait = max(wait, self.tpm.reserve(tokens))
            if wait > 0:
                await asyncio.sleep(wait)
        except BaseException:
            self._gate.release()
            raise
        return Permit(sent_at=self._clock(), tokens=tokens)

    def release(
        self, permit: Permit, *, ok: bool, rate_limited: bool = False, tokens: float | None = None
    ) -> None:
        """Give the slot back; a success widens the window, a 429 halves it."""
        if self.tpm is not None and tokens is not None and not math.isnan(tokens):
            self.tpm.adjust(tokens - permit.tokens)  # pay for what was really used
        if rate_limited:
            self.rate_limited += 1
            if permit.sent_at >= self._last_cut:  # one cut per burst of 429s
                self.window = max(1.0, self.window / 2)
                self._last_cut = self._clock()
                self.lowest_window = min(self.lowest_window, int(self.window))
        elif ok:
            self.window = min(float(self.ceiling), self.window + 1)
        self._gate.capacity = int(self.window)
        self._gate.release()
