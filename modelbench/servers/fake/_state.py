"""The fake server's state and decisions: counters, fault draws, answers, timing accuracy."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Any

from modelbench.servers.fake._draw import unit, words
from modelbench.servers.fake._profile import DatasetRow, ModelProfile, Profile

__all__ = ["Call", "Sim"]


@dataclass(frozen=True)
class Call:
    """One parsed generation request."""

    kind: str  # "chat" or "text"
    model: str
    spec: ModelProfile
    phash: str
    match_text: str
    prompt_tokens: int
    stream: bool
    include_usage: bool
    max_tokens: int | None
    attempt: int  # 1 the first time this (model, prompt) is seen since start or reset


class Sim:
    """Profile, seed, and the counters behind ``/_sim/stats``."""

    def __init__(self, profile: Profile, seed: int) -> None:
        self.profile = profile
        self.seed = seed
        self.rows: dict[str, DatasetRow] = {row.key(): row for row in profile.rows()}
        self.reset()

    def reset(self) -> None:
        self.prompts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        # Requests by model and arrival second (wall clock): rate limits are checked here.
        self.per_second: defaultdict[str, Counter[int]] = defaultdict(Counter)
        # How late each scheduled send woke up, in seconds: the server's share of timing error.
        self.lateness: deque[float] = deque(maxlen=100_000)

    def count(self, model: str, phash: str) -> int:
        self.per_second[model][int(time.time())] += 1
        self.prompts[model][phash] += 1
        return self.prompts[model][phash]

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``deadline`` on the loop's monotonic clock (absolute, so no drift)."""
        loop = asyncio.get_running_loop()
        delay = deadline - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        self.lateness.append(max(0.0, loop.time() - deadline))

    def stats(self) -> dict[str, Any]:
        models: dict[str, dict[str, Any]] = {
            model: {
                "requests": sum(self.outcomes[model].values()),
                "outcomes": dict(self.outcomes[model]),
                "prompts": dict(self.prompts.get(model, {})),
                "per_second": {str(k): v for k, v in sorted(self.per_second[model].items())},
            }
            for model in sorted(self.outcomes)
        }
        late = sorted(self.lateness)
        timing: dict[str, float] = {"scheduled_sends": len(late)}
        if late:
            timing |= {
                "late_ms_p50": round(statistics.median(late) * 1000, 3),
                "late_ms_p90": round(late[int(0.9 * (len(late) - 1))] * 1000, 3),
                "late_ms_max": round(late[-1] * 1000, 3),
            }
        total = sum(m["requests"] for m in models.values())
        return {"total": total, "models": models, "timing": timing}

    def fault(self, call: Call) -> str | None:
        """The fault for this attempt, or None: one uniform draw split into bands by rate."""
        draw = unit(self.seed, call.model, call.phash, call.attempt, "fault")
        edge = 0.0
        for kind, rate in call.spec.fault_rates().items():
            edge += rate
            if draw < edge:
                return "reset" if kind == "cut_stream" and not call.stream else kind
        return None

    def jitter(self, call: Call) -> float:
        return unit(self.seed, call.model, call.phash, call.attempt, "jitter") * call.spec.jitter_s

    def tokens(self, call: Call) -> list[str]:
        """The answer, one word per token: a dataset row's ``expected`` or hashed words."""
        row = self.rows.get(call.match_text.strip())
        if row is None:
            chosen = words(call.spec.output_tokens, self.seed, call.model, call.phash)
        else:
            expected = row.answer()
            # Fixed per (seed, model, row), not per attempt: a retry gives the same answer.
            if unit(self.seed, call.model, row.id, "accuracy") < call.spec.accuracy:
                chosen = expected.split() or [expected]
            else:
                chosen = _wrong(expected, self.seed, call.model, row.id)
        return [w if i == 0 else " " + w for i, w in enumerate(chosen)]


def _wrong(expected: str, *parts: object) -> list[str]:
    """An answer as long as ``expected`` that does not contain it."""
    size = max(1, len(expected.split()))
    for attempt in range(20):
        candidate = words(size, *parts, "wrong", attempt)
        if expected.strip().lower() not in " ".join(candidate).lower():
            return candidate
    return ["(no", "answer)"]
