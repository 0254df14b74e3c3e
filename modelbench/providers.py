"""Which providers exist: litellm's list, plus the backends modelbench runs itself."""

from __future__ import annotations

from functools import lru_cache

from modelbench._env import import_litellm

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
def known_providers() -> frozenset[str]:
    """Every provider name a backend may use."""
    litellm = import_litellm()
    names = {getattr(p, "value", str(p)) for p in litellm.provider_list}
    return frozenset(names) | OWN_PROVIDERS


def infer_provider(model: str) -> str | None:
    """The provider litellm infers for a bare model name (``gpt-4`` -> ``openai``), or None."""
    litellm = import_litellm()
    try:
        _, provider, _, _ = litellm.get_llm_provider(model=model)
    except Exception:  # litellm raises BadRequestError and others for unknown names
        return None
    return str(provider) if provider else None
