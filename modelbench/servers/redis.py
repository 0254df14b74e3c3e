"""A throwaway Redis server on loopback (Debian's ``redis-server``), for shared proxy state.

with redis_server() as url:          # redis://127.0.0.1:PORT, nothing written to disk
    ... two LiteLLM Proxy instances with router_settings.redis_url: url ...
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from modelbench._errors import MissingExtraError
from modelbench.servers._process import HOST, ServerProcess, free_port

__all__ = ["redis_server"]


class _RedisProcess(ServerProcess):
    """Ready once the server answers PING (Redis speaks RESP, not HTTP)."""

    def __init__(self, cmd: list[str], port: int) -> None:
        super().__init__("Redis", cmd, ready_url=f"redis://{HOST}:{port}")
        self.port = port

    def _ready(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@contextmanager
def redis_server(executable: str = "redis-server") -> Iterator[str]:
    """Run ``redis-server`` on 127.0.0.1 and a free port, no persistence; yields its URL."""
    found = shutil.which(executable) or shutil.which("/usr/bin/redis-server")
    if found is None:
        raise MissingExtraError(
            "redis-server is not installed; run: apt-get install redis-server (make test does)"
        )
    port = free_port()
    cmd = [found, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    cmd += ["--protected-mode", "yes", "--daemonize", "no", "--loglevel", "warning"]
    with _RedisProcess(cmd, port) as server:
        yield server.ready_url
