"""A fault-injecting, OpenAI-compatible fake provider for tests, rehearsals and benchmarks.

``FakeProvider(profile, seed=0)`` runs it in a subprocess on 127.0.0.1; the profile gives
each fake model its timing (latency, TTFT, tokens/s), fault rates (429, 500, 503, hang,
reset, malformed JSON, cut stream) and, with a dataset, its accuracy. Answers and fault
draws are deterministic for a seed; a retry of the same request draws again, so it can
succeed. See doc/fake-provider.md.
"""

from __future__ import annotations

from collections.abc import Callable

from modelbench.servers.fake._draw import prompt_hash
from modelbench.servers.fake._process import FakeProvider, SimStats
from modelbench.servers.fake._profile import (
    DEFAULT_PROFILE,
    FAULT_KINDS,
    DatasetRow,
    ModelProfile,
    Profile,
    load_profile,
)

__all__ = [
    "DEFAULT_PROFILE",
    "FAULT_KINDS",
    "DatasetRow",
    "FakeProvider",
    "ModelProfile",
    "Profile",
    "SimStats",
    "load_profile",
    "prompt_hash",
    "serve",
]


def serve(
    profile: Profile,
    *,
    seed: int = 0,
    port: int = 0,
    on_ready: Callable[[str], None] = print,
    parent_pid: int | None = None,
) -> None:
    """Serve the fake in this process until interrupted (``modelbench sim serve``)."""
    from modelbench.servers.fake._app import serve as serve_app  # aiohttp: only when serving

    serve_app(profile, seed=seed, port=port, on_ready=on_ready, parent_pid=parent_pid)
