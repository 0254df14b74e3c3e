"""Ray workers on a real two-node cluster made on this machine (``ray.cluster_utils.Cluster``).

One cluster serves the module (two nodes of one CPU each, loopback, no dashboard, small
object stores, a token of its own); it and every Ray process it started are stopped after.
The fake provider counts what was asked for, per prompt and per second.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelbench.bench import KEY, Benchmark, read_results
from modelbench.bench.distributed._cluster import LOOPBACK_ENV, SLOW_START_ENV
from modelbench.cli import main
from modelbench.registry import Registry
from modelbench.servers.fake import prompt_hash

STORE = 100 * 1024 * 1024
RAY_ENV = {
    **SLOW_START_ENV,
    **LOOPBACK_ENV,
    "RAY_AUTH_MODE": "token",
    "RAY_AUTH_TOKEN": secrets.token_hex(16),  # not ~/.ray: tests have a temp HOME each
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    saved = {k: os.environ.get(k) for k in RAY_ENV}
    os.environ.update(RAY_ENV)  # before Ray is imported: it reads some of them only then
    pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    _reload_ray_auth()
    node = {"num_cpus": 1, "object_store_memory": STORE, "node_ip_address": "127.0.0.1"}
    made = Cluster()
    try:
        for attempt in (1, 2):  # Ray gives a node 30 s to start: a busy 2-core box may miss it
            try:
                made.add_node(**node, include_dashboard=False)
                made.add_node(**node)
                made.wait_for_nodes()
                break
            except Exception as exc:
                made.shutdown()
                if attempt == 2:  # the machine, not the code under test: say so, loudly
                    pytest.skip(f"Ray could not start a node within its fixed 30 s: {exc}")
                made = Cluster()
        yield made
    finally:
        made.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _reload_ray_auth()


def _reload_ray_auth() -> None:
    """Ray reads RAY_AUTH_* once per process; make this one see the cluster's token."""
    from ray._raylet import AuthenticationTokenLoader, Config

    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


def registry(api_base: str, models: dict[str, str], **limits: int) -> Registry:
    backend: dict[str, Any] = {"provider": "openai", "api_base": api_base, "api_key": "sk-fake"}
    if limits:
        backend["rate_limits"] = limits
    return Registry.from_dict({"models": models, "backends": {"fake": backend}})


def prompts(n: int, tag: str) -> list[dict[str, str]]:
    return [{"id": f"{tag}{i}", "prompt": f"{tag} prompt {i}"} for i in range(n)]


def is_bench_worker(process: Any) -> bool:
    try:
        return "ray::BenchWorker" in " ".join(process.cmdline())
    except Exception:  # exited (or a zombie) while we looked
        return False


def asked(stats: Any, model: str, prompt: str) -> int:
    return int(
        stats.prompts.get(model, {}).get(prompt_hash([{"role": "user", "content": prompt}]), 0)
    )


@pytest.mark.slow
def test_two_nodes_give_the_rows_one_process_gives(
    cluster: Any, fake_provider_factory: Any
) -> None:
    fake = fake_provider_factory({"defaults": {"ttft_s": 0.02, "output_tokens": 4},
                                  "models": {"a": {}, "b": {}}})  # fmt: skip
    reg = registry(fake.api_base, {"a": "fake/a", "b": "fake/b"})
    data = prompts(15, "same")
    alone = Benchmark(reg, data, repeats=1, concurrency=4, progress=False).run()
    bench = Benchmark(
        reg, data, repeats=1, concurrency=4, progress=False, ray_address=cluster.address
    )
    spread = bench.run()

    assert list(spread.columns) == list(alone.columns)
    keys = sorted(map(tuple, spread[list(KEY)].to_numpy().tolist()))
    assert keys == sorted(map(tuple, alone[list(KEY)].to_numpy().tolist()))
    assert len(keys) == len(set(keys)) == 30
    both = spread.merge(alone, on=list(KEY), suffixes=("", "_alone"))
    assert len(both) == 30 and (both["error_type"] == "").all()
    assert (both["output"] == both["output_alone"]).all()
    assert bench.stats.workers == 2 and len(set(bench.stats.worker_nodes)) == 2  # both nodes
    stats = bench.stats
    assert stats.calls == 30 + stats.retries, stats.attempt_errors  # every call reported back


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing(
    cluster: Any, fake_provider_factory: Any, tmp_path: Path
) -> None:
    psutil = pytest.importorskip("psutil")
    fake = fake_provider_factory({"models": {"slow": {"ttft_s": 0.15, "output_tokens": 3}}})
    reg = registry(fake.api_base, {"slow": "fake/slow"})
    data = prompts(80, "kill")
    out = tmp_path / "results.jsonl"
    bench = Benchmark(
        reg, data, repeats=1, concurrency=4, out=out, progress=False, ray_address=cluster.address
    )
    failure: list[BaseException] = []

    def run() -> None:
        try:
            bench.run()
        except BaseException as exc:  # reported by the assertion below
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 120
    while not out.exists() or out.read_text().count("\n") < 12:
        assert thread.is_alive() and time.monotonic() < deadline, failure
        time.sleep(0.02)
    # Our own Ray workers: descendants of this process (the cluster's raylets started them).
    workers = [p for p in psutil.Process().children(recursive=True) if is_bench_worker(p)]
    assert workers, "no Ray worker process found"
    done_before = {row.prompt_id for row in read_results(out).itertuples()}
    os.kill(workers[0].pid, signal.SIGKILL)
    thread.join(timeout=180)
    assert not thread.is_alive() and not failure, failure

    rows = read_results(out)
    keys = [tuple(k) for k in rows[list(KEY)].to_numpy().tolist()]
    assert len(keys) == len(set(keys)) == 80 and (rows["error_type"] == "").all()
    assert bench.stats.worker_failures == 1
    stats = fake.stats()
    for item in data:
        n = asked(stats, "slow", item["prompt"])
        assert n >= 1
        if item["id"] in done_before:
            assert n == 1, f"{item['id']} had its row and was requested again"
    # Asked twice: only keys whose rows had not reached the driver when the worker died (its
    # 2 in flight, and rows it had finished but not yet streamed back)
    assert stats.total - 80 <= 10


@pytest.mark.slow
def test_rpm_holds_for_the_run_not_per_worker(cluster: Any, fake_provider_factory: Any) -> None:
    fake = fake_provider_factory({"models": {"capped": {"output_tokens": 2}}})
    rpm, calls = 600, 40  # 10 a second, a burst of 10
    reg = registry(fake.api_base, {"capped": "fake/capped"}, rpm=rpm)
    bench = Benchmark(
        reg, prompts(calls, "rpm"), repeats=1, concurrency=8, progress=False,
        ray_address=cluster.address,
    )  # fmt: skip
    bench.run()

    assert bench.stats.workers == 2
    seconds = fake.stats().per_second["capped"]
    assert sum(seconds.values()) == bench.stats.calls == calls + bench.stats.retries
    first, last = min(seconds), max(seconds)
    # Two workers with a bucket each would send 20 a second and finish in about 1 s.
    assert last - first >= (calls - rpm / 60) / (rpm / 60) - 1
    # One bucket for the run: by the end of second k, at most its burst plus k + 1 seconds of
    # refill (and one more across a boundary) were sent, whichever worker sent them.
    sent = 0
    for second in range(first, last + 1):
        sent += seconds.get(second, 0)
        allowed = rpm / 60 * (1 + second - first + 1) + 1
        assert sent <= allowed, f"{sent} sent by second {second - first}: {seconds}"


def test_workers_without_ray_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("models:\n  m: mock/gpt-4o-mini\nbackends:\n  mock:\n    provider: openai\n")
    dataset = tmp_path / "d.jsonl"
    dataset.write_text('{"id": "q", "prompt": "hi"}\n')
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    code = main(["run", str(config), str(dataset), "--workers", "2", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == "error: --workers and --ray-address need Ray; run: pip install 'modelbench[ray]'"
    assert not (tmp_path / "o").exists()


def test_shared_limits_give_back_a_lost_workers_slots() -> None:
    from modelbench.bench.distributed._limits import BackendLimits, SharedLimits

    async def scenario() -> list[str]:
        limits = SharedLimits({"d": BackendLimits(max_parallel=2, rpm=6000)})
        events: list[str] = []
        assert await limits.reserve("d", "w1", 0) == 0.0
        assert await limits.reserve("d", "w1", 0) == 0.0

        async def third() -> None:
            await limits.reserve("d", "w2", 0)
            events.append("w2 got a slot")

        task = asyncio.create_task(third())
        await asyncio.sleep(0.05)
        events.append("waiting" if not task.done() else "did not wait")
        events.append(f"freed {limits.forget('w1')}")  # w1 was SIGKILLed holding both
        await asyncio.wait_for(task, 1)
        limits.release("d", "w2", 0.0, None)
        events.append(f"freed {limits.forget('w2')}")  # released already: nothing held
        return events

    assert asyncio.run(scenario()) == ["waiting", "freed 2", "w2 got a slot", "freed 0"]


def test_workers_to_keep_up_from_cpu_per_call() -> None:
    from modelbench.bench._engine import RunStats
    from modelbench.bench.capacity import workers_to_keep_up

    # 12 ms of CPU per call, 100 ms at the provider (140 ms measured, 40 ms of it loop lag):
    # 64 in flight ask for 640 calls/s = 7.7 cores, at 70% of a core each -> 11 workers
    stats = RunStats(calls=2000, cpu_s=24.0, loop_lag_p90_ms=40.0)
    assert workers_to_keep_up(stats, 64, 0.14) == 11
    assert workers_to_keep_up(stats, 4, 0.14) == 1
    assert workers_to_keep_up(RunStats(), 64, 0.14) is None
