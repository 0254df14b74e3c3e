"""The registry: resolving names, selecting by capability, compiling, calling via the Router."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from modelbench import MissingSecretError, Registry, UnknownModelError

EXAMPLE = Path(__file__).parent.parent / "examples" / "model_config_example.yaml"

MOCK: dict[str, Any] = {
    "models": {
        "primary": {
            "backend": "openai/gpt-4o",
            "params": {"mock_response": "litellm.InternalServerError"},
            "capabilities": ["chat", "tools"],
        },
        "backup": {
            "backend": "anthropic/claude-3-5-haiku-latest",
            "params": {"mock_response": "answer from backup"},
            "aliases": ["bk"],
            "capabilities": ["chat"],
        },
        "pool": {
            "backends": [
                {"backend": "openai/gpt-4o-mini", "params": {"mock_response": "from a"}},
                {"backend": "anthropic/claude-3-5-haiku-latest", "params": {"mock_response": "b"}},
            ],
            "capabilities": ["chat", "tools", "vision"],
        },
    },
    "backends": {
        "openai": {"provider": "openai", "api_key": "sk-test"},
        "anthropic": {"provider": "anthropic", "api_key": "sk-test"},
    },
    "routing": {"fallbacks": {"primary": ["bk"]}},
}


def messages(text: str = "hi") -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_resolve_name_and_alias() -> None:
    reg = Registry.from_dict(MOCK)
    assert reg.resolve("bk") == reg.resolve("backup")
    (dep,) = reg.resolve("backup")
    assert (dep.backend, dep.provider, dep.model_id) == (
        "anthropic",
        "anthropic",
        "claude-3-5-haiku-latest",
    )
    assert dep.litellm_model == "anthropic/claude-3-5-haiku-latest"
    assert dep.name == "anthropic/claude-3-5-haiku-latest"


def test_unknown_name_says_did_you_mean() -> None:
    reg = Registry.from_dict(MOCK)
    with pytest.raises(UnknownModelError, match=r"unknown model 'primry' \(did you mean 'primary'"):
        reg.resolve("primry")


def test_select_by_capabilities() -> None:
    reg = Registry.from_dict(MOCK)
    assert reg.select(["tools"]) == ["primary", "pool"]
    assert reg.select(["tools", "vision"]) == ["pool"]
    assert reg.select([]) == ["primary", "backup", "pool"]
    with pytest.raises(UnknownModelError, match="did you mean 'vision'"):
        reg.select(["vison"])


def test_deployments_filter_by_model_and_backend() -> None:
    reg = Registry.from_dict(MOCK)
    assert [d.name for d in reg.deployments(["pool"])] == [
        "openai/gpt-4o-mini",
        "anthropic/claude-3-5-haiku-latest",
    ]
    assert [d.model for d in reg.deployments(backends=["anthropic"])] == ["backup", "pool"]
    with pytest.raises(UnknownModelError, match="unknown backend 'opnai'"):
        reg.deployments(backends=["opnai"])


def test_completion_uses_router_fallbacks_and_aliases() -> None:
    reg = Registry.from_dict(MOCK)
    reply = reg.completion("primary", messages())
    assert reply.choices[0].message.content == "answer from backup"
    assert reg.completion("bk", messages()).choices[0].message.content == "answer from backup"


async def _acall(reg: Registry) -> str:
    reply = await reg.acompletion("primary", messages())
    return str(reply.choices[0].message.content)


def test_acompletion_falls_back_too() -> None:
    import asyncio

    assert asyncio.run(_acall(Registry.from_dict(MOCK))) == "answer from backup"


def test_fallback_strategy_orders_backends_as_listed() -> None:
    reg = Registry.from_dict(MOCK)
    assert [d.order for d in reg.resolve("pool")] == [1, 2]
    weighted = Registry.from_dict({**MOCK, "routing": {"strategy": "weighted"}})
    assert [d.order for d in weighted.resolve("pool")] == [None, None]
    # Under the fallback strategy the Router sends everything to order 1.
    answers = {reg.completion("pool", messages()).choices[0].message.content for _ in range(8)}
    assert answers == {"from a"}


def test_weighted_strategy_spreads_by_weight() -> None:
    data = {
        "models": {
            "pool": {
                "backends": [
                    {"backend": "openai/a", "weight": 9, "params": {"mock_response": "a"}},
                    {"backend": "openai/b", "weight": 1, "params": {"mock_response": "b"}},
                ]
            }
        },
        "routing": {"strategy": "weighted"},
    }
    reg = Registry.from_dict(data)
    seen = [reg.completion("pool", messages()).choices[0].message.content for _ in range(60)]
    assert 40 <= seen.count("a") <= 60 and seen.count("b") >= 1


def test_missing_secret_is_an_error_only_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    data = {
        "models": {"m": "box/gpt-4o", "ok": {"backend": "openai/gpt-4o"}},
        "backends": {"box": {"provider": "openai", "api_key": "${BOX_KEY}"}},
    }
    reg = Registry.from_dict(data)  # loading works without the variable
    assert any("BOX_KEY" in w for w in reg.warnings)
    with pytest.raises(MissingSecretError, match="BOX_KEY not set"):
        reg.completion("m", messages())
    monkeypatch.setenv("BOX_KEY", "sk-now-set")
    reg2 = Registry.from_dict(data)
    reply = reg2.completion("m", messages(), mock_response="works")
    assert reply.choices[0].message.content == "works"


def test_pricing_layers_and_units() -> None:
    data = {
        "models": {
            "m": {
                "backends": [
                    {"backend": "box/x", "pricing": {"input_per_1m": 2}},
                    "box/y",
                ],
                "pricing": {"output_per_1m": 8},
            },
            "h": {"backend": "box/z", "pricing": {"per_hour": 36}},
        },
        "backends": {"box": {"provider": "openai", "pricing": {"input_per_1m": 1}}},
    }
    reg = Registry.from_dict(data)
    x, y = reg.resolve("m")
    assert (x.pricing.input_per_1m, x.pricing.output_per_1m) == (2, 8)
    assert (y.pricing.input_per_1m, y.pricing.output_per_1m) == (1, 8)
    assert x.pricing.cost(1_000_000, 500_000, 3) == pytest.approx(2 + 4)
    (z,) = reg.resolve("h")
    assert z.pricing.per_second == pytest.approx(0.01)
    assert z.litellm_params(resolve=False)["input_cost_per_second"] == pytest.approx(0.01)
    assert math.isnan(Registry.from_dict(MOCK).resolve("bk")[0].pricing.cost(10, 10, 1))


def test_params_merge_backend_model_deployment() -> None:
    data = {
        "models": {
            "m": {
                "backends": [{"backend": "box/x", "params": {"top_p": 0.5}}],
                "params": {"temperature": 0.1, "top_p": 0.9},
            }
        },
        "backends": {"box": {"provider": "openai", "params": {"temperature": 1, "seed": 7}}},
    }
    (dep,) = Registry.from_dict(data).resolve("m")
    assert dict(dep.params) == {"temperature": 0.1, "top_p": 0.5, "seed": 7}


def test_bare_names_go_to_litellm_inference() -> None:
    reg = Registry.from_dict({"models": ["gpt-4o-mini"]})
    (dep,) = reg.resolve("gpt-4o-mini")
    assert dep.litellm_model == "gpt-4o-mini"
    reply = reg.completion("gpt-4o-mini", messages(), mock_response="inferred")
    assert reply.choices[0].message.content == "inferred"


def test_completion_capability_means_text_completion_mode() -> None:
    reg = Registry.from_dict(
        {
            "models": {
                "base": {"backend": "local/gemma3-270m", "capabilities": ["completion"]},
                "both": {"backend": "openai/gpt-4", "capabilities": ["chat", "completion"]},
            },
            "backends": {"local": {"provider": "local", "api_base": "http://127.0.0.1:9/v1"}},
        }
    )
    (base,) = reg.resolve("base")
    assert base.mode == "completion"
    assert base.litellm_model == "text-completion-openai/gemma3-270m"
    assert reg.resolve("both")[0].mode == "chat"


def test_example_compiles_and_equals_itself() -> None:
    a = Registry.from_yaml(EXAMPLE)
    b = Registry.from_yaml(EXAMPLE)
    assert a == b
    assert a.canonical("default") == "smart"
    assert "Registry(5 models" in repr(a)


def test_text_completion_through_the_router() -> None:
    reg = Registry.from_dict(
        {
            "models": {
                "base": {
                    "backend": "box/gemma3-270m",
                    "capabilities": ["completion"],
                    "params": {"mock_response": "Rome"},
                }
            },
            "backends": {"box": {"provider": "local", "api_base": "http://127.0.0.1:9/v1"}},
        }
    )
    reply = reg.text_completion("base", "Q: capital of Italy?\nA:")
    assert reply.choices[0].text == "Rome"


def test_text_completion_inside_a_running_loop() -> None:
    import asyncio

    reg = Registry.from_dict(
        {
            "models": {
                "m": {"backend": "openai/gpt-3.5-turbo-instruct", "params": {"mock_response": "ok"}}
            }
        }
    )

    async def notebook_cell() -> str:
        # A notebook cell calls the sync API while the kernel's loop is running.
        return str(reg.text_completion("m", "say ok").choices[0].text)

    assert asyncio.run(notebook_cell()) == "ok"
