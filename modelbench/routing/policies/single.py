"""``Single(arm)``: every request to one arm."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from modelbench._errors import PolicyError
from modelbench.routing.policies.base import Policy, register_policy

if TYPE_CHECKING:
    from modelbench.routing._replay import Outcome, Replay

__all__ = ["Single"]


@dataclass(frozen=True)
class Single(Policy):
    arm: str
    family: ClassVar[str] = "single"

    def __post_init__(self) -> None:
        if not isinstance(self.arm, str) or not self.arm.strip():
            raise PolicyError(f"Single needs an arm name, got {self.arm!r}")

    def describe(self) -> str:
        return f"Single({self.arm})"

    def members(self) -> tuple[str, ...]:
        return (self.arm,)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.family, "arm": self.arm}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Single:
        return cls(data["arm"])

    @classmethod
    def from_spec(cls, arg: str | None) -> Single:
        if not arg:
            raise PolicyError("write single:ARM, e.g. single:tiny")
        return cls(arg)

    def replay(self, r: Replay) -> Outcome:
        return r.arm(self.arm)


register_policy(Single.family, Single)
