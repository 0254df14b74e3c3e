"""Confidence intervals for benchmark summaries: Wilson for proportions, Student's t for means,
and a percentile bootstrap of the mean. Arrays in, arrays out; no pandas.

The formulas are described in doc/scoring.md ("Statistics").
"""

from __future__ import annotations

import functools
import math
from statistics import NormalDist
from typing import Any

import numpy as np

from modelbench._errors import OptionError

__all__ = [
    "bootstrap_mean_interval",
    "check_confidence",
    "t_interval",
    "t_quantile",
    "wilson_interval",
]



def check_confidence(confidence: float) -> float:
    """The two-sided normal quantile of ``confidence``; an error unless 0 < confidence < 1."""
    if not 0 < confidence < 1:
        raise OptionError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(
    successes: Any, n: Any, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion (arrays welcome); NaN where n == 0."""
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    z = check_confidence(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1 + z * z / m
        center = (p + z * z / (2 * m)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    return np.clip(center - half, 0, 1), np.clip(center + half, 0, 1)


def t_quantile(p: float, df: float) -> float:
    """Quantile ``p`` of Student's t with ``df`` degrees of freedom (NaN when df < 1).

    Inverts the t CDF (regularized incomplete beta, continued fraction) by bisection; above
    1000 df the Cornish-Fisher expansion is exact to ~1e-10. No scipy needed.
    """
    if not df >= 1 or not 0 < p < 1:
        return math.nan
    if p < 0.5:
        return -t_quantile(1 - p, df)
    return _t_quantile_upper(round(p, 12), float(df))


@functools.lru_cache(maxsize=1024)
def _t_quantile_upper(p: float, df: float) -> float:
    if p == 0.5:
        return 0.0
    if df > 1000:
        z = NormalDist().inv_cdf(p)
        return (
            z
            + (z**3 + z) / (4 * df)
            + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
        )
    lo, hi = 0.0, 2.0
    while _t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if _t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, hi):
            break
    return (lo + hi) / 2


def _t_cdf(t: float, df: float) -> float:
    """P(T <= t) for t >= 0."""
    return 1 - 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b) (Numerical Recipes, modified Lentz)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1 - math.exp(log_front) * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        for num in (
            m * (b - m) * x / ((a - 1 + m2) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2)),
        ):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return h


def t_interval(
    mean: np.ndarray, std: np.ndarray, n: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """mean +- t(n-1) * std / sqrt(n); NaN where n < 2. One t quantile per distinct n."""
    n = np.asarray(n, dtype=float)
    q = 0.5 + confidence / 2
    tq = np.array([t_quantile(q, k - 1) if k >= 2 else math.nan for k in n.tolist()])
    with np.errstate(divide="ignore", invalid="ignore"):
        half = tq * np.asarray(std, dtype=float) / np.sqrt(n)
    return mean - half, mean + half



def bootstrap_mean_interval(
    values: np.ndarray, confidence: float, n_boot: int, seed: int
) -> tuple[float, float]:
    """Percentile bootstrap of the mean, in batches so memory stays under ~16 MB."""
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    batch = max(1, 2_000_000 // n)
    means = np.empty(n_boot)
    for start in range(0, n_boot, batch):
        stop = min(n_boot, start + batch)
        idx = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = values[idx].mean(axis=1)
    tail = (1 - confidence) / 2
    lo, hi = np.quantile(means, [tail, 1 - tail])
    return float(lo), float(hi)
