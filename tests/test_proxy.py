"""What we export runs on a real LiteLLM Proxy, and fails over the same way in-process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from modelbench import Registry
from modelbench.cli import main
from modelbench.servers.proxy import litellm_proxy

pytestmark = pytest.mark.slow

CONFIG: dict[str, Any] = {
    "models": {
        "primary": {
            "backend": "openai/gpt-4o",
            "params": {"mock_response": "litellm.InternalServerError"},
        },
        "backup": {
            "backend": "anthropic/claude-3-5-haiku-latest",
            "params": {"mock_response": "answer from backup"},
            "aliases": ["bk"],
        },
    },
    "backends": {
        "openai": {"provider": "openai", "api_key": "${CANARY_OPENAI_KEY}"},
        "anthropic": {"provider": "anthropic", "api_key": "${CANARY_ANTHROPIC_KEY}"},
    },
    "routing": {"fallbacks": {"primary": ["backup"]}},
}


def chat(proxy: Any, model: str) -> httpx.Response:
    return httpx.post(
        proxy.api_base + "/chat/completions",
        headers=proxy.headers,
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        timeout=30,
    )


@pytest.fixture
def exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANARY_OPENAI_KEY", "sk-canary-openai-0001")
    monkeypatch.setenv("CANARY_ANTHROPIC_KEY", "sk-canary-anthropic-0002")
    source = tmp_path / "modelbench.yaml"
    source.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "litellm.yaml"
    assert main(["export", str(source), "--format", "litellm", "-o", str(out)]) == 0
    return out


def test_proxy_serves_export_and_falls_back(exported: Path) -> None:
    text = exported.read_text()
    assert "os.environ/CANARY_OPENAI_KEY" in text and "sk-canary" not in text
    with litellm_proxy(exported) as proxy:
        reply = chat(proxy, "primary")
        assert reply.status_code == 200, reply.text
        assert reply.json()["choices"][0]["message"]["content"] == "answer from backup"
        alias = chat(proxy, "bk")
        assert alias.json()["choices"][0]["message"]["content"] == "answer from backup"
        unknown = chat(proxy, "nope")
        assert unknown.status_code >= 400
        pid = proxy.pid
    assert pid is not None and not _alive(pid)


def test_registry_falls_back_like_the_proxy(exported: Path, tmp_path: Path) -> None:
    reg = Registry.from_yaml(tmp_path / "modelbench.yaml")
    reply = reg.completion("primary", [{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "answer from backup"


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
