"""Which providers exist and which environment variables they read: litellm's answers.

Importing litellm takes seconds, and ``modelbench validate`` should answer in well under one.
So litellm's provider list and, per provider, the variables its ``validate_environment`` asks
for are kept in ``_litellm_providers.py``, written from the installed litellm by

    python -m modelbench.providers          # rewrites modelbench/_litellm_providers.py

The table is used only while the installed litellm is the version it was written from
(``tests/test_providers.py`` checks it against litellm); otherwise litellm itself is asked.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from modelbench._env import LITELLM_LOGGERS, import_litellm

__all__ = [
    "LOCAL_API_BASE_ENV",
    "LOCAL_API_KEY",
    "LOCAL_PROVIDER",
    "OWN_PROVIDERS",
    "infer_provider",
    "known_providers",
    "missing_provider_env",
    "provider_env",
]

LOCAL_PROVIDER = "local"
"""The embedded llama.cpp model that modelbench starts on loopback (extra ``local``)."""

SIM_PROVIDER = "sim"
"""Simulated models: the fault-injecting fake provider, started on loopback on demand."""

OWN_PROVIDERS: frozenset[str] = frozenset({LOCAL_PROVIDER, SIM_PROVIDER})

LOCAL_API_BASE_ENV = "MODELBENCH_LOCAL_API_BASE"
"""Where calls and exported configs find a running local model server."""

LOCAL_API_KEY = "sk-local"
"""llama.cpp ignores the key, but the OpenAI client needs a non-empty one."""

SIM_API_BASE_ENV = "MODELBENCH_SIM_API_BASE"
"""Where calls and exported configs find a running fake provider (``modelbench sim serve``)."""

SIM_API_KEY = "sk-sim"
"""The fake provider checks no key; the OpenAI client needs a non-empty one."""


@lru_cache(maxsize=1)
def _table() -> ModuleType | None:
    """The written table, if it was written from the litellm installed now."""
    from importlib.metadata import PackageNotFoundError, version

    from modelbench import _litellm_providers as table

    try:
        installed = version("litellm")
    except PackageNotFoundError:
        return None
    return table if installed == table.LITELLM_VERSION else None


@lru_cache(maxsize=1)
def known_providers() -> frozenset[str]:
    """Every provider name a backend may use."""
    table = _table()
    if table is not None:
        return frozenset(table.PROVIDERS) | OWN_PROVIDERS
    return _live_providers() | OWN_PROVIDERS


def provider_env(provider: str) -> tuple[str, ...]:
    """The variables litellm asks for when a provider is called without a key or endpoint."""
    table = _table()
    if table is not None:
        return tuple(table.PROVIDER_ENV.get(provider, ()))
    return _live_env(provider)


def missing_provider_env(provider: str) -> list[str]:
    """``provider_env`` that is not set now."""
    return [var for var in provider_env(provider) if not os.environ.get(var)]


def infer_provider(model: str) -> str | None:
    """The provider litellm infers for a bare model name (``gpt-4`` -> ``openai``), or None."""
    litellm = import_litellm()
    try:
        _, provider, _, _ = litellm.get_llm_provider(model=model)
    except Exception:  # litellm raises BadRequestError and others for unknown names
        return None
    return str(provider) if provider else None


def _live_providers() -> frozenset[str]:
    litellm = import_litellm()
    return frozenset(getattr(p, "value", str(p)) for p in litellm.provider_list)


def _live_env(provider: str) -> tuple[str, ...]:
    """litellm's ``validate_environment`` for ``<provider>/x`` with no variable set.

    A few providers (github_copilot, chatgpt) start an OAuth device login while being asked;
    the network is closed for the question, so they answer "nothing known" instead.
    """
    litellm = import_litellm()
    saved = dict(os.environ)
    try:
        os.environ.clear()
        with _asking_litellm():
            result = litellm.validate_environment(model=f"{provider}/x")
    except Exception:  # a provider whose model names litellm cannot parse: nothing known
        return ()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return tuple(dict.fromkeys(str(v) for v in result.get("missing_keys", [])))


class _NetworkClosed(OSError):
    pass


@contextlib.contextmanager
def _asking_litellm() -> Iterator[None]:
    """No name lookup, no connection and no log line while litellm answers about names."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise _NetworkClosed("modelbench asked litellm a question; no network for it")

    saved = socket.getaddrinfo, socket.socket.connect
    loggers = [logging.getLogger(name) for name in LITELLM_LOGGERS]
    disabled = [logger.disabled for logger in loggers]
    socket.getaddrinfo = refuse
    socket.socket.connect = refuse  # type: ignore[method-assign]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        socket.getaddrinfo, socket.socket.connect = saved  # type: ignore[method-assign]
        for logger, was in zip(loggers, disabled, strict=True):
            logger.disabled = was


def render_table() -> str:
    """The text of ``_litellm_providers.py`` for the installed litellm."""
    from importlib.metadata import version

    providers = sorted(_live_providers())
    env = {p: keys for p in providers if (keys := _live_env(p))}
    lines = [
        '"""Written by ``python -m modelbench.providers`` from the installed litellm; do not edit.',
        "",
        "litellm's provider names, and the environment variables its ``validate_environment``",
        'asks for per provider when none is set. See ``modelbench/providers.py``."""',
        "",
        f'LITELLM_VERSION = "{version("litellm")}"',
        "",
        "PROVIDERS: tuple[str, ...] = (",
        *(f'    "{p}",' for p in providers),
        ")",
        "",
        "PROVIDER_ENV: dict[str, tuple[str, ...]] = {",
        *(f'    "{p}": {_tuple(keys)},' for p, keys in env.items()),
        "}",
        "",
    ]
    return "\n".join(lines)


def _tuple(keys: tuple[str, ...]) -> str:
    inner = ", ".join(f'"{k}"' for k in keys)
    return f"({inner},)" if len(keys) == 1 else f"({inner})"


if __name__ == "__main__":
    target = Path(__file__).with_name("_litellm_providers.py")
    target.write_text(render_table(), encoding="utf-8")
    print(f"wrote {target}")
