"""One ``AsyncOpenAI`` client per text-completion backend and event loop, reused across calls.

litellm caches the OpenAI clients of its chat path, but its text-completion path (1.108.7)
builds a new ``AsyncOpenAI`` and HTTP client for every call, *after* the pre-call hook that
starts modelbench's timers: ~25 ms of client set-up inside every measured TTFT, and no
connection reuse. Handing litellm a cached client (``client=``) removes both.

Clients are never shared across event loops (an httpx pool belongs to the loop that opened
its connections), are keyed by a hash of the API key (never the key itself), and keep the
SDK's retries off: modelbench retries. :func:`run_scope` closes a loop's clients when the
last run using that loop ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from modelbench._env import import_litellm

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["run_scope", "text_completion_client"]

_Key = tuple[str, str, float]
"""(api_base, sha256 of the api_key, timeout in seconds)."""


class _LoopClients:
    """The clients one event loop owns, and how many runs are using them."""

    def __init__(self) -> None:
        self.clients: dict[_Key, AsyncOpenAI] = {}
        self.runs = 0


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients] = (
    weakref.WeakKeyDictionary()
)


def text_completion_client(kwargs: Mapping[str, Any]) -> AsyncOpenAI | None:
    """The cached client for a text-completion call, or None to let litellm build its own.

    Only calls litellm sends to ``/v1/completions`` with the OpenAI SDK, with an explicit
    ``api_base`` and ``api_key`` and no client or organization of their own, get one.
    """
    if kwargs.get("client") is not None or kwargs.get("organization") is not None:
        return None
    api_base, api_key = kwargs.get("api_base"), kwargs.get("api_key")
    if not isinstance(api_base, str) or not api_base or not isinstance(api_key, str):
        return None
    if not _is_text_completion_openai(str(kwargs.get("model", ""))):
        return None
    timeout = _timeout(kwargs)
    if timeout is None:
        return None
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    owned = _BY_LOOP.get(loop)
    if owned is None:
        owned = _BY_LOOP[loop] = _LoopClients()
    key = (api_base, hashlib.sha256(api_key.encode()).hexdigest(), timeout)
    client = owned.clients.get(key)
    if client is None:
        from openai import AsyncOpenAI

        client = owned.clients[key] = AsyncOpenAI(
            base_url=api_base, api_key=api_key, max_retries=0, timeout=timeout
        )
    return client


@contextlib.asynccontextmanager
async def run_scope() -> AsyncIterator[None]:
    """While a run lasts; when the last run on this loop ends, its clients are closed."""
    loop = asyncio.get_running_loop()
    owned = _BY_LOOP.get(loop)
    if owned is None:
        owned = _BY_LOOP[loop] = _LoopClients()
    owned.runs += 1
    try:
        yield
    finally:
        owned.runs -= 1
        if owned.runs == 0:
            clients = list(owned.clients.values())
            owned.clients.clear()
            for client in clients:
                # a half-closed connection must not fail a run that has finished
                with contextlib.suppress(Exception):
                    await client.close()


def _is_text_completion_openai(model: str) -> bool:
    # litellm's own routing (main.text_completion): ``text-completion-openai/...``, or an
    # ``openai/...`` model it does not know as a chat model.
    provider, _, name = model.partition("/")
    if provider == "text-completion-openai":
        return bool(name)
    if provider == "openai" and name:
        return name not in import_litellm().open_ai_chat_completion_models
    return False


def _timeout(kwargs: Mapping[str, Any]) -> float | None:
    """The timeout litellm would use, in seconds; None for anything but a plain number."""
    value = kwargs.get("timeout")
    if value is None:
        value = kwargs.get("request_timeout")
    if value is None:
        try:
            from litellm.litellm_core_utils.request_timeout_resolver import (
                get_configured_request_timeout,
            )

            value = get_configured_request_timeout()
        except ImportError:
            value = None
        if value is None:
            value = 600.0  # litellm's default when nothing is configured
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None  # an httpx.Timeout: let litellm build its own client
    try:
        return float(value)
    except ValueError:
        return None
