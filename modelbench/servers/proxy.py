"""LiteLLM Proxy on loopback, started from an exported config: the scale-out path, for real.

with litellm_proxy("litellm.yaml") as proxy:
    httpx.post(proxy.url + "/v1/chat/completions", headers=proxy.headers, json=...)
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelbench._env import child_env
from modelbench._errors import MissingExtraError
from modelbench.servers._process import HOST, ServerProcess, check_port_free, free_port

__all__ = ["ProxyHandle", "litellm_proxy"]


@dataclass(frozen=True)
class ProxyHandle:
    url: str
    master_key: str
    pid: int | None

    @property
    def api_base(self) -> str:
        return self.url + "/v1"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}


def _proxy_command() -> list[str]:
    exe = Path(sys.executable).parent / "litellm"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("litellm")
    if found is None:
        raise MissingExtraError(
            "LiteLLM Proxy is not installed; run: pip install 'modelbench[proxy]'"
        )
    return [found]


@contextmanager
def litellm_proxy(
    config: str | Path,
    *,
    port: int | None = None,
    master_key: str = "sk-modelbench-local",
    env: Mapping[str, str] | None = None,
    startup_timeout_s: float = 90.0,
) -> Iterator[ProxyHandle]:
    """Run ``litellm --config CONFIG`` on 127.0.0.1 until the block exits."""
    if importlib.util.find_spec("fastapi") is None or importlib.util.find_spec("uvicorn") is None:
        raise MissingExtraError(
            "LiteLLM Proxy is not installed; run: pip install 'modelbench[proxy]'"
        )
    if port is None:
        port = free_port()
    else:
        check_port_free(port, "LiteLLM Proxy")
    extra: dict[str, Any] = {"LITELLM_MASTER_KEY": master_key, **(env or {})}
    cmd = [*_proxy_command(), "--config", str(config), "--host", HOST, "--port", str(port)]
    url = f"http://{HOST}:{port}"
    server = ServerProcess(
        "LiteLLM Proxy",
        cmd,
        ready_url=url + "/health/liveliness",
        env=child_env(extra),
        startup_timeout_s=startup_timeout_s,
    )
    with server:
        yield ProxyHandle(url=url, master_key=master_key, pid=server.pid)
