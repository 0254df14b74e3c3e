"""``modelbench run`` and ``modelbench report`` in-process, against the fake provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelbench.bench import read_results
from modelbench.cli import main
from modelbench.servers.fake import FakeProvider


def setup_files(tmp_path: Path, api_base: str) -> tuple[Path, Path]:
    config = tmp_path / "config.yaml"
    config.write_text(
        "models:\n"
        "  fast: fake/fake-fast\n"
        "  slow: fake/fake-slow\n"
        "backends:\n"
        "  fake:\n"
        "    provider: openai\n"
        f"    api_base: {api_base}\n"
        "    api_key: ${MODELBENCH_TEST_FAKE_KEY:-sk-fake}\n"
        "    pricing: {input_per_1m: 1.0, output_per_1m: 2.0}\n"
    )
    dataset = tmp_path / "bench_qa.jsonl"
    dataset.write_text(
        "\n".join(
            json.dumps({"id": f"q{i}", "prompt": f"question {i}", "category": "c"})
            for i in range(3)
        )
        + "\n"
    )
    return config, dataset


def test_run_writes_rows_and_prints_a_summary(
    tmp_path: Path, fake_provider: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    config, dataset = setup_files(tmp_path, fake_provider.api_base)
    out = tmp_path / "results.jsonl"
    args = ["run", str(config), str(dataset), "--models", "fast", "--repeats", "2"]
    code = main([*args, "--scorer", "contains", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "fast" in printed and "fake/fake-fast" in printed
    assert "p50 lat" in printed  # summary.py's table
    assert "6 rows in" in printed and str(out) in printed
    df = read_results(out)
    assert len(df) == 6
    assert set(df["model"]) == {"fast"}
    assert (df["cost_usd"] > 0).all()

    # a second run into the same file must say how to continue it
    assert main([*args, "--out", str(out), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*args, "--out", str(out), "--resume", "--no-progress"]) == 0
    assert "6 of 6 rows already in" in capsys.readouterr().out
    assert fake_provider.stats().total == 6


def test_default_out_file_and_backend_filter(
    tmp_path: Path,
    fake_provider: FakeProvider,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config, dataset = setup_files(tmp_path, fake_provider.api_base)
    monkeypatch.chdir(tmp_path)
    args = ["run", str(config), str(dataset), "--backends", "fake/fake-fast", "--repeats", "1"]
    code = main([*args, "--no-progress"])
    assert code == 0
    (written,) = (tmp_path / "modelbench-runs").glob("*.jsonl")
    assert len(read_results(written)) == 3
    assert str(Path("modelbench-runs") / written.name) in capsys.readouterr().out


def test_report_text_json_and_html(
    tmp_path: Path, fake_provider: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    config, dataset = setup_files(tmp_path, fake_provider.api_base)
    out = tmp_path / "results.jsonl"
    main(["run", str(config), str(dataset), "--repeats", "1", "--out", str(out), "--no-progress"])
    out.write_text(out.read_text() + '{"run_id": "x", "prom')  # a killed run's torn line
    capsys.readouterr()

    assert main(["report", str(out)]) == 0
    captured = capsys.readouterr()
    assert "fake/fake-slow" in captured.out
    assert "line 7 was torn" in captured.err

    html = tmp_path / "summary.html"
    assert main(["report", str(out), "--json", "--html", str(html)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["backend"] for r in records} == {"fake/fake-fast", "fake/fake-slow"}
    assert all(r["n"] == 3 and r["errors"] == 0 for r in records)
    assert "<table" in html.read_text()


def test_cli_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, _ = setup_files(tmp_path, "http://127.0.0.1:9/v1")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "prompt": "x"}\n{"id": "b"\n')
    assert main(["run", str(config), str(bad), "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == f"{bad}:2: not valid JSON " + (
        "(Expecting ',' delimiter at column 11)"
    )
    assert main(["report", str(tmp_path / "none.jsonl")]) == 2
    assert "no such results file" in capsys.readouterr().err


def write_keyed_config(tmp_path: Path, api_base: str) -> Path:
    config = tmp_path / "keyed.yaml"
    config.write_text(
        "models:\n"
        "  fast: fake/fake-fast\n"
        "  cloud: cloud/fake-fast\n"
        "backends:\n"
        "  fake: {provider: openai, api_base: " + api_base + ", api_key: sk-fake}\n"
        "  cloud: {provider: openai, api_base: " + api_base + ", api_key: '${CLOUD_TEST_KEY}'}\n"
    )
    return config


def test_run_skips_backends_whose_key_is_unset(
    tmp_path: Path, fake_provider: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_keyed_config(tmp_path, fake_provider.api_base)
    _, dataset = setup_files(tmp_path, fake_provider.api_base)
    out = tmp_path / "r.jsonl"
    args = ["run", str(config), str(dataset), "--repeats", "1", "--no-progress"]
    assert main([*args, "--out", str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    # one note, not validate's warning about the same key before it
    assert [line for line in err if "CLOUD_TEST_KEY" in line] == [
        "skipping cloud/fake-fast: CLOUD_TEST_KEY not set"
    ]
    assert set(read_results(out)["backend"]) == {"fake/fake-fast"}
    # a backend the run does not use is not mentioned at all
    again = tmp_path / "again.jsonl"
    assert main([*args, "--models", "fast", "--out", str(again)]) == 0
    assert "CLOUD_TEST_KEY" not in capsys.readouterr().err


def test_run_with_the_key_set_includes_that_backend(
    tmp_path: Path,
    fake_provider: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("CLOUD_TEST_KEY", "sk-now-set")
    config = write_keyed_config(tmp_path, fake_provider.api_base)
    _, dataset = setup_files(tmp_path, fake_provider.api_base)
    out = tmp_path / "r.jsonl"
    assert (
        main(
            ["run", str(config), str(dataset), "--repeats", "1", "--no-progress", "--out", str(out)]
        )
        == 0
    )
    assert "skipping" not in capsys.readouterr().err
    assert set(read_results(out)["model"]) == {"fast", "cloud"}


def test_run_of_a_named_model_without_its_key_is_one_line(
    tmp_path: Path, fake_provider: FakeProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_keyed_config(tmp_path, fake_provider.api_base)
    _, dataset = setup_files(tmp_path, fake_provider.api_base)
    out = tmp_path / "r.jsonl"
    code = main(
        ["run", str(config), str(dataset), "--models", "cloud", "--no-progress", "--out", str(out)]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: cloud/fake-fast needs CLOUD_TEST_KEY, which is not set")
    assert not out.exists()
