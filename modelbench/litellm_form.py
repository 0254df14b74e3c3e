"""Both directions between a registry and LiteLLM Proxy's ``config.yaml``.

Export writes exactly what ``litellm --config`` reads; secrets stay ``os.environ/VAR``.
Import reads a LiteLLM config into modelbench's format, keeping everything our format can hold
and returning a warning for each thing it cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelbench._errors import ConfigError
from modelbench.config.env import EnvValue
from modelbench.litellm_vocab import (
    CAPABILITY_FLAGS,
    CONNECTION_KEYS,
    DEPLOYMENT_TERMS,
    LIMIT_TERMS,
    LITELLM_DEFAULT_RETRIES,
    PRICE_TERMS,
    ROUTER_IMPORT_ALIASES,
    ROUTER_TERMS,
    SECRET_KEYS,
    STRATEGY_IMPORT,
)
from modelbench.providers import (
    LOCAL_API_BASE_ENV,
    LOCAL_API_KEY,
    LOCAL_PROVIDER,
    SIM_API_BASE_ENV,
    SIM_API_KEY,
    SIM_PROVIDER,
)
from modelbench.shared_state import redis_router_settings

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = ["from_litellm_config", "to_litellm_config"]


def to_litellm_config(registry: Registry) -> dict[str, Any]:
    """The registry as LiteLLM Proxy config (secrets as ``os.environ/VAR``)."""
    cfg = registry.config
    out: dict[str, Any] = {
        "model_list": registry.model_list(resolve=False),
        "router_settings": registry.router_settings(),
    }
    out["router_settings"].update(redis_router_settings(cfg.routing.redis))
    litellm_settings: dict[str, Any] = {}
    general_settings: dict[str, Any] = {}
    if cfg.monitoring:
        if cfg.monitoring.callbacks:
            litellm_settings["success_callback"] = list(cfg.monitoring.callbacks)
        if cfg.monitoring.failure_callbacks:
            litellm_settings["failure_callback"] = list(cfg.monitoring.failure_callbacks)
        if not cfg.monitoring.log_responses:
            litellm_settings["turn_off_message_logging"] = True
        if not cfg.monitoring.log_requests:
            general_settings["disable_spend_logs"] = True
    if cfg.security:
        if cfg.security.redact_messages:
            litellm_settings["turn_off_message_logging"] = True
        if cfg.security.redact_user_api_key_info:
            litellm_settings["redact_user_api_key_info"] = True
        if cfg.security.master_key:
            general_settings["master_key"] = EnvValue(
                cfg.security.master_key, secret=True
            ).to_litellm(where="security.master_key")
    if litellm_settings:
        out["litellm_settings"] = litellm_settings
    if general_settings:
        out["general_settings"] = general_settings
    return out


# --- import --------------------------------------------------------------------------------

_ROUTER_KEYS: dict[str, str] = {
    **{term.litellm: term.ours for term in ROUTER_TERMS},
    **ROUTER_IMPORT_ALIASES,
}


def _env(value: Any) -> Any:
    """``os.environ/VAR`` -> ``${VAR}``; anything else unchanged."""
    if isinstance(value, str):
        return EnvValue.from_litellm(value).raw
    return value


def _section(data: Mapping[str, Any], key: str, warnings: list[str]) -> dict[str, Any]:
    """A settings mapping of the file; anything else is dropped with a warning."""
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        warnings.append(f"{key} is not a mapping (got {type(value).__name__}); dropped")
        return {}
    return dict(value)


def from_litellm_config(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A LiteLLM Proxy config -> (modelbench config dict, warnings about what was dropped).

    Raises ConfigError when ``model_list`` is not a list; an entry that is not a deployment is
    skipped with a warning, so one broken item does not lose the rest.
    """
    warnings: list[str] = []
    backends: dict[str, dict[str, Any]] = {}
    models: dict[str, dict[str, Any]] = {}
    strategy_hint = {"weight": False, "order": False}
    skipped_routes: set[str] = set()

    model_list = data.get("model_list") or []
    if not isinstance(model_list, list):
        raise ConfigError(
            f"model_list must be a list of deployments (got {type(model_list).__name__})"
        )
    for i, item in enumerate(model_list):
        where = f"model_list[{i}]"
        if not isinstance(item, Mapping) or "model_name" not in item:
            warnings.append(f"{where}: not a model entry (no model_name); skipped")
            continue
        raw_name = item["model_name"]
        if not isinstance(raw_name, str | int | float) or isinstance(raw_name, bool):
            warnings.append(f"{where}: model_name {raw_name!r} is not a name; skipped")
            continue
        name = str(raw_name)
        params = item.get("litellm_params")
        if not isinstance(params, Mapping) or not isinstance(params.get("model"), str):
            warnings.append(f"{where} ({name}): litellm_params needs a 'model' string; skipped")
            continue
        params = dict(params)
        info = item.get("model_info") or {}
        if not isinstance(info, Mapping):
            warnings.append(f"{where} ({name}): model_info is not a mapping; dropped")
            info = {}
        info = dict(info)
        route = info.get("modelbench_route")
        if route is not None:
            if route not in skipped_routes:
                skipped_routes.add(route)
                warnings.append(
                    f"{where}: model groups of route {route!r} (a modelbench policy) are "
                    "skipped: import the modelbench file it was exported with instead"
                )
            continue
        dep = _import_deployment(params, info, backends, where, warnings)
        strategy_hint["weight"] |= "weight" in dep
        strategy_hint["order"] |= "order" in dep
        entry = models.setdefault(name, {"backends": []})
        entry["backends"].append(dep if len(dep) > 1 else dep["backend"])
        _import_model_info(entry, info, where, warnings)

    out_models: dict[str, Any] = {}
    for name, entry in models.items():
        deps = entry.pop("backends")
        if len(deps) == 1:
            only = deps[0]
            if isinstance(only, str):
                entry["backend"] = only
            else:
                entry["backends"] = deps
        else:
            entry["backends"] = deps
        if set(entry) == {"backend"}:
            out_models[name] = entry["backend"]  # the shorthand form
        else:
            out_models[name] = entry

    routing: dict[str, Any] = {}
    router = _section(data, "router_settings", warnings)
    litellm_settings = _section(data, "litellm_settings", warnings)
    general = _section(data, "general_settings", warnings)

    strategy = router.pop("routing_strategy", None)
    if strategy in STRATEGY_IMPORT:
        routing["strategy"] = STRATEGY_IMPORT[strategy]
    else:
        if strategy not in (None, "simple-shuffle"):
            warnings.append(
                f"router_settings.routing_strategy {strategy!r} has no equivalent; "
                "using a weighted shuffle"
            )
        routing["strategy"] = "fallback" if strategy_hint["order"] else "weighted"

    if "num_retries" not in router and "num_retries" not in litellm_settings:
        routing["retries"] = LITELLM_DEFAULT_RETRIES  # what that file's proxy did
    for source_name, source in (
        ("router_settings", router),
        ("litellm_settings", litellm_settings),
    ):
        for key, ours in _ROUTER_KEYS.items():
            if key in source:
                value = source.pop(key)
                if value in (None, 0):
                    continue
                if ours in routing and routing[ours] != value:
                    warnings.append(
                        f"{source_name}.{key}: {value!r} dropped; "
                        f"routing.{ours} is already {routing[ours]!r}"
                    )
                routing.setdefault(ours, value)
        for key in ("fallbacks", "context_window_fallbacks"):
            if key in source:
                table = _import_fallbacks(source.pop(key), f"{source_name}.{key}", warnings)
                if table:
                    routing.setdefault(key, {}).update(table)
        aliases = source.pop("model_group_alias", None) or {}
        if not isinstance(aliases, Mapping):
            warnings.append(f"{source_name}.model_group_alias is not a mapping; dropped")
            aliases = {}
        for alias, target in aliases.items():
            target_name = target.get("model") if isinstance(target, Mapping) else target
            if isinstance(target, Mapping) and set(target) - {"model"}:
                extra = ", ".join(sorted(str(k) for k in set(target) - {"model"}))
                warnings.append(
                    f"{source_name}.model_group_alias.{alias}: {extra} has no place in "
                    "modelbench's format; dropped"
                )
            if target_name in out_models:
                entry = out_models[target_name]
                if isinstance(entry, str):
                    entry = out_models[target_name] = {"backend": entry}
                entry.setdefault("aliases", []).append(alias)
            else:
                warnings.append(
                    f"{source_name}.model_group_alias: {alias!r} points at unknown model "
                    f"{target_name!r}; dropped"
                )

    monitoring: dict[str, Any] = {}
    security: dict[str, Any] = {}
    if "success_callback" in litellm_settings:
        monitoring["callbacks"] = list(litellm_settings.pop("success_callback") or [])
    if "failure_callback" in litellm_settings:
        monitoring["failure_callbacks"] = list(litellm_settings.pop("failure_callback") or [])
    if litellm_settings.pop("turn_off_message_logging", False):
        security["redact_messages"] = True
    if litellm_settings.pop("redact_user_api_key_info", False):
        security["redact_user_api_key_info"] = True
    if general.pop("disable_spend_logs", False):
        monitoring["log_requests"] = False
    if "master_key" in general:
        security["master_key"] = _env(general.pop("master_key"))

    for section, rest in (
        ("router_settings", router),
        ("litellm_settings", litellm_settings),
        ("general_settings", general),
    ):
        for key in rest:
            warnings.append(f"{section}.{key} has no place in modelbench's format; dropped")
    for key in data:
        if key not in ("model_list", "router_settings", "litellm_settings", "general_settings"):
            warnings.append(f"top-level {key!r} has no place in modelbench's format; dropped")

    known = set(out_models) | {
        a for e in out_models.values() if isinstance(e, dict) for a in e.get("aliases", [])
    }
    for key in ("fallbacks", "context_window_fallbacks"):
        if key in routing:
            routing[key] = _known_fallbacks(routing[key], known, key, warnings)
            if not routing[key]:
                del routing[key]

    out: dict[str, Any] = {"models": out_models}
    if backends:
        out["backends"] = backends
    routing = {k: v for k, v in routing.items() if not (k == "strategy" and v == "fallback")}
    if routing:
        out["routing"] = routing
    if monitoring:
        out["monitoring"] = monitoring
    if security:
        out["security"] = security
    return out, warnings


def _import_deployment(
    params: dict[str, Any],
    info: dict[str, Any],
    backends: dict[str, dict[str, Any]],
    where: str,
    warnings: list[str],
) -> dict[str, Any]:
    model = str(params.pop("model"))
    provider, _, model_id = model.partition("/")
    connection = {k: _env(params.pop(k)) for k in CONNECTION_KEYS if k in params}
    for key in SECRET_KEYS:
        value = connection.get(key)
        if isinstance(value, str) and not EnvValue(value).references():
            warnings.append(
                f"{where}: {key} is written in the file and is copied as it is; "
                "use '${VAR}' (os.environ/VAR) so the secret stays out of the config"
            )
    if provider in ("openai", "text-completion-openai") and connection.get("api_base") == (
        "${" + LOCAL_API_BASE_ENV + "}"
    ):
        # What export writes for the embedded model: read it back as `provider: local`.
        provider = LOCAL_PROVIDER
        connection.pop("api_base")
        if connection.get("api_key") == LOCAL_API_KEY:
            connection.pop("api_key")
    elif provider == "openai" and connection.get("api_base") == "${" + SIM_API_BASE_ENV + "}":
        # A simulated backend: back to `provider: sim` with the profile export recorded.
        provider = SIM_PROVIDER
        connection.pop("api_base")
        if connection.get("api_key") == SIM_API_KEY:
            connection.pop("api_key")
        if info.get("sim_profile"):
            connection["profile"] = str(info.pop("sim_profile"))
    if not model_id and connection:
        # A bare name with its own key or endpoint needs a backend to hold them.
        from modelbench.providers import infer_provider

        inferred = infer_provider(model)
        if inferred:
            provider, model_id = inferred, model
        else:
            dropped = ", ".join(connection)
            warnings.append(
                f"{where}: litellm cannot infer the provider of {model!r}, so its {dropped} "
                "has no backend to go to; dropped (write the model as '<provider>/<id>')"
            )
            connection = {}
    backend_name = _backend_for(provider, model_id, connection, backends)
    dep: dict[str, Any] = {"backend": f"{backend_name}/{model_id}" if model_id else provider}
    for term in DEPLOYMENT_TERMS:
        if term.litellm in params:
            dep[term.ours] = params.pop(term.litellm)
    limits = {t.ours: params.pop(t.litellm) for t in LIMIT_TERMS if t.litellm in params}
    if limits:
        dep["rate_limits"] = limits
    pricing: dict[str, Any] = {}
    for source in (params, info):
        for term in PRICE_TERMS:
            price = _price(source, term.litellm, where, warnings)
            if price is not None:
                pricing.setdefault(term.ours, term.from_litellm(price))
        if source.get("output_cost_per_second") is not None:
            source.pop("output_cost_per_second")
            warnings.append(f"{where}: output_cost_per_second has no equivalent; dropped")
    if pricing:
        dep["pricing"] = pricing
    tags = params.pop("tags", None)
    if tags:
        backends[backend_name].setdefault("tags", list(tags))
    if params:
        dep["params"] = params  # temperature, max_tokens, stop...: passed through to litellm
    return dep


def _price(source: dict[str, Any], key: str, where: str, warnings: list[str]) -> float | None:
    """Pop a price; one that is not a number is dropped with a warning."""
    if key not in source:
        return None
    value = source.pop(key)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        warnings.append(f"{where}: {key} {value!r} is not a number; dropped")
        return None


def _backend_for(
    provider: str, model_id: str, connection: dict[str, Any], backends: dict[str, dict[str, Any]]
) -> str:
    """The backend holding this provider + connection, creating one named after the provider."""
    if not model_id:
        return provider
    wanted = {"provider": provider, **connection}
    for name, backend in backends.items():
        if {k: v for k, v in backend.items() if k != "tags"} == wanted:
            return name
    name = provider
    n = 2
    while name in backends:
        name = f"{provider}-{n}"
        n += 1
    backends[name] = wanted
    return name


def _import_model_info(
    entry: dict[str, Any], info: dict[str, Any], where: str, warnings: list[str]
) -> None:
    caps: list[str] = list(entry.get("capabilities", []))
    for cap in info.pop("capabilities", None) or []:
        if cap not in caps:
            caps.append(cap)
    mode = info.pop("mode", None)
    if mode == "completion" and "completion" not in caps:
        caps.append("completion")
    elif mode == "embedding" and "embedding" not in caps:
        caps.append("embedding")
    for term in CAPABILITY_FLAGS:
        if info.pop(term.litellm, False) and term.ours not in caps:
            caps.append(term.ours)
    if caps:
        entry["capabilities"] = caps
    if "description" in info:
        entry.setdefault("description", info.pop("description"))
    if info.get("max_input_tokens") is not None:
        entry.setdefault("context_window", info.pop("max_input_tokens"))
    if info.get("max_output_tokens") is not None:
        entry.setdefault("max_tokens", info.pop("max_output_tokens"))
    info.pop("id", None)  # regenerated on export
    info.pop("backend", None)  # our own marker, rebuilt from the backend name
    for key in info:
        warnings.append(f"{where}: model_info.{key} has no place in modelbench's format; dropped")


def _import_fallbacks(value: Any, where: str, warnings: list[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    if isinstance(value, Mapping):  # LiteLLM wants a list of one-key mappings; accept one
        value = [value]
    if not isinstance(value, list):
        warnings.append(f"{where}: {value!r} is not a list; dropped")
        return table
    for item in value:
        if isinstance(item, Mapping):
            for model, targets in item.items():
                if isinstance(targets, str):
                    targets = [targets]
                if not isinstance(targets, list):
                    warnings.append(f"{where}: {model!r}: {targets!r} is not a list; dropped")
                    continue
                table[str(model)] = [str(t) for t in targets]
        else:
            warnings.append(f"{where}: entry {item!r} is not a mapping; dropped")
    return table


def _known_fallbacks(
    table: dict[str, list[str]], known: set[str], key: str, warnings: list[str]
) -> dict[str, list[str]]:
    """Drop, with a warning, fallbacks from or to a model the file does not define."""
    out: dict[str, list[str]] = {}
    for model, targets in table.items():
        if model not in known:
            warnings.append(f"{key}: {model!r} is not a model_name of the file; dropped")
            continue
        kept = [t for t in targets if t in known and t != model]
        for t in targets:
            if t not in kept:
                warnings.append(
                    f"{key}: {model!r} -> {t!r}: not another model_name of the file; dropped"
                )
        if kept:
            out[model] = kept
    return out
