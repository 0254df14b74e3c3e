"""One streamed call: timings, usage, text, cost; which faults are retried and for how long."""

from __future__ import annotations

import asyncio
import math
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from modelbench._env import import_litellm
from modelbench._errors import MissingSecretError
from modelbench.bench import DatasetItem, RetryPolicy, classify, retry_after
from modelbench.bench.calls import CallResult, call_cost, one_line, request_kwargs, stream_call
from modelbench.registry import Registry
from modelbench.servers.fake import FakeProvider

ITEM = DatasetItem(id="q", prompt="Say something.")


@pytest.fixture(scope="module")
def litellm() -> Any:
    return import_litellm()


def registry(api_base: str = "http://127.0.0.1:9/v1", **pricing: float) -> Registry:
    return Registry.from_dict(
        {
            "models": {
                "chat": {"backend": "fake/fake-fast", **({"pricing": pricing} if pricing else {})},
                "base": {"backend": "fake/fake-fast", "capabilities": ["completion"]},
                "known": "fake/gpt-4o-mini",
            },
            "backends": {"fake": {"provider": "openai", "api_base": api_base, "api_key": "sk"}},
        }
    )


def _response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    return httpx.Response(status, headers=headers or {}, request=request)


def test_classify_litellm_exceptions(litellm: Any) -> None:
    rate = litellm.RateLimitError(
        "slow down", llm_provider="openai", model="m", response=_response(429, {"retry-after": "2"})
    )
    info = classify(rate)
    assert (info.type, info.retriable, info.rate_limited, info.retry_after) == (
        "RateLimitError",
        True,
        True,
        2.0,
    )
    cases = {
        litellm.Timeout("t", model="m", llm_provider="openai"): True,
        litellm.APIConnectionError("reset", llm_provider="openai", model="m"): True,
        litellm.InternalServerError("boom", llm_provider="openai", model="m"): True,
        litellm.ServiceUnavailableError("busy", llm_provider="openai", model="m"): True,
        litellm.BadRequestError("bad", model="m", llm_provider="openai"): False,
        litellm.AuthenticationError("key", llm_provider="openai", model="m"): False,
        litellm.NotFoundError("no model", model="m", llm_provider="openai"): False,
        litellm.ContextWindowExceededError("long", model="m", llm_provider="openai"): False,
        MissingSecretError("environment variable X is not set"): False,
        TimeoutError(): True,
        ValueError("a parser choked on a malformed body"): True,
    }
    for exc, retriable in cases.items():
        got = classify(exc)
        assert got.retriable is retriable, type(exc).__name__
        assert got.type == type(exc).__name__
        assert not got.rate_limited
        assert "\n" not in got.message and got.message


def test_retry_after_forms() -> None:
    class Exc(Exception):
        def __init__(self, headers: dict[str, str]) -> None:
            self.response = _response(429, headers)

    assert retry_after(Exc({"Retry-After": "1.5"})) == 1.5
    assert retry_after(Exc({"retry-after-ms": "250", "retry-after": "9"})) == 0.25
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < (retry_after(Exc({"retry-after": later})) or 0) <= 30
    assert retry_after(Exc({"retry-after": "soon"})) is None
    assert retry_after(Exc({})) is None
    assert retry_after(ValueError()) is None


def test_retry_policy_backs_off_exponentially_with_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.5)
    rng = random.Random(1)
    for attempt, full in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 5.0), (9, 5.0)):
        delays = [policy.delay(attempt, rng=rng) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1
    assert policy.delay(1, retry_after=7.0, rng=rng) == 7.0  # the provider's word wins
    assert RetryPolicy(jitter=0).delay(2) == 1.0
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_request_kwargs_turn_litellm_retries_off_and_stream_with_usage() -> None:
    d = registry().deployments(["chat"])[0]
    kwargs = request_kwargs(d, {"temperature": 0})
    assert kwargs["stream"] is True
    assert kwargs["stream_options"] == {"include_usage": True}
    assert kwargs["num_retries"] == 0
    assert kwargs["max_retries"] == 0
    assert kwargs["temperature"] == 0
    assert kwargs["model"] == "openai/fake-fast"


def test_stream_call_chat_and_completion_endpoints(fake_provider: FakeProvider) -> None:
    reg = registry(fake_provider.api_base)
    chat, base = reg.deployments(["chat"])[0], reg.deployments(["base"])[0]
    assert base.mode == "completion"

    async def main() -> tuple[CallResult, CallResult]:
        one = await stream_call(chat, ITEM, request_kwargs(chat))
        two = await stream_call(base, ITEM, request_kwargs(base))
        return one, two

    chat_result, base_result = asyncio.run(main())
    for result in (chat_result, base_result):
        assert len(result.output.split()) == 16
        assert result.output_tokens == 16
        assert result.input_tokens >= 1
        assert 0 < result.ttft_s <= result.latency_s
        assert result.tpot_s == pytest.approx((result.latency_s - result.ttft_s) / 15)
    stats = fake_provider.stats()
    assert stats.requests == {"fake-fast": 2}
    # the fake counts chat messages and text prompts under different hashes
    assert len(stats.prompts["fake-fast"]) == 2


def test_stream_call_times_from_litellms_send_not_its_preparation(
    fake_provider: FakeProvider, litellm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litellm.integrations.custom_logger import CustomLogger

    from modelbench.bench import _clients, _sendtime

    seen: list[str] = []

    class SlowUserLogger(CustomLogger):  # a user's own callback: 300 ms of client-side work
        def log_pre_api_call(self, model: Any, messages: Any, kwargs: Any) -> None:
            seen.append(kwargs["litellm_call_id"])
            time.sleep(0.3)

    monkeypatch.setattr(litellm, "input_callback", [SlowUserLogger()])  # ours is added after
    reg = registry(fake_provider.api_base)
    chat, base = reg.deployments(["chat"])[0], reg.deployments(["base"])[0]

    async def together() -> list[CallResult]:
        jobs = [stream_call(d, ITEM, request_kwargs(d)) for d in (chat, base, chat, base)]
        return list(await asyncio.gather(*jobs))

    async def one_by_one() -> list[CallResult]:
        return [await stream_call(d, ITEM, request_kwargs(d)) for d in (chat, base)]

    assert len(asyncio.run(together())) == 4
    assert _sendtime._hook() in litellm.input_callback
    assert len(set(seen)) == 4  # the user's callback saw every call, each with its own id
    assert not _sendtime._PENDING  # nothing left behind
    wired = asyncio.run(one_by_one())  # stamped at modelbench's own transport
    monkeypatch.setattr(_clients, "openai_client", lambda kwargs, chat: None)

    async def hook_then_fallback() -> tuple[list[CallResult], list[CallResult]]:
        await one_by_one()  # litellm builds its clients for this loop: not what is compared
        hooked = await one_by_one()  # litellm's own client: stamped at its pre-call hook
        with monkeypatch.context() as patch:
            patch.setattr(_sendtime, "sent_at", lambda call_id: None)  # the hook never fires
            return hooked, await one_by_one()

    hooked, fallback = asyncio.run(hook_then_fallback())
    for at_wire, timed, untimed in zip(wired, hooked, fallback, strict=True):
        assert 0 < at_wire.ttft_s <= at_wire.latency_s
        assert 0 < timed.ttft_s <= timed.latency_s
        # the fallback timer includes the user's 300 ms; the send stamps come after it
        assert timed.ttft_s < untimed.ttft_s - 0.15
        assert at_wire.ttft_s < untimed.ttft_s - 0.15
        assert at_wire.token_source == "provider"  # the fake's usage seen at the wire
        assert timed.token_source == untimed.token_source == "unknown"  # not seen


def test_latency_is_the_backends_not_litellms_parsing(
    fake_provider_factory: Any, litellm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every token arrives 100 ms after the request; litellm is made to take 30 ms a chunk."""
    from modelbench.bench import _clients

    fake = fake_provider_factory({"models": {"burst": {"ttft_s": 0.1, "output_tokens": 10}}})
    reg = Registry.from_dict(
        {
            "models": {"burst": "fake/burst"},
            "backends": {"fake": {"provider": "openai", "api_base": fake.api_base, "api_key": "k"}},
        }
    )
    deployment = reg.deployments(["burst"])[0]
    real = litellm.acompletion

    async def slow_parsing(*args: Any, **kwargs: Any) -> Any:
        stream = await real(*args, **kwargs)

        async def chunks() -> Any:
            async for chunk in stream:
                # litellm's time per chunk, exaggerated. Awaited, not slept: the stamps are
                # taken by a reader task on the same event loop, so a parser that blocked the
                # loop for 30 ms a chunk would delay them too (doc/results.md says so)
                await asyncio.sleep(0.03)
                yield chunk

        return chunks()

    monkeypatch.setattr(litellm, "acompletion", slow_parsing)
    at_wire = asyncio.run(stream_call(deployment, ITEM, request_kwargs(deployment)))
    monkeypatch.setattr(_clients, "openai_client", lambda kwargs, chat: None)
    after_parsing = asyncio.run(stream_call(deployment, ITEM, request_kwargs(deployment)))
    assert at_wire.output == after_parsing.output and at_wire.output_tokens == 10
    assert 0.09 < at_wire.ttft_s <= at_wire.latency_s < 0.2  # when the bytes came
    assert after_parsing.latency_s > 0.35  # 10+ chunks x 30 ms of parsing on top


def test_calls_reuse_one_client_per_backend_within_a_run(
    fake_provider: FakeProvider, litellm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelbench.bench import Benchmark, _clients
    from modelbench.bench._wire import WireTransport

    reg = registry(fake_provider.api_base)
    items = [{"id": f"q{i}", "prompt": f"Question {i}?"} for i in range(3)]
    clients: list[Any] = []
    chat_clients: list[Any] = []
    text_call, chat_call = litellm.atext_completion, litellm.acompletion

    async def text_spy(*args: Any, **kwargs: Any) -> Any:
        if "mock_response" not in kwargs:  # not the warm-up
            clients.append(kwargs.get("client"))
        return await text_call(*args, **kwargs)

    async def chat_spy(*args: Any, **kwargs: Any) -> Any:
        if "mock_response" not in kwargs:
            chat_clients.append(kwargs.get("client"))
        return await chat_call(*args, **kwargs)

    monkeypatch.setattr(litellm, "atext_completion", text_spy)
    monkeypatch.setattr(litellm, "acompletion", chat_spy)

    def run() -> dict[tuple[str, str, int], tuple[str, float, float, str]]:
        bench = Benchmark(reg, items, models=["base", "chat"], repeats=2, progress=False)
        frame = bench.run()
        assert (frame["error_type"] == "").all()
        return {
            (row.prompt_id, row.model, row.repeat): (
                row.output,
                row.input_tokens,
                row.output_tokens,
                row.token_source,
            )
            for row in frame.itertuples()
        }

    reused = run()
    assert len(clients) == 6 and clients[0] is not None
    # one client for the backend, text and chat alike: its connections are reused
    assert all(client is clients[0] for client in clients + chat_clients)
    assert len(chat_clients) == 6
    assert clients[0].max_retries == 0
    assert isinstance(clients[0]._client._transport, WireTransport)  # stamps at the wire
    assert clients[0].is_closed()  # closed when the run ended

    clients.clear()
    monkeypatch.setattr(_clients, "openai_client", lambda kwargs, chat: None)
    fresh = run()  # litellm's own client per call, as before
    assert clients == [None] * 6
    assert {k: v[:3] for k, v in reused.items()} == {k: v[:3] for k, v in fresh.items()}
    assert {usage[2] for usage in reused.values()} == {16.0}
    assert {v[3] for v in reused.values()} == {"provider"}  # seen at the wire
    assert {v[3] for v in fresh.values()} == {"unknown"}  # litellm's figures, unchecked


def test_openai_client_keys() -> None:
    from modelbench.bench import _clients
    from modelbench.bench._clients import openai_client

    base = {"model": "text-completion-openai/m", "api_base": "http://h/v1", "api_key": "sk-a"}

    def text(kwargs: dict[str, Any]) -> Any:
        return openai_client(kwargs, chat=False)

    async def in_one_loop() -> list[Any]:
        return [
            text(base),
            text(dict(base)),
            text({**base, "api_key": "sk-b"}),
            text({**base, "timeout": 5}),
            text({**base, "model": "openai/gpt-4o-mini"}),  # litellm's chat route
            text({**base, "model": "openai/my-base-model"}),
            text({k: v for k, v in base.items() if k != "api_base"}),
            openai_client({**base, "model": "openai/gpt-4o-mini"}, chat=True),
            openai_client({**base, "model": "anthropic/claude"}, chat=True),
            openai_client({**base, "model": "openai/x", "organization": "o"}, chat=True),
            repr(list(_clients._BY_LOOP[asyncio.get_running_loop()].clients)),
        ]

    one, same, other_key, other_timeout, chat, openai_base, default_base, *rest = asyncio.run(
        in_one_loop()
    )
    chat_route, anthropic, organization, keys = rest
    assert one is same
    assert openai_base is one  # litellm sends it to /v1/completions too: same backend
    assert chat_route is one  # chat calls to the same backend share its client
    assert len({id(one), id(other_key), id(other_timeout)}) == 3
    assert other_timeout.timeout == 5.0
    assert chat is None and anthropic is None and organization is None
    assert str(default_base.base_url) == "https://api.openai.com/v1/"  # litellm's default
    assert asyncio.run(in_one_loop())[0] is not one  # never shared across event loops
    assert text(base) is None  # no running loop
    assert "sk-a" not in keys and "sk-b" not in keys  # keyed by a hash of the key


def test_cost_config_price_then_litellm_map_then_nan() -> None:
    result = CallResult("x", "", 1.0, 0.5, input_tokens=1000, output_tokens=500)
    priced = registry(input_per_1m=1.0, output_per_1m=2.0).deployments(["chat"])[0]
    assert call_cost(priced, result) == pytest.approx(0.001 + 0.001)
    unpriced = registry().deployments(["chat"])[0]
    assert math.isnan(call_cost(unpriced, result))  # unknown: NaN, never 0
    known = registry().deployments(["known"])[0]
    assert call_cost(known, result) > 0  # gpt-4o-mini is in litellm's price map
    no_usage = CallResult("x", "", 1.0, 0.5, input_tokens=math.nan, output_tokens=math.nan)
    assert math.isnan(call_cost(known, no_usage))


def test_one_line() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert len(one_line("x" * 1000)) == 300


FAULTS = ("429", "500", "503", "timeout", "reset", "malformed", "cut_stream")


def test_every_injected_fault_is_classified_retriable_with_retry_after(
    fake_provider_factory: Any,
) -> None:
    models = {f"f-{k}": {f"rate_{k}": 1.0} for k in FAULTS}
    fake = fake_provider_factory(
        {"defaults": {"retry_after_s": 7, "hang_s": 5, "output_tokens": 8}, "models": models}
    )
    config: dict[str, Any] = {
        "models": {
            f"{name}-{mode}": {
                "backend": f"fake/{name}",
                "capabilities": ["completion"] if mode == "text" else ["chat"],
            }
            for name in models
            for mode in ("chat", "text")
        },
        "backends": {"fake": {"provider": "openai", "api_base": fake.api_base, "api_key": "sk"}},
    }
    deployments = Registry.from_dict(config).deployments()

    async def attempt(d: Any) -> BaseException:
        kwargs = request_kwargs(d, {"timeout": 0.3})
        try:
            await stream_call(d, ITEM, kwargs)
        except Exception as exc:
            return exc
        raise AssertionError(f"{d.model} did not fail")

    async def main() -> list[BaseException]:
        return await asyncio.gather(*(attempt(d) for d in deployments))

    for d, exc in zip(deployments, asyncio.run(main()), strict=True):
        info = classify(exc)
        assert info.retriable, (d.model, info)
        if d.model.startswith("f-429"):
            assert info.rate_limited
            assert info.retry_after == 7.0, (d.model, info)
        else:
            assert not info.rate_limited


def test_flat_map_price_matches_litellm(litellm: Any) -> None:
    known = registry().deployments(["known"])[0]
    result = CallResult("x", "", 1.0, 0.5, input_tokens=1234, output_tokens=567)
    exact = sum(
        litellm.cost_per_token(model=known.litellm_model, prompt_tokens=1234, completion_tokens=567)
    )
    assert call_cost(known, result) == pytest.approx(exact, rel=1e-12)
    assert call_cost(known, result) == pytest.approx(exact, rel=1e-12)  # memoised path
