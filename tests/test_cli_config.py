"""The config commands: exit codes and one line per problem, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from modelbench.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "model_config_example.yaml"


def test_validate_ok_prints_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert "valid: 5 models, 6 deployments, 3 aliases" in out
    assert "warning: backend 'openai': api_key needs ${OPENAI_API_KEY}" in err


def test_an_unset_key_is_a_warning_of_validate_and_models_not_of_export(
    capsys: pytest.CaptureFixture[str],
) -> None:
    unset = "warning: backend 'openai': api_key needs ${OPENAI_API_KEY}"
    assert main(["models", str(EXAMPLE)]) == 0
    assert unset in capsys.readouterr().err
    assert main(["export", str(EXAMPLE)]) == 0
    out, err = capsys.readouterr()
    assert "OPENAI_API_KEY" not in err and "os.environ/OPENAI_API_KEY" in out


def test_validate_bad_exits_2_with_located_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  a:\n    backend: opnai/gpt-4\n    descripton: x\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"{bad}:4: unknown key 'descripton' in models.a (did you mean 'description'?) "
        "(allowed: aliases, backend, backends, capabilities, context_window, "
        "description, max_tokens, params, pricing)"
    ]


def test_validate_cross_reference_problems_each_on_a_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("models:\n  a: opnai/gpt-4\nrouting:\n  fallbacks:\n    a: [b]\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.split(":")[1] for line in err] == ["2", "5"]


def test_models_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["model", "aliases", "backends", "capabilities", "price", "(in/out)"]
    smart = next(line for line in out if line.startswith("smart"))
    assert "default, best" in smart and "openai/gpt-4o w=3 #1" in smart
    assert any("$0.05/$0.08 per 1M" in line for line in out)


def test_export_and_import_round_trip(tmp_path: Path) -> None:
    litellm_file = tmp_path / "litellm.yaml"
    back = tmp_path / "back.yaml"
    assert main(["export", str(EXAMPLE), "-o", str(litellm_file)]) == 0
    assert main(["import-litellm", str(litellm_file), "-o", str(back)]) == 0
    assert main(["validate", str(back)]) == 0
    again = yaml.safe_load(back.read_text())
    assert set(again["models"]) == {"gpt-4", "fast", "smart", "local-llama", "cheap"}
    assert again["models"]["smart"]["aliases"] == ["default", "best"]


def test_import_rejects_non_litellm_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "x.yaml"
    f.write_text("models: {}\n")
    assert main(["import-litellm", str(f)]) == 2
    assert "not a LiteLLM config" in capsys.readouterr().err


def test_missing_file_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/nonexistent/c.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "/nonexistent/c.yaml: config file not found; check the path"


def test_help_is_fast_and_does_not_import_litellm() -> None:
    code = (
        "import sys, modelbench.cli as c\n"
        "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('litellm' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "False"
    assert "validate" in out and "export" in out


def test_import_modelbench_does_not_import_litellm() -> None:
    code = "import sys, modelbench; modelbench.ConfigError; print('litellm' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model_list: 3\n", ": model_list must be a list of deployments (got int)"),
        ("model_list:\n  - model_name: a\n\tx: 1\n", ":3: invalid YAML: "),
        ("model_list: []\nmodel_list: []\n", ":2: duplicate key 'model_list'"),
        (b"model_list:\n  - model_name: \xe9\n", ":2: not UTF-8 text (byte 0xe9)"),
        (
            "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a, rpm: -5}\n",
            " (imported): models.a.backends[0].rate_limits.rpm: Input should be greater than 0",
        ),
    ],
)
def test_import_bad_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str | bytes, expected: str
) -> None:
    f = tmp_path / "l.yaml"
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text)
    assert main(["import-litellm", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{f}{expected}"), err


def test_import_broken_item_is_skipped_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "l.yaml"
    f.write_text(
        "model_list:\n  - model_name: a\n    litellm_params: {model: openai/a}\n"
        "  - model_name: b\n    litellm_params: [1]\n"
    )
    assert main(["import-litellm", str(f)]) == 0
    out, err = capsys.readouterr()
    assert yaml.safe_load(out)["models"] == {"a": "openai/a"}
    assert err.strip() == (
        f"{f}: warning: model_list[1] (b): litellm_params needs a 'model' string; skipped"
    )


@pytest.mark.parametrize("command", ["validate", "models", "export", "import-litellm"])
def test_directory_or_non_utf8_path_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{tmp_path}: is a directory; give the path")
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"models:\n  a: 'op\xe9nai/x'\n")
    assert main([command, str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{f}:2: not UTF-8 text (byte 0xe9); save the file as UTF-8"]
