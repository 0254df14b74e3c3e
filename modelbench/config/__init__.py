"""The user's YAML config: load with line numbers, validate with pydantic, interpolate ${VAR}."""

from modelbench.config.loader import (
    LoadedConfig,
    load_config,
    load_config_text,
    read_text,
    validate_data,
)
from modelbench.config.schema import (
    CAPABILITIES,
    STRATEGIES,
    BackendConfig,
    Config,
    DeploymentConfig,
    ModelConfig,
    MonitoringConfig,
    PolicySpec,
    PricingConfig,
    RateLimits,
    RouteConfig,
    RouteEvidence,
    RoutingConfig,
    SecurityConfig,
)
from modelbench.config.yaml_lines import parse_yaml

__all__ = [
    "CAPABILITIES",
    "STRATEGIES",
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
    "RouteEvidence",
    "RoutingConfig",
    "SecurityConfig",
    "load_config",
    "load_config_text",
    "parse_yaml",
    "read_text",
    "validate_data",
]
