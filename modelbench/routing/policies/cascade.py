"""``Cascade(members, accept)``: call the first member; when its answer fails ``accept`` (or is
an error) call the next. Escalating pays both calls and the latencies add up; an answer that
may still be rejected is held back until checked, so the user's first token arrives after the
whole of every earlier call (only the last member streams straight through).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from modelbench.checks import Check, check_from_dict, resolve_check
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

__all__ = ["Cascade"]


@dataclass(frozen=True, init=False)
class Cascade(Policy):
    chain: tuple[Member, ...]
    accept: Check
    family: ClassVar[str] = "cascade"

    def __init__(self, members: Iterable[Member] | str, accept: Check | str = "nonempty") -> None:
        object.__setattr__(self, "chain", members_of(members, "Cascade", at_least=2))
        object.__setattr__(self, "accept", resolve_check(accept))

    def describe(self) -> str:
        chain = " -> ".join(describe_member(m) for m in self.chain)
        return f"Cascade({chain}; {self.accept.describe()})"

    def members(self) -> tuple[str, ...]:
        return member_arms(self.chain)

    def to_dict(self) -> dict[str, Any]:
        return {
            "policy": self.family,
            "members": [member_to_dict(m) for m in self.chain],
            "accept": self.accept.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cascade:
        accept = data["accept"]
        check = check_from_dict(accept) if isinstance(accept, Mapping) else resolve_check(accept)
        return cls([member_from_dict(m) for m in data["members"]], check)

    @classmethod
    def from_spec(cls, arg: str | None) -> Cascade:
        members, sep, check = (arg or "").partition(";")
        return cls(members, check.strip() if sep else "nonempty")

    @property
    def learned(self) -> bool:
        return any(isinstance(m, Policy) and m.learned for m in self.chain)

    def fit(self, results: Any) -> Cascade:
        chain = [m.fit(results) if isinstance(m, Policy) else m for m in self.chain]
        return Cascade(chain, self.accept)

    def replay(self, r: Replay) -> Outcome:
        return r.cascade([r.member(m) for m in self.chain], self.accept)


register_policy(Cascade.family, Cascade)
