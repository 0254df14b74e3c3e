"""What a scorer is, the name registry, and ``resolve_scorer``: the one place specs resolve.

A scorer spec is ``None``, a registered name with an optional argument after the first colon
(``"exact"``, ``"numeric:0.01"``, ``"regex:^\\d+$"``, ``"judge:smart"``), a function
``(output, item) -> float | bool``, or a ``Scorer`` instance.
"""

from __future__ import annotations

import asyncio
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload

from modelbench._errors import ScorerError
from modelbench._suggest import did_you_mean
from modelbench.bench.record import DatasetItem

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = [
    "CallableScorer",
    "RuleScorer",
    "Score",
    "ScoreFunction",
    "Scorer",
    "ScorerFactory",
    "ScorerSpec",
    "expected_candidates",
    "register_scorer",
    "resolve_scorer",
    "scorer_names",
]

NAN = math.nan


@dataclass(frozen=True)
class Score:
    """One scorer verdict: ``value`` in [0, 1] (NaN = not scored) and what scoring cost.

    ``reason`` says why a value is NaN (or anything else worth knowing); the runner may drop it.
    """

    value: float
    cost_usd: float = 0.0
    reason: str = ""


class Scorer(ABC):
    """Base class: ``await scorer.ascore(output, item)`` -> ``Score``; never raises for bad data."""

    name: str = ""

    @abstractmethod
    async def ascore(self, output: str, item: DatasetItem) -> Score:
        """Score one model output against its dataset item."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class RuleScorer(Scorer):
    """A scorer that needs no I/O: implement ``score``; ``ascore`` calls it."""

    @abstractmethod
    def score(self, output: str, item: DatasetItem) -> Score:
        """Score synchronously (handy in a notebook)."""

    async def ascore(self, output: str, item: DatasetItem) -> Score:
        return self.score(output, item)


ScoreResult = float | bool | Score | None
ScoreFunction = Callable[[str, DatasetItem], ScoreResult | Awaitable[ScoreResult]]
"""A user's scoring function ``(output, item) -> float | bool``, sync or async.

A ``Score`` (to report a cost) or None (not scored) work too."""


class CallableScorer(Scorer):
    """Wraps a function ``(output, item) -> float | bool``; True/False become 1.0/0.0.

    Sync and async functions both work. None becomes NaN. An exception inside the function
    becomes a NaN score whose ``reason`` names it, so one bad row never stops a run.
    """

    def __init__(self, fn: ScoreFunction, name: str | None = None) -> None:
        if not callable(fn):
            raise ScorerError(f"a scorer function must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "") or "callable"
        if self.name == "<lambda>":
            self.name = "lambda"

    async def ascore(self, output: str, item: DatasetItem) -> Score:
        try:
            result: Any = self.fn(output, item)
            if asyncio.iscoroutine(result):
                result = await result
            return _as_score(result)
        except Exception as exc:  # the user's code: report, don't stop the run
            return Score(NAN, reason=f"scorer {self.name!r} raised {type(exc).__name__}: {exc}")


def _as_score(result: Any) -> Score:
    if isinstance(result, Score):
        return result
    if result is None:
        return Score(NAN, reason="scorer returned None")
    if isinstance(result, bool | numbers.Real):
        return Score(float(result))
    raise TypeError(f"expected a float, bool or Score, got {type(result).__name__}")


class ScorerFactory(Protocol):
    """Builds a scorer from the text after the colon (None when absent) and the registry."""

    def __call__(self, arg: str | None, registry: Registry | None, /) -> Scorer: ...


ScorerSpec = str | ScoreFunction | Scorer | None
"""What ``resolve_scorer`` accepts."""

_FACTORIES: dict[str, ScorerFactory] = {}
_ORIGINS: dict[str, str] = {}

T = TypeVar("T", bound="ScorerFactory | Scorer")


@overload
def register_scorer(
    name: str, factory: None = None, *, replace: bool = False
) -> Callable[[T], T]: ...
@overload
def register_scorer(name: str, factory: T, *, replace: bool = False) -> T: ...
def register_scorer(
    name: str, factory: ScorerFactory | Scorer | None = None, *, replace: bool = False
) -> Any:
    """Make a scorer available by name, as ``name`` or ``name:<arg>``.

    ``factory(arg, registry) -> Scorer`` receives the text after the first colon (or None) and
    the registry passed to ``resolve_scorer``. A ``Scorer`` instance registers a scorer that
    takes no argument. Works as a call or a decorator::

        register_scorer("short", CallableScorer(lambda out, item: len(out) < 200))

        @register_scorer("maxlen")
        def _maxlen(arg, registry):
            limit = int(arg or 200)
            return CallableScorer(lambda out, item: len(out) <= limit, name=f"maxlen:{limit}")

    A name already taken raises unless ``replace=True`` or the same definition registers it
    again (re-running a notebook cell).
    """
    if not name or ":" in name or name != name.strip() or any(c.isspace() for c in name):
        raise ScorerError(
            f"invalid scorer name {name!r}: use letters, digits, '_' or '-', without ':' or spaces"
        )

    def add(obj: Any) -> Any:
        built = _factory_of(name, obj)
        origin = _origin(obj)
        if name in _FACTORIES and not replace and _ORIGINS.get(name) != origin:
            raise ScorerError(
                f"a scorer named {name!r} is already registered; "
                "choose another name or pass replace=True"
            )
        _FACTORIES[name] = built
        _ORIGINS[name] = origin
        return obj

    return add if factory is None else add(factory)


def _factory_of(name: str, obj: Any) -> ScorerFactory:
    if isinstance(obj, Scorer):
        instance = obj

        def fixed(arg: str | None, registry: Registry | None) -> Scorer:
            if arg is not None:
                raise ScorerError(f"scorer {name!r} takes no argument, got {name}:{arg}")
            return instance

        return fixed
    if isinstance(obj, type) or not callable(obj):
        raise ScorerError(
            f"register_scorer({name!r}, ...) needs a factory (arg, registry) -> Scorer "
            f"or a Scorer instance, got {obj!r}"
        )
    return obj


def _origin(obj: Any) -> str:
    """Where a definition comes from, so re-running the same notebook cell is not a clash."""
    target = obj.fn if isinstance(obj, CallableScorer) else obj
    if isinstance(target, Scorer):
        target = type(target)
    module = getattr(target, "__module__", "?")
    return f"{module}.{getattr(target, '__qualname__', repr(target))}"


def scorer_names() -> list[str]:
    """Every registered scorer name, sorted."""
    return sorted(_FACTORIES)


def resolve_scorer(spec: ScorerSpec, registry: Registry | None = None) -> Scorer | None:
    """The scorer a spec names: None, ``"name"``, ``"name:arg"``, a function, or a Scorer.

    Raises ``ScorerError`` (with "did you mean") for an unknown name or a bad argument,
    before any row is scored.
    """
    if spec is None:
        return None
    if isinstance(spec, Scorer):
        return spec
    if isinstance(spec, str):
        return _from_name(spec, registry)
    if isinstance(spec, type):
        raise ScorerError(
            f"scorer {spec.__name__} is a class: pass an instance, e.g. {spec.__name__}()"
        )
    if callable(spec):
        return CallableScorer(spec)
    raise ScorerError(
        f"a scorer must be a name, a function (output, item) -> float, or a Scorer; "
        f"got {type(spec).__name__}"
    )


def _from_name(spec: str, registry: Registry | None) -> Scorer:
    name, sep, arg = spec.strip().partition(":")
    factory = _FACTORIES.get(name)
    if factory is None:
        raise ScorerError(
            f"unknown scorer {name!r}{did_you_mean(name, _FACTORIES)}; "
            f"known scorers: {', '.join(scorer_names())}"
        )
    scorer = factory(arg if sep else None, registry)
    if not isinstance(scorer, Scorer):
        raise ScorerError(
            f"the factory registered as {name!r} returned {type(scorer).__name__}, not a Scorer"
        )
    if not scorer.name:
        scorer.name = spec.strip()
    return scorer


# --- expected answers ---------------------------------------------------------------------------


def expected_candidates(expected: Any) -> list[Any] | None:
    """Acceptable answers: a list gives several (any may match); None, NaN or [] gives None."""
    if expected is None:
        return None
    if isinstance(expected, float) and math.isnan(expected):
        return None  # a missing value read back through pandas
    if isinstance(expected, list | tuple):
        values = [e for e in expected if expected_candidates(e) is not None]
        return values or None
    return [expected]
