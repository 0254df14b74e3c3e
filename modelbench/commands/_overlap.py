"""Start-up work a command can overlap: litellm's import and the local model server's start.

``import litellm`` costs seconds of CPU (4.6 s measured on a shared 2-core machine) and the
local server takes 1-2 s to load its model, in a process of its own. Neither needs the other,
and neither needs the config to be validated first (the server only needs to know it will be
used). Started in background threads at the top of ``modelbench run``, they proceed while the
config, the dataset and the results file are read; the first real use of either (the run's
warm-up call, ``ensure_local_server`` under its lock) waits for it if it is still going.

A failure in the background is not reported there: the same work is done again, in the
foreground, where it is needed, and fails there with the usual one-line error.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from modelbench import import_litellm

if TYPE_CHECKING:
    from modelbench.registry import Deployment

__all__ = ["import_litellm_soon", "local_server_named_in", "start_local_server_soon"]


def _quietly(work: object) -> None:
    with contextlib.suppress(Exception):
        work()  # type: ignore[operator]


def import_litellm_soon() -> threading.Thread:
    """Import litellm (and pandas, which the results need) in a daemon thread."""

    def work() -> None:
        import_litellm()
        import pandas  # noqa: F401  (read_results and the summary need it afterwards)

    thread = threading.Thread(target=_quietly, args=(work,), name="import-litellm", daemon=True)
    thread.start()
    return thread


def local_server_named_in(config: str | Path) -> bool:
    """Whether a config file, read as plain YAML (unvalidated), has a local backend to start.

    Validating a config needs litellm (its provider list), so waiting for the validated
    config would put the server's start after litellm's import instead of beside it. A wrong
    guess costs a server started for nothing (stopped at exit); the validated config decides
    what runs.
    """
    import yaml

    try:
        data = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not isinstance(data, dict):
        return False
    backends = data.get("backends")
    if isinstance(backends, dict):
        for backend in backends.values():
            if not isinstance(backend, dict):
                continue
            if backend.get("provider") == "local" and not backend.get("api_base"):
                return True
    return False


def start_local_server_soon(deployments: Iterable[Deployment] | None) -> threading.Thread | None:
    """Start the shared local server in a daemon thread if one of ``deployments`` needs it.

    ``None``: start it without asking (the caller has its own reason to expect a local call).
    """
    from modelbench.providers import LOCAL_PROVIDER

    if deployments is not None and not any(
        d.provider == LOCAL_PROVIDER and d.api_base is None for d in deployments
    ):
        return None
    from modelbench.servers.local import ensure_local_server

    thread = threading.Thread(
        target=_quietly, args=(ensure_local_server,), name="start-local-server", daemon=True
    )
    thread.start()
    return thread
