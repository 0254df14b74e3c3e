"""modelbench: map model names to LLM backends, benchmark them, export a LiteLLM config.

Everything a user needs is importable from here: the config types, the registry, the benchmark,
scorers, summaries and reports, routing policies, notebooks' widgets and plots, the fake
provider and the local model. Names are imported lazily: ``import modelbench`` does not import
litellm (seconds of start-up), pandas or the servers until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelbench._errors import (
    CallError,
    ConfigError,
    ConstraintsNotMetError,
    DatasetError,
    MissingExtraError,
    MissingSecretError,
    ModelbenchError,
    OptionError,
    OutputError,
    PolicyError,
    ResultsError,
    ScorerError,
    ServerError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from modelbench import plots
    from modelbench._env import import_litellm
    from modelbench.bench import (
        COLUMNS,
        KEY,
        Benchmark,
        DatasetItem,
        ResponseCache,
        ResultRow,
        ResultsWriter,
        RetryPolicy,
        RunStats,
        load_dataset,
        read_results,
    )
    from modelbench.bench.format import format_summary, to_html
    from modelbench.bench.report import html_report
    from modelbench.bench.scoring import (
        CallableScorer,
        RuleScorer,
        Score,
        Scorer,
        register_scorer,
        resolve_scorer,
        scorer_names,
    )
    from modelbench.bench.summary import (
        SUMMARY_COLUMNS,
        PairedComparison,
        paired_comparison,
        summarize,
    )
    from modelbench.checks import (
        Check,
        Judge,
        Length,
        NonEmpty,
        Regex,
        ValidJSON,
        register_check,
        resolve_check,
    )
    from modelbench.config import (
        BackendConfig,
        Config,
        DeploymentConfig,
        LoadedConfig,
        ModelConfig,
        MonitoringConfig,
        PolicySpec,
        PricingConfig,
        RateLimits,
        RouteConfig,
        RoutingConfig,
        SecurityConfig,
        load_config,
        load_config_text,
        validate_data,
    )
    from modelbench.litellm_form import from_litellm_config, to_litellm_config
    from modelbench.notebook.compare import compare
    from modelbench.notebook.dashboard import Dashboard, dashboard
    from modelbench.notebook.table import SummaryTable, summary_table
    from modelbench.registry import Deployment, ModelSpec, Pricing, Registry
    from modelbench.routing import (
        ByCategory,
        Cascade,
        Cheapest,
        Fallback,
        Fastest,
        Oracle,
        Policy,
        Single,
        Weighted,
        arms,
        policy_from_dict,
        register_policy,
        resolve_policy,
    )
    from modelbench.routing.candidates import candidates
    from modelbench.routing.frontier import aiq, pareto_frontier
    from modelbench.routing.recommend import Recommendation, recommend
    from modelbench.routing.simulate import simulate
    from modelbench.routing.tune import Tuned, tune
    from modelbench.servers.fake import FakeProvider, SimStats
    from modelbench.servers.local import (
        LocalServer,
        ensure_local_server,
        local_server,
        stop_local_server,
    )

__version__ = "0.1.0"

# name -> module that defines it; resolved on first attribute access (PEP 562).
_LAZY: dict[str, str] = {
    "import_litellm": "modelbench._env",
    **dict.fromkeys(
        (
            "COLUMNS",
            "KEY",
            "Benchmark",
            "DatasetItem",
            "ResponseCache",
            "ResultRow",
            "ResultsWriter",
            "RetryPolicy",
            "RunStats",
            "load_dataset",
            "read_results",
        ),
        "modelbench.bench",
    ),
    **dict.fromkeys(("format_summary", "to_html"), "modelbench.bench.format"),
    "html_report": "modelbench.bench.report",
    **dict.fromkeys(
        (
            "CallableScorer",
            "RuleScorer",
            "Score",
            "Scorer",
            "register_scorer",
            "resolve_scorer",
            "scorer_names",
        ),
        "modelbench.bench.scoring",
    ),
    **dict.fromkeys(
        (
            "SUMMARY_COLUMNS",
            "PairedComparison",
            "paired_comparison",
            "summarize",
        ),
        "modelbench.bench.summary",
    ),
    **dict.fromkeys(
        (
            "Check",
            "Judge",
            "Length",
            "NonEmpty",
            "Regex",
            "ValidJSON",
            "register_check",
            "resolve_check",
        ),
        "modelbench.checks",
    ),
    **dict.fromkeys(
        (
            "BackendConfig",
            "Config",
            "DeploymentConfig",
            "LoadedConfig",
            "ModelConfig",
            "MonitoringConfig",
            "PolicySpec",
            "PricingConfig",
            "RateLimits",
            "RouteConfig",
            "RoutingConfig",
            "SecurityConfig",
            "load_config",
            "load_config_text",
            "validate_data",
        ),
        "modelbench.config",
    ),
    **dict.fromkeys(("from_litellm_config", "to_litellm_config"), "modelbench.litellm_form"),
    "compare": "modelbench.notebook.compare",
    **dict.fromkeys(("Dashboard", "dashboard"), "modelbench.notebook.dashboard"),
    **dict.fromkeys(("SummaryTable", "summary_table"), "modelbench.notebook.table"),
    **dict.fromkeys(("Deployment", "ModelSpec", "Pricing", "Registry"), "modelbench.registry"),
    **dict.fromkeys(
        (
            "ByCategory",
            "Cascade",
            "Cheapest",
            "Fallback",
            "Fastest",
            "Oracle",
            "Policy",
            "Single",
            "Weighted",
            "arms",
            "policy_from_dict",
            "register_policy",
            "resolve_policy",
        ),
        "modelbench.routing",
    ),
    "candidates": "modelbench.routing.candidates",
    **dict.fromkeys(("aiq", "pareto_frontier"), "modelbench.routing.frontier"),
    **dict.fromkeys(("Recommendation", "recommend"), "modelbench.routing.recommend"),
    "simulate": "modelbench.routing.simulate",
    **dict.fromkeys(("Tuned", "tune"), "modelbench.routing.tune"),
    **dict.fromkeys(("FakeProvider", "SimStats"), "modelbench.servers.fake"),
    **dict.fromkeys(
        (
            "LocalServer",
            "ensure_local_server",
            "local_server",
            "stop_local_server",
        ),
        "modelbench.servers.local",
    ),
}

# name -> submodule exposed as an attribute (``modelbench.plots``), imported on first use.
_MODULES: dict[str, str] = {"plots": "modelbench.plots"}

__all__ = [
    "COLUMNS",
    "KEY",
    "SUMMARY_COLUMNS",
    "BackendConfig",
    "Benchmark",
    "ByCategory",
    "CallError",
    "CallableScorer",
    "Cascade",
    "Cheapest",
    "Check",
    "Config",
    "ConfigError",
    "ConstraintsNotMetError",
    "Dashboard",
    "DatasetError",
    "DatasetItem",
    "Deployment",
    "DeploymentConfig",
    "FakeProvider",
    "Fallback",
    "Fastest",
    "Judge",
    "Length",
    "LoadedConfig",
    "LocalServer",
    "MissingExtraError",
    "MissingSecretError",
    "ModelConfig",
    "ModelSpec",
    "ModelbenchError",
    "MonitoringConfig",
    "NonEmpty",
    "OptionError",
    "Oracle",
    "OutputError",
    "PairedComparison",
    "Policy",
    "PolicyError",
    "PolicySpec",
    "Pricing",
    "PricingConfig",
    "RateLimits",
    "Recommendation",
    "Regex",
    "Registry",
    "ResponseCache",
    "ResultRow",
    "ResultsError",
    "ResultsWriter",
    "RetryPolicy",
    "RouteConfig",
    "RoutingConfig",
    "RuleScorer",
    "RunStats",
    "Score",
    "Scorer",
    "ScorerError",
    "SecurityConfig",
    "ServerError",
    "SimStats",
    "Single",
    "SummaryTable",
    "Tuned",
    "UnknownModelError",
    "ValidJSON",
    "Weighted",
    "__version__",
    "aiq",
    "arms",
    "candidates",
    "compare",
    "dashboard",
    "ensure_local_server",
    "format_summary",
    "from_litellm_config",
    "html_report",
    "import_litellm",
    "load_config",
    "load_config_text",
    "load_dataset",
    "local_server",
    "paired_comparison",
    "pareto_frontier",
    "plots",
    "policy_from_dict",
    "read_results",
    "recommend",
    "register_check",
    "register_policy",
    "register_scorer",
    "resolve_check",
    "resolve_policy",
    "resolve_scorer",
    "scorer_names",
    "simulate",
    "stop_local_server",
    "summarize",
    "summary_table",
    "to_html",
    "to_litellm_config",
    "tune",
    "validate_data",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = importlib.import_module(_MODULES[name])
        globals()[name] = value
        return value
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
