"""Issue 10's fixes, each checked where a user meets it: files, numbers, warnings, prices, logs."""

from __future__ import annotations

import json
import logging
import math
import stat
from pathlib import Path

import pytest

import modelbench
from modelbench import (
    CallError,
    ModelbenchError,
    OptionError,
    OutputError,
    Pricing,
    RetryPolicy,
    load_config_text,
)
from modelbench.cli import main
from modelbench.files import writable_dir, writable_file, write_text
from modelbench.units import usd

# --- one helper for every file written --------------------------------------------------------


def test_write_text_creates_folders_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.yaml"
    write_text(target, "x: 1\n")
    assert target.read_text() == "x: 1\n"
    target.chmod(0o640)
    write_text(target, "x: 2\n")
    assert target.read_text() == "x: 2\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["out.yaml"]  # no temp file left


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda t: t, "is a folder; give a file name for --out"),
        (lambda t: t / "f.txt" / "x.jsonl", "a file of that name is in the way; choose another"),
    ],
)
def test_writable_file_says_what_and_how(tmp_path: Path, make, expected: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "f.txt").write_text("")
    path = make(tmp_path)
    with pytest.raises(OutputError) as info:
        writable_file(path, option="--out")
    assert str(info.value).startswith(f"{path}: ") and expected in str(info.value)


def test_writable_dir_rejects_a_file(tmp_path: Path) -> None:
    f = tmp_path / "cache"
    f.write_text("")
    with pytest.raises(OutputError, match="is a file, not a folder; give a folder for --cache"):
        writable_dir(f, option="--cache")


def test_a_broken_cache_file_is_one_line(tmp_path: Path) -> None:
    from modelbench import ResponseCache

    (tmp_path / ResponseCache.FILENAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutputError, match="not a usable response cache"):
        ResponseCache(tmp_path)


# --- numbers: an error, never a clamp ---------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"jitter": 2.0}, {"base_delay": -1.0}, {"max_delay": -1.0}]
)
def test_retry_policy_rejects_what_it_would_have_clamped(kwargs: dict[str, float]) -> None:
    with pytest.raises(OptionError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_option_error_is_a_value_error_and_a_modelbench_error() -> None:
    assert issubclass(OptionError, ValueError) and issubclass(OptionError, ModelbenchError)
    assert issubclass(CallError, ModelbenchError)


def test_call_error_is_still_retried() -> None:
    from modelbench.bench.calls import classify

    assert classify(CallError("the stream ended without sending anything")).retriable
    assert not classify(modelbench.MissingSecretError("K not set")).retriable


@pytest.mark.parametrize("value", [0.0, -1.0, math.nan, math.inf])
def test_benchmark_rejects_a_bad_timeout(tmp_path: Path, value: float) -> None:
    from modelbench import Benchmark, Registry

    reg = Registry.from_dict({"models": {"m": "openai/m"}})
    with pytest.raises(OptionError, match="timeout must be a number of seconds above 0"):
        Benchmark(reg, [{"id": "a", "prompt": "x"}], timeout=value, out=tmp_path / "r.jsonl")


# --- validate: litellm providers used without a backend entry ---------------------------------


def test_an_undeclared_provider_backend_is_a_located_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "models:\n  a: azure/gpt-4\n  b: openai/gpt-4o\n"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    loaded = load_config_text(text, file="c.yaml")
    azure = next(w for w in loaded.warnings if "'azure'" in w)
    assert azure.startswith("c.yaml:2: warning: model 'a': backend 'azure' is not declared")
    assert "AZURE_API_KEY" in azure and "AZURE_API_BASE" in azure and "are not set" in azure
    openai = next(w for w in loaded.warnings if "'openai'" in w)
    assert openai.startswith("c.yaml:3: warning:") and "not set" not in openai


def test_a_declared_backend_is_not_warned_about() -> None:
    text = "models:\n  a: mine/gpt-4o\nbackends:\n  mine: {provider: openai, api_key: sk-x}\n"
    loaded = load_config_text(text, file="c.yaml")
    assert not any("not declared" in w for w in loaded.warnings)


# --- prices and log chatter -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1 / 3600, "$0.0000278"), (2.5, "$2.50"), (1234.5, "$1,234.50"), (0.15, "$0.15")],
)
def test_prices_are_written_for_people(value: float, text: str) -> None:
    assert usd(value) == text


def test_models_shows_an_hourly_price_not_an_exponent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Pricing(per_second=0.1 / 3600).describe() == "$0.10/hour"
    config = tmp_path / "c.yaml"
    config.write_text(
        "models:\n  tiny: local/gemma3-270m\n"
        "backends:\n  local: {provider: local, pricing: {per_hour: 0.1}}\n"
    )
    assert main(["models", str(config)]) == 0
    out = capsys.readouterr().out
    assert "$0.10/hour" in out and "e-0" not in out


def test_litellm_messages_go_to_the_log_not_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelbench._env import import_litellm, litellm_logs_to_file

    import_litellm()
    log = tmp_path / "litellm.log"
    restore = litellm_logs_to_file(log)
    try:
        logging.getLogger("LiteLLM").warning("custom pricing registered for x")
    finally:
        restore()
    assert "custom pricing" not in capsys.readouterr().err
    assert "custom pricing registered for x" in log.read_text()


# --- newcomer: expected answers without a scorer; the exported file says how to serve it ------


def test_run_says_when_expected_answers_are_not_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_provider: modelbench.FakeProvider
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "models:\n  m: fake/fake-fast\n"
        f"backends:\n  fake: {{provider: openai, api_base: '{fake_provider.api_base}', "
        "api_key: '${MB_TEST_KEY:-sk-fake}'}\n"
    )
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"id": "q", "prompt": "2+2?", "expected": "4"}) + "\n")
    args = ["run", str(config), str(data), "--repeats", "1", "--no-progress"]
    assert main([*args, "--out", str(tmp_path / "r.jsonl")]) == 0
    assert "no --scorer, so no row is scored; add --scorer exact" in capsys.readouterr().err


def test_export_header_names_every_variable_the_proxy_needs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "models:\n  tiny: local/gemma3-270m\n  smart: openai/gpt-4o\n"
        "  other: mine/m\n"
        "backends:\n  local: {provider: local}\n"
        "  mine: {provider: openai, api_key: '${MINE_KEY}'}\n"
    )
    out = tmp_path / "litellm.yaml"
    assert main(["export", str(config), "-o", str(out)]) == 0
    head = [line for line in out.read_text().splitlines() if line.startswith("#")]
    text = "\n".join(head)
    assert f"litellm --config {out}" in text and f"modelbench proxy {out}" in text
    needs = next(line for line in head if "with these set" in line)
    for var in ("MODELBENCH_LOCAL_API_BASE", "MINE_KEY", "OPENAI_API_KEY"):
        assert var in needs
