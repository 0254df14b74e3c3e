"""Load a config file: YAML with line numbers -> pydantic -> cross-reference checks.

Every problem is reported as ``FILE:LINE: what is wrong (how to fix it)``; all problems are
collected before raising, so one run of ``modelbench validate`` shows them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from modelbench._errors import ConfigError
from modelbench._suggest import closest, did_you_mean
from modelbench.config.env import EnvValue
from modelbench.config.schema import Config, ModelConfig
from modelbench.config.yaml_lines import Path_, line_for, parse_yaml

__all__ = [
    "LoadedConfig",
    "load_config",
    "load_config_text",
    "read_text",
    "split_ref",
    "validate_data",
]


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with where it came from and what deserves a warning."""

    config: Config
    file: str = "<config>"
    lines: Mapping[Path_, int] = field(default_factory=dict, repr=False)
    warnings: tuple[str, ...] = ()

    def where(self, *path: str | int) -> str:
        line = line_for(dict(self.lines), path)
        return f"{self.file}:{line}" if line else self.file


def read_text(path: str | Path, what: str = "config file") -> str:
    """A file's text, or one ConfigError line saying why it cannot be read (and what to do)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} not found; check the path", file=str(p)) from None
    except IsADirectoryError:
        raise ConfigError(f"is a directory; give the path of a {what}", file=str(p)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror or exc}", file=str(p)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            file=str(p),
            line=line,
        ) from None


def load_config(path: str | Path) -> LoadedConfig:
    text = read_text(path)
    return load_config_text(text, file=str(path))


def load_config_text(text: str, *, file: str = "<config>") -> LoadedConfig:
    data, lines = parse_yaml(text, file)
    if data is None:
        raise ConfigError("the config is empty; it needs at least a 'models:' section", file=file)
    return validate_data(data, file=file, lines=lines)


def validate_data(
    data: Any, *, file: str = "<config>", lines: Mapping[Path_, int] | None = None
) -> LoadedConfig:
    """Validate already-parsed data (a dict from YAML or Python)."""
    lines = dict(lines or {})
    if not isinstance(data, dict):
        raise ConfigError(
            f"the config must be a mapping with a 'models:' key, not a {type(data).__name__}",
            file=file,
            line=lines.get(()),
        )
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = _pydantic_problems(exc, data, file, lines)
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigError(problems[0].message, file=file, problems=problems) from None
    loaded = LoadedConfig(config=config, file=file, lines=lines)
    problems, warnings = _check_references(loaded)
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigError(problems[0].message, file=file, problems=problems)
    return LoadedConfig(config=config, file=file, lines=lines, warnings=tuple(warnings))


# --- pydantic errors -> located one-liners ------------------------------------------------


def _value_at(data: Any, path: Iterable[str | int]) -> Any:
    for part in path:
        if isinstance(data, list) and isinstance(part, int):
            if part >= len(data):
                return None
            data = data[part]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def _tag_matches(tag: str, value: Any) -> bool:
    """Does a pydantic union tag ('str', 'list[str]', 'ModelConfig'...) fit the input type?"""
    if tag == "str":
        return isinstance(value, str)
    if tag.startswith("list["):
        return isinstance(value, list)
    return isinstance(value, dict)  # dict[...] and model classes


def _paths(data: Any, path: Path_ = ()) -> set[Path_]:
    """Every key path present in the input data."""
    found = {path}
    if isinstance(data, dict):
        for key, value in data.items():
            found |= _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found |= _paths(value, (*path, i))
    return found


def _is_tag(part: str | int) -> bool:
    return isinstance(part, str) and (
        part in ("str", "int", "float") or "[" in part or part[:1].isupper()
    )


def _split_loc(loc: tuple[str | int, ...], present: set[Path_]) -> tuple[Path_, list]:
    """Separate the input's real path from pydantic's union tags (tag, path it applies at)."""
    real: Path_ = ()
    tags: list[tuple[str, Path_]] = []
    for part in loc:
        candidate = (*real, part)
        if candidate in present or not _is_tag(part):
            real = candidate  # a key of the input, or one missing from it (a required key)
        else:
            tags.append((str(part), real))
    return real, tags


def _dotted(path: Path_) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    from typing import get_args

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _pydantic_problems(
    exc: ValidationError, data: Any, file: str, lines: Mapping[Path_, int]
) -> list[ConfigError]:
    present = _paths(data)
    located: list[tuple[Path_, Any]] = []
    # A union (``models: {..} | [..]``, ``name: "<ref>" | {..}``) reports one error per branch.
    # Errors of a branch that does not fit the input are dropped; where no branch fits, the
    # union is reported once, as "expected X or Y".
    matched_sites: set[Path_] = set()
    unmatched: dict[Path_, list[str]] = {}
    for err in exc.errors():
        loc = tuple(err["loc"])
        key_error = bool(loc) and loc[-1] == "[key]"
        if key_error:
            loc = loc[:-1]
            err = {**err, "type": "key_type"}
        real, tags = _split_loc(loc, present)
        miss = next(
            ((tag, at) for tag, at in tags if not _tag_matches(tag, _value_at(data, at))), None
        )
        matched_sites.update(at for tag, at in tags if _tag_matches(tag, _value_at(data, at)))
        if miss is None:
            located.append((real, err))
        else:
            unmatched.setdefault(miss[1], []).append(miss[0])
    for site, tags in unmatched.items():
        if site not in matched_sites:
            located.append((site, {"type": "union_type", "tags": tags}))
    # "unknown key 'modles' (did you mean 'models'?)" says it all; drop "models is missing".
    typos = {
        (*real[:-1], closest(str(real[-1]), _allowed_keys_for(real, data)))
        for real, err in located
        if err["type"] == "extra_forbidden"
    }
    located = [(r, e) for r, e in located if not (e["type"] == "missing" and r in typos)]
    problems: list[ConfigError] = []
    seen: set[str] = set()
    for real, err in located:
        message = _describe(real, err, data)
        if message in seen:
            continue
        seen.add(message)
        problems.append(ConfigError(message, file=file, line=line_for(dict(lines), real)))
    return problems


def _kind_of(value: Any) -> str:
    """How a YAML user would name a value's type."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _alternatives(tags: Iterable[str]) -> str:
    names: list[str] = []
    for tag in tags:
        name = "a string" if tag == "str" else "a list" if tag.startswith("list[") else "a mapping"
        if name not in names:
            names.append(name)
    return " or ".join(names)


def _shape_hint(path: Path_) -> str:
    if path == ("models",):
        return "; write model names under it, e.g. 'gpt-4: openai/gpt-4'"
    if len(path) == 2 and path[0] == "models":
        return "; write '<backend>/<provider model id>' or a mapping with 'backend:'"
    if len(path) == 2 and path[0] == "backends":
        return "; give it at least 'provider:'"
    return ""


def _describe(path: Path_, err: Mapping[str, Any], data: Any) -> str:
    kind = err["type"]
    where = _dotted(path) or "config"
    if kind == "extra_forbidden":
        key = str(path[-1])
        parent = _dotted(path[:-1]) or "the top level"
        allowed = _allowed_keys_for(path, data)
        hint = did_you_mean(key, allowed)
        listing = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {key!r} in {parent}{hint}{listing}"
    if kind == "missing":
        return f"{where}: required key is missing; add it"
    got_value = _value_at(data, path)
    if kind == "union_type":
        expected = _alternatives(err["tags"])
        return f"{where}: expected {expected}, got {_kind_of(got_value)}{_shape_hint(path)}"
    if kind in ("model_type", "dict_type"):
        return f"{where}: expected a mapping, got {_kind_of(got_value)}{_shape_hint(path)}"
    if kind == "key_type":
        parent = _dotted(path[:-1]) or "the top level"
        return f'{parent}: the name {path[-1]!r} must be text; quote it: "{path[-1]}"'
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    got = err.get("input")
    shown = (
        "" if isinstance(got, dict | list) or kind.startswith("value_error") else f" (got {got!r})"
    )
    return f"{where}: {msg}{shown}"


def _allowed_keys_for(path: Path_, data: Any) -> list[str]:
    """Walk the schema along ``path`` (skipping dict keys and list indexes) to its model."""
    model: type[BaseModel] | None = Config
    parts = list(path[:-1])
    i = 0
    while i < len(parts) and model is not None:
        part = parts[i]
        fields = model.model_fields
        if isinstance(part, str) and part in fields:
            model = _model_of(fields[part].annotation)
            # a dict of entries (models, backends): the next part is a user-chosen name
            ann = str(fields[part].annotation)
            if ann.startswith("dict[") and i + 1 < len(parts):
                i += 1
            i += 1
            continue
        i += 1  # a list index
    return sorted(model.model_fields) if model else []


# --- cross references ----------------------------------------------------------------------


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"openai/gpt-4o"`` -> ("openai", "gpt-4o"); a bare name -> (name, None)."""
    if "/" in ref:
        head, tail = ref.split("/", 1)
        return head, tail
    return ref, None


_SECRET_FIELDS = ("api_key",)


def _check_references(loaded: LoadedConfig) -> tuple[list[ConfigError], list[str]]:
    from modelbench.providers import infer_provider, known_providers

    cfg, file = loaded.config, loaded.file
    lines = dict(loaded.lines)
    problems: list[ConfigError] = []
    warnings: list[str] = []

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
    for idx, (name, entry) in enumerate(cfg.model_items()):
        base: tuple[str | int, ...] = ("models", idx) if is_list else ("models", name)
        _check_backends(name, entry, base, cfg, providers, problem, warn, infer_provider, is_list)
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
    return problems, warnings


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
) -> None:
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
