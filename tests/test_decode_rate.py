"""TPOT and decode tokens/s by the field's definitions, checked against the fake's set speed.

llmperf and vLLM's benchmark: TPOT = (latency - TTFT) / (output_tokens - 1), decode
tokens/s = 1 / TPOT, and no rate without a second token.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from modelbench.bench import Benchmark
from modelbench.bench.format import format_summary
from modelbench.bench.summary import summarize
from modelbench.registry import Registry

SPEED = 40.0  # tokens per second after the first, as the fake is told


def test_decode_rate_matches_the_backends_speed_and_one_token_answers_have_none(
    fake_provider_factory: Any,
) -> None:
    fake = fake_provider_factory(
        {
            "models": {
                "long": {"ttft_s": 0.05, "tokens_per_s": SPEED, "output_tokens": 12},
                "short": {"ttft_s": 0.05, "tokens_per_s": SPEED, "output_tokens": 1},
            }
        }
    )
    registry = Registry.from_dict(
        {
            "models": {"long": "fake/long", "short": "fake/short"},
            "backends": {"fake": {"provider": "openai", "api_base": fake.api_base, "api_key": "k"}},
        }
    )
    rows = [{"id": f"q{i}", "prompt": f"question {i}"} for i in range(6)]
    df = Benchmark(registry, rows, repeats=1, concurrency=1, progress=False).run()
    assert (df["error_type"] == "").all()
    long, short = df[df["model"] == "long"], df[df["model"] == "short"]
    assert (long["output_tokens"] == 12).all() and (short["output_tokens"] == 1).all()
    # per row: the field's TPOT; 11 gaps of 25 ms between the first and the last token
    assert long["tpot_s"].median() == pytest.approx(1 / SPEED, rel=0.1)
    assert short["tpot_s"].isna().all()

    summary = summarize(df, by="model")
    assert summary.loc["long", "tokens_per_s"] == pytest.approx(SPEED, rel=0.1)
    assert summary.loc["long", "tokens_per_s_n"] == 6
    assert math.isnan(summary.loc["short", "tokens_per_s"])  # not an invented 1/(tiny gap)
    assert summary.loc["short", "tokens_per_s_n"] == 0

    # a backend answering both ways: the rate comes from the rows that have one, and says so
    mixed = df.assign(model="mixed")
    both = summarize(mixed, by="model")
    assert both.loc["mixed", "tokens_per_s"] == pytest.approx(SPEED, rel=0.1)
    assert both.loc["mixed", "tokens_per_s_n"] == 6 and both.loc["mixed", "n"] == 12
    text = format_summary(both)
    assert "6/12" in text  # how many rows had a rate


def test_rate_needs_two_tokens_and_time_between_them() -> None:
    frame = pd.DataFrame(
        {
            "prompt_id": ["a", "b", "c", "d"],
            "model": ["m"] * 4,
            "backend": ["b"] * 4,
            "repeat": [0] * 4,
            "latency_s": [1.0, 0.5, 0.4, 0.3],
            "ttft_s": [0.1, 0.45, 0.4, 0.3],
            "output_tokens": [10.0, 1.0, 5.0, float("nan")],
            "error_type": [""] * 4,
        }
    )
    summary = summarize(frame, by="model")
    # only "a" has a rate: (10 - 1) / 0.9 = 10 tokens/s ("b": one token; "c": no time; "d": ?)
    assert summary.loc["m", "tokens_per_s"] == pytest.approx(10.0)
    assert summary.loc["m", "tokens_per_s_n"] == 1
