"""``Oracle()``: per request, the arm with the best recorded score (the cheapest on a tie).

It knows the answers in advance, so it is an upper bound shown for reference: never
recommended, never exported (``exportable = False``), and it pays only the chosen call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from modelbench._errors import PolicyError
from modelbench.routing.policies.base import Policy, register_policy

if TYPE_CHECKING:
    from modelbench.routing._replay import Outcome, Replay

__all__ = ["Oracle"]


@dataclass(frozen=True)
class Oracle(Policy):
    family: ClassVar[str] = "oracle"
    exportable: ClassVar[bool] = False

    def describe(self) -> str:
        return "Oracle()"

    def members(self) -> tuple[str, ...]:
        return ()

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.family}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Oracle:
        return cls()

    @classmethod
    def from_spec(cls, arg: str | None) -> Oracle:
        if arg:
            raise PolicyError(f"oracle takes no argument, got oracle:{arg}")
        return cls()

    def replay(self, r: Replay) -> Outcome:
        return r.oracle()


register_policy(Oracle.family, Oracle)
