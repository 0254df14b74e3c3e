"""``Cheapest`` and ``Fastest``: resolved on (training) results to one arm.

``Cheapest(min_quality=0.8)`` picks the arm with the lowest mean cost per request among those
whose quality (errors count 0) reaches the floor; ``Fastest(metric="p95")`` the one with the
lowest latency percentile. When no arm reaches the floor, the best-quality arm is chosen. Both
are learned: simulation scores them by cross-validation over prompts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from modelbench._errors import PolicyError
from modelbench.routing.policies.base import Policy, register_policy

if TYPE_CHECKING:
    import pandas as pd

    from modelbench.routing._replay import Outcome, Replay

__all__ = ["Cheapest", "Fastest"]

Metric = Literal["p50", "p95", "p99"]


def _floor(value: Any) -> float | None:
    if value is None:
        return None
    q = float(value)
    if not 0 <= q <= 1:
        raise PolicyError(f"min_quality must be between 0 and 1, got {value!r}")
    return q


def _pick(results: pd.DataFrame, by: str, min_quality: float | None, arms: tuple[str, ...]) -> str:
    from modelbench.routing._stats import arm_stats

    stats = arm_stats(results)
    if arms:
        unknown = [a for a in arms if a not in stats.index]
        if unknown:
            raise PolicyError(f"arm {unknown[0]!r} is not in the results: {list(stats.index)}")
        stats = stats.loc[list(arms)]
    if stats.empty:
        raise PolicyError("no arms in the results to choose from")
    if min_quality is not None:
        if stats["quality"].isna().all():
            raise PolicyError(
                "min_quality needs scores, and these results have none: run with a scorer"
            )
        eligible = stats[stats["quality"] >= min_quality]
        if eligible.empty:  # nothing reaches the floor: the closest to it
            eligible = stats[stats["quality"] == stats["quality"].max()]
        stats = eligible
    quality = stats["quality"].fillna(-1.0)
    order = stats.assign(_q=-quality, _arm=stats.index).sort_values([by, "_q", "_arm"])
    return str(order.index[0])


class _Pick(Policy):
    chosen: str | None
    arms: tuple[str, ...]

    @property
    def learned(self) -> bool:
        return True

    def members(self) -> tuple[str, ...]:
        return (self.chosen,) if self.chosen else self.arms

    def replay(self, r: Replay) -> Outcome:
        if not self.chosen:
            raise PolicyError(f"{self.describe()} must be fitted on results before replay")
        return r.arm(self.chosen)

    def _suffix(self) -> str:
        return f" -> {self.chosen}" if self.chosen else ""


def _arms(arms: Iterable[str]) -> tuple[str, ...]:
    return tuple(arms)


@dataclass(frozen=True)
class Cheapest(_Pick):
    min_quality: float | None = None
    arms: tuple[str, ...] = ()
    chosen: str | None = None
    family: ClassVar[str] = "cheapest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_quality", _floor(self.min_quality))
        object.__setattr__(self, "arms", _arms(self.arms))

    def describe(self) -> str:
        floor = "" if self.min_quality is None else f"quality>={self.min_quality:g}"
        return f"Cheapest({floor}{self._suffix()})".replace("( -> ", "(-> ")

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.family,
            "min_quality": self.min_quality,
            "arms": list(self.arms),
            "chosen": self.chosen,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cheapest:
        return cls(data.get("min_quality"), tuple(data.get("arms", ())), data.get("chosen"))

    @classmethod
    def from_spec(cls, arg: str | None) -> Cheapest:
        try:
            return cls(float(arg) if arg else None)
        except ValueError:
            raise PolicyError(f"write cheapest or cheapest:MIN_QUALITY, got {arg!r}") from None

    def fit(self, results: pd.DataFrame) -> Cheapest:
        return replace(self, chosen=_pick(results, "cost", self.min_quality, self.arms))


@dataclass(frozen=True)
class Fastest(_Pick):
    metric: Metric = "p95"
    min_quality: float | None = None
    arms: tuple[str, ...] = ()
    chosen: str | None = None
    family: ClassVar[str] = "fastest"

    def __post_init__(self) -> None:
        if self.metric not in ("p50", "p95", "p99"):
            raise PolicyError(f"Fastest metric must be p50, p95 or p99, got {self.metric!r}")
        object.__setattr__(self, "min_quality", _floor(self.min_quality))
        object.__setattr__(self, "arms", _arms(self.arms))

    def describe(self) -> str:
        floor = "" if self.min_quality is None else f", quality>={self.min_quality:g}"
        return f"Fastest({self.metric}{floor}{self._suffix()})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.family,
            "metric": self.metric,
            "min_quality": self.min_quality,
            "arms": list(self.arms),
            "chosen": self.chosen,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fastest:
        return cls(
            data.get("metric", "p95"),
            data.get("min_quality"),
            tuple(data.get("arms", ())),
            data.get("chosen"),
        )

    @classmethod
    def from_spec(cls, arg: str | None) -> Fastest:
        metric, _, floor = (arg or "p95").partition(",")
        try:
            quality = float(floor) if floor.strip() else None
        except ValueError:
            raise PolicyError(
                f"write fastest:p95 or fastest:p95,MIN_QUALITY, got {arg!r}"
            ) from None
        return cls(metric.strip() or "p95", quality)  # type: ignore[arg-type]

    def fit(self, results: pd.DataFrame) -> Fastest:
        return replace(self, chosen=_pick(results, self.metric, self.min_quality, self.arms))


register_policy(Cheapest.family, Cheapest)
register_policy(Fastest.family, Fastest)
