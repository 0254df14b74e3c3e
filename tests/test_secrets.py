"""A secret set in the environment never leaks into exports, reprs or error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelbench import MissingSecretError, ModelbenchError, Registry
from modelbench.cli import main

CANARY = "sk-canary-9f8e7d6c5b4a"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANARY_KEY", CANARY)
    monkeypatch.setenv("LITELLM_MASTER_KEY", CANARY + "-master")
    path = tmp_path / "c.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "models": {
                    "m": {"backend": "box/gpt-4o", "aliases": ["mm"]},
                    "other": "box/gpt-4o-mini",
                },
                "backends": {
                    "box": {
                        "provider": "openai",
                        "api_key": "${CANARY_KEY}",
                        "api_base": "${BOX_BASE:-http://127.0.0.1:9/v1}",
                    }
                },
                "routing": {"fallbacks": {"m": ["other"]}},
                "security": {"master_key": "${LITELLM_MASTER_KEY}"},
            }
        )
    )
    return path


def test_canary_absent_from_exports(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("litellm", "modelbench"):
        out = tmp_path / f"{fmt}.yaml"
        assert main(["export", str(config), "--format", fmt, "-o", str(out)]) == 0
        assert CANARY not in out.read_text()
    assert main(["models", str(config)]) == 0
    assert main(["validate", str(config)]) == 0
    captured = capsys.readouterr()
    assert CANARY not in captured.out + captured.err
    exported = yaml.safe_load((tmp_path / "litellm.yaml").read_text())
    assert exported["model_list"][0]["litellm_params"]["api_key"] == "os.environ/CANARY_KEY"
    assert exported["general_settings"]["master_key"] == "os.environ/LITELLM_MASTER_KEY"


def test_canary_absent_from_reprs(config: Path) -> None:
    reg = Registry.from_yaml(config)
    texts = [repr(reg), str(reg), repr(reg.models), repr(reg.resolve("m")), repr(reg.config)]
    texts += [str(reg.to_dict()), str(reg.to_litellm_config())]
    for text in texts:
        assert CANARY not in text
    # The resolved value is used for calls, and only there.
    assert reg.resolve("m")[0].call_kwargs()["api_key"] == CANARY


def test_literal_secret_is_masked_in_repr() -> None:
    reg = Registry.from_dict(
        {"models": {"m": "box/x"}, "backends": {"box": {"provider": "openai", "api_key": CANARY}}}
    )
    assert CANARY not in repr(reg.resolve("m"))


def test_canary_absent_from_errors(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reg = Registry.from_yaml(config)
    messages: list[str] = []
    for bad in ("n", "m2"):
        with pytest.raises(ModelbenchError) as info:
            reg.resolve(bad)
        messages.append(str(info.value))
    monkeypatch.delenv("CANARY_KEY")
    reg2 = Registry.from_yaml(config)
    with pytest.raises(MissingSecretError) as missing:
        reg2.completion("m", [{"role": "user", "content": "x"}])
    messages.append(str(missing.value))
    assert "CANARY_KEY" in messages[-1]
    for message in messages:
        assert CANARY not in message
