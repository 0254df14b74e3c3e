"""Routes (``routes:`` of a config) compiled to LiteLLM's ``model_list`` + ``router_settings``.

One compiled form serves the in-process Router and the exported file. A route is laid out as
*levels*: level 1 is the model group named after the route, level k the group ``<route>~k``,
and ``router_settings.fallbacks`` sends a failed request from each level to the next::

    fallback  [a, b]            routed: a          routed~2: b        fallbacks routed -> routed~2
    weighted  {a: 3, b: 1}      routed: a (weight 3), b (weight 1)    simple-shuffle
    cheapest  arms [a, b]       routed: a, b with measured prices     routing_groups entry with
    fastest   arms [a, b]       routed: a, b                            cost-/latency-based-routing
    cascade   [a, b], check     like fallback; the check runs in modelbench only (see below)
    bycategory {x: a, y: b}     routed: a tagged x, b tagged y, default tagged 'default', with
                                model_info.enable_tag_filtering; the request's tag is its category

Key names checked against the installed litellm (1.108.7): ``router_settings.fallbacks`` and
``routing_groups`` (``RoutingGroup``: group_name, models, routing_strategy), ``litellm_params``
``weight``/``tags``/``input_cost_per_token``, ``model_info.enable_tag_filtering`` (a group's own
override of the router-wide switch) and ``model_info.litellm_routing_preferences.quality_tier``.

LiteLLM cannot run a cascade's acceptance check: its file sends errors down the levels and says
so in a comment; ``Registry.completion`` runs the check itself (``route_call.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelbench._errors import ConfigError
from modelbench.config.routes import PolicySpec, RouteConfig, split_arm
from modelbench.litellm_vocab import STRATEGIES

if TYPE_CHECKING:
    from modelbench.registry import Deployment, Registry

__all__ = ["DEFAULT_TAG", "CompiledRoute", "Entry", "compile_routes", "level_name"]

DEFAULT_TAG = "default"
"""LiteLLM's tag for deployments that serve requests whose tags match no other deployment."""

_STRATEGY = {name: STRATEGIES[name] for name in ("cheapest", "fastest")}  # LiteLLM's names


def level_name(route: str, level: int) -> str:
    """The model group of a route's level (1-based): ``routed``, ``routed~2``, ..."""
    return route if level == 1 else f"{route}~{level}"


@dataclass(frozen=True)
class Entry:
    """One deployment of one level of a route."""

    arm: str
    deployment: Deployment
    weight: float | None = None
    tags: tuple[str, ...] = ()
    price_per_token: float | None = None
    """Measured USD per token (cheapest), when the config gives no per-token price."""


@dataclass(frozen=True)
class Chain:
    """What one request of a category goes through: its levels (1-based) and acceptance check."""

    levels: tuple[int, ...]
    accept: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CompiledRoute:
    name: str
    config: RouteConfig
    levels: tuple[tuple[Entry, ...], ...]
    strategy: str | None = None
    tag_filtering: bool = False
    chains: Mapping[str, Chain] = field(default_factory=dict)
    """Category (``DEFAULT_TAG`` for the rest) -> its chain; one key when not by category."""
    notes: tuple[str, ...] = ()
    """What LiteLLM runs differently from modelbench, for comments in the exported file."""

    @property
    def groups(self) -> list[str]:
        return [level_name(self.name, k) for k in range(1, len(self.levels) + 1)]

    @property
    def checked(self) -> bool:
        """True when some request's answer must pass a check (a cascade): modelbench runs it."""
        return any(c.accept is not None for c in self.chains.values())

    def chain_for(self, category: str | None) -> tuple[Chain, list[str] | None]:
        """The chain of a request of ``category`` and the tags to send with it."""
        if not self.tag_filtering:
            return next(iter(self.chains.values())), None
        if category is not None and category in self.chains:
            return self.chains[category], [category]
        return self.chains[DEFAULT_TAG], [DEFAULT_TAG]

    def fallbacks(self) -> list[dict[str, list[str]]]:
        groups = self.groups
        return [{groups[0]: groups[1:]}] if len(groups) > 1 else []


def compile_routes(registry: Registry) -> dict[str, CompiledRoute]:
    routes = registry.config.routes
    return {name: _compile(name, route, registry) for name, route in routes.items()}


def _arm_deployments(arm: str, registry: Registry, route: str) -> list[Deployment]:
    model, backend = split_arm(arm)
    deps = list(registry.resolve(model))
    if backend is not None:
        deps = [d for d in deps if backend in (d.name, d.backend)]
    if not deps:  # the loader checks arms; this guards registries built another way
        raise ConfigError(f"route {route!r}: arm {arm!r} matches no deployment")
    return deps


Level = list[Entry]


def _levels(member: str | PolicySpec, registry: Registry, route: str) -> list[Level]:
    if isinstance(member, str):
        return [[Entry(member, d) for d in _arm_deployments(member, registry, route)]]
    kind = member.policy
    if kind == "single":
        assert member.arm is not None
        return _levels(member.arm, registry, route)
    if kind == "weighted":
        level: Level = []
        for arm, weight in (member.weights or {}).items():
            deps = _arm_deployments(arm, registry, route)
            level += [Entry(arm, d, weight=weight / len(deps)) for d in deps]
        return [level]
    if kind in ("fallback", "cascade"):
        return [lv for m in member.members or [] for lv in _levels(m, registry, route)]
    if kind in ("cheapest", "fastest"):
        return [
            [Entry(a, d) for a in member.candidates() for d in _arm_deployments(a, registry, route)]
        ]
    raise ConfigError(f"route {route!r}: a {kind} policy cannot be nested here")


def _compile(name: str, route: RouteConfig, registry: Registry) -> CompiledRoute:
    spec = route.spec()
    notes: list[str] = []
    if spec.policy != "bycategory":
        levels = _levels(spec, registry, name)
        if spec.policy == "cheapest":
            levels = [[_priced(e, route) for e in lv] for lv in levels]
        chain = Chain(tuple(range(1, len(levels) + 1)), _accept_of(spec))
        if chain.accept is not None:
            notes.append(_cascade_note(name, spec))
        return CompiledRoute(
            name=name,
            config=route,
            levels=tuple(tuple(lv) for lv in levels),
            strategy=_STRATEGY.get(spec.policy),
            chains={DEFAULT_TAG: chain},
            notes=tuple(notes),
        )
    per_category: dict[str, tuple[list[Level], Mapping[str, Any] | None]] = {}
    for category, member in (spec.mapping or {}).items():
        if category == DEFAULT_TAG:
            raise ConfigError(
                f"route {name!r}: category {category!r} is LiteLLM's tag for everything else; "
                "rename the category in the dataset and benchmark again"
            )
        tag = category or DEFAULT_TAG
        per_category[tag] = (_levels(member, registry, name), _accept_of(member))
    if DEFAULT_TAG not in per_category:
        assert spec.default is not None
        default = spec.default
        per_category[DEFAULT_TAG] = (_levels(default, registry, name), _accept_of(default))
    elif spec.default is not None and spec.default != (spec.mapping or {}).get(""):
        notes.append(
            f"route {name!r}: requests without a category and requests of a category not "
            "listed share LiteLLM's 'default' tag, so both go where requests without a "
            "category go; the policy sends the second kind to its default "
            f"({spec.default if isinstance(spec.default, str) else spec.default.policy})"
        )
    depth = max(len(lv) for lv, _ in per_category.values())
    levels = [
        [
            Entry(e.arm, e.deployment, weight=e.weight, tags=(tag,))
            for tag, (lvs, _) in per_category.items()
            if k < len(lvs)
            for e in lvs[k]
        ]
        for k in range(depth)
    ]
    chains = {
        tag: Chain(tuple(range(1, len(lvs) + 1)), accept)
        for tag, (lvs, accept) in per_category.items()
    }
    for tag, (_, accept) in per_category.items():
        if accept is not None:
            owner = (spec.mapping or {}).get(tag, spec.default)
            notes.append(_cascade_note(name, owner, category=tag))
    return CompiledRoute(
        name=name,
        config=route,
        levels=tuple(tuple(lv) for lv in levels),
        tag_filtering=True,
        chains=chains,
        notes=tuple(notes),
    )


def _accept_of(member: str | PolicySpec | None) -> Mapping[str, Any] | None:
    if isinstance(member, PolicySpec) and member.policy == "cascade":
        return member.accept
    return None


def _cascade_note(route: str, member: str | PolicySpec | None, category: str | None = None) -> str:
    accept = member.accept if isinstance(member, PolicySpec) else None
    check = ", ".join(f"{k}={v}" for k, v in (accept or {}).items())
    who = f"route {route!r}" + (f" (category {category!r})" if category else "")
    return (
        f"{who} is a cascade with the acceptance check {{{check}}}. LiteLLM cannot run that "
        "check: this file only moves to the next level on an error, never on a rejected "
        "answer. The check is kept in the modelbench format (modelbench export --format "
        "modelbench), where Registry.completion runs it."
    )


def _priced(entry: Entry, route: RouteConfig) -> Entry:
    """Cheapest: a measured per-token price where the config gives none per token."""
    pricing = entry.deployment.pricing
    if pricing.input_per_1m is not None or pricing.output_per_1m is not None:
        return entry
    figures = route.evidence.arms.get(entry.arm) if route.evidence else None
    if figures is None or not figures.cost_per_1k or not figures.tokens:
        return entry
    per_token = figures.cost_per_1k / 1000 / figures.tokens
    return Entry(entry.arm, entry.deployment, entry.weight, entry.tags, per_token)


def route_entries(
    compiled: CompiledRoute,
    base_entry: Any,
    *,
    resolve: bool,
    skip: frozenset[str] | set[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The route's ``model_list`` entries; ``base_entry(dep, resolve)`` gives a deployment's own."""
    out: list[dict[str, Any]] = []
    for k, level in enumerate(compiled.levels, start=1):
        group = level_name(compiled.name, k)
        for n, e in enumerate(level):
            if e.deployment.id in skip:
                continue
            item = base_entry(e.deployment, resolve=resolve)
            params = dict(item["litellm_params"])
            for key in ("weight", "order", "tags"):
                params.pop(key, None)
            if e.weight is not None:
                params["weight"] = e.weight
            if e.tags:
                params["tags"] = list(e.tags)
            if e.price_per_token is not None:
                params["input_cost_per_token"] = e.price_per_token
                params["output_cost_per_token"] = e.price_per_token
            info = dict(item["model_info"])
            info["id"] = f"{group}#{n}:{e.deployment.id}"
            info["modelbench_route"] = compiled.name
            info["modelbench_arm"] = e.arm
            if compiled.tag_filtering:  # this group only: other models ignore request tags
                info["enable_tag_filtering"] = True
            out.append({"model_name": group, "litellm_params": params, "model_info": info})
    return out


def route_router_settings(compiled: Sequence[CompiledRoute]) -> dict[str, Any]:
    """What the routes add to ``router_settings``: fallbacks, and a routing group per route that
    needs its own strategy (so the rest of the config keeps ``routing.strategy``)."""
    out: dict[str, Any] = {}
    fallbacks = [f for c in compiled for f in c.fallbacks()]
    if fallbacks:
        out["fallbacks"] = fallbacks
    groups = [
        {"group_name": f"{c.name}-{c.config.policy}", "models": c.groups, "routing_strategy": s}
        for c in compiled
        if (s := c.strategy)
    ]
    if groups:
        out["routing_groups"] = groups
    return out


def quality_tiers(compiled: Sequence[CompiledRoute]) -> dict[str, int]:
    """Model -> LiteLLM quality tier (1-4) from the quality measured for it as a whole-model arm.

    For LiteLLM's quality router (``model_info.litellm_routing_preferences.quality_tier``):
    tier k holds measured quality in ((k-1)/4, k/4].
    """
    tiers: dict[str, int] = {}
    for c in compiled:
        evidence = c.config.evidence
        for arm, figures in (evidence.arms if evidence else {}).items():
            model, backend = split_arm(arm)
            if backend is None and figures.quality is not None:
                tiers[model] = min(4, max(1, math.ceil(figures.quality * 4)))
    return tiers
