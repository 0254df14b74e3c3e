"""Per-backend limits shared by every worker of a run: one Ray actor holds the buckets.

Each worker keeps today's ``BackendLimiter`` window (AIMD on its own 429s), but asks the
``SharedLimits`` actor for a backend's ``max_parallel`` slot and its rpm / tpm reservations,
so the config's limits hold for the run as a whole. The actor answers a reservation with the
seconds to wait (the same ``TokenBucket`` as in-process); the worker sleeps that long before
its timer starts. Slots a killed worker held are given back by the driver (``forget``).
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from modelbench.bench.limiter import BackendLimiter, Gate, Permit, TokenBucket

__all__ = ["BackendLimits", "SharedLimiter", "SharedLimits"]


@dataclass(frozen=True)
class BackendLimits:
    """A deployment's run-wide limits (None: no limit of that kind)."""

    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None

    @property
    def any(self) -> bool:
        return bool(self.rpm or self.tpm or self.max_parallel)


class SharedLimits:
    """The run's limits by deployment id; used as a Ray actor (``ray.remote(SharedLimits)``)."""

    def __init__(self, limits: dict[str, BackendLimits]) -> None:
        self._rpm = {d: TokenBucket(x.rpm / 60, x.rpm / 60) for d, x in limits.items() if x.rpm}
        self._tpm = {d: TokenBucket(x.tpm / 60, x.tpm / 60) for d, x in limits.items() if x.tpm}
        self._slots = {d: Gate(x.max_parallel) for d, x in limits.items() if x.max_parallel}
        self._held: Counter[tuple[str, str]] = Counter()

    async def reserve(self, deployment: str, worker: str, tokens: float) -> float:
        """A parallel slot (waited for here), then rpm/tpm: seconds to wait before sending."""
        gate = self._slots.get(deployment)
        if gate is not None:
            await gate.acquire()
            self._held[(deployment, worker)] += 1
        wait = 0.0
        if deployment in self._rpm:
            wait = self._rpm[deployment].reserve(1)
        if deployment in self._tpm and tokens > 0:
            wait = max(wait, self._tpm[deployment].reserve(tokens))
        return wait

    def release(self, deployment: str, worker: str, estimated: float, used: float | None) -> None:
        gate = self._slots.get(deployment)
        if gate is not None and self._held[(deployment, worker)] > 0:
            self._held[(deployment, worker)] -= 1
            gate.release()
        bucket = self._tpm.get(deployment)
        if bucket is not None and used is not None and not math.isnan(used):
            bucket.adjust(used - estimated)  # pay for what was really used

    def forget(self, worker: str) -> int:
        """Give back every slot a lost worker held; how many there were."""
        freed = 0
        for (deployment, holder), n in list(self._held.items()):
            if holder == worker:
                for _ in range(n):
                    self._slots[deployment].release()
                freed += n
                del self._held[(deployment, holder)]
        return freed


class SharedLimiter(BackendLimiter):
    """A worker's limiter: its own AIMD window, then the run-wide limits from the actor."""

    def __init__(
        self, ceiling: int, *, actor: Any, deployment: str, worker: str, tpm: bool
    ) -> None:
        super().__init__(ceiling)  # no local buckets: the actor holds them
        self._actor = actor
        self._deployment = deployment
        self._worker = worker
        self._tpm = tpm

    @property
    def counts_tokens(self) -> bool:
        return self._tpm

    async def acquire(self, tokens: float = 0.0) -> Permit:
        await self._gate.acquire()
        try:
            wait = await self._actor.reserve.remote(self._deployment, self._worker, tokens)
            if wait > 0:
                await asyncio.sleep(wait)
        except BaseException:
            self._gate.release()
            raise
        return Permit(sent_at=self._clock(), tokens=tokens)

    def release(
        self, permit: Permit, *, ok: bool, rate_limited: bool = False, tokens: float | None = None
    ) -> None:
        self._actor.release.remote(self._deployment, self._worker, permit.tokens, tokens)
        super().release(permit, ok=ok, rate_limited=rate_limited)
