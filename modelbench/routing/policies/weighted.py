"""``Weighted({arm: weight})``: load balancing; each request goes to an arm with probability
weight / total. Simulation scores it by expectation over that draw, not by one random draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from modelbench._errors import PolicyError
from modelbench.routing.policies.base import Policy, register_policy

if TYPE_CHECKING:
    from modelbench.routing._replay import Outcome, Replay

__all__ = ["Weighted"]


@dataclass(frozen=True, init=False)
class Weighted(Policy):
    pairs: tuple[tuple[str, float], ...]
    family: ClassVar[str] = "weighted"

    def __init__(self, weights: Mapping[str, float]) -> None:
        pairs = []
        for arm, weight in dict(weights).items():
            w = float(weight)
            if not isinstance(arm, str) or not arm or not math.isfinite(w) or w < 0:
                raise PolicyError(
                    f"Weighted: {arm!r}={weight!r} is not an arm name with a weight >= 0"
                )
            if w > 0:
                pairs.append((arm, w))
        if not pairs:
            raise PolicyError("Weighted needs at least one arm with a weight > 0")
        object.__setattr__(self, "pairs", tuple(pairs))

    @property
    def weights(self) -> dict[str, float]:
        return dict(self.pairs)

    def describe(self) -> str:
        return f"Weighted({', '.join(f'{a}={w:g}' for a, w in self.pairs)})"

    def members(self) -> tuple[str, ...]:
        return tuple(a for a, _ in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.family, "weights": dict(self.pairs)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Weighted:
        return cls(data["weights"])

    @classmethod
    def from_spec(cls, arg: str | None) -> Weighted:
        weights: dict[str, float] = {}
        for part in (arg or "").split(","):
            arm, sep, weight = part.strip().partition("=")
            try:
                weights[arm.strip()] = float(weight) if sep else 1.0
            except ValueError:
                raise PolicyError(
                    f"bad weight {part.strip()!r}: write weighted:ARM=W,ARM=W"
                ) from None
        return cls(weights)

    def replay(self, r: Replay) -> Outcome:
        return r.mix([(r.arm(a), w) for a, w in self.pairs])


register_policy(Weighted.family, Weighted)
