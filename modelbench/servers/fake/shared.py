"""Simulated backends (``provider: sim``): one fake provider per profile, started on first use.

A config backend ``{provider: sim, profile: sim.yaml}`` is served by the fake provider (see
doc/fake-provider.md), started on 127.0.0.1 the first time a call needs it and stopped at
interpreter exit, like the embedded local model. With ``MODELBENCH_SIM_API_BASE`` set, that
running server (``modelbench sim serve --profile ...``) is used and nothing is started.
"""

from __future__ import annotations

import atexit
import os
import threading

from modelbench.providers import SIM_API_BASE_ENV
from modelbench.servers.fake._process import FakeProvider

__all__ = ["ensure_sim_server", "stop_sim_servers"]

_shared: dict[str, FakeProvider] = {}
_lock = threading.Lock()
_atexit_registered = False


def ensure_sim_server(profile: str | None = None) -> str:
    """The ``api_base`` of this process's fake provider for ``profile`` (None: built-in)."""
    external = os.environ.get(SIM_API_BASE_ENV, "").strip()
    if external:
        return external.rstrip("/")
    global _atexit_registered
    key = profile or ""
    with _lock:
        server = _shared.get(key)
        if server is None:
            server = FakeProvider(profile).start()
            _shared[key] = server
            if not _atexit_registered:
                atexit.register(stop_sim_servers)
                _atexit_registered = True
        return server.api_base


def stop_sim_servers() -> None:
    """Stop every fake provider this process started through :func:`ensure_sim_server`."""
    with _lock:
        servers = list(_shared.values())
        _shared.clear()
    for server in servers:
        server.stop()
