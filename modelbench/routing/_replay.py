"""Vectorised replay of policies over recorded requests.

A *request* is one (prompt_id, repeat) that every arm answered. ``Replay`` holds, per arm and
request, what the recorded call cost, how long it took, its score and whether it failed. A
policy's ``replay(r)`` combines arm outcomes with the combinators below into an ``Outcome``:
per request, a few weighted *atoms* (probability, cost, latency, ttft, score, error, the arm
that gave the final answer, calls made per arm). Deterministic policies have one atom per
request; a weighted mix has one per branch, so it is scored by expectation, not a draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelbench._errors import OptionError, ResultsError
from modelbench._suggest import did_you_mean
from modelbench.checks import Check
from modelbench.routing._stats import request_frame

__all__ = ["Outcome", "Replay"]


@dataclass
class Outcome:
    """Atoms of shape (requests, K); ``calls`` is (requests, K, arms)."""

    p: np.ndarray
    cost: np.ndarray
    latency: np.ndarray
    ttft: np.ndarray
    score: np.ndarray
    error: np.ndarray
    final: np.ndarray
    calls: np.ndarray

    @property
    def k(self) -> int:
        return int(self.p.shape[1])

    def padded(self, k: int) -> Outcome:
        """The same outcome with zero-probability atoms up to ``k`` per request."""
        extra = k - self.k
        if extra <= 0:
            return self
        n = self.p.shape[0]

        def pad(a: np.ndarray, value: float | bool | int) -> np.ndarray:
            filler = np.full((n, extra, *a.shape[2:]), value, dtype=a.dtype)
            return np.concatenate([a, filler], axis=1)

        return Outcome(
            pad(self.p, 0.0),
            pad(self.cost, 0.0),
            pad(self.latency, 0.0),
            pad(self.ttft, np.nan),
            pad(self.score, np.nan),
            pad(self.error, False),
            pad(self.final, 0),
            pad(self.calls, 0),
        )


def select(mask: np.ndarray, a: Outcome, b: Outcome) -> Outcome:
    """Per request: ``a`` where ``mask`` else ``b``."""
    k = max(a.k, b.k)
    a, b = a.padded(k), b.padded(k)
    m = mask[:, None]
    p, cost, latency, ttft, score, error, final = (
        np.where(m, x, y) for x, y in zip(_fields(a)[:-1], _fields(b)[:-1], strict=True)
    )
    calls = np.where(m[..., None], a.calls, b.calls)
    return Outcome(p, cost, latency, ttft, score, error, final, calls)


def _fields(o: Outcome) -> tuple[np.ndarray, ...]:
    return (o.p, o.cost, o.latency, o.ttft, o.score, o.error, o.final, o.calls)


class Replay:
    """The recorded requests of ``results`` as (arm, request) arrays."""

    def __init__(self, results: pd.DataFrame) -> None:
        from modelbench.bench.summary import dedupe

        for column in ("prompt_id", "model", "backend"):
            if column not in results.columns:
                raise ResultsError(
                    f"the results have no {column!r} column: routing needs benchmark results "
                    "(a file written by 'modelbench run')"
                )
        results = dedupe(results)
        frame = request_frame(results)
        repeat = results["repeat"] if "repeat" in results else pd.Series(0, index=results.index)
        request = pd.MultiIndex.from_arrays([results["prompt_id"].astype(str), repeat])
        req_codes, requests = pd.factorize(request)
        arm_codes, arms = pd.factorize(frame["arm"], sort=True)
        self.arms: list[str] = [str(a) for a in arms]
        n_arms, n_all = len(self.arms), len(requests)
        if n_arms == 0:
            raise ResultsError("the results have no rows to route")
        # Keep the requests every arm answered: policies are compared on the same requests.
        answered = np.zeros((n_arms, n_all), dtype=bool)
        answered[arm_codes, req_codes] = True
        keep: np.ndarray = np.asarray(answered.all(axis=0))
        self.dropped_rows = int((~keep[req_codes]).sum())
        if not keep.any():
            raise ResultsError(
                "no (prompt, repeat) was answered by every arm; run the same dataset on each"
            )
        new_code = np.cumsum(keep) - 1
        rows = keep[req_codes]
        a_idx, r_idx = arm_codes[rows], new_code[req_codes[rows]]
        n = int(keep.sum())
        self.n = n

        def grid(values: np.ndarray, fill: float | bool) -> np.ndarray:
            out = np.full((n_arms, n), fill, dtype=np.asarray(values).dtype)
            out[a_idx, r_idx] = np.asarray(values)[rows]
            return out

        ok = frame["ok"].to_numpy(dtype=bool)
        self.unpriced = int((np.isnan(_column(results, "cost_usd")) & ok)[rows].sum())
        cached = results["cached"].eq(True).to_numpy() if "cached" in results else np.zeros(0)
        self.cached = int(cached[rows].sum()) if cached.size else 0
        latency = _column(results, "latency_s")
        # A failed attempt's time is paid by whatever comes next; unknown counts 0.
        latency = np.where(~ok & np.isnan(latency), 0.0, latency)
        ttft = _column(results, "ttft_s")
        self.error = grid(~ok, True)
        self.cost = grid(frame["cost"].to_numpy(dtype=float), 0.0)
        self.latency = grid(latency, 0.0)
        self.ttft = grid(np.where(ok, np.asarray(ttft, dtype=float), np.nan), np.nan)
        self.score = grid(frame["quality"].to_numpy(dtype=float), np.nan)
        if frame["score"].isna().all():  # no scorer was used: errors cannot score 0 either
            self.score[:] = np.nan
        outputs = results["output"] if "output" in results else pd.Series("", index=results.index)
        self.output = grid(outputs.fillna("").astype(str).to_numpy(dtype=object), "")  # type: ignore[arg-type]
        kept = requests[keep]
        prompt_codes, prompts = pd.factorize(kept.get_level_values(0))
        self.prompt = prompt_codes
        self.prompts: list[str] = [str(p) for p in prompts]
        category = grid(frame["category"].to_numpy(dtype=object), "")  # type: ignore[arg-type]
        cat_codes, cats = pd.factorize(pd.Series(category[0]))
        self.category = cat_codes
        self.categories: list[str] = [str(c) for c in cats]
        self.frame = frame.assign(prompt_id=results["prompt_id"].astype(str))
        self._accept: dict[Check, np.ndarray] = {}
        self._arms: dict[str, Outcome] = {}
        self._members: dict[Any, Outcome] = {}

    # --- combinators policies use -----------------------------------------------------------------

    def arm(self, name: str) -> Outcome:
        found = self._arms.get(name)
        if found is None:
            try:
                i = self.arms.index(name)
            except ValueError:
                raise ResultsError(
                    f"arm {name!r} is not in the results{did_you_mean(name, self.arms)}; "
                    f"arms: {', '.join(self.arms)}"
                ) from None
            found = self._arms[name] = self._single(np.full(self.n, i))
        return found  # outcomes are never changed in place, so sharing is safe

    def member(self, member: object) -> Outcome:
        from modelbench.routing.policies.base import Policy

        if not isinstance(member, Policy):
            return self.arm(str(member))
        try:
            found = self._members.get(member)
        except TypeError:  # an unhashable user policy
            return member.replay(self)
        if found is None:
            found = self._members[member] = member.replay(self)
        return found

    def fallback(self, outcomes: Sequence[Outcome]) -> Outcome:
        """Next on error; each failed attempt's cost and latency are paid first."""
        out = outcomes[0]
        for nxt in outcomes[1:]:
            out = _chain(out, nxt, out.error, buffered=False)
        return out

    def cascade(self, outcomes: Sequence[Outcome], accept: Check) -> Outcome:
        """Next when the answer fails ``accept`` or is an error; answers wait for the check."""
        table = self.accepted(accept)
        out = outcomes[0]
        rows = np.arange(self.n)[:, None]
        for nxt in outcomes[1:]:
            escalate = out.error | ~table[out.final, rows]
            out = _chain(out, nxt, escalate, buffered=True)
        return out

    def mix(self, weighted: Sequence[tuple[Outcome, float]]) -> Outcome:
        total = float(sum(w for _, w in weighted))
        parts = [(o, w / total) for o, w in weighted if w > 0]
        fields = [_fields(o) for o, _ in parts]
        return Outcome(
            np.concatenate([o.p * w for o, w in parts], axis=1),
            *(np.concatenate([f[i] for f in fields], axis=1) for i in range(1, 8)),
        )

    def by_category(self, routes: dict[str, Outcome], default: Outcome) -> Outcome:
        """Each request takes the outcome of its category's route (else ``default``)."""
        choices: list[Outcome] = [default]
        slot: dict[int, int] = {id(default): 0}
        pick = np.zeros(len(self.categories), dtype=np.intp)  # category code -> choice
        for category, outcome in routes.items():
            if category in self.categories:
                if id(outcome) not in slot:
                    slot[id(outcome)] = len(choices)
                    choices.append(outcome)
                pick[self.categories.index(category)] = slot[id(outcome)]
        if len(choices) == 1:
            return default
        k = max(o.k for o in choices)
        stacked = [_fields(o.padded(k)) for o in choices]
        which, rows = pick[self.category], np.arange(self.n)
        p, cost, latency, ttft, score, error, final, calls = (
            np.stack([f[i] for f in stacked])[which, rows] for i in range(8)
        )
        return Outcome(p, cost, latency, ttft, score, error, final, calls)

    def oracle(self) -> Outcome:
        """The best-scoring arm per request (cheapest on a tie); unscored counts below 0."""
        merit = np.where(self.error, -1.0, np.nan_to_num(self.score, nan=-0.5))
        best = merit.max(axis=0)
        cost = np.where(merit == best, self.cost, np.inf)
        return self._single(np.argmin(cost, axis=0))

    # --- helpers ----------------------------------------------------------------------------------

    def accepted(self, check: Check) -> np.ndarray:
        """(arms, requests) bool: does each recorded answer pass ``check``?"""
        if getattr(check, "needs_registry", False):
            raise OptionError(
                f"the check {check.describe()} needs live model calls, so offline simulation "
                "cannot replay it; simulate with a rule check (regex, json, length, nonempty)"
            )
        found = self._accept.get(check)
        if found is None:
            codes, uniques = pd.factorize(self.output.ravel())
            verdicts = np.fromiter((bool(check(str(u))) for u in uniques), bool, len(uniques))
            found = self._accept[check] = verdicts[codes].reshape(self.output.shape)
        return found

    def _single(self, idx: np.ndarray) -> Outcome:
        cols = np.arange(self.n)
        calls = np.zeros((self.n, 1, len(self.arms)), dtype=np.float32)
        calls[cols, 0, idx] = 1.0
        return Outcome(
            np.ones((self.n, 1)),
            self.cost[idx, cols][:, None],
            self.latency[idx, cols][:, None],
            self.ttft[idx, cols][:, None],
            self.score[idx, cols][:, None],
            self.error[idx, cols][:, None],
            idx[:, None],
            calls,
        )


def _column(results: pd.DataFrame, name: str) -> np.ndarray:
    if name not in results.columns:
        return np.full(len(results), np.nan)
    return pd.to_numeric(results[name], errors="coerce").to_numpy(dtype=float)


def _chain(a: Outcome, b: Outcome, escalate: np.ndarray, *, buffered: bool) -> Outcome:
    """``a``, then ``b`` where ``escalate``: costs and latencies add, the answer is ``b``'s."""
    ka, kb = a.k, b.k
    ia, ib = np.repeat(np.arange(ka), kb), np.tile(np.arange(kb), ka)
    e = escalate[:, ia]
    a_lat = a.latency[:, ia]
    kept_ttft = a_lat if buffered else a.ttft[:, ia]
    return Outcome(
        p=a.p[:, ia] * np.where(e, b.p[:, ib], 1.0 / kb),
        cost=a.cost[:, ia] + np.where(e, b.cost[:, ib], 0.0),
        latency=a_lat + np.where(e, b.latency[:, ib], 0.0),
        ttft=np.where(e, a_lat + b.ttft[:, ib], kept_ttft),
        score=np.where(e, b.score[:, ib], a.score[:, ia]),
        error=np.where(e, b.error[:, ib], a.error[:, ia]),
        final=np.where(e, b.final[:, ib], a.final[:, ia]),
        calls=a.calls[:, ia] + e[..., None] * b.calls[:, ib],
    )
