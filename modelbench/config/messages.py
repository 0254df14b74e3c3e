"""pydantic's validation errors -> one located line each, in the words of a YAML user.

Unions report one error per branch; only the branch that fits the input is kept. An unknown key
gets "did you mean" and the allowed keys; a type error says what was given and what fits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from modelbench._errors import ConfigError
from modelbench._suggest import closest, did_you_mean
from modelbench.config.schema import Config
from modelbench.config.yaml_lines import Path_, line_for

__all__ = ["pydantic_problems"]



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


def pydantic_problems(
    exc: ValidationError, data: Any, file: str, lines: Mapping[Path_, int]
) -> list[ConfigError]:
    """One ConfigError per distinct problem, located by ``lines`` (a key path -> line)."""
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
