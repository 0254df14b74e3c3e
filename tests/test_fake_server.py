"""The fault-injecting fake provider, driven through litellm as the benchmark drives it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from modelbench._env import child_env, import_litellm
from modelbench._errors import ConfigError, DatasetError, ServerError
from modelbench.servers.fake import (
    DEFAULT_PROFILE,
    FakeProvider,
    load_profile,
    prompt_hash,
)

# Loaded by pytest, not imported here: an import first would stop pytest rewriting its asserts.

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]
FakeProviderFactory = Callable[..., FakeProvider]  # modelbench.testing.FakeProviderFactory
ROOT = Path(__file__).resolve().parents[1]
FAULT_PROFILE: dict[str, Any] = {
    "defaults": {"output_tokens": 8, "tokens_per_s": 400, "hang_s": 30},
    "models": {
        "ok": {},
        "f-429": {"rate_429": 1, "retry_after_s": 7},
        "f-500": {"rate_500": 1},
        "f-503": {"rate_503": 1},
        "f-timeout": {"rate_timeout": 1},
        "f-reset": {"rate_reset": 1},
        "f-malformed": {"rate_malformed": 1},
        "f-cut_stream": {"rate_cut_stream": 1},
    },
}
USER = [{"role": "user", "content": "Say something deterministic."}]


@pytest.fixture(scope="module")
def litellm() -> Any:
    return import_litellm()


@pytest.fixture(scope="module")
def run(litellm: Any) -> Iterator[Run[Any]]:
    """One event loop for the module: litellm caches its HTTP clients per loop."""
    with asyncio.Runner() as runner:  # closing cancels litellm's background logging task
        yield runner.run
        runner.run(litellm.close_litellm_async_clients())


@pytest.fixture(scope="module")
def faults() -> Iterator[FakeProvider]:
    with FakeProvider(FAULT_PROFILE, seed=0) as provider:
        yield provider


async def chat(
    litellm: Any, api_base: str, model: str, messages: Any = USER, **kwargs: Any
) -> tuple[str, Any]:
    """(text, usage) of a chat call; a stream is consumed to its end."""
    options: dict[str, Any] = {"api_key": "sk-fake", "num_retries": 0, "timeout": 10, **kwargs}
    response = await litellm.acompletion(
        model=f"openai/{model}", messages=messages, api_base=api_base, **options
    )
    if not kwargs.get("stream"):
        return response.choices[0].message.content, response.usage
    chunks = [chunk async for chunk in response]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    return text, getattr(chunks[-1], "usage", None)


# -- faults, through litellm ------------------------------------------------------------

# What litellm 1.108 raises for each injected fault (asserted exactly, not by base class).
FAULT_EXCEPTIONS = [
    ("429", False, "RateLimitError"),
    ("429", True, "RateLimitError"),
    ("500", False, "InternalServerError"),
    ("500", True, "InternalServerError"),
    ("503", False, "ServiceUnavailableError"),
    ("503", True, "ServiceUnavailableError"),
    ("timeout", False, "Timeout"),
    ("timeout", True, "Timeout"),
    # litellm's OpenAI handler turns the SDK's APIConnectionError into a 500 "Connection error."
    ("reset", False, "InternalServerError"),
    ("reset", True, "InternalServerError"),
    ("malformed", False, "InternalServerError"),
    ("malformed", True, "MidStreamFallbackError"),
    ("cut_stream", False, "InternalServerError"),  # not streaming: a reset
    ("cut_stream", True, "MidStreamFallbackError"),
]


@pytest.mark.parametrize(("fault", "stream", "expected"), FAULT_EXCEPTIONS)
def test_fault_raises_litellm_exception(
    litellm: Any, run: Run[Any], faults: FakeProvider, fault: str, stream: bool, expected: str
) -> None:
    faults.reset()
    timeout = 0.5 if fault == "timeout" else 10
    with pytest.raises(Exception) as caught:
        run(chat(litellm, faults.api_base, f"f-{fault}", stream=stream, timeout=timeout))
    assert type(caught.value) is getattr(litellm.exceptions, expected), repr(caught.value)
    outcome = "reset" if fault == "cut_stream" and not stream else fault
    assert faults.stats().outcomes == {f"f-{fault}": {outcome: 1}}


@pytest.mark.parametrize("stream", [False, True])
def test_429_retry_after_reaches_the_client(
    litellm: Any, run: Run[Any], faults: FakeProvider, stream: bool
) -> None:
    with pytest.raises(litellm.exceptions.RateLimitError) as caught:
        run(chat(litellm, faults.api_base, "f-429", stream=stream))
    assert caught.value.status_code == 429
    assert caught.value.litellm_response_headers["retry-after"] == "7"
    assert caught.value.litellm_response_headers["retry-after-ms"] == "7000"


def test_reset_is_a_tcp_reset(faults: FakeProvider) -> None:
    body = json.dumps({"model": "f-reset", "messages": USER}).encode()
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
    with socket.create_connection(("127.0.0.1", faults.port), 5) as sock:
        sock.sendall(head.encode() + b"Content-Type: application/json\r\n\r\n" + body)
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)


def test_cut_stream_delivers_part_of_the_answer(
    litellm: Any, run: Run[Any], faults: FakeProvider
) -> None:
    received: list[str] = []

    async def consume() -> None:
        response = await litellm.acompletion(
            model="openai/f-cut_stream", messages=USER, api_base=faults.api_base,
            api_key="sk-fake", num_retries=0, timeout=10, stream=True,
        )  # fmt: skip
        async for chunk in response:
            received.append(chunk.choices[0].delta.content or "")

    with pytest.raises(litellm.exceptions.MidStreamFallbackError):
        run(consume())
    assert 0 < len("".join(received).split()) < 8  # half of output_tokens=8


def test_retry_after_a_fault_can_succeed(
    litellm: Any, run: Run[Any], fake_provider_factory: FakeProviderFactory
) -> None:
    fake = fake_provider_factory({"models": {"coin": {"rate_500": 0.5}}}, seed=3)

    async def attempts(messages: Any, tries: int) -> list[str]:
        outcomes = []
        for _ in range(tries):
            try:
                await chat(litellm, fake.api_base, "coin", messages)
                outcomes.append("ok")
            except litellm.exceptions.InternalServerError:
                outcomes.append("500")
        return outcomes

    # Find a prompt whose first attempt fails, then retry that same request.
    for i in range(40):
        messages = [{"role": "user", "content": f"question {i}"}]
        history = run(attempts(messages, 1))
        if history == ["500"]:
            break
    else:
        pytest.fail("no first attempt failed at rate_500=0.5")
    history += run(attempts(messages, 12))
    assert "ok" in history[1:], history
    assert fake.stats().prompts["coin"][prompt_hash(messages)] == len(history)
    # The draws are a function of (seed, model, request, attempt): after a reset they repeat.
    fake.reset()
    assert run(attempts(messages, len(history))) == history


# -- answers, usage, determinism --------------------------------------------------------


def test_same_request_gives_the_same_text(
    litellm: Any,
    run: Run[Any],
    fake_provider: FakeProvider,
    fake_provider_factory: FakeProviderFactory,
) -> None:
    first, _ = run(chat(litellm, fake_provider.api_base, "fake-fast"))
    again, _ = run(chat(litellm, fake_provider.api_base, "fake-fast"))
    streamed, _ = run(chat(litellm, fake_provider.api_base, "fake-fast", stream=True))
    other = [{"role": "user", "content": "Something else."}]
    different, _ = run(chat(litellm, fake_provider.api_base, "fake-fast", other))
    assert first == again == streamed
    assert len(first.split()) == 16
    assert different != first
    reseeded = fake_provider_factory(None, seed=1)
    assert run(chat(litellm, reseeded.api_base, "fake-fast"))[0] != first


@pytest.mark.parametrize("stream", [False, True])
def test_usage_is_reported(
    litellm: Any, run: Run[Any], fake_provider: FakeProvider, stream: bool
) -> None:
    extra = {"stream": True, "stream_options": {"include_usage": True}} if stream else {}
    text, usage = run(chat(litellm, fake_provider.api_base, "fake-fast", **extra))
    assert usage.completion_tokens == len(text.split()) == 16
    assert usage.prompt_tokens == 3  # "Say something deterministic."
    assert usage.total_tokens == 19


def test_max_tokens_truncates(litellm: Any, run: Run[Any], fake_provider: FakeProvider) -> None:
    response = run(
        litellm.acompletion(
            model="openai/fake-fast", messages=USER, api_base=fake_provider.api_base,
            api_key="sk-fake", num_retries=0, timeout=10, max_tokens=5,
        )
    )  # fmt: skip
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == len(response.choices[0].message.content.split()) == 5


@pytest.mark.parametrize("stream", [False, True])
def test_text_completions(
    litellm: Any, run: Run[Any], fake_provider: FakeProvider, stream: bool
) -> None:
    async def complete() -> tuple[str, Any]:
        response = await litellm.atext_completion(
            model="text-completion-openai/fake-fast", prompt="Q: Why?\nA:",
            api_base=fake_provider.api_base, api_key="sk-fake", num_retries=0, timeout=10,
            stream=stream, **({"stream_options": {"include_usage": True}} if stream else {}),
        )  # fmt: skip
        if not stream:
            return response.choices[0].text, response.usage
        chunks = [chunk async for chunk in response]
        text = "".join(c.choices[0].text or "" for c in chunks if c.choices)
        return text, getattr(chunks[-1], "usage", None)

    text, usage = run(complete())
    assert len(text.split()) == 16
    assert usage.completion_tokens == 16
    assert usage.prompt_tokens == 3
    assert fake_provider.stats().prompts == {"fake-fast": {prompt_hash("Q: Why?\nA:"): 1}}


def test_counts_per_model_and_prompt(
    litellm: Any, run: Run[Any], fake_provider: FakeProvider
) -> None:
    other = [{"role": "user", "content": "Another prompt."}]
    for model, messages in [("fake-fast", USER), ("fake-fast", USER), ("fake-fast", other)]:
        run(chat(litellm, fake_provider.api_base, model, messages))
    with pytest.raises(litellm.exceptions.NotFoundError):
        run(chat(litellm, fake_provider.api_base, "no-such-model"))
    stats = fake_provider.stats()
    assert stats.total == 4
    assert stats.requests == {"fake-fast": 3, "no-such-model": 1}
    assert stats.outcomes["fake-fast"] == {"ok": 3}
    assert stats.prompts["fake-fast"] == {prompt_hash(USER): 2, prompt_hash(other): 1}
    assert stats.repeats() == {("fake-fast", prompt_hash(USER)): 2}
    fake_provider.reset()
    assert fake_provider.stats().total == 0


def test_models_endpoint_and_default_profile(fake_provider: FakeProvider) -> None:
    with urllib.request.urlopen(fake_provider.api_base + "/models", timeout=5) as response:
        ids = [m["id"] for m in json.load(response)["data"]]
    assert ids == ["fake-fast", "fake-slow", "fake-flaky"] == fake_provider.models
    first = DEFAULT_PROFILE.models["fake-fast"]
    assert not any(first.fault_rates().values())
    assert any(DEFAULT_PROFILE.models["fake-flaky"].fault_rates().values())


def test_accuracy_from_a_dataset(
    litellm: Any, run: Run[Any], fake_provider_factory: FakeProviderFactory, tmp_path: Path
) -> None:
    rows: list[dict[str, Any]] = [
        {"id": f"r{i}", "prompt": f"What is {i} + 1?", "expected": str(i + 1)} for i in range(30)
    ]
    rows.append({"id": "m", "messages": [{"role": "user", "content": "Capital of Peru?"}],
                 "expected": "Lima", "category": "ignored"})  # fmt: skip
    (tmp_path / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        "dataset: qa.jsonl\nmodels:\n  good: {accuracy: 1}\n  half: {accuracy: 0.5}\n"
        "  bad: {accuracy: 0}\n"
    )
    fake = fake_provider_factory(profile, seed=0)

    async def score(model: str) -> int:
        right = 0
        for row in rows:
            question = row.get("prompt") or row["messages"][-1]["content"]
            messages = [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": question},
            ]
            text, _ = await chat(litellm, fake.api_base, model, messages)
            right += text.strip() == row["expected"]
        return right

    assert run(score("good")) == len(rows)
    assert run(score("bad")) == 0
    half = run(score("half"))
    assert 5 < half < 26
    assert run(score("half")) == half  # fixed per (seed, model, row): retries do not reroll
    unmatched, _ = run(chat(litellm, fake.api_base, "good"))
    assert len(unmatched.split()) == 16


# -- profile validation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ({"models": {"x": {"rate_429": 1.5}}}, "models.x.rate_429: Input should be less than"),
        (
            {"models": {"x": {"ttft": 1}}},
            "models.x.ttft: unknown key (did you mean 'ttft_s'?); valid keys are: accuracy",
        ),
        ({"models": {"x": {"rate_500": 0.6, "rate_503": 0.6}}}, "models.x: fault rates add up"),
        ({"defaults": {"jitter": 1}, "models": {"x": {}}}, "defaults.jitter: unknown key"),
        ({"modles": {}}, "modles: unknown key (did you mean 'models'?); valid keys are: dataset"),
        ({"models": {}}, "models: no models; add at least one"),
    ],
)
def test_profile_errors_are_one_line_naming_the_key(profile: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile(profile)
    text = str(caught.value)
    # One line per problem; a misspelt "models" is also a missing "models".
    lines = text.splitlines()
    assert any(message in line for line in lines), text
    assert len(lines) == (2 if "modles" in message else 1)


def test_profile_file_errors_name_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("models:\n  x:\n    ttft_s: 0.1\n    tokens_per_second: 5\n")
    with pytest.raises(ConfigError, match=r"p\.yaml:4: models\.x\.tokens_per_second: unknown"):
        load_profile(path)
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "prompt": "p", "expected": "e"}\n{"id": 1}\n')
    path.write_text("dataset: bad.jsonl\nmodels: {x: {}}\n")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:2: "):
        load_profile(path)


# -- process lifecycle ------------------------------------------------------------------


def test_taken_port_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServerError, match=f"port {port} on 127.0.0.1 is already in use"):
            FakeProvider(port=port).start()


def test_stops_its_process_even_on_error() -> None:
    provider = FakeProvider({"models": {"m": {}}})
    pid = -1
    with pytest.raises(RuntimeError), provider:
        pid = provider.pid or -1
        assert pid > 0
        raise RuntimeError("boom")
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(ServerError, match="not running"):
        _ = provider.api_base


def test_timing_is_what_the_profile_says(fake_provider_factory: FakeProviderFactory) -> None:
    fake = fake_provider_factory(
        {"models": {"t": {"latency_s": 0.1, "ttft_s": 0.1, "tokens_per_s": 50, "output_tokens": 6}}}
    )
    body = json.dumps({"model": "t", "messages": USER}).encode()
    request = urllib.request.Request(
        fake.api_base + "/chat/completions", data=body, headers={"Content-Type": "application/json"}
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()
    elapsed = time.perf_counter() - start
    assert 0.299 <= elapsed < 0.45  # 0.1 + 0.1 + 5 / 50


def test_cli_sim_serve_prints_api_base(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "modelbench", "sim", "serve", "--port", "0", "--seed", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=child_env({"PYTHONPATH": str(ROOT)}),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("fake provider listening: api_base=http://127.0.0.1:"), first
        api_base = first.strip().split("api_base=")[1]
        assert "openai/fake-fast" in process.stdout.readline()
        with urllib.request.urlopen(api_base + "/models", timeout=5) as response:
            assert response.status == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
        assert process.returncode == 0, err
        assert "stopped" in out
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    bad = tmp_path / "bad.yaml"
    bad.write_text("models: {x: {rate_429: 2}}\n")
    done = subprocess.run(
        [sys.executable, "-m", "modelbench", "sim", "serve", "--profile", str(bad)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env({"PYTHONPATH": str(ROOT)}),
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "models.x.rate_429: Input should be less than or equal to 1 (got 2)"
    )


@pytest.mark.parametrize("port", ["99999", "-1", "x"])
def test_cli_sim_serve_bad_port_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from modelbench.cli import main

    with pytest.raises(SystemExit) as info:
        main(["sim", "serve", "--port", port])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port:" in err and "is not a port number" in err
    assert "Traceback" not in err


def test_fake_provider_out_of_range_port_is_one_line() -> None:
    with pytest.raises(ServerError) as info:
        FakeProvider(port=70000).start()
    assert str(info.value).splitlines() == [
        "the fake provider did not start: port 70000 is not a port number (0-65535)"
    ]


def test_unreadable_profile_files_are_one_line(tmp_path: Path) -> None:
    latin1 = tmp_path / "p.yaml"
    latin1.write_bytes(b"models:\n  x: {}\n  \xe9: {}\n")
    for source, expected in (
        (latin1, f"{latin1}:3: not UTF-8 text (byte 0xe9); save the file as UTF-8"),
        (tmp_path, f"{tmp_path}: is a directory; give the path of a profile"),
        (tmp_path / "nope.yaml", f"{tmp_path / 'nope.yaml'}: profile not found; check the path"),
    ):
        with pytest.raises(ConfigError) as info:
            load_profile(source)
        assert str(info.value) == expected
    (tmp_path / "data.jsonl").write_bytes(b'{"id": "a", "prompt": "\xe9"}\n')
    latin1.write_text("dataset: data.jsonl\nmodels: {x: {}}\n")
    with pytest.raises(DatasetError, match=r"data\.jsonl:1: not UTF-8 text"):
        load_profile(latin1)
