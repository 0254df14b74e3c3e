"""The registry: model names and aliases -> deployments, compiled from a validated config.

``records.py`` (Pricing, Deployment, ModelSpec), ``compile.py`` (Config -> records),
``core.py`` (Registry: name resolution in one place, Router-backed calls), ``to_litellm.py``
(the LiteLLM form: litellm_params, model_info, router_settings).
"""

from modelbench.registry.core import Registry
from modelbench.registry.records import Deployment, ModelSpec, Pricing

__all__ = ["Deployment", "ModelSpec", "Pricing", "Registry"]
