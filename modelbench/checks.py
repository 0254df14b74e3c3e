"""Acceptance checks: does an answer look good enough to keep, without an expected answer?

A cascade tries a cheap model first and escalates when its answer fails a check. The registry
runs checks live; routing replays them on recorded outputs. Both use these objects::

    Regex(r"^\\d+$")("42")            # True
    ValidJSON()('{"a": 1}')           # True
    Length(min_chars=5)("hi")         # False
    resolve_check("length:5,200")     # Length(min_chars=5, max_chars=200)
    check_from_dict(Regex("x").to_dict()) == Regex("x")

``Judge(model)`` asks an LLM for a verdict: it needs a Registry (``judge.verdict(output,
registry)``), so it runs live only; calling it bare raises a clear error. Register your own
check class with ``register_check(name, cls)``: ``cls.from_spec(arg)`` parses ``name:arg``,
``cls.from_dict(d)`` reads ``to_dict()``. The built-ins register the same way.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast, runtime_checkable

from modelbench._errors import PolicyError
from modelbench._suggest import did_you_mean

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = [
    "Check",
    "Judge",
    "Length",
    "NonEmpty",
    "Regex",
    "ValidJSON",
    "check_from_dict",
    "check_names",
    "register_check",
    "resolve_check",
]


@runtime_checkable
class Check(Protocol):
    """``check(output) -> bool``: True keeps the answer, False escalates."""

    def __call__(self, output: str) -> bool: ...

    def describe(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class _Base:
    """Shared plumbing: the registered name, ``to_dict`` from the dataclass fields."""

    kind: ClassVar[str] = ""
    needs_registry: ClassVar[bool] = False
    """True when a verdict needs live model calls (offline simulation cannot replay it)."""

    def to_dict(self) -> dict[str, Any]:
        names = [f.name for f in dataclasses.fields(cast(Any, self))]
        return {"check": self.kind, **{name: getattr(self, name) for name in names}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        return cls(**{k: v for k, v in data.items() if k != "check"})

    @classmethod
    def from_spec(cls, arg: str | None) -> Any:
        if arg:
            raise PolicyError(f"check {cls.kind!r} takes no argument, got {cls.kind}:{arg}")
        return cls()


@dataclass(frozen=True)
class Regex(_Base):
    """The answer contains a match of ``pattern`` (``re.search``; anchor it for a full match)."""

    pattern: str
    kind: ClassVar[str] = "regex"

    def __post_init__(self) -> None:
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise PolicyError(f"invalid regex {self.pattern!r} in a check: {exc}") from None

    def __call__(self, output: str) -> bool:
        return _compiled(self.pattern).search(output) is not None

    def describe(self) -> str:
        return f"regex:{self.pattern}"

    @classmethod
    def from_spec(cls, arg: str | None) -> Regex:
        if not arg:
            raise PolicyError("check 'regex' needs a pattern, e.g. regex:^\\d+$")
        return cls(arg)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _PATTERNS.get(pattern)
    if found is None:
        found = _PATTERNS[pattern] = re.compile(pattern)
    return found


@dataclass(frozen=True)
class ValidJSON(_Base):
    """The answer is JSON (surrounding whitespace and a ```json fence are allowed)."""

    kind: ClassVar[str] = "json"

    def __call__(self, output: str) -> bool:
        text = output.strip()
        if text.startswith("```"):
            text = text.strip("`").removeprefix("json").strip()
        if not text:
            return False
        try:
            json.loads(text)
        except ValueError:
            return False
        return True

    def describe(self) -> str:
        return "json"


@dataclass(frozen=True)
class Length(_Base):
    """``min_chars <= len(answer.strip()) <= max_chars`` (no upper bound when None)."""

    min_chars: int = 0
    max_chars: int | None = None
    kind: ClassVar[str] = "length"

    def __post_init__(self) -> None:
        if self.min_chars < 0 or (self.max_chars is not None and self.max_chars < self.min_chars):
            raise PolicyError(
                f"invalid length check min_chars={self.min_chars}, max_chars={self.max_chars}: "
                "need 0 <= min_chars <= max_chars"
            )

    def __call__(self, output: str) -> bool:
        n = len(output.strip())
        return n >= self.min_chars and (self.max_chars is None or n <= self.max_chars)

    def describe(self) -> str:
        return f"length:{self.min_chars},{'' if self.max_chars is None else self.max_chars}"

    @classmethod
    def from_spec(cls, arg: str | None) -> Length:
        low, _, high = (arg or "").partition(",")
        try:
            return cls(int(low or 0), int(high) if high.strip() else None)
        except ValueError:
            raise PolicyError(
                f"invalid length check {arg!r}: use length:MIN or length:MIN,MAX (characters)"
            ) from None


@dataclass(frozen=True)
class NonEmpty(_Base):
    """The answer has a non-whitespace character."""

    kind: ClassVar[str] = "nonempty"

    def __call__(self, output: str) -> bool:
        return bool(output.strip())

    def describe(self) -> str:
        return "nonempty"


JUDGE_PROMPT = (
    "Is the following answer a complete, correct and useful reply to the user's request? "
    "Reply with one word, YES or NO.\n\nAnswer:\n{output}"
)


@dataclass(frozen=True)
class Judge(_Base):
    """An LLM's YES/NO verdict on the answer, from ``model`` in a Registry (live only)."""

    model: str
    prompt: str = JUDGE_PROMPT
    kind: ClassVar[str] = "judge"
    needs_registry: ClassVar[bool] = True

    def __call__(self, output: str) -> bool:
        raise PolicyError(
            f"the judge check {self.describe()} needs a registry to call {self.model!r}: "
            "use judge.verdict(output, registry); offline simulation cannot replay it, "
            "use a rule check (regex, json, length, nonempty) there"
        )

    def verdict(self, output: str, registry: Registry) -> bool:
        """Ask ``model`` through ``registry``; True when its reply starts with YES."""
        response = registry.completion(
            self.model, messages=[{"role": "user", "content": self.prompt.format(output=output)}]
        )
        text = str(response.choices[0].message.content or "")
        return text.strip().upper().startswith("YES")

    def describe(self) -> str:
        return f"judge:{self.model}"

    @classmethod
    def from_spec(cls, arg: str | None) -> Judge:
        if not arg:
            raise PolicyError("check 'judge' needs a model name, e.g. judge:smart")
        return cls(arg)


# --- the name registry ----------------------------------------------------------------------------

_CHECKS: dict[str, Any] = {}


def register_check(name: str, cls: Any, *, replace: bool = False) -> Any:
    """Make a check class available as ``name`` / ``name:arg`` and in ``check_from_dict``.

    ``cls.from_spec(arg)`` builds it from the text after the colon (None when absent) and
    ``cls.from_dict(d)`` from its ``to_dict()``; instances must follow the ``Check`` protocol.
    """
    if not name or ":" in name or any(c.isspace() for c in name):
        raise PolicyError(f"invalid check name {name!r}: no ':' or spaces")
    for method in ("from_spec", "from_dict"):
        if not callable(getattr(cls, method, None)):
            raise PolicyError(f"register_check({name!r}, ...): the class needs {method}()")
    if name in _CHECKS and not replace and _CHECKS[name] is not cls:
        raise PolicyError(f"a check named {name!r} is already registered; pass replace=True")
    _CHECKS[name] = cls
    return cls


def check_names() -> list[str]:
    return sorted(_CHECKS)


def _lookup(name: str) -> Any:
    cls = _CHECKS.get(name)
    if cls is None:
        raise PolicyError(
            f"unknown check {name!r}{did_you_mean(name, _CHECKS)}; "
            f"known: {', '.join(check_names())}"
        )
    return cls


def resolve_check(spec: str | Check | Callable[[str], bool]) -> Check:
    """A check from ``name[:arg]`` (``json``, ``regex:^\\d+$``, ``length:5,200``), or as given."""
    if isinstance(spec, str):
        name, sep, arg = spec.strip().partition(":")
        check: Check = _lookup(name).from_spec(arg if sep else None)
        return check
    if isinstance(spec, Check):
        return spec
    raise PolicyError(
        f"a check must be a name such as 'json' or a Check object, got {type(spec).__name__}"
    )


def check_from_dict(data: Mapping[str, Any]) -> Check:
    """Read back ``check.to_dict()``."""
    name = data.get("check")
    if not isinstance(name, str):
        raise PolicyError(f"a check needs a 'check' name, got {dict(data)!r}")
    try:
        check: Check = _lookup(name).from_dict(data)
    except TypeError as exc:
        raise PolicyError(f"invalid {name!r} check {dict(data)!r}: {exc}") from None
    return check


for _cls in (Regex, ValidJSON, Length, NonEmpty, Judge):
    register_check(_cls.kind, _cls)
