"""What a routing policy is, the name registry, and the one place specs and dicts resolve.

A policy is a frozen, hashable dataclass over *arms* (see ``modelbench.routing._arms``)::

    resolve_policy("fallback:cheap,strong")      # Fallback(cheap -> strong)
    resolve_policy("weighted:cheap=3,strong=1")  # Weighted(cheap=3, strong=1)
    resolve_policy("cascade:cheap,strong;json")  # Cascade(cheap -> strong; json)
    policy_from_dict(p.to_dict()) == p

Add your own family with ``register_policy(name, cls)``: the class subclasses ``Policy`` and
gives ``from_spec(arg)`` (for ``name:arg``), ``from_dict`` and ``replay(r)`` (how the simulator
replays it, from the combinators of ``Replay``). The built-ins register the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias

from modelbench._errors import ModelbenchError, PolicyError
from modelbench._suggest import did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from modelbench.routing._replay import Outcome, Replay

__all__ = [
    "Member",
    "Policy",
    "describe_member",
    "member_arms",
    "member_from_dict",
    "member_to_dict",
    "members_of",
    "policy_from_dict",
    "policy_names",
    "register_policy",
    "resolve_policy",
]


class Policy(ABC):
    """Base class of routing policies. Subclasses are frozen dataclasses (hashable)."""

    family: ClassVar[str] = ""
    exportable: ClassVar[bool] = True
    """False for reference policies that no gateway can run (``Oracle``)."""

    @property
    def learned(self) -> bool:
        """True when fitted on results: simulation then scores it by cross-validation."""
        return False

    @abstractmethod
    def describe(self) -> str:
        """Short, unique, human: ``Fallback(cheap -> strong)``."""

    @abstractmethod
    def members(self) -> tuple[str, ...]:
        """The arms it may call, in order of first use."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain data (``{"policy": family, ...}``) that ``policy_from_dict`` reads back."""

    @classmethod
    @abstractmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Read back ``to_dict()``."""

    @classmethod
    def from_spec(cls, arg: str | None) -> Policy:
        """Build from the text after ``family:`` on the command line."""
        raise PolicyError(f"policy {cls.family!r} cannot be written as a spec")

    def fit(self, results: pd.DataFrame) -> Policy:
        """The policy fitted on ``results`` (training rows under CV); itself when not learned."""
        return self

    @abstractmethod
    def replay(self, r: Replay) -> Outcome:
        """Replay over the recorded requests with ``r``'s combinators (see routing/_replay.py)."""

    def __str__(self) -> str:
        return self.describe()


Member: TypeAlias = "str | Policy"
"""What fallbacks, cascades and category maps route to: an arm name or a nested policy."""


def members_of(
    values: Iterable[Member] | str, what: str, *, at_least: int = 1
) -> tuple[Member, ...]:
    """Validate a sequence of members (a comma-separated string is split)."""
    if isinstance(values, str):
        values = [v.strip() for v in values.split(",") if v.strip()]
    out = tuple(values)
    for value in out:
        if not (isinstance(value, Policy) or (isinstance(value, str) and value.strip())):
            raise PolicyError(
                f"{what}: a member must be an arm name or a Policy, got {value!r}"
            )
    if len(out) < at_least:
        raise PolicyError(f"{what} needs at least {at_least} member(s), got {len(out)}")
    return out


def describe_member(member: Member) -> str:
    return member if isinstance(member, str) else member.describe()


def member_arms(members: Iterable[Member]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for member in members:
        for arm in (member,) if isinstance(member, str) else member.members():
            out[arm] = None
    return tuple(out)


def member_to_dict(member: Member) -> str | dict[str, Any]:
    return member if isinstance(member, str) else member.to_dict()


def member_from_dict(value: Any) -> Member:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return policy_from_dict(value)
    raise PolicyError(f"a policy member must be an arm name or a policy mapping, got {value!r}")


# --- the name registry ----------------------------------------------------------------------------

_POLICIES: dict[str, type[Policy]] = {}


def register_policy(name: str, cls: type[Policy], *, replace: bool = False) -> type[Policy]:
    """Make a policy family available as ``name[:arg]`` and in ``policy_from_dict``."""
    if not name or ":" in name or any(c.isspace() for c in name) or name != name.lower():
        raise PolicyError(f"invalid policy name {name!r}: lower case, no ':' or spaces")
    if not (isinstance(cls, type) and issubclass(cls, Policy)):
        raise PolicyError(
            f"register_policy({name!r}, ...) needs a Policy subclass, got {cls!r}"
        )
    if name in _POLICIES and not replace and _POLICIES[name] is not cls:
        raise PolicyError(f"a policy named {name!r} is already registered; pass replace=True")
    _POLICIES[name] = cls
    return cls


def policy_names() -> list[str]:
    return sorted(_POLICIES)


def _lookup(name: str) -> type[Policy]:
    _load_builtins()
    cls = _POLICIES.get(name)
    if cls is None:
        raise PolicyError(
            f"unknown policy {name!r}{did_you_mean(name, _POLICIES)}; "
            f"known: {', '.join(policy_names())}"
        )
    return cls


def resolve_policy(spec: str | Policy) -> Policy:
    """A policy from a CLI spec (``fallback:cheap,strong``, ``cheapest:0.8``), or as given."""
    if isinstance(spec, Policy):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise PolicyError(f"a policy spec must be text such as 'single:tiny', got {spec!r}")
    name, sep, arg = spec.strip().partition(":")
    cls = _lookup(name.strip().lower())
    try:
        return cls.from_spec(arg.strip() if sep else None)
    except ModelbenchError as exc:
        raise PolicyError(f"policy spec {spec!r}: {exc}") from None


def policy_from_dict(data: Mapping[str, Any]) -> Policy:
    """Read back ``policy.to_dict()`` (the exported config stores policies this way)."""
    name = data.get("policy") if isinstance(data, Mapping) else None
    if not isinstance(name, str):
        raise PolicyError(f"a policy mapping needs a 'policy' family name, got {data!r}")
    try:
        return _lookup(name).from_dict(data)
    except (TypeError, KeyError, ValueError) as exc:
        raise PolicyError(f"invalid {name!r} policy {dict(data)!r}: {exc}") from None


def _load_builtins() -> None:
    # Importing the package registers every built-in family (through register_policy).
    import modelbench.routing.policies  # noqa: F401
