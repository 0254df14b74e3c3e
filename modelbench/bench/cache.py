"""An optional on-disk response cache (one sqlite file), so a rerun does not pay twice.

The key is a hash of the model name, the deployment, its mode, the prompt or messages, the
call parameters (secrets, endpoints, timeouts and prices left out) and the repeat index: each
repeat is its own sample, so repeats are never answered from one another. Only successful
responses are stored. A hit becomes a row with ``cached=True``, ``cost_usd=0``, ``attempts=0``
and the timings measured when the response was first fetched.

    cache = ResponseCache("~/.cache/modelbench")   # or Benchmark(..., cache=True)
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from modelbench._env import CACHE_DIR_ENV, modelbench_home
from modelbench._errors import OutputError
from modelbench.bench.calls import CallResult
from modelbench.bench.record import DatasetItem
from modelbench.files import writable_dir
from modelbench.registry import Deployment

__all__ = ["CACHE_DIR_ENV", "ResponseCache", "cache_key", "default_cache_dir", "open_cache"]


# Call arguments that do not change the answer: where and how the call is made, its price.
_NOT_IN_KEY = frozenset(
    (
        "api_key",
        "api_base",
        "api_version",
        "timeout",
        "stream",
        "stream_options",
        "num_retries",
        "max_retries",
        "mock_delay",
        "input_cost_per_token",
        "output_cost_per_token",
        "input_cost_per_second",
        "output_cost_per_second",
    )
)


def default_cache_dir() -> Path:
    """``$MODELBENCH_CACHE_DIR``, else ``~/.cache/modelbench``."""
    return modelbench_home()


def cache_key(
    deployment: Deployment, item: DatasetItem, kwargs: Mapping[str, Any], repeat: int
) -> str:
    """A stable hash of everything that determines the answer of one (key, repeat)."""
    payload = {
        "v": 1,
        "model": deployment.model,
        "backend": deployment.name,
        "mode": deployment.mode,
        "input": item.as_prompt() if deployment.mode == "completion" else item.as_messages(),
        "params": {k: v for k, v in sorted(kwargs.items()) if k not in _NOT_IN_KEY},
        "repeat": repeat,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    """Responses by ``cache_key`` in ``<directory>/responses.sqlite``."""

    FILENAME = "responses.sqlite"

    def __init__(self, directory: str | Path | None = None) -> None:
        where = directory if directory else default_cache_dir()
        self.directory = writable_dir(where, option="--cache")
        self.path = self.directory / self.FILENAME
        self._db: sqlite3.Connection | None = None
        self.hits = 0
        self.misses = 0
        try:
            self._conn()  # now, so a broken cache file is one line before any call
        except sqlite3.Error as exc:
            raise OutputError(
                f"not a usable response cache ({exc}); delete it or choose another --cache",
                path=str(self.path),
            ) from None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT)")
            self._db = db
        return self._db

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        try:
            value = json.loads(row[0])
        except json.JSONDecodeError:
            self.misses += 1
            return None
        self.hits += 1
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: Mapping[str, Any]) -> None:
        text = json.dumps(dict(value), ensure_ascii=False)
        self._conn().execute(
            "INSERT OR REPLACE INTO responses (key, value) VALUES (?, ?)", (key, text)
        )

    def get_result(self, key: str) -> CallResult | None:
        """A cached answer as the call first returned it (timings included), or None."""
        hit = self.get(key)
        if hit is None:
            return None

        def number(name: str) -> float:
            value = hit.get(name)
            return float(value) if isinstance(value, int | float) else math.nan

        return CallResult(
            output=str(hit.get("output", "")),
            started_at=str(hit.get("started_at", "")),
            latency_s=number("latency_s"),
            ttft_s=number("ttft_s"),
            input_tokens=number("input_tokens"),
            output_tokens=number("output_tokens"),
            cached_input_tokens=number("cached_input_tokens"),
            token_source=str(hit.get("token_source", "")),
        )

    def put_result(self, key: str, result: CallResult) -> None:
        self.put(
            key,
            {
                "output": result.output,
                "started_at": result.started_at,
                "latency_s": result.latency_s,
                "ttft_s": result.ttft_s,
                "input_tokens": result.input_tokens,
                "output_tokens": result.output_tokens,
                "cached_input_tokens": result.cached_input_tokens,
                "token_source": result.token_source,
            },
        )

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def clear(self) -> None:
        self._conn().execute("DELETE FROM responses")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"


def open_cache(spec: bool | str | Path | ResponseCache | None) -> ResponseCache | None:
    """``Benchmark(cache=...)``: off (None/False), the default dir (True), a dir, or a cache."""
    if spec is None or spec is False:
        return None
    if isinstance(spec, ResponseCache):
        return spec
    return ResponseCache(None if spec is True else spec)
