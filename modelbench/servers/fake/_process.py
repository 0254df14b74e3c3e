"""``FakeProvider``: the fake server in its own process, so its timing is not disturbed by ours."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import modelbench
from modelbench._env import child_env
from modelbench._errors import ServerError
from modelbench.servers._process import (
    HOST,
    LOOPBACK_OPENER,
    ServerProcess,
    output_lines,
    start_on_port,
)
from modelbench.servers.fake._profile import DEFAULT_PROFILE, Profile, load_profile

__all__ = ["FakeProvider", "SimStats"]


@dataclass(frozen=True)
class SimStats:
    """What the fake has been asked since it started (or was reset)."""

    total: int
    requests: dict[str, int]
    """Model -> number of requests (including faulted ones)."""
    outcomes: dict[str, dict[str, int]]
    """Model -> outcome (``ok``, ``429``, ``500``, ``503``, ``timeout``, ``reset``,
    ``malformed``, ``cut_stream``, ``not_found``) -> count."""
    prompts: dict[str, dict[str, int]]
    """Model -> ``prompt_hash(messages or prompt)`` -> count."""
    per_second: dict[str, dict[int, int]]
    """Model -> arrival second (``int(time.time())``) -> requests: what a rate limit allows."""
    timing: dict[str, float]
    """How late the server woke for its scheduled sends: ``scheduled_sends``,
    ``late_ms_p50``, ``late_ms_p90``, ``late_ms_max`` (the server's share of timing error)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SimStats:
        models: Mapping[str, Any] = data.get("models", {})
        return cls(
            total=int(data.get("total", 0)),
            requests={m: int(v["requests"]) for m, v in models.items()},
            outcomes={m: dict(v["outcomes"]) for m, v in models.items()},
            prompts={m: dict(v["prompts"]) for m, v in models.items()},
            per_second={
                m: {int(s): int(n) for s, n in v.get("per_second", {}).items()}
                for m, v in models.items()
            },
            timing=dict(data.get("timing", {})),
        )

    def repeats(self) -> dict[tuple[str, str], int]:
        """``(model, prompt hash)`` pairs requested more than once, with their counts."""
        return {
            (model, phash): n
            for model, counts in self.prompts.items()
            for phash, n in counts.items()
            if n > 1
        }


class FakeProvider:
    """An OpenAI-compatible fake provider in a subprocess on 127.0.0.1.

    ::

        with FakeProvider({"models": {"flaky": {"rate_429": 0.5}}}, seed=1) as fake:
            litellm.completion(model="openai/flaky", api_base=fake.api_base, api_key="x", ...)
            assert fake.stats().requests["flaky"] == 1

    ``profile`` is a dict, a ``Profile``, a YAML/JSON path, or None for the built-in
    ``fake-fast`` / ``fake-slow`` / ``fake-flaky``. ``port=None`` picks a free port.
    """

    def __init__(
        self,
        profile: Profile | Mapping[str, Any] | str | Path | None = None,
        *,
        seed: int = 0,
        port: int | None = None,
        startup_timeout_s: float = 30.0,
    ) -> None:
        self.profile: Profile = load_profile(profile)
        self.seed = seed
        self._requested_port = port
        self.startup_timeout_s = startup_timeout_s
        self._api_base: str | None = None
        self._process: ServerProcess | None = None
        self._cleanup: weakref.finalize[Any, FakeProvider] | None = None

    @property
    def models(self) -> list[str]:
        return list(self.profile.models)

    @property
    def api_base(self) -> str:
        """``http://127.0.0.1:PORT/v1``, for litellm's ``api_base``."""
        if self._api_base is None:
            raise ServerError("the fake provider is not running; call start() or use 'with'")
        return self._api_base

    @property
    def url(self) -> str:
        """The server root, ``http://127.0.0.1:PORT``."""
        return self.api_base.removesuffix("/v1")

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.url.rsplit(":", 1)[1])

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> FakeProvider:
        """Start the process and wait until ``/v1/models`` answers."""
        if self._process is not None:
            return self
        profile_file: str | None = None
        if self.profile is not DEFAULT_PROFILE:
            fd, profile_file = tempfile.mkstemp(prefix="modelbench-fake-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self.profile.model_dump_json())
        self._cleanup = weakref.finalize(self, _unlink, profile_file)
        try:
            self._process, port = start_on_port(
                lambda port: _FakeProcess(self._command(port, profile_file), port, self),
                self._requested_port,
                "the fake provider",
            )
        except BaseException:
            self.stop()
            raise
        self._api_base = f"http://{HOST}:{port}/v1"
        return self

    def _command(self, port: int, profile_file: str | None) -> list[str]:
        cmd = [sys.executable, "-m", "modelbench.servers.fake", "--seed", str(self.seed)]
        cmd += ["--port", str(port), "--parent-pid", str(os.getpid())]
        return cmd + (["--profile", profile_file] if profile_file else [])

    def stop(self) -> None:
        """Stop the process (only it); safe to call twice."""
        process, self._process = self._process, None
        if process is not None:
            process.stop()
        if self._cleanup is not None:
            self._cleanup()
        self._api_base = None

    def stats(self) -> SimStats:
        return SimStats.from_json(self._call("GET", "/_sim/stats"))

    def reset(self) -> None:
        """Forget every count: fault draws start again as for a fresh server."""
        self._call("POST", "/_sim/reset")

    def __enter__(self) -> FakeProvider:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self._api_base or "stopped"
        return f"FakeProvider({state}, models={self.models}, seed={self.seed})"

    def _call(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        try:
            with LOOPBACK_OPENER.open(request, timeout=10) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError) as exc:
            raise ServerError(
                f"the fake provider at {self.url} did not answer {path}: {exc}"
            ) from None


class _FakeProcess(ServerProcess):
    """The shared server process, with the fake's own ``error: ...`` line as the reason."""

    def __init__(self, cmd: list[str], port: int, owner: FakeProvider) -> None:
        super().__init__(
            "the fake provider",
            cmd,
            ready_url=f"http://{HOST}:{port}/v1/models",
            env=child_env({"PYTHONPATH": _pythonpath()}),
            startup_timeout_s=owner.startup_timeout_s,
        )

    def exit_message(self, code: int) -> str:
        return f"the fake provider did not start: {self._last_error()}"

    def _last_error(self) -> str:
        if self._stderr is None or self._stderr.closed:
            return "it exited without a message"
        lines = output_lines(self._stderr)
        if not lines:
            return "it exited without a message"
        errors = [ln for ln in lines if ln.startswith("error: ")]
        return errors[-1].removeprefix("error: ") if errors else lines[-1]


def _pythonpath() -> str:
    """PYTHONPATH for the child: this copy of modelbench first, even when not installed."""
    root = str(Path(next(iter(modelbench.__path__))).resolve().parent)
    existing = os.environ.get("PYTHONPATH")
    return root + (os.pathsep + existing if existing else "")


def _unlink(path: str | None) -> None:
    if path:
        with contextlib.suppress(OSError):
            os.unlink(path)
