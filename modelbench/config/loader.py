"""Load a config file: YAML with line numbers -> pydantic -> cross-reference checks.

Every problem is reported as ``FILE:LINE: what is wrong (how to fix it)``; all problems are
collected before raising, so one run of ``modelbench validate`` shows them all. The words for
pydantic's errors live in ``messages.py``, the cross-reference checks in ``checks.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from modelbench._errors import ConfigError
from modelbench.config.checks import check_references
from modelbench.config.messages import pydantic_problems
from modelbench.config.schema import Config, split_ref
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
    unset_env_warnings: tuple[str, ...] = ()
    """Those of ``warnings`` that only say a backend's ``${VAR}`` is not set."""

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
        problems = pydantic_problems(exc, data, file, lines)
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigError(problems[0].message, file=file, problems=problems) from None
    loaded = LoadedConfig(config=config, file=file, lines=lines)
    problems, warnings, unset = check_references(loaded)
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ConfigError(problems[0].message, file=file, problems=problems)
    return LoadedConfig(
        config=config,
        file=file,
        lines=lines,
        warnings=tuple(warnings),
        unset_env_warnings=tuple(unset),
    )
