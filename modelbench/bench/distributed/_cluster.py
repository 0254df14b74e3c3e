"""Connecting to Ray: a private local instance for ``--workers``, or a cluster's address.

A local instance is made for this run only (loopback, no dashboard, no usage stats, a small
object store) and shut down after it. An address (``auto`` or ``HOST:PORT``) joins a running
cluster as a driver; leaving disconnects without stopping the cluster. When the caller has
already called ``ray.init``, that connection is used and left as it was.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from modelbench._errors import MissingExtraError, ModelbenchError

__all__ = [
    "LOOPBACK_ENV",
    "OBJECT_STORE_BYTES",
    "SLOW_START_ENV",
    "import_ray",
    "ray_session",
    "require_ray",
]

OBJECT_STORE_BYTES = 128 * 1024 * 1024
"""Rows are small; a local instance does not need Ray's default (30% of memory)."""


SLOW_START_ENV = {
    "RAY_DISABLE_USAGE_STATS": "1",
    # A node's raylet waits for its agent processes (Python, slow to import on a busy
    # machine) and gives up after 30 s by default; a busy 2-core machine needs longer.
    "RAY_raylet_start_wait_time_s": "120",
}

LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""Ray rewrites 127.0.0.1 in an address to the machine's IP before connecting; a cluster bound
to loopback (as tests and ``ray start --node-ip-address 127.0.0.1`` make) is not there."""


_NO_RAY = "--workers and --ray-address need Ray; run: pip install 'modelbench[ray]'"


def require_ray() -> None:
    """One line naming the extra when Ray is not installed (without importing it yet)."""
    try:
        found = importlib.util.find_spec("ray") is not None
    except ValueError:  # sys.modules["ray"] is None: blocked on purpose
        found = False
    if not found:
        raise MissingExtraError(_NO_RAY)


def import_ray(address: str | None = None) -> ModuleType:
    """``ray``, its environment set first (Ray reads some variables once, at import)."""
    for key, value in SLOW_START_ENV.items():
        os.environ.setdefault(key, value)
    if address is not None and _loopback(address):
        for key, value in LOOPBACK_ENV.items():
            os.environ.setdefault(key, value)
    try:
        import ray
    except ImportError:
        raise MissingExtraError(_NO_RAY) from None
    return ray


def _loopback(address: str) -> bool:
    host = address.removeprefix("ray://").rsplit(":", 1)[0]
    return host in ("127.0.0.1", "localhost")


@contextmanager
def ray_session(workers: int | None, address: str | None) -> Iterator[ModuleType]:
    """Ray, connected for the block (started locally with ``workers`` CPUs when no address)."""
    ray = import_ray(address)
    if ray.is_initialized():
        yield ray
        return
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
    if address is None:
        ray.init(
            num_cpus=max(1, workers or 1),
            num_gpus=0,
            include_dashboard=False,
            object_store_memory=OBJECT_STORE_BYTES,
            _node_ip_address="127.0.0.1",
            **quiet,
        )
    else:
        try:
            ray.init(address=address, **quiet)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelbenchError(
                f"cannot join the Ray cluster at {address!r} ({reason}); start one with "
                "'ray start --head', or use --workers N alone for workers on this machine"
            ) from None
    try:
        yield ray
    finally:
        ray.shutdown()
