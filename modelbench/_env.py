"""Process-wide settings that must be in place before litellm is imported, and where
litellm's own log messages go."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
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
    if _log_file is not None:
        _redirect_litellm_logs(_log_file)
    return litellm


CACHE_DIR_ENV = "MODELBENCH_CACHE_DIR"


def modelbench_home() -> Path:
    """``$MODELBENCH_CACHE_DIR``, else ``~/.cache/modelbench``: the cache and the log live here."""
    env = os.environ.get(CACHE_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "modelbench"


LITELLM_LOGGERS: tuple[str, ...] = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
_log_file: Path | None = None


class _QuietFileHandler(logging.FileHandler):
    """A log file that never complains on the terminal when it cannot be written."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def litellm_logs_to_file(path: Path) -> Callable[[], None]:
    """Send litellm's log messages and Python warnings to ``path`` instead of the terminal.

    The CLI does this so library chatter stays out of the user's output and progress bar.
    Returns a function that puts everything back as it was.
    """
    global _log_file
    saved = {name: _logger_state(name) for name in (*LITELLM_LOGGERS, "py.warnings")}
    _log_file = path
    if "litellm" in sys.modules:
        _redirect_litellm_logs(path)
    logging.captureWarnings(True)
    _attach("py.warnings", path)

    def restore() -> None:
        global _log_file
        _log_file = None
        logging.captureWarnings(False)
        for name, (handlers, propagate) in saved.items():
            logger = logging.getLogger(name)
            for handler in logger.handlers[:]:
                if handler not in handlers:
                    logger.removeHandler(handler)
                    handler.close()
            for handler in handlers:
                if handler not in logger.handlers:
                    logger.addHandler(handler)
            logger.propagate = propagate

    return restore


def _logger_state(name: str) -> tuple[list[logging.Handler], bool]:
    logger = logging.getLogger(name)
    return list(logger.handlers), logger.propagate


def _attach(name: str, path: Path) -> None:
    logger = logging.getLogger(name)
    for handler in logger.handlers[:]:
        if not isinstance(handler, _QuietFileHandler):
            logger.removeHandler(handler)
    if not any(isinstance(h, _QuietFileHandler) for h in logger.handlers):
        with contextlib.suppress(OSError):  # the handler drops what it cannot write
            path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietFileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


def _redirect_litellm_logs(path: Path) -> None:
    for name in LITELLM_LOGGERS:
        _attach(name, path)


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a subprocess we start (servers, the proxy): offline settings included."""
    env = dict(os.environ)
    for key, value in OFFLINE_ENV.items():
        env.setdefault(key, value)
    if extra:
        env.update(extra)
    return env
