"""LiteLLM's vocabulary beside ours, written once: both directions are derived from these tables.

The registry writes LiteLLM's names (``model_list`` / ``router_settings``); ``litellm_form``
reads them back. A key added here is exported and imported alike. Key names checked against
litellm's ``Router`` and ``model_prices_and_context_window.json`` (litellm 1.108).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CAPABILITY_FLAGS",
    "CONNECTION_KEYS",
    "DEPLOYMENT_TERMS",
    "LIMIT_TERMS",
    "LITELLM_DEFAULT_RETRIES",
    "PRICE_TERMS",
    "ROUTER_IMPORT_ALIASES",
    "ROUTER_ONLY_KEYS",
    "ROUTER_TERMS",
    "SECRET_KEYS",
    "STRATEGIES",
    "STRATEGY_IMPORT",
    "Term",
    "export_terms",
]


@dataclass(frozen=True)
class Term:
    """One setting: our field name, LiteLLM's key, and LiteLLM's value = ours x ``scale``."""

    ours: str
    litellm: str
    scale: float = 1.0

    def to_litellm(self, value: float) -> float:
        return value * self.scale if self.scale != 1.0 else value

    def from_litellm(self, value: float) -> float:
        # Prices per token are tiny; rounding keeps 2.5 (per 1M) from coming back as 2.4999999.
        return round(value / self.scale, 9) if self.scale != 1.0 else value


CONNECTION_KEYS: tuple[str, ...] = ("api_base", "api_key", "api_version")
"""Backend settings with the same name on both sides (``os.environ/VAR`` <-> ``${VAR}``)."""

SECRET_KEYS: tuple[str, ...] = ("api_key",)

PRICE_TERMS: tuple[Term, ...] = (
    Term("input_per_1m", "input_cost_per_token", 1e-6),
    Term("output_per_1m", "output_cost_per_token", 1e-6),
    Term("per_second", "input_cost_per_second"),
)
"""``pricing:`` (per_hour is folded into per_second before export)."""

LIMIT_TERMS: tuple[Term, ...] = (
    Term("rpm", "rpm"),
    Term("tpm", "tpm"),
    Term("max_parallel", "max_parallel_requests"),
)
"""``rate_limits:``: the Router enforces them per deployment."""

DEPLOYMENT_TERMS: tuple[Term, ...] = (
    Term("timeout", "timeout"),
    Term("weight", "weight"),
    Term("order", "order"),
)
"""Per-deployment settings in ``litellm_params``."""

ROUTER_ONLY_KEYS: frozenset[str] = frozenset(
    {t.litellm for t in LIMIT_TERMS} | {"weight", "order", "tags"}
)
"""``litellm_params`` the Router reads itself; a direct ``litellm.completion`` call must not."""

ROUTER_TERMS: tuple[Term, ...] = (
    Term("retries", "num_retries"),
    Term("retry_after", "retry_after"),
    Term("timeout", "timeout"),
    Term("allowed_fails", "allowed_fails"),
    Term("cooldown", "cooldown_time"),
)
"""``routing:`` <-> ``router_settings`` (import also reads them from ``litellm_settings``)."""

LITELLM_DEFAULT_RETRIES = 2
"""What LiteLLM's Router retries when ``num_retries`` is absent (``openai.DEFAULT_MAX_RETRIES``,
read in ``Router.__init__``): an imported file without the key retried this often."""

ROUTER_IMPORT_ALIASES: Mapping[str, str] = {"request_timeout": "timeout"}
"""Older LiteLLM names read on import, never written."""

CAPABILITY_FLAGS: tuple[Term, ...] = (
    Term("vision", "supports_vision"),
    Term("tools", "supports_function_calling"),
    Term("json", "supports_response_schema"),
    Term("reasoning", "supports_reasoning"),
    Term("audio", "supports_audio_input"),
)
"""Our capabilities <-> LiteLLM's ``model_info`` flags."""

STRATEGIES: Mapping[str, str] = {
    "fallback": "simple-shuffle",  # with `order` on deployments: lowest order first
    "weighted": "simple-shuffle",  # with `weight` on deployments
    "cheapest": "cost-based-routing",
    "fastest": "latency-based-routing",
    "capability": "simple-shuffle",  # capabilities choose the *model*: Registry.select
    "least-busy": "least-busy",
    "usage": "usage-based-routing-v2",
}
"""Our ``routing.strategy`` -> LiteLLM's ``routing_strategy``."""

STRATEGY_IMPORT: Mapping[str, str] = {
    **{theirs: ours for ours, theirs in STRATEGIES.items() if theirs != "simple-shuffle"},
    "usage-based-routing": "usage",  # the older name of usage-based-routing-v2
}
"""LiteLLM's ``routing_strategy`` -> ours; simple-shuffle is ambiguous (weighted or fallback,
decided by whether deployments carry ``order``)."""


def export_terms(terms: tuple[Term, ...], source: Any) -> dict[str, Any]:
    """LiteLLM's keys for the fields of ``source`` that are set (not None)."""
    out: dict[str, Any] = {}
    for term in terms:
        value = getattr(source, term.ours)
        if value is not None:
            out[term.litellm] = term.to_litellm(value)
    return out
