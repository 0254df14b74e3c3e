"""The registry: model names and aliases -> deployments, compiled from a validated config.

A *model* is the name user code calls (``smart``); a *deployment* is one backend serving it
(``openai/gpt-4o``). The registry resolves names in exactly one place (``canonical``), and
compiles to LiteLLM's own ``model_list`` + ``router_settings``: the same form drives the
in-process ``litellm.Router`` and the file LiteLLM Proxy serves.

    reg = Registry.from_yaml("examples/model_config_example.yaml")
    reg.resolve("fast")                  # -> (Deployment(...), ...)
    reg.select(capabilities=["vision"])  # -> ["smart"]
    reg.completion("smart", [{"role": "user", "content": "hi"}])
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from modelbench._errors import MissingSecretError, UnknownModelError
from modelbench._suggest import did_you_mean
from modelbench.config import LoadedConfig, load_config, validate_data
from modelbench.config.env import EnvValue, env_value
from modelbench.config.schema import (
    BackendConfig,
    Config,
    DeploymentConfig,
    ModelConfig,
    PricingConfig,
    RateLimits,
    split_ref,
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
    from litellm import Router

__all__ = ["Deployment", "ModelSpec", "Pricing", "Registry"]

Mode = Literal["chat", "completion"]


@dataclass(frozen=True)
class Pricing:
    """USD prices; None means unknown (then litellm's own price map is used, else NaN)."""

    input_per_1m: float | None = None
    output_per_1m: float | None = None
    per_second: float | None = None

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.input_per_1m, self.output_per_1m, self.per_second))

    def cost(self, input_tokens: float, output_tokens: float, seconds: float) -> float:
        """The cost of one call, or NaN when no price is known."""
        if not self.known:
            return math.nan
        total = 0.0
        if self.input_per_1m is not None:
            total += input_tokens * self.input_per_1m / 1e6
        if self.output_per_1m is not None:
            total += output_tokens * self.output_per_1m / 1e6
        if self.per_second is not None:
            total += seconds * self.per_second
        return total

    def litellm_params(self) -> dict[str, float]:
        out: dict[str, float] = {}
        if self.input_per_1m is not None:
            out["input_cost_per_token"] = self.input_per_1m / 1e6
        if self.output_per_1m is not None:
            out["output_cost_per_token"] = self.output_per_1m / 1e6
        if self.per_second is not None:
            out["input_cost_per_second"] = self.per_second
        return out

    @classmethod
    def merged(cls, *layers: PricingConfig | None) -> Pricing:
        """Field by field, the first layer that sets a price wins."""
        present = [layer for layer in layers if layer is not None]
        first = _first_set(present, ("input_per_1m", "output_per_1m"))
        per_second = next(
            (p for p in map(_per_second, present) if p is not None),
            None,
        )
        return cls(per_second=per_second, **first)


@dataclass(frozen=True)
class Deployment:
    """One backend serving one model: everything needed to call it directly."""

    model: str
    backend: str
    provider: str
    model_id: str
    mode: Mode = "chat"
    api_base: EnvValue | None = None
    api_key: EnvValue | None = None
    api_version: EnvValue | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    pricing: Pricing = field(default_factory=Pricing)
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None
    timeout: float | None = None
    weight: float | None = None
    order: int | None = None
    tags: tuple[str, ...] = ()
    profile: str | None = None
    """``provider: sim``: the fake provider's profile file (None: its built-in models)."""

    @property
    def name(self) -> str:
        """``<backend>/<model id>``: how results and messages name this deployment."""
        return f"{self.backend}/{self.model_id}" if self.model_id else self.backend

    @property
    def id(self) -> str:
        """Unique within a registry: ``<model>@<backend>/<model id>``."""
        return f"{self.model}@{self.name}"

    @property
    def litellm_model(self) -> str:
        """The ``model`` litellm is called with."""
        if self.provider in (LOCAL_PROVIDER, SIM_PROVIDER):
            # llama.cpp's OpenAI-compatible server: base models go to /v1/completions.
            prefix = "text-completion-openai" if self.mode == "completion" else "openai"
            return f"{prefix}/{self.model_id}"
        if not self.provider:  # a bare name: litellm infers the provider
            return self.model_id
        return f"{self.provider}/{self.model_id}"

    def missing_env(self) -> list[str]:
        """Environment variables this deployment needs that are not set."""
        values = (self.api_base, self.api_key, self.api_version)
        return [var for v in values if v is not None for var in v.missing()]

    def litellm_params(self, *, resolve: bool) -> dict[str, Any]:
        """``litellm_params`` for a model_list entry.

        ``resolve=False`` (export): secrets stay ``os.environ/VAR``. ``resolve=True`` (calls):
        values are read from the environment now; a missing one raises MissingSecretError.
        """
        out: dict[str, Any] = {"model": self.litellm_model}
        for key in ("api_base", "api_key", "api_version"):
            env: EnvValue | None = getattr(self, key)
            if env is None:
                continue
            where = f"backend {self.backend!r} {key}"
            out[key] = env.resolve(where=where) if resolve else env.to_litellm(where=where)
        if self.provider == LOCAL_PROVIDER:
            if "api_base" not in out:
                out["api_base"] = (
                    _local_api_base() if resolve else f"os.environ/{LOCAL_API_BASE_ENV}"
                )
            out.setdefault("api_key", LOCAL_API_KEY)
        elif self.provider == SIM_PROVIDER:
            if "api_base" not in out:
                out["api_base"] = (
                    _sim_api_base(self.profile) if resolve else f"os.environ/{SIM_API_BASE_ENV}"
                )
            out.setdefault("api_key", SIM_API_KEY)
        for key, value in (
            ("rpm", self.rpm),
            ("tpm", self.tpm),
            ("max_parallel_requests", self.max_parallel),
            ("timeout", self.timeout),
            ("weight", self.weight),
            ("order", self.order),
        ):
            if value is not None:
                out[key] = value
        if self.tags:
            out["tags"] = list(self.tags)
        out.update(self.pricing.litellm_params())
        out.update(self.params)
        return out

    def call_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for calling this deployment directly with litellm (no Router)."""
        params = self.litellm_params(resolve=True)
        for key in ("rpm", "tpm", "max_parallel_requests", "weight", "order", "tags"):
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


@dataclass(frozen=True)
class ModelSpec:
    """A model name with its metadata and deployments."""

    name: str
    deployments: tuple[Deployment, ...]
    description: str | None = None
    capabilities: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()
    max_tokens: int | None = None
    context_window: int | None = None

    @property
    def mode(self) -> Mode:
        return _mode(self.capabilities)


def _mode(capabilities: Iterable[str]) -> Mode:
    caps = set(capabilities)
    return "completion" if "completion" in caps and "chat" not in caps else "chat"


_STRATEGY_TO_LITELLM: dict[str, str] = {
    "fallback": "simple-shuffle",  # with `order` on deployments: lowest order first
    "weighted": "simple-shuffle",  # with `weight` on deployments
    "cheapest": "cost-based-routing",
    "fastest": "latency-based-routing",
    "capability": "simple-shuffle",  # capabilities choose the *model*: Registry.select
    "least-busy": "least-busy",
    "usage": "usage-based-routing-v2",
}


class Registry:
    """Resolved models and aliases; compiles to LiteLLM's config and calls through its Router."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self._loaded = loaded
        self.config: Config = loaded.config
        self.source: str = loaded.file
        self.warnings: tuple[str, ...] = loaded.warnings
        self.models: dict[str, ModelSpec] = _compile_models(
            loaded.config, base_dir=Path(loaded.file).parent
        )
        self.aliases: dict[str, str] = {
            alias: spec.name for spec in self.models.values() for alias in spec.aliases
        }
        self._router: Router | None = None
        from modelbench.route_form import compile_routes

        self.routes = compile_routes(self)
        """Route name -> its compiled policy (``routes:`` of the config)."""

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_yaml(cls, path: str | Path) -> Registry:
        return cls(load_config(path))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Registry:
        return cls(validate_data(dict(data), file=source))

    @classmethod
    def from_config(cls, config: Config, *, source: str = "<config>") -> Registry:
        return cls(LoadedConfig(config=config, file=source))

    def __repr__(self) -> str:
        return f"Registry({len(self.models)} models from {self.source!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Registry):
            return NotImplemented
        return (
            self.models == other.models
            and self.config.routing == other.config.routing
            and self.config.routes == other.config.routes
        )

    __hash__ = None  # type: ignore[assignment]

    # --- names ------------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return list(self.models)

    def canonical(self, name: str) -> str:
        """The model a name or alias refers to: the one place names are resolved."""
        if name in self.models:
            return name
        if name in self.aliases:
            return self.aliases[name]
        choices = [*self.models, *self.aliases]
        raise UnknownModelError(
            f"unknown model {name!r}{did_you_mean(name, choices)}; "
            f"known models: {', '.join(self.models) or '(none)'}"
        )

    def model(self, name: str) -> ModelSpec:
        return self.models[self.canonical(name)]

    def resolve(self, name: str) -> tuple[Deployment, ...]:
        """The deployments serving a model name or alias."""
        return self.model(name).deployments

    def select(self, capabilities: Iterable[str] = ()) -> list[str]:
        """Models that have every capability asked for, in config order."""
        wanted = set(capabilities)
        from modelbench.config.schema import CAPABILITIES

        unknown = wanted - set(CAPABILITIES)
        if unknown:
            bad = sorted(unknown)[0]
            raise UnknownModelError(
                f"unknown capability {bad!r}{did_you_mean(bad, CAPABILITIES)}; "
                f"known: {', '.join(CAPABILITIES)}"
            )
        return [n for n, spec in self.models.items() if wanted <= spec.capabilities]

    def deployments(
        self, models: Sequence[str] | None = None, backends: Sequence[str] | None = None
    ) -> list[Deployment]:
        """Deployments of the given models (names or aliases), optionally only some backends.

        A backend filter matches a backend name (``openai``) or a deployment name
        (``openai/gpt-4o``).
        """
        names = [self.canonical(m) for m in models] if models else list(self.models)
        chosen = [d for n in dict.fromkeys(names) for d in self.models[n].deployments]
        if backends:
            known = {d.backend for d in chosen} | {d.name for d in chosen}
            for b in backends:
                if b not in known:
                    raise UnknownModelError(
                        f"unknown backend {b!r}{did_you_mean(b, known)}; "
                        f"known: {', '.join(sorted(known))}"
                    )
            chosen = [d for d in chosen if d.backend in backends or d.name in backends]
        return chosen

    # --- LiteLLM form -----------------------------------------------------------------------

    def to_litellm_config(self) -> dict[str, Any]:
        """LiteLLM Proxy's config: ``model_list``, ``router_settings``, ``litellm_settings``."""
        from modelbench.litellm_form import to_litellm_config

        return to_litellm_config(self)

    def router_settings(self) -> dict[str, Any]:
        """``router_settings`` for LiteLLM (also the keyword arguments of ``litellm.Router``)."""
        routing = self.config.routing
        out: dict[str, Any] = {"routing_strategy": _STRATEGY_TO_LITELLM[routing.strategy]}
        if routing.retries:
            out["num_retries"] = routing.retries
        if routing.retry_after is not None:
            out["retry_after"] = routing.retry_after
        if routing.timeout is not None:
            out["timeout"] = routing.timeout
        if routing.allowed_fails is not None:
            out["allowed_fails"] = routing.allowed_fails
        if routing.cooldown is not None:
            out["cooldown_time"] = routing.cooldown
        for key in ("fallbacks", "context_window_fallbacks"):
            table: dict[str, list[str]] = getattr(routing, key)
            if table:
                out[key] = [
                    {self.canonical(m): [self.canonical(t) for t in targets]}
                    for m, targets in table.items()
                ]
        if self.aliases:
            out["model_group_alias"] = dict(self.aliases)
        if self.routes:
            from modelbench.route_form import route_router_settings

            extra = route_router_settings(list(self.routes.values()))
            out["fallbacks"] = out.get("fallbacks", []) + extra.pop("fallbacks", [])
            if not out["fallbacks"]:
                del out["fallbacks"]
            out.update(extra)
            # Policies were simulated without retries (LiteLLM's default is 2): say so.
            out.setdefault("num_retries", routing.retries)
        return out

    def model_list(
        self, *, resolve: bool, skip: frozenset[str] | set[str] = frozenset()
    ) -> list[dict[str, Any]]:
        """LiteLLM's ``model_list``; ``resolve=True`` reads secrets now (for in-process calls).

        Routes add their groups (see route_form.py). ``skip``: deployment ids to leave out.
        """
        out = [
            self.deployment_entry(dep, resolve=resolve)
            for spec in self.models.values()
            for dep in spec.deployments
            if dep.id not in skip
        ]
        if self.routes:
            from modelbench.route_form import quality_tiers, route_entries

            tiers = quality_tiers(list(self.routes.values()))
            for item in out:
                if item["model_name"] in tiers:
                    item["model_info"]["litellm_routing_preferences"] = {
                        "quality_tier": tiers[item["model_name"]]
                    }
            for route in self.routes.values():
                out += route_entries(route, self.deployment_entry, resolve=resolve, skip=skip)
        return out

    def deployment_entry(self, dep: Deployment, *, resolve: bool) -> dict[str, Any]:
        """One ``model_list`` entry: a deployment under its model's name."""
        return {
            "model_name": dep.model,
            "litellm_params": dep.litellm_params(resolve=resolve),
            "model_info": _model_info(self.models[dep.model], dep),
        }

    # --- calls ------------------------------------------------------------------------------

    def router(self) -> Router:
        """A ``litellm.Router`` over every deployment whose secrets are set (built once)."""
        if self._router is None:
            from modelbench._env import import_litellm

            litellm = import_litellm()
            missing = {d.id for d in self.deployments() if d.missing_env()}
            # Deployments whose secrets are unset are left out (reported when called).
            usable = self.model_list(resolve=True, skip=missing)
            self._router = litellm.Router(model_list=usable, **self.router_settings())
        return self._router

    def _check_callable(self, name: str) -> str:
        model = self.canonical(name)
        deps = self.models[model].deployments
        if all(d.missing_env() for d in deps):
            missing = sorted({v for d in deps for v in d.missing_env()})
            raise MissingSecretError(
                f"model {model!r} cannot be called: {', '.join(missing)} not set "
                f"(needed by {', '.join(d.name for d in deps)}); export it and retry"
            )
        return model

    def completion(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        """Call a model (name or alias) through the Router: fallbacks and balancing apply.

        A route (``routes:``) runs its policy; ``category=`` picks a ByCategory route's arm.
        """
        if model in self.routes:
            from modelbench._sync import run_sync

            return run_sync(lambda: self.acompletion(model, messages, **kwargs))
        name = self._check_callable(model)
        return self.router().completion(model=name, messages=messages, **kwargs)

    async def acompletion(self, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        if model in self.routes:
            from modelbench.route_call import acall_route

            return await acall_route(self, model, "chat", messages, kwargs)
        name = self._check_callable(model)
        router: Any = self.router()  # litellm types messages as TypedDicts; ours are dicts
        return await router.acompletion(model=name, messages=messages, **kwargs)

    def text_completion(self, model: str, prompt: str, **kwargs: Any) -> Any:
        """Call a model on the text-completion endpoint (base models), through the Router.

        Works inside a running event loop (Jupyter) too.
        """
        from modelbench._sync import run_sync

        # litellm's sync Router.text_completion drops the deployment's model (1.108.7);
        # the async path routes correctly, so the sync call runs it.
        return run_sync(lambda: self.atext_completion(model, prompt, **kwargs))

    async def atext_completion(self, model: str, prompt: str, **kwargs: Any) -> Any:
        if model in self.routes:
            from modelbench.route_call import acall_route

            return await acall_route(self, model, "text", prompt, kwargs)
        name = self._check_callable(model)
        return await self.router().atext_completion(model=name, prompt=prompt, **kwargs)

    # --- our own format ---------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The config in modelbench's format (loads back to an equal registry)."""
        return self.config.model_dump(mode="json", exclude_none=True, exclude_defaults=True)


_CAPABILITY_INFO: dict[str, str] = {
    "vision": "supports_vision",
    "tools": "supports_function_calling",
    "json": "supports_response_schema",
    "reasoning": "supports_reasoning",
    "audio": "supports_audio_input",
}


def _model_info(spec: ModelSpec, dep: Deployment) -> dict[str, Any]:
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
        for cap, flag in _CAPABILITY_INFO.items():
            if cap in spec.capabilities:
                info[flag] = True
    if spec.context_window is not None:
        info["max_input_tokens"] = spec.context_window
    if spec.max_tokens is not None:
        info["max_output_tokens"] = spec.max_tokens
    return info


# --- compile: Config -> ModelSpecs -----------------------------------------------------------


def _compile_models(cfg: Config, *, base_dir: Path = Path()) -> dict[str, ModelSpec]:
    specs: dict[str, ModelSpec] = {}
    strategy = cfg.routing.strategy
    for name, entry in cfg.model_items():
        mode = _mode(entry.capabilities)
        dep_cfgs = entry.deployment_configs()
        deps = []
        for position, dep_cfg in enumerate(dep_cfgs, start=1):
            dep = _compile_deployment(name, entry, dep_cfg, cfg.backends, mode, base_dir)
            if strategy == "fallback" and dep.order is None and len(dep_cfgs) > 1:
                # The fallback strategy tries backends in the order they are listed.
                dep = _replace(dep, order=position)
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


def _replace(dep: Deployment, **changes: Any) -> Deployment:
    from dataclasses import replace

    return replace(dep, **changes)


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
        pricing=Pricing.merged(
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
