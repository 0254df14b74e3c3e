"""What users write: the YAML config, validated by pydantic with unknown keys forbidden.

Two forms of ``models:`` are accepted (see doc/model-backend-concept.md):

    models: ["gpt-4", "claude-3"]            # the original form: bare names

    models:                                  # the model -> backend form
      gpt-4: "openai/gpt-4"                  #   shorthand "<backend>/<provider model id>"
      smart:
        backends: ["openai/gpt-4o", {backend: "anthropic/claude-sonnet-4", weight: 2}]
        capabilities: [chat, tools]

Cross-references (backend names, fallbacks, aliases) are checked in ``checks.py``, where line
numbers are known.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

from modelbench.config.routes import PolicySpec, RouteConfig, RouteEvidence

__all__ = [
    "CAPABILITIES",
    "STRATEGIES",
    "BackendConfig",
    "Config",
    "DeploymentConfig",
    "ModelConfig",
    "MonitoringConfig",
    "PolicySpec",
    "PricingConfig",
    "RateLimits",
    "RouteConfig",
    "RouteEvidence",
    "RoutingConfig",
    "SecurityConfig",
    "split_ref",
]

CAPABILITIES: tuple[str, ...] = (
    "chat",
    "completion",
    "vision",
    "tools",
    "json",
    "embedding",
    "audio",
    "reasoning",
    "streaming",
    "code",
    "long_context",
)
"""Capabilities a model may declare. ``completion`` without ``chat`` means a base model that is
called on the text-completion endpoint."""

STRATEGIES: tuple[str, ...] = (
    "fallback",
    "weighted",
    "cheapest",
    "fastest",
    "capability",
    "least-busy",
    "usage",
)
"""Routing strategies; ``registry.py`` maps each to LiteLLM's ``routing_strategy``."""

Strategy = Literal[
    "fallback", "weighted", "cheapest", "fastest", "capability", "least-busy", "usage"
]


def split_ref(ref: str) -> tuple[str, str | None]:
    """``"openai/gpt-4o"`` -> ("openai", "gpt-4o"); a bare name -> (name, None)."""
    if "/" in ref:
        head, tail = ref.split("/", 1)
        return head, tail
    return ref, None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PricingConfig(_Strict):
    """Prices in USD. Tokens are priced per million; self-hosted machines per second or hour."""

    input_per_1m: NonNegativeFloat | None = None
    output_per_1m: NonNegativeFloat | None = None
    per_second: NonNegativeFloat | None = None
    per_hour: NonNegativeFloat | None = None

    @model_validator(mode="after")
    def _one_time_unit(self) -> PricingConfig:
        if self.per_second is not None and self.per_hour is not None:
            raise ValueError("give per_second or per_hour, not both")
        return self


class RateLimits(_Strict):
    rpm: PositiveInt | None = None
    tpm: PositiveInt | None = None
    max_parallel: PositiveInt | None = None


class BackendConfig(_Strict):
    """A provider endpoint: where calls go and with which credentials."""

    provider: str = Field(
        description="a litellm provider (openai, anthropic, ollama, ...) or local"
    )
    api_key: str | None = None
    api_base: str | None = None
    api_version: str | None = None
    rate_limits: RateLimits | None = None
    timeout: PositiveFloat | None = None
    pricing: PricingConfig | None = None
    tags: list[str] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    description: str | None = None
    profile: str | None = Field(
        default=None,
        description="provider sim only: the fake provider's profile file (relative to the "
        "config), which says each simulated model's latency, faults and accuracy",
    )


class DeploymentConfig(_Strict):
    """One backend of a model, with its share of traffic and its place in a failover order."""

    backend: str = Field(description='"<backend>/<provider model id>"')
    weight: PositiveFloat | None = None
    order: PositiveInt | None = None
    pricing: PricingConfig | None = None
    rate_limits: RateLimits | None = None
    timeout: PositiveFloat | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class ModelConfig(_Strict):
    """A model name users call, and the backend(s) that serve it."""

    backend: str | None = None
    backends: list[str | DeploymentConfig] | None = None
    description: str | None = None
    capabilities: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    pricing: PricingConfig | None = None
    max_tokens: PositiveInt | None = None
    context_window: PositiveInt | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_backend_key(self) -> ModelConfig:
        if (self.backend is None) == (self.backends is None):
            raise ValueError("give either 'backend' (one) or 'backends' (a list), exactly one")
        if self.backends is not None and not self.backends:
            raise ValueError("'backends' is empty; list at least one '<backend>/<model id>'")
        return self

    @field_validator("capabilities")
    @classmethod
    def _known_capabilities(cls, value: list[str]) -> list[str]:
        from modelbench._suggest import did_you_mean

        for cap in value:
            if cap not in CAPABILITIES:
                raise ValueError(
                    f"unknown capability {cap!r}{did_you_mean(cap, CAPABILITIES)}; "
                    f"known: {', '.join(CAPABILITIES)}"
                )
        return value

    def deployment_configs(self) -> list[DeploymentConfig]:
        """Every backend entry as a ``DeploymentConfig`` (strings become plain entries)."""
        items: list[str | DeploymentConfig] = (
            [self.backend] if self.backend is not None else list(self.backends or [])
        )
        return [DeploymentConfig(backend=i) if isinstance(i, str) else i for i in items]


class RedisConfig(_Strict):
    """A Redis that several gateway instances share (rate-limit usage, cooldowns).

    ``url``, or ``host`` (+ ``port``, ``password``); values may be ``${VAR}`` references, and
    ``password`` must be one (it is exported as ``os.environ/VAR``).
    """

    url: str | None = None
    host: str | None = None
    port: int | str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _one_target(self) -> RedisConfig:
        if (self.url is None) == (self.host is None):
            raise ValueError("give exactly one of 'url' or 'host' (with 'port', 'password')")
        return self


class RoutingConfig(_Strict):
    """How a gateway picks among a model's backends and what it does when one fails."""

    strategy: Strategy = "fallback"
    fallbacks: dict[str, list[str]] = Field(default_factory=dict)
    context_window_fallbacks: dict[str, list[str]] = Field(default_factory=dict)
    retries: Annotated[int, Field(ge=0)] = 0
    retry_after: NonNegativeFloat | None = None
    timeout: PositiveFloat | None = None
    allowed_fails: Annotated[int, Field(ge=0)] | None = None
    cooldown: NonNegativeFloat | None = None
    redis: RedisConfig | None = None
    """Shared state for several gateway instances (exported as Router ``redis_*`` settings)."""


class MonitoringConfig(_Strict):
    """What the gateway logs, and where (litellm callback names, e.g. langfuse, otel)."""

    log_requests: bool = True
    log_responses: bool = True
    callbacks: list[str] = Field(default_factory=list)
    failure_callbacks: list[str] = Field(default_factory=list)


class SecurityConfig(_Strict):
    """Redaction and gateway access settings."""

    redact_messages: bool = False
    redact_user_api_key_info: bool = False
    master_key: str | None = None


class Config(_Strict):
    """A whole modelbench config file."""

    version: Literal[1] = 1
    models: dict[str, str | ModelConfig] | list[str]
    backends: dict[str, BackendConfig] = Field(default_factory=dict)
    routing: RoutingConfig = Field(default_factory=RoutingConfig)
    monitoring: MonitoringConfig | None = None
    security: SecurityConfig | None = None
    routes: dict[str, RouteConfig] = Field(default_factory=dict)
    """Model names served by a routing policy over the models above (``modelbench export``)."""

    def model_items(self) -> list[tuple[str, ModelConfig]]:
        """Every model as (name, full entry); shorthands and bare names become full entries."""
        if isinstance(self.models, list):
            return [(name, ModelConfig(backend=name)) for name in self.models]
        return [
            (name, ModelConfig(backend=entry) if isinstance(entry, str) else entry)
            for name, entry in self.models.items()
        ]
