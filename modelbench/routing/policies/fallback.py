"""``Fallback(members)``: call the first member; on an error, the next, and so on.

Each failed attempt is paid for (its cost and its latency) before the next one starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from modelbench.routing.policies.base import (
    Member,
    Policy,
    describe_member,
    member_arms,
    member_from_dict,
    member_to_dict,
    members_of,
    register_policy,
)

if TYPE_CHECKING:
    from modelbench.routing._replay import Outcome, Replay

__all__ = ["Fallback"]


@dataclass(frozen=True, init=False)
class Fallback(Policy):
    chain: tuple[Member, ...]
    family: ClassVar[str] = "fallback"

    def __init__(self, members: Iterable[Member] | str) -> None:
        object.__setattr__(self, "chain", members_of(members, "Fallback", at_least=2))

    def describe(self) -> str:
        return f"Fallback({' -> '.join(describe_member(m) for m in self.chain)})"

    def members(self) -> tuple[str, ...]:
        return member_arms(self.chain)

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.family, "members": [member_to_dict(m) for m in self.chain]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fallback:
        return cls([member_from_dict(m) for m in data["members"]])

    @classmethod
    def from_spec(cls, arg: str | None) -> Fallback:
        return cls(arg or "")

    @property
    def learned(self) -> bool:
        return any(isinstance(m, Policy) and m.learned for m in self.chain)

    def fit(self, results: Any) -> Fallback:
        return Fallback([m.fit(results) if isinstance(m, Policy) else m for m in self.chain])

    def replay(self, r: Replay) -> Outcome:
        return r.fallback([r.member(m) for m in self.chain])


register_policy(Fallback.family, Fallback)
