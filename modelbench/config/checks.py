"""Cross-reference checks of a validated config: backends, providers, aliases, fallbacks, routes.

Problems (an unknown backend, an alias used twice) become located ConfigErrors; things that work
but deserve attention (a secret written in the file, an unset ${VAR}) become located warnings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelbench._errors import ConfigError
from modelbench._suggest import did_you_mean
from modelbench.config.env import EnvValue
from modelbench.config.schema import Config, ModelConfig, split_ref
from modelbench.config.yaml_lines import line_for

if TYPE_CHECKING:
    from modelbench.config.loader import LoadedConfig

__all__ = ["check_references"]



_SECRET_FIELDS = ("api_key",)


def check_references(loaded: LoadedConfig) -> tuple[list[ConfigError], list[str], list[str]]:
    """(problems, warnings, unset) of a config that passed pydantic's validation.

    ``unset``: the warnings (also in ``warnings``) that only say a backend's ``${VAR}`` is not
    set, a state of the environment that the commands calling backends report themselves.
    """
    from modelbench.providers import (
        OWN_PROVIDERS,
        infer_provider,
        known_providers,
        missing_provider_env,
    )

    cfg, file = loaded.config, loaded.file
    lines = dict(loaded.lines)
    problems: list[ConfigError] = []
    warnings: list[str] = []
    unset: list[str] = []

    def problem(message: str, *path: str | int) -> None:
        problems.append(ConfigError(message, file=file, line=line_for(lines, path)))

    def warn(message: str, *path: str | int) -> None:
        warnings.append(f"{loaded.where(*path)}: warning: {message}")

    providers = known_providers()
    for name, backend in cfg.backends.items():
        if backend.provider not in providers:
            problem(
                f"backend {name!r}: unknown provider {backend.provider!r}"
                f"{did_you_mean(backend.provider, providers)} "
                "(any litellm provider, 'local' or 'sim')",
                "backends",
                name,
                "provider",
            )
        if backend.profile is not None and backend.provider != "sim":
            problem(
                f"backend {name!r}: 'profile' is for simulated backends (provider: sim); "
                "remove it or set provider: sim",
                "backends",
                name,
                "profile",
            )
        for fld in ("api_key", "api_base", "api_version"):
            raw = getattr(backend, fld)
            if raw is None:
                continue
            value = EnvValue(raw, secret=fld in _SECRET_FIELDS)
            for var in value.missing():
                warn(
                    f"backend {name!r}: {fld} needs ${{{var}}}, which is not set; "
                    "calls to this backend will fail until it is",
                    "backends",
                    name,
                    fld,
                )
                unset.append(warnings[-1])
            if fld in _SECRET_FIELDS and not value.references():
                warn(
                    f"backend {name!r}: {fld} is written in the file; "
                    "use '${VAR}' so the secret stays out of the config",
                    "backends",
                    name,
                    fld,
                )

    names = [name for name, _ in cfg.model_items()]
    owner: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    for name in names:
        owner[name] = (f"model {name!r}", ("models", name))
    is_list = isinstance(cfg.models, list)
    undeclared: dict[str, tuple[str, tuple[str | int, ...]]] = {}
    for idx, (name, entry) in enumerate(cfg.model_items()):
        base: tuple[str | int, ...] = ("models", idx) if is_list else ("models", name)
        for head, path in _check_backends(
            name, entry, base, cfg, providers, problem, warn, infer_provider, is_list
        ):
            if head not in cfg.backends and head not in OWN_PROVIDERS:
                undeclared.setdefault(head, (name, path))
        for j, alias in enumerate(entry.aliases):
            if alias in owner:
                what, _ = owner[alias]
                problem(
                    f"alias {alias!r} of model {name!r} is already used by {what}; "
                    "rename one of them",
                    *base,
                    "aliases",
                    j,
                )
            else:
                owner[alias] = (f"an alias of model {name!r}", (*base, "aliases", j))
    for head, (name, path) in undeclared.items():
        missing = missing_provider_env(head)
        needs = (
            f"; it needs {', '.join(missing)}, which "
            + ("is not set (export it" if len(missing) == 1 else "are not set (export them")
            + ", or declare the backend with api_key: ${VAR})"
            if missing
            else ""
        )
        warn(
            f"model {name!r}: backend {head!r} is not declared under 'backends:', so litellm's "
            f"provider {head!r} is used with its defaults{needs}",
            *path,
        )
    if is_list and len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        problem(f"model {dup!r} is listed twice; keep one", "models", names.index(dup))

    known = sorted(owner)
    for section in ("fallbacks", "context_window_fallbacks"):
        table: dict[str, list[str]] = getattr(cfg.routing, section)
        for model, targets in table.items():
            if model not in owner:
                problem(
                    f"routing.{section}: unknown model {model!r}{did_you_mean(model, known)}",
                    "routing",
                    section,
                    model,
                )
            for k, target in enumerate(targets):
                if target not in owner:
                    problem(
                        f"routing.{section}[{model}]: unknown model {target!r}"
                        f"{did_you_mean(target, known)}",
                        "routing",
                        section,
                        model,
                        k,
                    )
                elif target == model:
                    problem(
                        f"routing.{section}[{model}]: a model cannot fall back to itself",
                        "routing",
                        section,
                        model,
                        k,
                    )
    if cfg.routes:
        from modelbench.config.routes import route_problems

        deployed = {
            name: [
                ref
                for d in entry.deployment_configs()
                for ref in dict.fromkeys((d.backend, split_ref(d.backend)[0]))
            ]
            for name, entry in cfg.model_items()
        }
        aliases = {a: name for name, entry in cfg.model_items() for a in entry.aliases}
        for message, path in route_problems(cfg.routes, deployed, aliases):
            problem(message, *path)
    if cfg.security and cfg.security.master_key:
        for var in EnvValue(cfg.security.master_key, secret=True).missing():
            warn(f"security.master_key needs ${{{var}}}, which is not set", "security")
    return problems, warnings, unset


def _check_backends(
    name: str,
    entry: ModelConfig,
    base: tuple[str | int, ...],
    cfg: Config,
    providers: frozenset[str],
    problem: Any,
    warn: Any,
    infer_provider: Any,
    is_list: bool,
) -> list[tuple[str, tuple[str | int, ...]]]:
    """Check each backend reference of a model; return the (backend, path) of each one used."""
    used: list[tuple[str, tuple[str | int, ...]]] = []
    key = "backend" if entry.backend is not None else "backends"
    for i, dep in enumerate(entry.deployment_configs()):
        path: tuple[str | int, ...]
        if is_list or (isinstance(cfg.models, dict) and isinstance(cfg.models[name], str)):
            path = base
        else:
            path = (*base, key) if key == "backend" else (*base, key, i)
        head, tail = split_ref(dep.backend)
        if tail is None:
            if infer_provider(head) is None:
                warn(
                    f"model {name!r}: litellm cannot infer the provider of {head!r}; "
                    f"write it as '<provider>/{head}' (e.g. 'anthropic/claude-3-5-haiku-latest')",
                    *path,
                )
            continue
        if not tail:
            problem(f"model {name!r}: {dep.backend!r} has no model id after '/'", *path)
        elif head not in cfg.backends and head not in providers:
            choices = list(cfg.backends) + sorted(providers)
            problem(
                f"model {name!r}: unknown backend {head!r} in {dep.backend!r}"
                f"{did_you_mean(head, choices)}; define it under 'backends:' "
                "or use a litellm provider name",
                *path,
            )
        else:
            used.append((head, path))
    return used
