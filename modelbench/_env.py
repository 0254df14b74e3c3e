"""Process-wide settings that must be in place before litellm is imported."""

from __future__ import annotations

import os
from types import ModuleType

# Without these, `import litellm` tries to download a price list and stalls offline.
# litellm 1.108 honours only the first; newer releases honour both.
OFFLINE_ENV: dict[str, str] = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_OFFLINE_MODE": "true",
}


def prepare_litellm_env() -> None:
    """Set the offline variables unless the user chose otherwise."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def import_litellm() -> ModuleType:
    """Import litellm late (it costs seconds) with the offline settings applied."""
    prepare_litellm_env()
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess we start (servers, the proxy): offline settings included."""
    env = dict(os.environ)
    for key, value in OFFLINE_ENV.items():
        env.setdefault(key, value)
    if extra:
        env.update(extra)
    return env
