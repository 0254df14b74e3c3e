"""Killing ``modelbench run`` (SIGKILL, Ctrl-C) loses nothing and ``--resume`` pays nothing twice.

The CLI runs in a subprocess, the fake provider in another; the fake's request counts show
which prompts were asked for, and how often.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from modelbench._env import child_env
from modelbench.bench import KEY, completed_keys, read_results
from modelbench.servers.fake import prompt_hash

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = 100
MODELS = {"slow-a": "fake/slow-a", "slow-b": "fake/slow-b"}


def prepare(tmp_path: Path, api_base: str) -> list[str]:
    config = tmp_path / "config.yaml"
    config.write_text(
        "models:\n"
        + "".join(f"  {name}: {ref}\n" for name, ref in MODELS.items())
        + "backends:\n  fake:\n    provider: openai\n"
        + f"    api_base: {api_base}\n    api_key: ${{NO_SUCH_KEY:-sk-fake}}\n"
    )
    dataset = tmp_path / "bench_qa.jsonl"
    dataset.write_text(
        "".join(json.dumps({"id": f"q{i}", "prompt": f"prompt {i}"}) + "\n" for i in range(PROMPTS))
    )
    out = tmp_path / "results.jsonl"
    return [
        sys.executable,
        "-m",
        "modelbench",
        "run",
        str(config),
        str(dataset),
        "--repeats",
        "1",
        "--concurrency",
        "4",
        "--out",
        str(out),
        "--no-progress",
    ]


def start(cmd: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = child_env({"PYTHONPATH": str(ROOT)})
    return subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_rows(proc: subprocess.Popen[str], out: Path, rows: int) -> None:
    """Poll the results file (the only thing a killer outside the process can watch)."""
    deadline = time.monotonic() + 90
    while not out.exists() or out.read_text().count("\n") < rows:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run did not write rows in time"
        time.sleep(0.02)


def key_hash(prompt_id: str) -> str:
    return prompt_hash([{"role": "user", "content": f"prompt {prompt_id[1:]}"}])


def start_run(
    tmp_path: Path, fake_provider_factory: Any, rows: int
) -> tuple[Any, list[str], Path, subprocess.Popen[str]]:
    """A fake with two slow models and ``modelbench run`` against it, ``rows`` rows in."""
    profile = {
        "defaults": {"latency_s": 0.03, "output_tokens": 3},
        "models": {"slow-a": {}, "slow-b": {}},
    }
    fake = fake_provider_factory(profile)
    cmd = prepare(tmp_path, fake.api_base)
    out = tmp_path / "results.jsonl"
    proc = start(cmd, tmp_path)
    wait_for_rows(proc, out, rows)
    return fake, cmd, out, proc


def test_sigkill_midway_then_resume_pays_nothing_twice(
    tmp_path: Path, fake_provider_factory: Any
) -> None:
    fake, cmd, out, proc = start_run(tmp_path, fake_provider_factory, 40)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    before = read_results(out)  # a torn last line, if the kill made one, is ignored
    done = completed_keys(before)
    assert 40 <= len(done) < 2 * PROMPTS
    asked_before = fake.stats().total

    resumed = subprocess.run(
        [*cmd, "--resume"],
        cwd=tmp_path,
        env=child_env({"PYTHONPATH": str(ROOT)}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(done)} of {2 * PROMPTS} rows already in" in resumed.stdout

    stats = fake.stats()
    for prompt_id, model, _backend, _repeat in done:
        # a key that had its row was never requested again
        assert stats.prompts[f"slow-{model[-1]}"][key_hash(prompt_id)] == 1
    # only requests that were in flight at the kill (at most --concurrency) were repeated
    assert stats.total - 2 * PROMPTS == asked_before - len(done)
    assert asked_before - len(done) <= 4 + 1

    lines = out.read_text().splitlines()
    keys = [tuple(json.loads(line)[k] for k in KEY) for line in lines]
    assert len(keys) == len(set(keys)) == 2 * PROMPTS  # complete, no duplicates
    assert len(read_results(out)) == 2 * PROMPTS


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(
    tmp_path: Path, fake_provider_factory: Any
) -> None:
    _fake, _cmd, out, proc = start_run(tmp_path, fake_provider_factory, 20)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted:" in err
    assert "--resume" in err and str(out) in err
    assert "Traceback" not in err
    df = read_results(out)
    assert df.attrs["torn_line"] is None  # stopped between lines, not in one
    assert 20 <= len(df) < 2 * PROMPTS
    assert out.read_text().endswith("\n")
