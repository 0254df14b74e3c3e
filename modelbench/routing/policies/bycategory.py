"""``ByCategory({category: member}, default)``: route each request by its dataset category.

``ByCategory.learn(results)`` picks, per category, the cheapest arm whose quality is within
``tolerance`` of that category's best (errors count 0); categories it has not seen go to the
default (the same rule over all rows). With ``fallback=arm`` every choice falls back to that
arm on an error. A learned ByCategory is re-fitted on the training prompts of each fold when
simulated, so its score is what held-out prompts show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from modelbench._errors import PolicyError
from modelbench.routing.policies.base import (
    Member,
    Policy,
    describe_member,
    member_arms,
    member_from_dict,
    member_to_dict,
    register_policy,
)
from modelbench.routing.policies.fallback import Fallback

if TYPE_CHECKING:
    import pandas as pd

    from modelbench.routing._replay import Outcome, Replay

__all__ = ["ByCategory", "Learning"]


@dataclass(frozen=True)
class Learning:
    """How a learned ByCategory chooses: quality within ``tolerance`` of the best, cheapest."""

    tolerance: float = 0.0
    fallback: str | None = None


@dataclass(frozen=True, init=False)
class ByCategory(Policy):
    pairs: tuple[tuple[str, Member], ...]
    default: Member | None
    learning: Learning | None
    family: ClassVar[str] = "bycategory"

    def __init__(
        self,
        mapping: Mapping[str, Member],
        default: Member | None = None,
        *,
        learning: Learning | None = None,
    ) -> None:
        pairs = tuple(sorted((str(k), v) for k, v in dict(mapping).items()))
        for category, member in pairs:
            if not (isinstance(member, Policy) or (isinstance(member, str) and member)):
                raise PolicyError(f"ByCategory: {category!r} maps to {member!r}, not an arm")
        if default is None and learning is None:
            raise PolicyError("ByCategory needs a default arm for categories it does not map")
        object.__setattr__(self, "pairs", pairs)
        object.__setattr__(self, "default", default)
        object.__setattr__(self, "learning", learning)

    @property
    def mapping(self) -> dict[str, Member]:
        return dict(self.pairs)

    @property
    def learned(self) -> bool:
        return self.learning is not None

    def describe(self) -> str:
        if self.default is None:  # learned, not fitted yet
            extra = ""
            if self.learning and self.learning.tolerance:
                extra += f", tolerance={self.learning.tolerance:g}"
            if self.learning and self.learning.fallback:
                extra += f", fallback {self.learning.fallback}"
            return f"ByCategory(learned{extra})"
        body = ", ".join(f"{c or '(none)'}->{describe_member(m)}" for c, m in self.pairs)
        return f"ByCategory({body}; else {describe_member(self.default)})"

    def members(self) -> tuple[str, ...]:
        listed = [m for _, m in self.pairs] + ([self.default] if self.default is not None else [])
        return member_arms(listed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.family,
            "mapping": {c: member_to_dict(m) for c, m in self.pairs},
            "default": None if self.default is None else member_to_dict(self.default),
            "learning": None if self.learning is None else vars(self.learning).copy(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ByCategory:
        learning = data.get("learning")
        default = data.get("default")
        return cls(
            {c: member_from_dict(m) for c, m in dict(data.get("mapping") or {}).items()},
            None if default is None else member_from_dict(default),
            learning=None if learning is None else Learning(**learning),
        )

    @classmethod
    def from_spec(cls, arg: str | None) -> ByCategory:
        """``bycategory`` (learned) or ``bycategory:easy=tiny,hard=strong,*=strong``."""
        if not arg:
            return cls({}, learning=Learning())
        mapping: dict[str, Member] = {}
        for part in arg.split(","):
            category, sep, arm = part.partition("=")
            if not sep or not arm.strip():
                raise PolicyError(f"write bycategory:CATEGORY=ARM,...,*=DEFAULT, got {part!r}")
            mapping[category.strip()] = arm.strip()
        default = mapping.pop("*", None)
        if default is None:
            raise PolicyError("bycategory:... needs a default, e.g. *=strong")
        return cls(mapping, default)

    @classmethod
    def learn(
        cls, results: pd.DataFrame, *, tolerance: float = 0.0, fallback: str | None = None
    ) -> ByCategory:
        """Fit on ``results``: per category, the cheapest arm within ``tolerance`` of the best."""
        from modelbench.routing._stats import arm_stats

        if not 0 <= tolerance <= 1:
            raise PolicyError(f"tolerance must be between 0 and 1, got {tolerance}")

        def wrap(arm: str) -> Member:
            return Fallback([arm, fallback]) if fallback and fallback != arm else arm

        per_category = _choose(arm_stats(results, by_category=True, latency=False), tolerance)
        mapping = {str(c): wrap(arm) for c, arm in per_category.items()}
        overall = _choose(arm_stats(results, latency=False).assign(category=""), tolerance)
        default = wrap(overall.iloc[0])
        return cls(mapping, default, learning=Learning(tolerance, fallback))

    def fit(self, results: pd.DataFrame) -> Policy:
        if self.learning is None:
            return self
        return ByCategory.learn(
            results, tolerance=self.learning.tolerance, fallback=self.learning.fallback
        )

    def replay(self, r: Replay) -> Outcome:
        if self.default is None:
            raise PolicyError(f"{self.describe()} must be fitted on results before replay")
        return r.by_category({c: r.member(m) for c, m in self.pairs}, r.member(self.default))


def _choose(stats: pd.DataFrame, tolerance: float) -> pd.Series:
    """Per category: the cheapest arm within ``tolerance`` of the best quality (no scores: the
    fewest errors, then the cheapest). ``stats`` rows are (category, arm); one sort for all."""
    import pandas as pd

    frame = stats.reset_index()
    if "category" not in frame.columns:
        frame["category"] = ""
    if frame["quality"].notna().any():
        best = frame.groupby("category", sort=False)["quality"].transform("max")
        frame = frame[frame["quality"] >= best - tolerance - 1e-12]
        columns = ["category", "cost", "quality", "arm"]
        ascending = [True, True, False, True]
    else:
        columns = ["category", "error_rate", "cost", "arm"]
        ascending = [True, True, True, True]
    first = frame.sort_values(columns, ascending=ascending).drop_duplicates("category")
    return pd.Series(first["arm"].to_numpy(), index=first["category"].to_numpy())


register_policy(ByCategory.family, ByCategory)
