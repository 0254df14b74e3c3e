"""Start a server in a subprocess on 127.0.0.1, wait until it answers, stop it (only it).

Shared by every server modelbench starts: the LiteLLM Proxy, the local model, the fake provider.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import IO, Any

from modelbench._errors import ServerError

__all__ = [
    "LOOPBACK_OPENER",
    "ServerProcess",
    "check_port_free",
    "free_port",
    "http_get",
    "output_lines",
    "start_on_port",
    "stop_process",
]

HOST = "127.0.0.1"

# Calls to our own loopback servers must never go through a proxy from the environment.
LOOPBACK_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def check_port_free(port: int, what: str) -> None:
    """Raise a one-line ServerError if ``port`` is taken on 127.0.0.1."""
    if not 0 < port < 65536:
        raise ServerError(f"cannot start {what}: port {port} is not a port number (1-65535)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            raise ServerError(
                f"cannot start {what}: port {port} on {HOST} is in use; "
                "choose another with --port, or leave it out to pick a free one"
            ) from None


def output_lines(stream: IO[bytes]) -> list[str]:
    """The non-empty lines a server wrote to its captured output file, stripped."""
    stream.seek(0)
    text = stream.read().decode("utf-8", "replace")
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def http_get(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 2) -> int:
    """The HTTP status of a GET, or 0 when nothing answers."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with LOOPBACK_OPENER.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


class ServerProcess:
    """A server command run in its own session, ready once ``ready_url`` answers 200."""

    def __init__(
        self,
        what: str,
        cmd: Sequence[str],
        *,
        ready_url: str,
        env: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        startup_timeout_s: float = 60.0,
    ) -> None:
        self.what = what
        self.cmd = list(cmd)
        self.ready_url = ready_url
        self.env = dict(env) if env is not None else None
        self.headers = dict(headers or {})
        self.startup_timeout_s = startup_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, ServerProcess] | None = None
        self._stderr: IO[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> ServerProcess:
        if self._process is not None:
            return self
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _stop)
        self._stderr = stderr
        self._process = subprocess.Popen(
            self.cmd,
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            env=self.env,
            start_new_session=True,  # our Ctrl-C is ours to handle; we stop it ourselves
        )
        self._finalizer = weakref.finalize(self, _stop, self._process, stderr)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            if self._process.poll() is not None:
                raise ServerError(self.exit_message(self._process.returncode))
            if self._ready():
                return
            if time.monotonic() > deadline:
                raise ServerError(
                    f"{self.what} did not answer {self.ready_url} within "
                    f"{self.startup_timeout_s:g}s: {self.last_output()}"
                )
            time.sleep(0.1)

    def exit_message(self, code: int) -> str:
        """Why the server exited while starting (a subclass words it for its own output)."""
        return f"{self.what} exited at start (code {code}): {self.last_output()}"

    def _ready(self) -> bool:
        return http_get(self.ready_url, headers=self.headers) == 200

    def last_output(self, lines: int = 1) -> str:
        """The last non-empty line(s) the server printed, for error messages."""
        if self._stderr is None or self._stderr.closed:
            return "(no output)"
        kept = output_lines(self._stderr)
        return " | ".join(kept[-lines:]) if kept else "(no output)"

    def stop(self) -> None:
        """Stop the server process and its children; safe to call twice."""
        if self._finalizer is not None:
            self._finalizer()
        self._process = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_on_port(
    make: Callable[[int], ServerProcess], port: int | None, what: str, *, attempts: int = 3
) -> tuple[ServerProcess, int]:
    """Start ``make(port)``; with ``port=None`` on a free port, tried ``attempts`` times.

    A free port can be taken between our choice and the server's bind, so a start that fails
    with "already in use" is retried on another free port. A port the user asked for is
    tried once and its error passes through.
    """
    tries = 1 if port is not None else attempts
    for attempt in range(tries):
        chosen = port if port is not None else free_port()
        process = make(chosen)
        try:
            process.start()
        except ServerError as exc:
            if port is not None or "already in use" not in str(exc).lower():
                raise
            if attempt + 1 == tries:
                raise ServerError(
                    f"cannot start {what}: port {chosen} on {HOST} is in use; choose "
                    "another with --port, or leave it out to pick a free one"
                ) from None
        else:
            return process, chosen
    raise AssertionError("unreachable")  # pragma: no cover


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    """Stop a server started in its own session: SIGTERM to its process group, then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the session: workers included
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _stop(process: subprocess.Popen[bytes], stderr: IO[bytes]) -> None:
    stop_process(process)
    stderr.close()
