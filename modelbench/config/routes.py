"""``routes:``: model names served by a routing policy (written by hand or by export).

    routes:
      routed:                                   # the name clients call
        policy: cascade                         # single | fallback | weighted | cheapest |
        members: [cheap, strong]                #   fastest | cascade | bycategory
        accept: {check: json}                   # cascade: keep an answer that passes
        evidence: {run_id: ..., policy: {...}}  # why: the figures it was chosen on

The keys are those of ``Policy.to_dict()`` (modelbench.routing), so a route reads back as the
policy object; this module only validates them (the config layer imports no routing code).

An *arm* is a model of ``models:`` (``cheap``) or one of its backends (``cheap@openai/gpt-4o``).
Members may themselves be policies where a gateway can run that (see doc/routing.md).
Cross-references (arms, names) are checked in ``loader.py``, where line numbers are known.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator

from modelbench._errors import ModelbenchError

__all__ = [
    "POLICY_TYPES",
    "ArmFigures",
    "PolicySpec",
    "RouteConfig",
    "RouteEvidence",
    "route_problems",
    "split_arm",
]

POLICY_TYPES: tuple[str, ...] = (
    "single",
    "fallback",
    "weighted",
    "cheapest",
    "fastest",
    "cascade",
    "bycategory",
)
"""The families a gateway can run; the same names and keys as ``Policy.to_dict()``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PolicySpec(_Strict):
    """A routing policy over arms, in the form ``Policy.to_dict()`` writes."""

    policy: Literal[
        "single", "fallback", "weighted", "cheapest", "fastest", "cascade", "bycategory"
    ]
    arm: str | None = None
    """single: the one arm."""
    members: list[str | PolicySpec] | None = None
    """fallback / cascade: tried in order."""
    weights: dict[str, PositiveFloat] | None = None
    """weighted: arm -> relative share of traffic."""
    accept: dict[str, Any] | None = None
    """cascade: an answer is kept when it passes this check (``{check: json}``), else the next
    member is asked (see modelbench/checks.py)."""
    mapping: dict[str, str | PolicySpec] | None = None
    """bycategory: request category -> arm or policy."""
    default: str | PolicySpec | None = None
    """bycategory: for requests of no listed category."""
    learning: dict[str, Any] | None = None
    """bycategory: how it was learned (recorded, not used to route)."""
    arms: list[str] | None = None
    """cheapest / fastest: the arms chosen among (those that met ``min_quality``)."""
    chosen: str | None = None
    """cheapest / fastest: the arm the benchmark picked."""
    metric: Literal["p50", "p95", "p99"] | None = None
    """fastest: the latency percentile it was chosen on."""
    min_quality: float | None = Field(default=None, ge=0, le=1)
    """cheapest / fastest: the quality floor."""

    @model_validator(mode="after")
    def _fields_fit_type(self) -> PolicySpec:
        allowed, required = _POLICY_FIELDS[self.policy]
        given = {
            k
            for k in self.model_fields_set & set(PolicySpec.model_fields)
            if k != "policy" and getattr(self, k) is not None
        }
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(
                f"{', '.join(repr(e) for e in extra)} does not apply to a {self.policy} policy; "
                f"it takes: {', '.join(sorted(allowed))}"
            )
        missing = sorted(required - given)
        if missing:
            raise ValueError(f"a {self.policy} policy needs {' and '.join(map(repr, missing))}")
        if self.policy in ("fallback", "cascade") and len(self.members or []) < 2:
            raise ValueError(f"a {self.policy} policy needs at least two members, in order")
        if self.weights is not None and not self.weights:
            raise ValueError("a weighted policy needs at least one arm under 'weights'")
        if self.policy in ("cheapest", "fastest") and not (self.arms or self.chosen):
            raise ValueError(f"a {self.policy} policy needs 'arms' to choose among (or 'chosen')")
        if self.accept is not None:
            from modelbench.checks import check_from_dict

            try:
                check_from_dict(self.accept)
            except ModelbenchError as exc:
                raise ValueError(str(exc)) from None
        return self

    def candidates(self) -> list[str]:
        """cheapest / fastest: the arms routed among."""
        return list(self.arms or ([self.chosen] if self.chosen else []))

    def children(self) -> list[str | PolicySpec]:
        """Direct members: arms and nested policies."""
        items: list[str | PolicySpec] = []
        if self.arm is not None:
            items.append(self.arm)
        items += list(self.members or [])
        items += list(self.weights or {})
        items += list((self.mapping or {}).values())
        if self.default is not None:
            items.append(self.default)
        if self.policy in ("cheapest", "fastest"):
            items += self.candidates()
        return items

    def all_arms(self) -> list[str]:
        """Every arm this policy may call, in first-use order."""
        found: dict[str, None] = {}
        for item in self.children():
            found.update(dict.fromkeys([item] if isinstance(item, str) else item.all_arms()))
        return list(found)


_POLICY_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "single": ({"arm"}, {"arm"}),
    "fallback": ({"members"}, {"members"}),
    "weighted": ({"weights"}, {"weights"}),
    "cheapest": ({"arms", "chosen", "min_quality"}, set()),
    "fastest": ({"arms", "chosen", "metric", "min_quality"}, set()),
    "cascade": ({"members", "accept"}, {"members", "accept"}),
    "bycategory": ({"mapping", "default", "learning"}, {"mapping", "default"}),
}


class ArmFigures(_Strict):
    """What the benchmark measured for an arm, or simulated for the policy, over the results."""

    quality: float | None = None
    quality_ci: tuple[float, float] | None = None
    cost_per_1k: float | None = None
    """USD per 1,000 requests."""
    p95_s: float | None = None
    error_rate: float | None = None
    share: float | None = None
    """The policy's share of traffic sent to this arm."""
    tokens: float | None = None
    """Mean input + output tokens per request (turns a measured cost into a per-token price)."""


class RouteEvidence(_Strict):
    """Why this policy: the benchmark it was chosen on and the figures it was chosen by."""

    results: str | None = None
    run_id: str | None = None
    date: str | None = None
    objective: str | None = None
    constraints: dict[str, float] = Field(default_factory=dict)
    chosen: str | None = None
    """The policy as ``describe()`` prints it."""
    met: bool | None = None
    reason: str | None = None
    policy: ArmFigures | None = None
    arms: dict[str, ArmFigures] = Field(default_factory=dict)


class RouteConfig(PolicySpec):
    """A model name clients call, served by a policy over the models of the config."""

    description: str | None = None
    evidence: RouteEvidence | None = None

    def spec(self) -> PolicySpec:
        """The policy alone (without description and evidence)."""
        return PolicySpec.model_validate(
            self.model_dump(exclude={"description", "evidence"}, exclude_none=True)
        )


# --- cross references: which arms exist, which nestings a gateway can run --------------------

Path_ = tuple[str | int, ...]

# Where each family may appear: cheapest/fastest pick a router-wide strategy and by_category
# routes on the request's tag, so both sit at the top; a cascade may also serve one category.
_NESTABLE: dict[str, set[str]] = {
    "top": set(POLICY_TYPES),
    "fallback": {"single", "weighted", "fallback"},
    "cascade": {"single", "weighted", "fallback"},
    "bycategory": {"single", "weighted", "fallback", "cascade"},
}


def split_arm(arm: str) -> tuple[str, str | None]:
    """``"cheap@openai/gpt-4o"`` -> ("cheap", "openai/gpt-4o"); ``"cheap"`` -> ("cheap", None)."""
    model, sep, backend = arm.partition("@")
    return model, (backend if sep else None)


def route_problems(
    routes: Mapping[str, RouteConfig],
    models: Mapping[str, Sequence[str]],
    aliases: Mapping[str, str],
) -> Iterator[tuple[str, Path_]]:
    """(message, path) for every route that names an unknown arm or nests what cannot run.

    ``models``: model -> its deployments' names (``<backend>/<model id>``) and backend names.
    """
    for name, route in routes.items():
        base: Path_ = ("routes", name)
        if name in models or name in aliases:
            what = "a model" if name in models else f"an alias of model {aliases[name]!r}"
            yield (f"route {name!r}: the name is already {what}; rename the route", base)
        yield from _policy_problems(name, route, base, "top", models, aliases)


def _policy_problems(
    route: str,
    spec: PolicySpec,
    path: Path_,
    parent: str,
    models: Mapping[str, Sequence[str]],
    aliases: Mapping[str, str],
) -> Iterator[tuple[str, Path_]]:
    if spec.policy not in _NESTABLE[parent]:
        where = "at the top of a route" if parent == "top" else f"inside a {parent} policy"
        yield (
            f"route {route!r}: a {spec.policy} policy cannot run {where}; "
            f"inside a {parent} use an arm or one of: {', '.join(sorted(_NESTABLE[parent]))}",
            path,
        )
        return
    if spec.policy == "bycategory" and "default" in (spec.mapping or {}):
        yield (
            f"route {route!r}: category 'default' is LiteLLM's tag for everything else; "
            "rename the category in the dataset and benchmark again",
            (*path, "mapping", "default"),
        )
    inner = spec.policy if spec.policy in _NESTABLE else "fallback"
    children: list[tuple[str | PolicySpec, Path_]] = []
    if spec.arm is not None:
        children.append((spec.arm, (*path, "arm")))
    children += [(m, (*path, "members", i)) for i, m in enumerate(spec.members or [])]
    children += [(a, (*path, "weights", a)) for a in spec.weights or {}]
    children += [(v, (*path, "mapping", c)) for c, v in (spec.mapping or {}).items()]
    if spec.default is not None:
        children.append((spec.default, (*path, "default")))
    if spec.policy in ("cheapest", "fastest"):
        children += [(a, (*path, "arms", i)) for i, a in enumerate(spec.arms or [])]
        if spec.chosen is not None:
            children.append((spec.chosen, (*path, "chosen")))
    for child, at in children:
        if isinstance(child, str):
            problem = _arm_problem(child, models, aliases)
            if problem:
                yield (f"route {route!r}: {problem}", at)
        else:
            yield from _policy_problems(route, child, at, inner, models, aliases)
    accept = spec.accept or {}
    judge = accept.get("model") if accept.get("check") == "judge" else None
    if isinstance(judge, str):
        problem = _arm_problem(judge, models, aliases)
        if problem:
            yield (f"route {route!r}: the judge's {problem}", (*path, "accept", "model"))


def _arm_problem(
    arm: str, models: Mapping[str, Sequence[str]], aliases: Mapping[str, str]
) -> str | None:
    from modelbench._suggest import did_you_mean

    model, backend = split_arm(arm)
    name = aliases.get(model, model)
    if name not in models:
        return f"unknown model {model!r}{did_you_mean(model, [*models, *aliases])}"
    if backend is not None and backend not in models[name]:
        return (
            f"model {name!r} has no backend {backend!r}"
            f"{did_you_mean(backend, models[name])}; its backends: {', '.join(models[name])}"
        )
    return None
