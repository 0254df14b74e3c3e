"""The user's YAML config: load with line numbers, validate with pydantic, interpolate ${VAR}."""

from modelbench.config.loader import LoadedConfig, load_config, load_config_text, validate_data
from modelbench.config.schema import Config

__all__ = ["Config", "LoadedConfig", "load_config", "load_config_text", "validate_data"]
