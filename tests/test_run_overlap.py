"""``modelbench run`` overlaps litellm's import and the local server's start with its set-up."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from modelbench.commands import _overlap
from modelbench.registry import Registry
from modelbench.servers import local


def _registry(local_api_base: str | None = None) -> Registry:
    backend: dict[str, Any] = {"provider": "local"}
    if local_api_base:
        backend["api_base"] = local_api_base
    return Registry.from_dict(
        {
            "models": {
                "tiny": {"backend": "local/gemma3-270m", "capabilities": ["completion"]},
                "chat": "fake/m",
            },
            "backends": {
                "local": backend,
                "fake": {"provider": "openai", "api_base": "http://127.0.0.1:9/v1", "api_key": "k"},
            },
        }
    )


def test_the_local_server_starts_in_the_background_only_when_a_deployment_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[str] = []
    release = threading.Event()

    def fake_start(threads: int | None = None) -> str:
        started.append(threading.current_thread().name)
        release.wait(5)
        return "http://127.0.0.1:1/v1"

    monkeypatch.setattr(local, "ensure_local_server", fake_start)
    reg = _registry()
    assert _overlap.start_local_server_soon(reg.deployments(["chat"])) is None
    assert _overlap.start_local_server_soon(_registry("http://h/v1").deployments()) is None
    thread = _overlap.start_local_server_soon(reg.deployments())
    assert thread is not None and thread.daemon
    release.set()  # the command went on while the server was starting
    thread.join(5)
    assert started == ["start-local-server"]


def test_a_failure_in_the_background_is_left_to_the_foreground(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(threads: int | None = None) -> str:
        raise local.ServerError("cannot start")

    monkeypatch.setattr(local, "ensure_local_server", broken)
    thread = _overlap.start_local_server_soon(_registry().deployments())
    assert thread is not None
    thread.join(5)  # no exception escapes the thread; the run's own call reports it
    assert not thread.is_alive()


def test_litellm_imports_in_a_daemon_thread() -> None:
    thread = _overlap.import_litellm_soon()
    assert thread.daemon and thread.name == "import-litellm"
    thread.join(60)
    import sys

    assert "litellm" in sys.modules and "pandas" in sys.modules


def test_a_local_backend_is_spotted_in_the_raw_config(tmp_path: Any) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("backends:\n  mine: {provider: local}\nmodels: {t: mine/gemma3-270m}\n")
    assert _overlap.local_server_named_in(config)
    config.write_text("backends:\n  mine: {provider: local, api_base: 'http://h/v1'}\n")
    assert not _overlap.local_server_named_in(config)  # a running server: nothing to start
    config.write_text("backends:\n  o: {provider: openai}\n")
    assert not _overlap.local_server_named_in(config)
    config.write_text("backends: [unclosed\n")
    assert not _overlap.local_server_named_in(config)  # validation will say what is wrong
    assert not _overlap.local_server_named_in(tmp_path / "missing.yaml")


def test_the_console_command_keeps_its_exit_code_and_output(tmp_path: Any) -> None:
    import subprocess
    import sys

    config = tmp_path / "c.yaml"
    config.write_text("models:\n  a: {backend: nowhere/m}\n")
    done = subprocess.run(
        [sys.executable, "-m", "modelbench", "validate", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "nowhere" in done.stderr  # flushed before the quick exit
