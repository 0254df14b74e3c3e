"""Calling a route in-process: through the Router's groups, with a cascade's check run here.

``Registry.completion("routed", messages, category="capitals")`` lands in :func:`acall_route`.
A route without a check is one Router call on its first group (LiteLLM's fallbacks, weights,
strategy and tag filtering do the rest, as in the proxy). A cascade asks its levels in turn
and keeps the first answer that passes its acceptance check (``modelbench.checks``); an error
counts as a rejected answer, and the last level's answer (or error) is final.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from modelbench._errors import ConfigError
from modelbench.route_form import level_name

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = ["acall_route"]

Kind = Literal["chat", "text"]


async def acall_route(
    registry: Registry, name: str, kind: Kind, payload: Any, kwargs: dict[str, Any]
) -> Any:
    """Call route ``name``: ``payload`` is the messages (chat) or the prompt (text)."""
    route = registry.routes[name]
    kwargs = dict(kwargs)
    category = kwargs.pop("category", None)
    chain, tags = route.chain_for(None if category is None else str(category))
    if tags is not None:
        metadata = dict(kwargs.get("metadata") or {})
        metadata["tags"] = list(tags)
        kwargs["metadata"] = metadata
    router: Any = registry.router()
    if chain.accept is None:
        return await _call(router, kind, level_name(name, chain.levels[0]), payload, kwargs)
    if kwargs.get("stream"):
        raise ConfigError(
            f"route {name!r} is a cascade: its answers are checked before they are returned, "
            "so it cannot stream; call it without stream=True"
        )
    from modelbench.checks import check_from_dict

    check: Any = check_from_dict(chain.accept)
    last = len(chain.levels) - 1
    for i, level in enumerate(chain.levels):
        group = level_name(name, level)
        if i == last:
            return await _call(router, kind, group, payload, kwargs)
        try:
            # The cascade itself moves on after an error: no Router fallback inside a step.
            step = {**kwargs, "disable_fallbacks": True}
            response = await _call(router, kind, group, payload, step)
        except Exception:  # any failure of a step escalates, as in the simulation
            continue
        if await _accepts(check, _text(response, kind), registry):
            return response
    raise AssertionError("unreachable: the last level returns or raises")


async def _call(router: Any, kind: Kind, group: str, payload: Any, kwargs: dict[str, Any]) -> Any:
    if kind == "chat":
        return await router.acompletion(model=group, messages=payload, **kwargs)
    return await router.atext_completion(model=group, prompt=payload, **kwargs)


def _text(response: Any, kind: Kind) -> str:
    choice = response.choices[0]
    if kind == "chat":
        return str(choice.message.content or "")
    return str(choice.text or "")


async def _accepts(check: Any, text: str, registry: Registry) -> bool:
    if getattr(check, "needs_registry", False):  # a judge: a model gives the verdict
        return bool(await asyncio.to_thread(check.verdict, text, registry))
    return bool(check(text))
