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
    from modelbench.bench import Benchmark, load_dataset, read_results
    from modelbench.bench.scoring import register_scorer, resolve_scorer
    from modelbench.bench.summary import paired_comparison, summarize
    from modelbench.config import load_config
    from modelbench.litellm_form import from_litellm_config, to_litellm_config
    from modelbench.registry import Deployment, ModelSpec, Pricing, Registry
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
}

__all__ = [
    "Benchmark",
    "ConfigError",
    "DatasetError",
    "Deployment",
    "FakeProvider",
    "MissingExtraError",
    "MissingSecretError",
    "ModelSpec",
    "ModelbenchError",
    "Pricing",
    "Registry",
    "ServerError",
    "UnknownModelError",
    "__version__",
    "from_litellm_config",
    "load_config",
    "load_dataset",
    "local_server",
    "paired_comparison",
    "read_results",
    "register_scorer",
    "resolve_scorer",
    "summarize",
    "to_litellm_config",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
