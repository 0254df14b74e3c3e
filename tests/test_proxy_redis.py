"""Two LiteLLM Proxy instances from one exported config share a deployment's rpm via Redis.

A real ``redis-server`` (loopback, free port, nothing on disk), two proxies started from the
same ``modelbench export --redis-url`` file, requests alternating between them; the fake
provider counts what reached it per second. Unshared, each proxy would let ``rpm`` through.
"""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from modelbench.cli import main
from modelbench.servers.proxy import litellm_proxy
from modelbench.servers.redis import redis_server

RPM = 4
HOLD_S = 5.0


def export(tmp_path: Path, api_base: str, *extra: str) -> Path:
    source = tmp_path / "modelbench.yaml"
    source.write_text(
        yaml.safe_dump(
            {
                "models": {
                    "capped": {
                        "backends": [{"backend": "fake/capped", "rate_limits": {"rpm": RPM}}]
                    },
                    "free": "fake/free",
                },
                "backends": {
                    "fake": {
                        "provider": "openai",
                        "api_base": api_base,
                        "api_key": "${FAKE_KEY:-sk-fake}",
                    }
                },
                "routing": {"strategy": "usage"},
            }
        )
    )
    out = tmp_path / "litellm.yaml"
    assert main(["export", str(source), "-o", str(out), *extra]) == 0
    return out


def test_export_writes_redis_settings_without_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(
        export(tmp_path, "http://127.0.0.1:9/v1", "--redis-url", "${REDIS_URL}").read_text()
    )
    assert data["router_settings"]["redis_url"] == "os.environ/REDIS_URL"
    assert data["router_settings"]["routing_strategy"] == "usage-based-routing-v2"
    assert data["model_list"][0]["litellm_params"]["rpm"] == RPM
    assert "rpm" not in data["model_list"][1]["litellm_params"]

    config = tmp_path / "host.yaml"
    config.write_text(
        "models:\n  m: {backend: fake/m}\n"
        "backends:\n  fake: {provider: openai, rate_limits: {rpm: 5}}\n"
        "routing:\n  redis: {host: '${REDIS_HOST}', port: 6380, password: '${REDIS_PASSWORD}'}\n"
    )
    out = tmp_path / "host-litellm.yaml"
    assert main(["export", str(config), "-o", str(out)]) == 0
    settings = yaml.safe_load(out.read_text())["router_settings"]
    assert settings["redis_host"] == "os.environ/REDIS_HOST"
    assert settings["redis_port"] == 6380
    assert settings["redis_password"] == "os.environ/REDIS_PASSWORD"
    # the strategy is left as chosen, with a note that LiteLLM would not enforce the rpm
    assert "routing.strategy: usage" in capsys.readouterr().err

    code = main(["export", str(config), "--redis-url", "redis://:hunter2@10.0.0.1:6379"])
    captured = capsys.readouterr()
    assert code == 2 and "hunter2" not in captured.out + captured.err
    assert captured.err.strip() == (
        "error: --redis-url: a Redis URL with a password would be written into the exported "
        "file; put it in an environment variable and pass '${REDIS_URL}' instead"
    )


@pytest.mark.slow
def test_two_proxies_share_the_rpm_through_redis(
    tmp_path: Path, fake_provider_factory: Any
) -> None:
    fake = fake_provider_factory(
        {"defaults": {"output_tokens": 2}, "models": {"capped": {}, "free": {}}}
    )
    with ExitStack() as stack:
        url = stack.enter_context(redis_server())
        config = export(tmp_path, fake.api_base, "--redis-url", url)
        with ThreadPoolExecutor(2) as pool:  # start both at once: each takes a while
            proxies = list(
                pool.map(
                    stack.enter_context,
                    [litellm_proxy(config, env={"FAKE_KEY": "sk-fake"}) for _ in "ab"],
                )
            )
        for proxy in proxies:  # the first call of a fresh proxy is slow: not the capped one's
            warm = {"model": "free", "messages": [{"role": "user", "content": "warm up"}]}
            response = httpx.post(
                proxy.api_base + "/chat/completions", headers=proxy.headers, json=warm, timeout=120
            )
            assert response.status_code == 200, response.text
        answers: Counter[tuple[int, str]] = Counter()
        for i in range(2 * RPM):
            proxy = proxies[i % 2]
            try:
                response = httpx.post(
                    proxy.api_base + "/chat/completions",
                    headers=proxy.headers,
                    json={"model": "capped", "messages": [{"role": "user", "content": f"hi {i}"}]},
                    timeout=HOLD_S,
                )
                answers[(i % 2, str(response.status_code))] += 1
            except httpx.TimeoutException:
                # over the limit, LiteLLM holds the request until the next minute's window
                answers[(i % 2, "held")] += 1
            time.sleep(1.2)  # past LiteLLM's 1 s sync of in-memory counts with Redis

    seconds = fake.stats().per_second.get("capped", {})
    per_minute: Counter[int] = Counter()
    for second, n in seconds.items():
        per_minute[second // 60] += n
    assert per_minute and max(per_minute.values()) <= RPM, (per_minute, answers)
    assert answers[(0, "200")] >= 1 and answers[(1, "200")] >= 1, answers  # both served
    # Unshared, each proxy would let its own RPM through: up to all 2 x RPM sent.
    held = sum(n for (_, outcome), n in answers.items() if outcome != "200")
    assert held >= 1, answers
