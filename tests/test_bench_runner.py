"""Benchmark: one row per key, resume / retry-errors / cache, honest timing, limits, Jupyter."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from modelbench._errors import ModelbenchError
from modelbench.bench import (
    COLUMNS,
    KEY,
    Benchmark,
    DatasetItem,
    ResponseCache,
    RetryPolicy,
)
from modelbench.bench import _engine as engine_module
from modelbench.bench.calls import CallResult
from modelbench.registry import Registry
from modelbench.servers.fake import FakeProvider, prompt_hash

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.005)


def rows(n: int) -> list[dict[str, Any]]:
    return [{"id": f"p{i}", "prompt": f"question {i}?", "expected": "yes"} for i in range(n)]


def fake_registry(api_base: str, models: dict[str, Any], **backend: Any) -> Registry:
    return Registry.from_dict(
        {
            "models": models,
            "backends": {
                "fake": {"provider": "openai", "api_base": api_base, "api_key": "sk", **backend}
            },
        }
    )


MOCK = Registry.from_dict(
    {
        "models": {
            "fast": "mock/gpt-4o-mini",
            "base": {"backend": "mock/my-base-model", "capabilities": ["completion"]},
        },
        "backends": {"mock": {"provider": "openai", "api_key": "sk-test"}},
    }
)


def test_one_row_per_key_with_every_column() -> None:
    bench = Benchmark(
        MOCK,
        rows(3),
        repeats=2,
        scorer="contains",
        params={"mock_response": "yes, indeed"},
        progress=False,
    )
    df = bench.run()
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == 3 * 2 * 2
    assert not df.duplicated(list(KEY)).any()
    assert set(df["backend"]) == {"mock/gpt-4o-mini", "mock/my-base-model"}
    assert (df["output"] == "yes, indeed").all()
    assert (df["score"] == 1.0).all()
    assert (df["error_type"] == "").all()
    assert (df["attempts"] == 1).all()
    assert (df["run_id"] == bench.run_id).all()
    assert (df["ttft_s"] <= df["latency_s"]).all()
    known = df[df["model"] == "fast"]["cost_usd"]
    unknown = df[df["model"] == "base"]["cost_usd"]
    assert (known > 0).all()  # litellm's price map knows gpt-4o-mini
    assert unknown.isna().all()  # nobody knows my-base-model's price: NaN, never 0
    assert bench.stats.rows == 12
    assert bench.stats.planned == 12


def test_completion_mode_uses_the_text_completion_endpoint(fake_provider: FakeProvider) -> None:
    reg = fake_registry(
        fake_provider.api_base,
        {
            "chat": "fake/fake-fast",
            "base": {"backend": "fake/fake-slow", "capabilities": ["completion"]},
        },
    )
    items = [DatasetItem(id="m", messages=({"role": "user", "content": "hello"},))]
    Benchmark(reg, items, repeats=1, progress=False).run()
    prompts = fake_provider.stats().prompts
    assert prompts["fake-fast"] == {prompt_hash([{"role": "user", "content": "hello"}]): 1}
    assert prompts["fake-slow"] == {prompt_hash("user: hello\nassistant:"): 1}


def test_run_inside_a_running_event_loop_and_arun() -> None:
    bench = Benchmark(MOCK, rows(2), repeats=1, params={"mock_response": "x"}, progress=False)

    async def notebook_cell() -> tuple[int, int]:
        df = bench.run()  # what a Jupyter user types: no "event loop is already running"
        df2 = await bench.arun()
        return len(df), len(df2)

    assert asyncio.run(notebook_cell()) == (4, 4)


def test_progress_bar_counts_rows(capsys: pytest.CaptureFixture[str]) -> None:
    Benchmark(MOCK, rows(2), repeats=1, params={"mock_response": "x"}, progress=True).run()
    assert "4/4" in capsys.readouterr().err


def test_resume_calls_only_missing_keys(tmp_path: Path, fake_provider: FakeProvider) -> None:
    reg = fake_registry(fake_provider.api_base, {"fast": "fake/fake-fast"})
    out = tmp_path / "r.jsonl"
    Benchmark(reg, rows(4), repeats=1, out=out, progress=False).run()
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:2]) + "\n" + lines[2][:20])  # as if killed mid-write
    with pytest.raises(ModelbenchError, match="--resume"):
        Benchmark(reg, rows(6), repeats=1, out=out, progress=False)
    fake_provider.reset()
    bench = Benchmark(reg, rows(6), repeats=1, out=out, resume=True, progress=False)
    df = bench.run()
    assert bench.stats.torn_line == 3
    assert bench.stats.skipped == 2
    assert sorted(df["prompt_id"]) == [f"p{i}" for i in range(6)]
    assert fake_provider.stats().total == 4  # p2 (torn) .. p5; p0 and p1 not asked again
    assert len(out.read_text().splitlines()) == 6


def test_retry_errors_reruns_only_failed_keys(tmp_path: Path, fake_provider_factory: Any) -> None:
    fake = fake_provider_factory({"models": {"coin": {"rate_500": 0.5, "output_tokens": 4}}})
    reg = fake_registry(fake.api_base, {"coin": "fake/coin"})
    out = tmp_path / "r.jsonl"
    once = RetryPolicy(max_attempts=1)
    first = Benchmark(reg, rows(20), repeats=1, out=out, retry=once, progress=False).run()
    failed = set(first.loc[first["error_type"] != "", "prompt_id"])
    assert 0 < len(failed) < 20
    assert set(first.loc[first["error_type"] != "", "error_type"]) == {"InternalServerError"}
    fake.reset()
    again = Benchmark(
        reg, rows(20), repeats=1, out=out, retry_errors=True, retry=FAST_RETRY, progress=False
    )
    df = again.run()
    asked = {h for h in fake.stats().prompts["coin"]}
    assert asked == {
        prompt_hash([{"role": "user", "content": f"question {p[1:]}?"}]) for p in failed
    }
    assert again.stats.planned - again.stats.skipped == len(failed)
    assert len(df) == 20
    assert len(out.read_text().splitlines()) == 20 + len(failed)  # superseding rows appended
    rerun = df[df["prompt_id"].isin(failed)]
    assert (rerun["run_id"] == again.run_id).all()
    assert (rerun["error_type"] == "").sum() > 0


def test_cache_hits_cost_nothing_and_call_nobody(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    reg = fake_registry(
        fake_provider.api_base, {"fast": "fake/fake-fast"}, pricing={"input_per_1m": 1}
    )
    cache = tmp_path / "cache"
    first = Benchmark(reg, rows(3), repeats=2, cache=cache, progress=False).run()
    assert fake_provider.stats().total == 6  # each repeat is its own sample
    assert not first["cached"].any()
    assert (first["cost_usd"] > 0).all()
    assert len(ResponseCache(cache)) == 6
    fake_provider.reset()
    second = Benchmark(reg, rows(3), repeats=2, cache=cache, scorer="contains", progress=False)
    df = second.run()
    assert fake_provider.stats().total == 0
    assert df["cached"].all()
    assert (df["cost_usd"] == 0).all()
    assert (df["attempts"] == 0).all()
    assert sorted(df["output"]) == sorted(first["output"])
    assert sorted(df["latency_s"]) == sorted(first["latency_s"])  # as first measured
    assert df["score"].notna().all()  # cache hits are scored
    assert second.stats.cache_hits == 6
    # a different parameter is a different answer
    fake_provider.reset()
    Benchmark(
        reg, rows(1), repeats=1, cache=cache, params={"temperature": 0.5}, progress=False
    ).run()
    assert fake_provider.stats().total == 1


def test_missing_secret_and_unknown_model_become_rows(fake_provider: FakeProvider) -> None:
    reg = Registry.from_dict(
        {
            "models": {"nokey": "sec/fake-fast", "ghost": "fake/not-served"},
            "backends": {
                "sec": {"provider": "openai", "api_key": "${MODELBENCH_TEST_UNSET_KEY}"},
                "fake": {"provider": "openai", "api_base": fake_provider.api_base, "api_key": "k"},
            },
        }
    )
    df = Benchmark(reg, rows(2), repeats=1, retry=FAST_RETRY, progress=False).run()
    by_model = df.set_index(["model", "prompt_id"])
    assert (by_model.loc["nokey", "error_type"] == "MissingSecretError").all()
    assert (by_model.loc["nokey", "attempts"] == 0).all()
    assert "MODELBENCH_TEST_UNSET_KEY" in by_model.loc["nokey", "error"].iloc[0]
    assert (by_model.loc["ghost", "error_type"] == "NotFoundError").all()
    assert (by_model.loc["ghost", "attempts"] == 1).all()  # 404 is not retried
    assert fake_provider.stats().requests == {"not-served": 2}
    assert df["latency_s"].isna().all()
    assert df["cost_usd"].isna().all()


def test_timing_is_honest_and_retry_waits_stay_out(fake_provider_factory: Any) -> None:
    profile = {
        "models": {
            "timed": {
                "latency_s": 0.1,
                "ttft_s": 0.05,
                "tokens_per_s": 50,
                "output_tokens": 5,
                "rate_429": 0.4,
                "retry_after_s": 0.5,
            },
            "warm": {},
        }
    }
    fake = fake_provider_factory(profile, seed=2)
    reg = fake_registry(fake.api_base, {"timed": "fake/timed", "warm": "fake/warm"})
    # litellm's first call in a process imports more of itself; keep that out of the figures
    Benchmark(reg, rows(1), models=["warm"], repeats=1, progress=False).run()
    retry = RetryPolicy(max_attempts=6, base_delay=0.001)
    # low concurrency: litellm's own CPU time per call would otherwise queue the sends
    bench = Benchmark(
        reg, rows(12), models=["timed"], repeats=1, concurrency=3, retry=retry, progress=False
    )
    df = bench.run()
    ok = df[df["error_type"] == ""]
    assert len(ok) >= 10
    retried = ok[ok["attempts"] > 1]
    assert len(retried) > 0
    # injected: first token after 0.15 s, then 4 more tokens 20 ms apart; a retry waits
    # >= 0.5 s (Retry-After), so any wait inside latency_s would push it past 0.7 s
    for frame in (ok, retried):
        assert frame["ttft_s"].min() >= 0.145
        assert 0.145 <= frame["ttft_s"].median() <= 0.19, frame["ttft_s"].tolist()
        assert 0.225 <= frame["latency_s"].median() <= 0.27, frame["latency_s"].tolist()
        assert frame["latency_s"].max() < 0.5, frame["latency_s"].tolist()
    assert 0.015 <= ok["tpot_s"].median() <= 0.03
    assert (ok["output_tokens"] == 5).all()
    limiter = next(iter(bench.limiters.values()))
    assert limiter.rate_limited == bench.stats.rate_limited > 0
    assert limiter.lowest_window < limiter.ceiling  # AIMD halved on 429


class Tracker:
    """A stand-in for one streamed call that records how many run at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak: Counter[str] = Counter()
        self.active: Counter[str] = Counter()

    async def __call__(self, deployment: Any, item: DatasetItem, kwargs: Any) -> CallResult:
        self.active[deployment.name] += 1
        self.now += 1
        self.peak[deployment.name] = max(self.peak[deployment.name], self.active[deployment.name])
        self.peak["all"] = max(self.peak["all"], self.now)
        await asyncio.sleep(0.002)
        self.active[deployment.name] -= 1
        self.now -= 1
        return CallResult("out", "t", 0.002, 0.001, 3.0, 2.0)


def test_concurrency_and_max_parallel_are_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = Registry.from_dict(
        {
            "models": {"a": "narrow/m1", "b": "wide/m2"},
            "backends": {
                "narrow": {
                    "provider": "openai",
                    "api_key": "k",
                    "rate_limits": {"max_parallel": 2},
                },
                "wide": {"provider": "openai", "api_key": "k"},
            },
        }
    )
    tracker = Tracker()
    monkeypatch.setattr(engine_module, "stream_call", tracker)
    df = Benchmark(reg, rows(40), repeats=1, concurrency=6, progress=False).run()
    assert len(df) == 80
    assert tracker.peak["narrow/m1"] == 2
    assert tracker.peak["all"] == 6
    assert tracker.peak["wide/m2"] >= 4  # the narrow backend does not hold the wide one back


def test_cancelling_a_run_keeps_finished_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def slow_after_five(deployment: Any, item: DatasetItem, kwargs: Any) -> CallResult:
        if int(item.id[1:]) >= 5:
            await asyncio.sleep(30)
        return CallResult("out", "t", 0.001, 0.001, 3.0, 2.0)

    monkeypatch.setattr(engine_module, "stream_call", slow_after_five)
    out = tmp_path / "r.jsonl"
    bench = Benchmark(MOCK, rows(20), models=["fast"], repeats=1, out=out, progress=False)

    async def main() -> None:
        task = asyncio.create_task(bench.arun())
        while bench.stats.rows < 5:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    lines = out.read_text().splitlines()
    assert sorted(json.loads(x)["prompt_id"] for x in lines) == [f"p{i}" for i in range(5)]
    resumed = Benchmark(MOCK, rows(20), models=["fast"], repeats=1, out=out, resume=True)
    assert len(resumed.todo_keys()) == 15


def test_bad_arguments_fail_before_any_call() -> None:
    with pytest.raises(ModelbenchError, match="at least 1"):
        Benchmark(MOCK, rows(1), repeats=0)
    with pytest.raises(ModelbenchError, match="unknown scorer"):
        Benchmark(MOCK, rows(1), scorer="exactt")
    with pytest.raises(ModelbenchError, match="unknown model"):
        Benchmark(MOCK, rows(1), models=["fats"])


def test_nan_scores_for_failed_rows() -> None:
    df = Benchmark(
        MOCK,
        rows(1),
        models=["fast"],
        repeats=1,
        scorer="exact",
        params={"mock_response": "no"},
        progress=False,
    ).run()
    assert df["score"].tolist() == [0.0]
    assert not math.isnan(df["score_cost_usd"][0])


def test_run_sync_in_a_loop_raises_errors_and_cancels_on_ctrl_c() -> None:
    import _thread
    import threading

    from modelbench._sync import run_sync

    async def boom() -> None:
        raise ValueError("inside")

    running, cancelled = threading.Event(), threading.Event()

    async def forever() -> None:
        running.set()
        try:
            await asyncio.sleep(60)
        finally:
            cancelled.set()

    def press_ctrl_c() -> None:
        running.wait(30)
        _thread.interrupt_main()

    async def cell() -> None:
        with pytest.raises(ValueError, match="inside"):
            run_sync(boom)
        # the user presses Ctrl-C (interrupts the kernel) while a run is going
        timer = threading.Thread(target=press_ctrl_c)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            run_sync(forever)
        timer.join()

    # like ipykernel: a loop run without asyncio.run, so SIGINT raises KeyboardInterrupt
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(cell())
    finally:
        loop.close()
    assert cancelled.is_set()  # the run was cancelled cleanly, not left behind
