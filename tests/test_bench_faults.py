"""1,000+ requests with 30% of them faulted (every kind the fake injects): one row per key,
every fault retried or recorded, and the run never crashes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from modelbench.bench import KEY, Benchmark, RetryPolicy
from modelbench.registry import Registry

RATES = {
    "rate_429": 0.06,
    "rate_500": 0.05,
    "rate_503": 0.04,
    "rate_timeout": 0.03,
    "rate_reset": 0.04,
    "rate_malformed": 0.04,
    "rate_cut_stream": 0.04,
}
PROMPTS = 400  # x 2 models x 1 repeat = 800 keys; with retries about 1,100 requests


def test_thirty_percent_faults_one_row_per_key(tmp_path: Path, fake_provider_factory: Any) -> None:
    assert abs(sum(RATES.values()) - 0.30) < 1e-9
    profile = {
        # zero latency, 2 tokens: the test is about faults, not speed
        "defaults": {"output_tokens": 2, "retry_after_s": 0.01, "hang_s": 30, **RATES},
        "models": {"flaky-a": {}, "flaky-b": {}},
    }
    fake = fake_provider_factory(profile, seed=7)
    registry = Registry.from_dict(
        {
            "models": {"a": "fake/flaky-a", "b": "fake/flaky-b"},
            "backends": {"fake": {"provider": "openai", "api_base": fake.api_base, "api_key": "k"}},
        }
    )
    dataset = [{"id": f"q{i}", "prompt": f"Question number {i}?"} for i in range(PROMPTS)]
    out = tmp_path / "faults.jsonl"
    bench = Benchmark(
        registry,
        dataset,
        repeats=1,
        concurrency=64,
        out=out,
        # the hang fault holds the connection for 30 s; 1 s keeps a loaded client (a busy
        # event loop, a queued connect) from timing out requests the fake answers at once
        timeout=1.0,
        retry=RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.01),
        progress=False,
    )
    df = bench.run()
    stats = fake.stats()

    # exactly one row per key, in the file and in the frame
    keys = [tuple(json.loads(line)[k] for k in KEY) for line in out.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 2 * PROMPTS
    assert len(df) == 2 * PROMPTS
    assert not df.duplicated(list(KEY)).any()

    # the fake really faulted ~30% of >= 1,000 requests, with every kind of fault
    faults = {
        kind: sum(o.get(kind, 0) for o in stats.outcomes.values())
        for kind in ("429", "500", "503", "timeout", "reset", "malformed", "cut_stream")
    }
    assert stats.total >= 1000
    assert all(n > 0 for n in faults.values()), faults
    assert 0.25 < sum(faults.values()) / stats.total < 0.35

    # every attempt is accounted for: each failed one was retried, or ended its row
    attempts = int(df["attempts"].sum())
    ok = df["error_type"] == ""
    assert sum(bench.stats.attempt_errors.values()) == attempts - int(ok.sum())
    # the client saw every injected fault; a few attempts may fail before reaching the
    # server (a pooled connection the fake had reset, a timeout while queued to connect)
    assert stats.total <= attempts <= stats.total * 1.01
    assert sum(faults.values()) <= attempts - int(ok.sum())
    failed = df[~ok]
    assert len(failed) > 0  # 0.3^4: a few keys failed all four attempts
    assert (failed["attempts"] == 4).all()
    assert set(failed["error_type"]) <= {
        "RateLimitError",
        "InternalServerError",
        "ServiceUnavailableError",
        "Timeout",
        "APIConnectionError",
        "MidStreamFallbackError",
        "APIError",
    }
    assert all(e and "\n" not in e for e in failed["error"])
    assert (df.loc[ok, "output_tokens"] == 2).all()
    assert bench.stats.retries == int(df["attempts"].sum()) - len(df)
    assert bench.stats.rate_limited >= faults["429"]
    assert bench.stats.attempt_errors.get("RateLimitError", 0) == faults["429"]
    for model, name in (("a", "flaky-a"), ("b", "flaky-b")):
        assert int(df.loc[df["model"] == model, "attempts"].sum()) >= stats.requests[name]
