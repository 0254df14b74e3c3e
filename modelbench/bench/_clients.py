"""The ``AsyncOpenAI`` clients modelbench hands litellm: one per backend and event loop.

Two reasons to bring our own client to litellm's OpenAI-SDK paths (``openai/...`` chat and
``text-completion-openai/...``, which includes the local model):

* **Timing at the wire.** The client's transport is litellm's own (``AsyncHTTPHandler``'s,
  aiohttp unless configured otherwise) wrapped in :class:`~modelbench.bench._wire.WireTransport`,
  which stamps when the request left and when each piece of the body arrived, before litellm
  parses it (``calls.stream_call`` uses those stamps).
* **No client set-up inside the timers.** litellm's text-completion path builds a new
  ``AsyncOpenAI`` and HTTP client for every call (1.108-1.110), after the pre-call hook that
  used to start the timers: ~25 ms inside every TTFT, and no connection reuse.

Clients are never shared across event loops (a connection pool belongs to the loop that
opened its connections), are keyed by a hash of the API key (never the key itself), and keep
the SDK's retries off: modelbench retries. :func:`run_scope` closes a loop's clients when the
last run using that loop ends. Calls on other providers get none: litellm uses its own
client, and they are timed from its pre-call hook and the chunks it hands on (``calls``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from modelbench._env import import_litellm
from modelbench.bench._wire import WireTransport

if TYPE_CHECKING:
    import httpx
    from openai import AsyncOpenAI

__all__ = ["openai_client", "run_scope"]

_Key = tuple[str, str, float]
"""(api_base, sha256 of the api_key, timeout in seconds)."""

_OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class _LoopClients:
    """The clients one event loop owns, and how many runs are using them."""

    def __init__(self) -> None:
        self.clients: dict[_Key, AsyncOpenAI] = {}
        self.runs = 0


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClients] = (
    weakref.WeakKeyDictionary()
)


def openai_client(kwargs: Mapping[str, Any], *, chat: bool) -> AsyncOpenAI | None:
    """The cached client for a call litellm makes with the OpenAI SDK, or None.

    ``chat``: the call goes through ``litellm.acompletion`` (else ``atext_completion``).
    Only calls with an ``api_key`` string and no client, organization or provider override
    of their own get one; the others keep litellm's own client (and hook-based timing).
    """
    if kwargs.get("client") is not None or kwargs.get("organization") is not None:
        return None
    if kwargs.get("custom_llm_provider") is not None:
        return None
    api_key = kwargs.get("api_key")
    if not isinstance(api_key, str) or not api_key:
        return None
    model = str(kwargs.get("model", ""))
    routed = _is_openai_chat(model) if chat else _is_text_completion_openai(model)
    if not routed:
        return None
    api_base = _api_base(kwargs)
    timeout = _timeout(kwargs)
    if api_base is None or timeout is None:
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
            base_url=api_base,
            api_key=api_key,
            max_retries=0,
            timeout=timeout,
            # openai 3 types this as an httpx2 client; it takes httpx's too (as litellm passes)
            http_client=_http_client(),  # type: ignore[arg-type]
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


def _http_client() -> httpx.AsyncClient:
    """An httpx client on litellm's own transport, wrapped to stamp times at the wire.

    The same transport litellm would build for its OpenAI clients
    (``AsyncHTTPHandler.create_async_transport``: aiohttp by default), so the bytes travel
    the way they would without modelbench; only the stamps are added.
    """
    import httpx
    from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

    inner: httpx.AsyncBaseTransport | None = AsyncHTTPHandler.create_async_transport()
    if inner is None:  # litellm chose httpx's default transport
        inner = httpx.AsyncHTTPTransport()
    return httpx.AsyncClient(transport=WireTransport(inner), follow_redirects=True)


def _api_base(kwargs: Mapping[str, Any]) -> str | None:
    """Where litellm would send the call: ``api_base``, else OpenAI's own chain of defaults."""
    value = kwargs.get("api_base") or kwargs.get("base_url")
    if value is None:
        if getattr(import_litellm(), "api_base", None):
            return None  # a process-wide litellm setting: leave the call to litellm
        value = (
            os.environ.get("OPENAI_BASE_URL")
            or os.environ.get("OPENAI_API_BASE")
            or _OPENAI_DEFAULT_BASE
        )
    return value if isinstance(value, str) and value else None


def _is_openai_chat(model: str) -> bool:
    provider, _, name = model.partition("/")
    return provider == "openai" and bool(name)


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
