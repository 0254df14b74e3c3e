"""The registry in LiteLLM's words: ``litellm_params``, ``model_info``, ``router_settings``.

The same form drives the in-process ``litellm.Router`` and the file LiteLLM Proxy serves
(``litellm_form.to_litellm_config``). Key names come from ``litellm_vocab``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from modelbench.config.env import EnvValue
from modelbench.litellm_vocab import (
    CAPABILITY_FLAGS,
    CONNECTION_KEYS,
    DEPLOYMENT_TERMS,
    LIMIT_TERMS,
    ROUTER_ONLY_KEYS,
    ROUTER_TERMS,
    STRATEGIES,
    export_terms,
)
from modelbench.providers import (
    LOCAL_API_BASE_ENV,
    LOCAL_API_KEY,
    LOCAL_PROVIDER,
    SIM_API_BASE_ENV,
    SIM_API_KEY,
    SIM_PROVIDER,
)

if TYPE_CHECKING:
    from modelbench.registry.core import Registry
    from modelbench.registry.records import Deployment, ModelSpec

__all__ = [
    "call_kwargs",
    "deployment_entry",
    "deployment_params",
    "model_info",
    "model_list",
    "router_settings",
]


def deployment_params(dep: Deployment, *, resolve: bool) -> dict[str, Any]:
    """``litellm_params`` of one deployment (see ``Deployment.litellm_params``)."""
    out: dict[str, Any] = {"model": dep.litellm_model}
    for key in CONNECTION_KEYS:
        env: EnvValue | None = getattr(dep, key)
        if env is None:
            continue
        where = f"backend {dep.backend!r} {key}"
        out[key] = env.resolve(where=where) if resolve else env.to_litellm(where=where)
    if dep.provider == LOCAL_PROVIDER:
        if "api_base" not in out:
            out["api_base"] = _local_api_base() if resolve else f"os.environ/{LOCAL_API_BASE_ENV}"
        out.setdefault("api_key", LOCAL_API_KEY)
    elif dep.provider == SIM_PROVIDER:
        if "api_base" not in out:
            out["api_base"] = (
                _sim_api_base(dep.profile) if resolve else f"os.environ/{SIM_API_BASE_ENV}"
            )
        out.setdefault("api_key", SIM_API_KEY)
    out.update(export_terms(LIMIT_TERMS, dep))
    out.update(export_terms(DEPLOYMENT_TERMS, dep))
    if dep.tags:
        out["tags"] = list(dep.tags)
    out.update(dep.pricing.litellm_params())
    out.update(dep.params)
    return out


def call_kwargs(dep: Deployment) -> dict[str, Any]:
    """Keyword arguments for calling a deployment directly with litellm (no Router)."""
    params = deployment_params(dep, resolve=True)
    for key in ROUTER_ONLY_KEYS:
        params.pop(key, None)
    return params


def _sim_api_base(profile: str | None) -> str:
    from modelbench.servers.fake.shared import ensure_sim_server

    return ensure_sim_server(profile)


def _local_api_base() -> str:
    if os.environ.get(LOCAL_API_BASE_ENV):
        return os.environ[LOCAL_API_BASE_ENV]
    from modelbench.servers.local import ensure_local_server

    return ensure_local_server()


def model_info(spec: ModelSpec, dep: Deployment) -> dict[str, Any]:
    """``model_info`` of one model_list entry: our id, mode, capabilities and token limits."""
    # LiteLLM Proxy health-checks a deployment by its mode: an embedding model is not a chat one.
    embedding = "embedding" in spec.capabilities and "chat" not in spec.capabilities
    mode = "embedding" if embedding else dep.mode
    info: dict[str, Any] = {"id": dep.id, "mode": mode, "backend": dep.backend}
    if dep.profile is not None:  # `modelbench proxy` starts the fake provider with it
        info["sim_profile"] = dep.profile
    if spec.description:
        info["description"] = spec.description
    if spec.capabilities:
        info["capabilities"] = sorted(spec.capabilities)
        for term in CAPABILITY_FLAGS:
            if term.ours in spec.capabilities:
                info[term.litellm] = True
    if spec.context_window is not None:
        info["max_input_tokens"] = spec.context_window
    if spec.max_tokens is not None:
        info["max_output_tokens"] = spec.max_tokens
    return info


def router_settings(registry: Registry) -> dict[str, Any]:
    """``router_settings`` (also the keyword arguments of ``litellm.Router``)."""
    routing = registry.config.routing
    out: dict[str, Any] = {"routing_strategy": STRATEGIES[routing.strategy]}
    for term in ROUTER_TERMS:
        value = getattr(routing, term.ours)
        if value is None:
            continue
        # retries is always written, 0 too: left out, LiteLLM would retry twice (its default)
        out[term.litellm] = value
    for key in ("fallbacks", "context_window_fallbacks"):
        table: dict[str, list[str]] = getattr(routing, key)
        if table:
            out[key] = [
                {registry.canonical(m): [registry.canonical(t) for t in targets]}
                for m, targets in table.items()
            ]
    if registry.aliases:
        out["model_group_alias"] = dict(registry.aliases)
    if registry.routes:
        from modelbench.route_form import route_router_settings

        extra = route_router_settings(list(registry.routes.values()))
        out["fallbacks"] = out.get("fallbacks", []) + extra.pop("fallbacks", [])
        if not out["fallbacks"]:
            del out["fallbacks"]
        out.update(extra)
    return out


def deployment_entry(registry: Registry, dep: Deployment, *, resolve: bool) -> dict[str, Any]:
    """One ``model_list`` entry: a deployment under its model's name."""
    return {
        "model_name": dep.model,
        "litellm_params": deployment_params(dep, resolve=resolve),
        "model_info": model_info(registry.models[dep.model], dep),
    }


def model_list(
    registry: Registry, *, resolve: bool, skip: frozenset[str] | set[str] = frozenset()
) -> list[dict[str, Any]]:
    """LiteLLM's ``model_list``; ``resolve=True`` reads secrets now (for in-process calls).

    Routes add their groups (see route_form.py). ``skip``: deployment ids to leave out.
    """
    out = [
        deployment_entry(registry, dep, resolve=resolve)
        for spec in registry.models.values()
        for dep in spec.deployments
        if dep.id not in skip
    ]
    if registry.routes:
        from modelbench.route_form import quality_tiers, route_entries

        tiers = quality_tiers(list(registry.routes.values()))
        for item in out:
            if item["model_name"] in tiers:
                item["model_info"]["litellm_routing_preferences"] = {
                    "quality_tier": tiers[item["model_name"]]
                }
        for route in registry.routes.values():
            out += route_entries(route, registry.deployment_entry, resolve=resolve, skip=skip)
    return out
