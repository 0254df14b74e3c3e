"""Shared state for several LiteLLM Proxy instances: the Redis settings an export adds.

Behind a load balancer, each proxy keeps its own counters unless its Router is given a
Redis: then rpm/tpm usage, cooldowns and failure counts are kept there, so a deployment's
``rpm`` holds across all instances. Router arguments (checked against litellm's
``Router.__init__``): ``redis_url``, or ``redis_host`` + ``redis_port`` (+ ``redis_password``).
Passwords and URLs are written as ``os.environ/VAR``, never as values.

    routing:
      strategy: usage          # LiteLLM checks rpm/tpm before each call only with this one
      redis:
        host: ${REDIS_HOST}
        port: 6379
        password: ${REDIS_PASSWORD}

or ``modelbench export config.yaml --redis-url '${REDIS_URL}'``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from modelbench._errors import ConfigError
from modelbench.config.env import EnvValue
from modelbench.config.schema import RedisConfig

__all__ = ["ENFORCING_STRATEGY", "redis_router_settings", "shared_limits_warning"]

ENFORCING_STRATEGY = "usage-based-routing-v2"
"""LiteLLM's routing strategy that counts rpm/tpm before each call (atomically, in Redis)."""


def redis_router_settings(redis: RedisConfig | None, url: str | None = None) -> dict[str, Any]:
    """``router_settings`` keys for Redis from the config's ``routing.redis`` or ``url``.

    ``url`` (``--redis-url``) wins over the config. A URL with a password in it, or a literal
    password, is refused: the exported file would carry the secret.
    """
    if url is not None:
        return {"redis_url": _url(url, "--redis-url")}
    if redis is None:
        return {}
    if redis.url is not None:
        return {"redis_url": _url(redis.url, "routing.redis.url")}
    out: dict[str, Any] = {
        "redis_host": EnvValue(str(redis.host)).to_litellm(where="routing.redis.host")
    }
    port = redis.port if redis.port is not None else 6379
    port_value = EnvValue(str(port)).to_litellm(where="routing.redis.port")
    out["redis_port"] = int(port_value) if port_value.isdigit() else port_value
    if redis.password is not None:
        out["redis_password"] = EnvValue(redis.password, secret=True).to_litellm(
            where="routing.redis.password"
        )
    return out


def shared_limits_warning(litellm_config: dict[str, Any]) -> str | None:
    """A note when instances share Redis but LiteLLM would not enforce the rpm/tpm limits."""
    router = litellm_config.get("router_settings") or {}
    if not any(k in router for k in ("redis_url", "redis_host")):
        return None
    if router.get("routing_strategy") == ENFORCING_STRATEGY:
        return None
    limited = [
        str(entry.get("model_name"))
        for entry in litellm_config.get("model_list") or []
        if {"rpm", "tpm"} & set(entry.get("litellm_params") or {})
    ]
    if not limited:
        return None
    return (
        f"warning: the rpm/tpm limits of {', '.join(dict.fromkeys(limited))} are shared through "
        "Redis but LiteLLM checks them before each call only with usage-based-routing-v2: "
        "set routing.strategy: usage for them to hold across instances"
    )


def _url(value: str, where: str) -> str:
    env = EnvValue(value)
    if env.references():
        return env.to_litellm(where=where) if _whole(env) else _refuse(where)
    parts = urlsplit(value)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            f"{where}: {value!r} is not a Redis URL; expected redis://HOST:PORT or '${{REDIS_URL}}'"
        )
    if parts.password:
        _refuse(where)
    return value


def _whole(env: EnvValue) -> bool:
    refs = env.references()
    return len(refs) == 1 and env.raw == "${" + refs[0][0] + "}"


def _refuse(where: str) -> str:
    raise ConfigError(
        f"{where}: a Redis URL with a password would be written into the exported file; "
        "put it in an environment variable and pass '${REDIS_URL}' instead"
    )
