"""The registry's records: a price, a deployment (one backend serving one model), a model.

Plain frozen dataclasses built by ``compile.py`` from a validated config; their LiteLLM form is
written by ``to_litellm.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from modelbench.config.env import EnvValue
from modelbench.providers import LOCAL_PROVIDER, SIM_PROVIDER
from modelbench.units import usd

__all__ = ["Deployment", "Mode", "ModelSpec", "Pricing", "mode_of"]

Mode = Literal["chat", "completion"]


@dataclass(frozen=True)
class Pricing:
    """USD prices; None means unknown (then litellm's own price map is used, else NaN)."""

    input_per_1m: float | None = None
    output_per_1m: float | None = None
    per_second: float | None = None

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.input_per_1m, self.output_per_1m, self.per_second))

    def cost(self, input_tokens: float, output_tokens: float, seconds: float) -> float:
        """The cost of one call, or NaN when no price is known."""
        if not self.known:
            return math.nan
        total = 0.0
        if self.input_per_1m is not None:
            total += input_tokens * self.input_per_1m / 1e6
        if self.output_per_1m is not None:
            total += output_tokens * self.output_per_1m / 1e6
        if self.per_second is not None:
            total += seconds * self.per_second
        return total

    def describe(self) -> str:
        """For people: ``$2.50/$10.00 per 1M`` (in/out tokens), ``$0.10/hour``."""
        parts = []
        if self.input_per_1m is not None or self.output_per_1m is not None:
            parts.append(f"{usd(self.input_per_1m or 0)}/{usd(self.output_per_1m or 0)} per 1M")
        if self.per_second is not None:
            per_hour = self.per_second * 3600
            parts.append(f"{usd(per_hour)}/hour" if per_hour < 100 else f"{usd(self.per_second)}/s")
        return ", ".join(parts) or "litellm's price map"

    def litellm_params(self) -> dict[str, float]:
        """LiteLLM's price keys (``input_cost_per_token``...) for the prices that are known."""
        from modelbench.litellm_vocab import PRICE_TERMS, export_terms

        return export_terms(PRICE_TERMS, self)


@dataclass(frozen=True)
class Deployment:
    """One backend serving one model: everything needed to call it directly."""

    model: str
    backend: str
    provider: str
    model_id: str
    mode: Mode = "chat"
    api_base: EnvValue | None = None
    api_key: EnvValue | None = None
    api_version: EnvValue | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    pricing: Pricing = field(default_factory=Pricing)
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None
    timeout: float | None = None
    weight: float | None = None
    order: int | None = None
    tags: tuple[str, ...] = ()
    profile: str | None = None
    """``provider: sim``: the fake provider's profile file (None: its built-in models)."""

    @property
    def name(self) -> str:
        """``<backend>/<model id>``: how results and messages name this deployment."""
        return f"{self.backend}/{self.model_id}" if self.model_id else self.backend

    @property
    def id(self) -> str:
        """Unique within a registry: ``<model>@<backend>/<model id>``."""
        return f"{self.model}@{self.name}"

    @property
    def litellm_model(self) -> str:
        """The ``model`` litellm is called with."""
        if self.provider in (LOCAL_PROVIDER, SIM_PROVIDER):
            # llama.cpp's OpenAI-compatible server: base models go to /v1/completions.
            prefix = "text-completion-openai" if self.mode == "completion" else "openai"
            return f"{prefix}/{self.model_id}"
        if not self.provider:  # a bare name: litellm infers the provider
            return self.model_id
        return f"{self.provider}/{self.model_id}"

    def missing_env(self) -> list[str]:
        """Environment variables this deployment needs that are not set."""
        values = (self.api_base, self.api_key, self.api_version)
        return [var for v in values if v is not None for var in v.missing()]

    def litellm_params(self, *, resolve: bool) -> dict[str, Any]:
        """``litellm_params`` for a model_list entry.

        ``resolve=False`` (export): secrets stay ``os.environ/VAR``. ``resolve=True`` (calls):
        values are read from the environment now; a missing one raises MissingSecretError.
        """
        from modelbench.registry.to_litellm import deployment_params

        return deployment_params(self, resolve=resolve)

    def call_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for calling this deployment directly with litellm (no Router)."""
        from modelbench.registry.to_litellm import call_kwargs

        return call_kwargs(self)


@dataclass(frozen=True)
class ModelSpec:
    """A model name with its metadata and deployments."""

    name: str
    deployments: tuple[Deployment, ...]
    description: str | None = None
    capabilities: frozenset[str] = frozenset()
    aliases: tuple[str, ...] = ()
    max_tokens: int | None = None
    context_window: int | None = None

    @property
    def mode(self) -> Mode:
        return mode_of(self.capabilities)


def mode_of(capabilities: Iterable[str]) -> Mode:
    """``completion`` for a base model (completion without chat), else ``chat``."""
    caps = set(capabilities)
    return "completion" if "completion" in caps and "chat" not in caps else "chat"
