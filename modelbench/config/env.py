"""``${VAR}`` and ``${VAR:-default}`` in config strings, resolved only when a call needs them.

Secrets are exported to LiteLLM as ``os.environ/VAR`` and never as their value; ``repr`` shows
the reference, never what the variable holds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from modelbench._errors import ConfigError, MissingSecretError

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_LITELLM_ENV = "os.environ/"


@dataclass(frozen=True)
class EnvValue:
    """A config string that may hold ``${VAR}`` references. ``secret`` masks literals in repr."""

    raw: str
    secret: bool = False

    def __repr__(self) -> str:
        if self.secret and not self.references():
            return "EnvValue('***')"
        return f"EnvValue({self.raw!r})"

    def references(self) -> list[tuple[str, str | None]]:
        """(variable, default) for each ``${...}`` in the string."""
        return [(m.group(1), m.group(2)) for m in _REF.finditer(self.raw)]

    def missing(self, env: Mapping[str, str] | None = None) -> list[str]:
        """Variables that are unset and have no default."""
        env = os.environ if env is None else env
        return [var for var, default in self.references() if default is None and var not in env]

    def resolve(self, env: Mapping[str, str] | None = None, *, where: str = "") -> str:
        """The string with every reference replaced; raises MissingSecretError if one is unset."""
        env = os.environ if env is None else env

        def sub(match: re.Match[str]) -> str:
            var, default = match.group(1), match.group(2)
            if var in env:
                return env[var]
            if default is not None:
                return default
            place = f" (needed by {where})" if where else ""
            raise MissingSecretError(
                f"environment variable {var} is not set{place}; export {var}=... and retry"
            )

        return _REF.sub(sub, self.raw)

    def to_litellm(self, *, where: str = "") -> str:
        """The value for a LiteLLM config: ``os.environ/VAR`` for a whole-string reference.

        A reference with a default whose variable is unset exports the default (LiteLLM has no
        defaults); a secret never exports a resolved value.
        """
        refs = self.references()
        whole = _REF.fullmatch(self.raw)
        if whole:
            var, default = whole.group(1), whole.group(2)
            if self.secret or default is None or var in os.environ:
                return _LITELLM_ENV + var
            return default
        if not refs:
            return self.raw
        if self.secret:
            raise ConfigError(
                f"{where}: a secret must be a whole '${{VAR}}' reference to export it safely; "
                f"got {self.raw!r}"
            )
        return self.resolve(where=where)

    @classmethod
    def from_litellm(cls, value: str, *, secret: bool = False) -> EnvValue:
        """Read a LiteLLM value: ``os.environ/VAR`` becomes ``${VAR}``."""
        if value.startswith(_LITELLM_ENV):
            return cls("${" + value[len(_LITELLM_ENV) :] + "}", secret=secret)
        return cls(value, secret=secret)


def env_value(raw: str | None, *, secret: bool = False) -> EnvValue | None:
    return None if raw is None else EnvValue(raw, secret=secret)
