"""End to end on real servers: benchmark three simulated models, recommend under a quality floor,
export for LiteLLM, serve it with a real LiteLLM Proxy, and watch at the fake provider where the
traffic goes (one proxy start carries every route)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from modelbench.cli import main
from modelbench.servers.fake import FakeProvider

pytestmark = pytest.mark.slow

ROWS = [
    {
        "id": f"cap-{i}",
        "prompt": f"Capital number {i}?",
        "expected": f"City{i}",
        "category": "capitals",
    }
    for i in range(10)
] + [
    {"id": f"sum-{i}", "prompt": f"What is {i} + {i}?", "expected": str(2 * i), "category": "math"}
    for i in range(10)
]

# Three models with different price, latency, quality and faults.
PROFILE: dict[str, Any] = {
    "models": {
        "cheap": {"latency_s": 0.01, "accuracy": 0.5, "rate_500": 0.3},
        "mid": {"latency_s": 0.03, "accuracy": 0.85},
        "strong": {"latency_s": 0.08, "accuracy": 1.0},
    },
}
PRICES = {"cheap": (0.1, 0.2), "mid": (1.0, 2.0), "strong": (10.0, 30.0)}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, FakeProvider]]:
    dataset = tmp_path / "qa.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    profile = tmp_path / "sim.yaml"
    profile.write_text(yaml.safe_dump({**PROFILE, "dataset": str(dataset)}))
    config = {
        "models": {
            name: {
                "backend": f"sim/{name}",
                "pricing": {"input_per_1m": i, "output_per_1m": o},
                "description": "simulated",
            }
            for name, (i, o) in PRICES.items()
        },
        "backends": {"sim": {"provider": "sim", "profile": str(profile)}},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    with FakeProvider(profile, seed=3) as fake:
        # Benchmark, in-process Router and proxy all reach this one server: its counts are ours.
        monkeypatch.setenv("MODELBENCH_SIM_API_BASE", fake.api_base)
        yield tmp_path, fake


@dataclass(frozen=True)
class Served:
    api_base: str
    headers: dict[str, str]
    printed: str


@contextmanager
def modelbench_proxy(path: Path) -> Iterator[Served]:
    """``modelbench proxy PATH`` as a user runs it; Ctrl-C (SIGINT) at the end."""
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_MASTER_KEY"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelbench", "proxy", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert proc.stdout is not None
    printed = ""
    deadline = time.monotonic() + 120
    while "Ctrl-C to stop" not in printed:
        line = proc.stdout.readline()
        assert line and time.monotonic() < deadline, printed
        printed += line
    try:
        url = re.search(r"LiteLLM Proxy listening: (\S+)", printed)
        key = re.search(
            r"master key: generated for this run \(set LITELLM_MASTER_KEY\): (\S+)", printed
        )
        assert url and key, printed
        assert (
            f'curl -s {url[1]}/v1/chat/completions -H "Authorization: Bearer {key[1]}"' in printed
        )
        yield Served(url[1] + "/v1", {"Authorization": f"Bearer {key[1]}"}, printed)
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "stopped" in rest


def _chat(proxy: Any, model: str, text: str, tags: list[str] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": text}]}
    if tags:
        body["tags"] = tags
    return httpx.post(
        proxy.api_base + "/chat/completions", headers=proxy.headers, json=body, timeout=30
    )


def _many(proxy: Any, model: str, n: int) -> list[httpx.Response]:
    """``n`` requests, eight at a time (the counts at the fake do not depend on the order)."""
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda i: _chat(proxy, model, f"Capital number {i % 10}?"), range(n)))


def _export(args: list[str]) -> None:
    assert main(["export", *args]) == 0


def test_recommend_export_and_serve(
    workdir: tuple[Path, FakeProvider], capsys: pytest.CaptureFixture[str]
) -> None:
    tmp, fake = workdir
    cfg, results = tmp / "config.yaml", tmp / "results.jsonl"
    code = main(
        [
            "run",
            str(cfg),
            str(tmp / "qa.jsonl"),
            "--scorer",
            "exact",
            "--out",
            str(results),
            "--no-progress",
            "--repeats",
            "1",
        ]
    )
    assert code == 0
    # The recommended route under a quality floor, then three routes given by hand.
    t1, t2, t3, t4 = (tmp / f"t{i}.yaml" for i in range(1, 5))
    tune = ["--results", str(results), "--format", "modelbench"]
    _export([str(cfg), *tune, "--objective", "cost", "--min-quality", "0.8", "-o", str(t1)])
    _export([str(t1), *tune, "--policy", "fallback:cheap,strong", "--name", "fb", "-o", str(t2)])
    _export([str(t2), *tune, "--policy", "weighted:mid=3,strong=1", "--name", "mix", "-o", str(t3)])
    # The learned ByCategory is what the data says; this one is fixed so the test knows it.
    data = yaml.safe_load(t3.read_text())
    data["routes"]["cat"] = {
        "policy": "bycategory",
        "mapping": {"capitals": "mid", "math": "strong"},
        "default": "mid",
    }
    t4.write_text(yaml.safe_dump(data))
    exported = tmp / "tuned.litellm.yaml"
    _export([str(t4), "--format", "litellm", "-o", str(exported)])
    text = exported.read_text()
    assert "modelbench proxy" in text and "chosen on results" in text

    routed = yaml.safe_load(t1.read_text())["routes"]["routed"]
    evidence = routed["evidence"]
    assert evidence["met"] is True and evidence["policy"]["quality"] >= 0.8
    arms = set(evidence["arms"])
    assert arms and arms <= {"cheap", "mid", "strong"}

    litellm_cfg = yaml.safe_load(text)
    cat = [i for i in litellm_cfg["model_list"] if i["model_name"] == "cat"]
    assert all(i["model_info"]["enable_tag_filtering"] for i in cat)
    assert {"fb": ["fb~2"]} in litellm_cfg["router_settings"]["fallbacks"]

    fake.reset()
    with modelbench_proxy(exported) as proxy:
        # routed: traffic only to the arms the recommendation names
        for i in range(10):
            assert _chat(proxy, "routed", f"What is {i} + {i}?").status_code == 200
        seen = {m for m, n in fake.stats().requests.items() if n}
        assert seen <= arms, (seen, arms)

        # fb: every 500 of the primary is answered by the fallback, nothing else reaches it
        fake.reset()
        for reply in _many(proxy, "fb", 40):
            assert reply.status_code == 200, reply.text
        stats = fake.stats()
        failed = stats.outcomes["cheap"].get("500", 0)
        assert failed > 0
        assert stats.requests["cheap"] == 40
        assert stats.requests.get("strong", 0) == failed

        # mix: weights 3:1 honoured within tolerance over 200 requests
        fake.reset()
        assert all(r.status_code == 200 for r in _many(proxy, "mix", 200))
        stats = fake.stats()
        share = stats.requests.get("mid", 0) / 200
        assert stats.requests.get("mid", 0) + stats.requests.get("strong", 0) == 200
        assert 0.65 <= share <= 0.85, share

        # cat: the request's tag picks the deployment
        fake.reset()
        for i in range(6):
            assert _chat(proxy, "cat", f"What is {i} + {i}?", tags=["math"]).status_code == 200
        for i in range(4):
            assert _chat(proxy, "cat", f"Capital number {i}?", tags=["capitals"]).status_code == 200
        stats = fake.stats()
        assert stats.requests.get("strong", 0) == 6
        assert stats.requests.get("mid", 0) == 4
    # Ctrl-C stopped the proxy it started (the fake provider was ours, so it still answers)
    with pytest.raises(httpx.HTTPError):
        httpx.get(proxy.api_base.removesuffix("/v1") + "/health/liveliness", timeout=5)
    assert fake.stats().total >= 0
