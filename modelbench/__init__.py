"""modelbench: map model names to LLM backends, benchmark them, export a LiteLLM config.

The public API lives here and is imported lazily: ``import modelbench`` does not import
litellm (seconds of start-up), pandas or the servers until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from modelbench._errors import (
    ConfigError,
    DatasetError,
    MissingExtraError,
    MissingSecretError,
    ModelbenchError,
    ServerError,
    UnknownModelError,
)

if TYPE_CHECKING:
    from modelbench import plots
    from modelbench.bench import Benchmark, load_dataset, read_results
    from modelbench.bench.scoring import register_scorer, resolve_scorer
    from modelbench.bench.summary import paired_comparison, summarize
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
    from modelbench.config import load_config
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
    from modelbench.servers.fake import FakeProvider
    from modelbench.servers.local import local_server

__version__ = "0.1.0"

# name -> module that defines it; resolved on first attribute access (PEP 562).
_LAZY: dict[str, str] = {
    "Benchmark": "modelbench.bench",
    "load_dataset": "modelbench.bench",
    "read_results": "modelbench.bench",
    "summarize": "modelbench.bench.summary",
    "paired_comparison": "modelbench.bench.summary",
    "resolve_scorer": "modelbench.bench.scoring",
    "register_scorer": "modelbench.bench.scoring",
    "FakeProvider": "modelbench.servers.fake",
    "local_server": "modelbench.servers.local",
    "Deployment": "modelbench.registry",
    "ModelSpec": "modelbench.registry",
    "Pricing": "modelbench.registry",
    "Registry": "modelbench.registry",
    "from_litellm_config": "modelbench.litellm_form",
    "to_litellm_config": "modelbench.litellm_form",
    "load_config": "modelbench.config",
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
    "aiq": "modelbench.routing.frontier",
    "candidates": "modelbench.routing.candidates",
    "pareto_frontier": "modelbench.routing.frontier",
    "simulate": "modelbench.routing.simulate",
    "Recommendation": "modelbench.routing.recommend",
    "recommend": "modelbench.routing.recommend",
    "Tuned": "modelbench.routing.tune",
    "tune": "modelbench.routing.tune",
    "Dashboard": "modelbench.notebook.dashboard",
    "dashboard": "modelbench.notebook.dashboard",
    "compare": "modelbench.notebook.compare",
    "SummaryTable": "modelbench.notebook.table",
    "summary_table": "modelbench.notebook.table",
}

# name -> submodule exposed as an attribute (``modelbench.plots``), imported on first use.
_MODULES: dict[str, str] = {"plots": "modelbench.plots"}

__all__ = [
    "Benchmark",
    "ByCategory",
    "Cascade",
    "Cheapest",
    "Check",
    "ConfigError",
    "Dashboard",
    "DatasetError",
    "Deployment",
    "FakeProvider",
    "Fallback",
    "Fastest",
    "Judge",
    "Length",
    "MissingExtraError",
    "MissingSecretError",
    "ModelSpec",
    "ModelbenchError",
    "NonEmpty",
    "Oracle",
    "Policy",
    "Pricing",
    "Recommendation",
    "Regex",
    "Registry",
    "ServerError",
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
    "from_litellm_config",
    "load_config",
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
    "simulate",
    "summarize",
    "summary_table",
    "to_litellm_config",
    "tune",
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
