"""Hermetic tests: no keys, no MODELBENCH_* settings, a temp home, loopback only; litellm offline."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Fixtures `fake_provider` and `fake_provider_factory` (the fault-injecting fake provider).
pytest_plugins = ["modelbench.testing"]

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")

_KEY_VARS = (
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "AZURE_API_KEY",
    "GEMINI_API_KEY",
    "GROQ_API_KEY",
    "MISTRAL_API_KEY",
    "OPENROUTER_API_KEY",
    "TOGETHERAI_API_KEY",
    "COHERE_API_KEY",
)


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for var in _KEY_VARS:
        monkeypatch.delenv(var, raising=False)
    for var in [v for v in os.environ if v.startswith("MODELBENCH_")]:
        monkeypatch.delenv(var)  # the developer's cache dir, local server, ... stay out
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    yield


def _loopback(host: Any) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: a lookup outside


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail any test that opens a connection (or sends a datagram) outside 127.0.0.0/8 and ::1.

    The attempt is refused at once and the test fails at teardown, even when the code under
    test catches the error (litellm turns it into an APIConnectionError).
    """
    outside: list[str] = []

    def guard(name: str, original: Callable[..., Any], at: int) -> Callable[..., Any]:
        def guarded(self: socket.socket, *args: Any) -> Any:
            address = args[at]
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
                outside.append(f"{name}({address!r})")
                raise ConnectionRefusedError(f"tests stay on loopback; refused {address!r}")
            return original(self, *args)

        return guarded

    for name, at in (("connect", 0), ("connect_ex", 0), ("sendto", -1)):
        monkeypatch.setattr(socket.socket, name, guard(name, getattr(socket.socket, name), at))
    getaddrinfo = socket.getaddrinfo

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _loopback(host.decode() if isinstance(host, bytes) else host):
            outside.append(f"getaddrinfo({host!r})")
            raise socket.gaierror(socket.EAI_NONAME, f"tests stay on loopback; refused {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    yield outside
    if outside:
        pytest.fail(f"the test tried to reach outside loopback: {', '.join(outside)}")
