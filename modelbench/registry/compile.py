"""The compile step: a validated ``Config`` -> ``ModelSpec``s with their ``Deployment``s.

Layers merge field by field, most specific first: a deployment's own setting, then the model's,
then the backend's (prices, rate limits, params, timeout).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from modelbench.config.env import env_value
from modelbench.config.schema import (
    BackendConfig,
    Config,
    DeploymentConfig,
    ModelConfig,
    PricingConfig,
    RateLimits,
    split_ref,
)
from modelbench.registry.records import Deployment, Mode, ModelSpec, Pricing, mode_of

__all__ = ["compile_models", "merge_pricing"]


def compile_models(cfg: Config, *, base_dir: Path = Path()) -> dict[str, ModelSpec]:
    """Every model of the config, in config order, with its deployments.

    ``base_dir``: the config file's folder, which relative paths (a sim profile) start from.
    """
    specs: dict[str, ModelSpec] = {}
    strategy = cfg.routing.strategy
    for name, entry in cfg.model_items():
        mode = mode_of(entry.capabilities)
        dep_cfgs = entry.deployment_configs()
        deps = []
        for position, dep_cfg in enumerate(dep_cfgs, start=1):
            dep = _compile_deployment(name, entry, dep_cfg, cfg.backends, mode, base_dir)
            if strategy == "fallback" and dep.order is None and len(dep_cfgs) > 1:
                # The fallback strategy tries backends in the order they are listed.
                dep = replace(dep, order=position)
            deps.append(dep)
        specs[name] = ModelSpec(
            name=name,
            deployments=tuple(deps),
            description=entry.description,
            capabilities=frozenset(entry.capabilities),
            aliases=tuple(entry.aliases),
            max_tokens=entry.max_tokens,
            context_window=entry.context_window,
        )
    return specs


def merge_pricing(*layers: PricingConfig | None) -> Pricing:
    """Field by field, the first layer that sets a price wins."""
    present = [layer for layer in layers if layer is not None]
    first = _first_set(present, ("input_per_1m", "output_per_1m"))
    per_second = next((p for p in map(_per_second, present) if p is not None), None)
    return Pricing(per_second=per_second, **first)


def _compile_deployment(
    model: str,
    entry: ModelConfig,
    dep: DeploymentConfig,
    backends: Mapping[str, BackendConfig],
    mode: Mode,
    base_dir: Path = Path(),
) -> Deployment:
    head, tail = split_ref(dep.backend)
    backend_cfg = backends.get(head)
    if tail is None:  # bare name: litellm infers the provider
        backend_name, provider, model_id = head, "", head
    else:
        backend_name, model_id = head, tail
        provider = backend_cfg.provider if backend_cfg else head
    limits = _merge_limits(dep.rate_limits, backend_cfg.rate_limits if backend_cfg else None)
    params: dict[str, Any] = {}
    if backend_cfg:
        params.update(backend_cfg.params)
    params.update(entry.params)
    params.update(dep.params)
    return Deployment(
        model=model,
        backend=backend_name,
        provider=provider,
        model_id=model_id,
        mode=mode,
        api_base=env_value(backend_cfg.api_base) if backend_cfg else None,
        api_key=env_value(backend_cfg.api_key, secret=True) if backend_cfg else None,
        api_version=env_value(backend_cfg.api_version) if backend_cfg else None,
        params=MappingProxyType(params),
        pricing=merge_pricing(
            dep.pricing, entry.pricing, backend_cfg.pricing if backend_cfg else None
        ),
        rpm=limits.rpm,
        tpm=limits.tpm,
        max_parallel=limits.max_parallel,
        timeout=dep.timeout or (backend_cfg.timeout if backend_cfg else None),
        weight=dep.weight,
        order=dep.order,
        tags=tuple(backend_cfg.tags) if backend_cfg else (),
        profile=_profile_path(backend_cfg, base_dir),
    )


def _profile_path(backend: BackendConfig | None, base_dir: Path) -> str | None:
    """A sim backend's profile, relative to the config file's folder."""
    if backend is None or backend.profile is None:
        return None
    path = Path(os.path.expandvars(backend.profile)).expanduser()
    return os.path.normpath(path if path.is_absolute() else (base_dir / path))


def _merge_limits(*layers: RateLimits | None) -> RateLimits:
    present = [layer for layer in layers if layer is not None]
    return RateLimits(**_first_set(present, ("rpm", "tpm", "max_parallel")))


def _per_second(layer: PricingConfig) -> float | None:
    if layer.per_second is not None:
        return layer.per_second
    return None if layer.per_hour is None else layer.per_hour / 3600


def _first_set(layers: Sequence[Any], keys: Sequence[str]) -> dict[str, Any]:
    """For each key, the value of the first layer that sets it (None when none does)."""
    return {
        key: next((v for layer in layers if (v := getattr(layer, key)) is not None), None)
        for key in keys
    }
