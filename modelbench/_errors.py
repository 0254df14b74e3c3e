"""Every error modelbench raises on purpose.

    ModelbenchError                 base: the CLI prints str(err) on one line, exit code 2
    ├── ConstraintsNotMetError      no routing policy meets the constraints asked for (exit
    │                               code 3; carries the nearest miss)
    ├── ConfigError                 a config file is invalid (carries file and line)
    ├── UnknownModelError           a model name or alias is not in the registry ("did you mean")
    ├── MissingSecretError          a ${VAR} a call needs is not set
    ├── DatasetError                a dataset file or row is invalid (carries file and line)
    ├── ResultsError                a results file or frame cannot be used as asked (in use,
    │                               already has rows, no such column, backend or metric)
    ├── ScorerError                 a scorer name, argument or function is invalid
    ├── PolicyError                 a routing policy or acceptance check is invalid (a spec,
    │                               a member, an unfitted policy, a check that cannot replay)
    ├── OptionError                 an option is out of range or not one of its choices
    │                               (also a ValueError)
    ├── OutputError                 a file modelbench writes cannot be written (carries the path)
    ├── CallError                   a backend's answer litellm accepts but we cannot use
    │                               (a stream that ended empty); recorded in the row, retried
    ├── ServerError                 a server we start (local model, fake provider) failed
    └── MissingExtraError           an optional dependency is not installed (names the extra)

Messages say what went wrong, where, and how to fix it. They never contain secret values.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "CallError",
    "ConfigError",
    "ConstraintsNotMetError",
    "DatasetError",
    "MissingExtraError",
    "MissingSecretError",
    "ModelbenchError",
    "OptionError",
    "OutputError",
    "PolicyError",
    "ResultsError",
    "ScorerError",
    "ServerError",
    "UnknownModelError",
]


class ModelbenchError(Exception):
    """Base class: an expected failure caused by input or environment, not a bug."""

    exit_code: ClassVar[int] = 2
    """The command line's exit status for it."""


class ConstraintsNotMetError(ModelbenchError):
    """No routing policy meets the constraints; ``recommendation`` is the nearest miss.

    Not bad input: the CLI exits 3 for it, as ``modelbench recommend`` does when nothing fits.
    """

    exit_code: ClassVar[int] = 3

    def __init__(self, message: str, *, recommendation: Any = None) -> None:
        self.recommendation = recommendation
        super().__init__(message)


class _Located(ModelbenchError):
    """An error that points at a place in a file: ``FILE:LINE: message``."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.location_prefix() + message)

    def location_prefix(self) -> str:
        if self.file is None:
            return ""
        if self.line is None:
            return f"{self.file}: "
        return f"{self.file}:{self.line}: "


class ConfigError(_Located):
    """An invalid config. ``problems`` holds every problem found, one per line of ``str()``."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        problems: list[ConfigError] | None = None,
    ) -> None:
        self.problems: list[ConfigError] = problems or []
        super().__init__(message, file=file, line=line)
        if self.problems:
            # str() lists every problem, one per line, so the CLI can print them all.
            self.args = ("\n".join(str(p) for p in self.problems),)


class UnknownModelError(ModelbenchError, KeyError):
    """A model name or alias that the registry does not know."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MissingSecretError(ModelbenchError):
    """An environment variable that a call needs is not set."""


class DatasetError(_Located):
    """An invalid dataset file or row."""


class ResultsError(ModelbenchError):
    """A results file or DataFrame that cannot be used as asked."""


class ScorerError(ModelbenchError):
    """An invalid scorer: an unknown name, a bad argument, something that cannot score."""


class PolicyError(ModelbenchError):
    """An invalid routing policy or acceptance check: its spec, members or state."""


class OptionError(ModelbenchError, ValueError):
    """An option value out of its range or not one of its choices (never silently clamped)."""


class OutputError(ModelbenchError):
    """A file or directory modelbench was asked to write cannot be written."""

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


class CallError(ModelbenchError):
    """A call whose answer litellm accepted but modelbench cannot use (retried, then recorded)."""


class ServerError(ModelbenchError):
    """A server modelbench starts could not start or answer."""


class MissingExtraError(ModelbenchError, ImportError):
    """An optional dependency is missing; the message names the pip command."""
