"""The LiteLLM bridge: exact export schema, our own format round trip, import of Proxy configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelbench import ConfigError, Registry
from modelbench.config import validate_data
from modelbench.litellm_form import from_litellm_config

EXAMPLE = Path(__file__).parent.parent / "examples" / "model_config_example.yaml"


def test_export_schema_matches_litellm() -> None:
    out = Registry.from_yaml(EXAMPLE).to_litellm_config()
    assert set(out) == {"model_list", "router_settings", "litellm_settings", "general_settings"}
    smart = [e for e in out["model_list"] if e["model_name"] == "smart"]
    assert len(smart) == 2
    first = smart[0]
    assert set(first) == {"model_name", "litellm_params", "model_info"}
    params = first["litellm_params"]
    assert params["model"] == "openai/gpt-4o"
    assert params["api_key"] == "os.environ/OPENAI_API_KEY"
    assert (params["weight"], params["order"], params["rpm"], params["tpm"]) == (3, 1, 500, 200000)
    assert params["max_parallel_requests"] == 32 and params["temperature"] == 0.2
    assert first["model_info"]["supports_vision"] is True
    assert first["model_info"]["max_input_tokens"] == 128000
    router = out["router_settings"]
    assert router["routing_strategy"] == "simple-shuffle"
    assert router["fallbacks"] == [{"smart": ["fast", "cheap"]}, {"gpt-4": ["smart"]}]
    assert router["context_window_fallbacks"] == [{"fast": ["smart"]}]
    assert router["model_group_alias"] == {"default": "smart", "best": "smart", "budget": "cheap"}
    assert (router["num_retries"], router["allowed_fails"], router["cooldown_time"]) == (2, 3, 60)
    assert out["litellm_settings"] == {
        "turn_off_message_logging": True,
        "redact_user_api_key_info": True,
    }
    assert out["general_settings"] == {"master_key": "os.environ/LITELLM_MASTER_KEY"}
    local = next(e for e in out["model_list"] if e["model_name"] == "local-llama")
    assert local["litellm_params"]["input_cost_per_second"] == pytest.approx(1.2 / 3600)
    # An unset ${VAR:-default} exports its default: LiteLLM has no defaults of its own.
    assert local["litellm_params"]["api_base"] == "http://127.0.0.1:11434"
    assert local["litellm_params"]["model"] == "ollama_chat/llama3.1:8b"


def test_litellm_accepts_the_model_list() -> None:
    from litellm import Router

    out = Registry.from_yaml(EXAMPLE).to_litellm_config()
    settings = {k: v for k, v in out["router_settings"].items()}
    router = Router(model_list=out["model_list"], **settings)
    models = {"gpt-4", "fast", "smart", "local-llama", "cheap"}
    assert set(router.get_model_names()) == models | {"default", "best", "budget"}


@pytest.mark.parametrize("strategy", ["fallback", "weighted", "cheapest", "fastest", "least-busy"])
def test_strategies_map_to_litellm(strategy: str) -> None:
    data = {"models": {"m": "openai/gpt-4o"}, "routing": {"strategy": strategy}}
    expected = {
        "fallback": "simple-shuffle",
        "weighted": "simple-shuffle",
        "cheapest": "cost-based-routing",
        "fastest": "latency-based-routing",
        "least-busy": "least-busy",
    }[strategy]
    assert Registry.from_dict(data).router_settings()["routing_strategy"] == expected


def test_modelbench_format_round_trip(tmp_path: Path) -> None:
    reg = Registry.from_yaml(EXAMPLE)
    path = tmp_path / "again.yaml"
    path.write_text(yaml.safe_dump(reg.to_dict(), sort_keys=False))
    assert Registry.from_yaml(path) == reg
    assert Registry.from_yaml(path).to_litellm_config() == reg.to_litellm_config()


def test_old_list_form_round_trips_as_written() -> None:
    reg = Registry.from_dict({"models": ["gpt-4o", "gpt-4o-mini"]})
    assert reg.to_dict() == {"models": ["gpt-4o", "gpt-4o-mini"]}
    assert Registry.from_dict(reg.to_dict()) == reg


PROXY_CONFIG: dict[str, Any] = {
    "model_list": [
        {
            "model_name": "gpt-4o",
            "litellm_params": {
                "model": "azure/gpt-4o-eu",
                "api_base": "os.environ/AZURE_API_BASE",
                "api_key": "os.environ/AZURE_API_KEY",
                "api_version": "2024-06-01",
                "rpm": 100,
                "weight": 2,
            },
            "model_info": {"input_cost_per_token": 2.5e-6, "output_cost_per_token": 1e-5},
        },
        {
            "model_name": "gpt-4o",
            "litellm_params": {
                "model": "openai/gpt-4o",
                "api_key": "os.environ/OPENAI_API_KEY",
                "temperature": 0.3,
            },
            "model_info": {"mode": "chat", "supports_vision": True, "max_input_tokens": 128000},
        },
        {
            "model_name": "mini",
            "litellm_params": {
                "model": "openai/gpt-4o-mini",
                "api_key": "os.environ/OPENAI_API_KEY",
            },
        },
        {
            "model_name": "haiku",
            "litellm_params": {
                "model": "anthropic/claude-3-5-haiku-latest",
                "input_cost_per_token": 8e-7,
            },
            "model_info": {"base_model": "claude-3-5-haiku"},
        },
    ],
    "router_settings": {
        "routing_strategy": "latency-based-routing",
        "model_group_alias": {"gpt4": "gpt-4o", "cheap": {"model": "mini", "hidden": True}},
        "num_retries": 3,
        "redis_host": "cache.internal",
    },
    "litellm_settings": {
        "fallbacks": [{"gpt-4o": ["mini", "haiku"]}],
        "request_timeout": 45,
        "success_callback": ["langfuse"],
        "drop_params": True,
    },
    "general_settings": {"master_key": "os.environ/LITELLM_MASTER_KEY"},
}


def test_import_litellm_keeps_what_our_format_holds() -> None:
    data, warnings = from_litellm_config(PROXY_CONFIG)
    loaded = validate_data(data)
    reg = Registry.from_config(loaded.config)
    assert reg.canonical("gpt4") == "gpt-4o" and reg.canonical("cheap") == "mini"
    azure, openai = reg.resolve("gpt-4o")
    assert azure.provider == "azure" and azure.model_id == "gpt-4o-eu"
    assert azure.api_key is not None and azure.api_key.raw == "${AZURE_API_KEY}"
    assert (azure.rpm, azure.weight) == (100, 2)
    assert azure.pricing.input_per_1m == pytest.approx(2.5)
    assert azure.pricing.output_per_1m == pytest.approx(10)
    assert openai.params["temperature"] == 0.3
    assert reg.model("gpt-4o").capabilities == {"vision"}
    assert reg.model("gpt-4o").context_window == 128000
    routing = reg.config.routing
    assert routing.strategy == "fastest" and routing.retries == 3 and routing.timeout == 45
    assert routing.fallbacks == {"gpt-4o": ["mini", "haiku"]}
    assert reg.config.monitoring is not None and reg.config.monitoring.callbacks == ["langfuse"]
    assert reg.config.security is not None
    assert reg.config.security.master_key == "${LITELLM_MASTER_KEY}"
    # What it cannot hold is named, not silently dropped.
    joined = "\n".join(warnings)
    assert "router_settings.redis_host" in joined
    assert "litellm_settings.drop_params" in joined
    assert "model_info.base_model" in joined
    assert "model_group_alias.cheap: hidden has no place" in joined
    assert len(warnings) == 4


def test_import_then_export_gives_back_the_deployments() -> None:
    data, _ = from_litellm_config(PROXY_CONFIG)
    out = Registry.from_dict(data).to_litellm_config()
    got = {(e["model_name"], e["litellm_params"]["model"]) for e in out["model_list"]}
    want = {(e["model_name"], e["litellm_params"]["model"]) for e in PROXY_CONFIG["model_list"]}
    assert got == want
    azure = out["model_list"][0]["litellm_params"]
    assert azure["api_key"] == "os.environ/AZURE_API_KEY"
    assert azure["input_cost_per_token"] == pytest.approx(2.5e-6)
    assert out["router_settings"]["routing_strategy"] == "latency-based-routing"
    assert out["router_settings"]["fallbacks"] == [{"gpt-4o": ["mini", "haiku"]}]


def test_import_of_simple_shuffle_keeps_it_a_shuffle() -> None:
    cfg = {
        "model_list": [
            {"model_name": "m", "litellm_params": {"model": "openai/a"}},
            {"model_name": "m", "litellm_params": {"model": "openai/b"}},
        ]
    }
    data, warnings = from_litellm_config(cfg)
    assert data["routing"] == {"strategy": "weighted", "retries": 2} and warnings == []
    assert [d.order for d in Registry.from_dict(data).resolve("m")] == [None, None]


def test_import_skips_broken_entries_with_a_warning_each() -> None:
    cfg = {
        "model_list": [
            {"model_name": "a", "litellm_params": {"model": "openai/gpt-4o"}},
            {"model_name": "b"},
            "just a string",
            {"model_name": "c", "litellm_params": [1, 2]},
            {"model_name": "d", "litellm_params": {"model": 5}},
            {"model_name": ["x"], "litellm_params": {"model": "openai/x"}},
            {"model_name": "e", "litellm_params": {"model": "openai/e"}, "model_info": "str"},
        ],
        "litellm_settings": 5,
        "router_settings": {"model_group_alias": ["x"], "fallbacks": "a"},
    }
    data, warnings = from_litellm_config(cfg)
    assert data["models"] == {"a": "openai/gpt-4o", "e": "openai/e"}
    assert [w.split(":")[0] for w in warnings] == [
        "model_list[1] (b)",
        "model_list[2]",
        "model_list[3] (c)",
        "model_list[4] (d)",
        "model_list[5]",
        "model_list[6] (e)",
        "litellm_settings is not a mapping (got int); dropped",
        "router_settings.fallbacks",
        "router_settings.model_group_alias is not a mapping; dropped",
    ]
    validate_data(data)


def test_import_rejects_a_model_list_that_is_not_a_list() -> None:
    with pytest.raises(ConfigError, match=r"model_list must be a list of deployments \(got int\)"):
        from_litellm_config({"model_list": 3})


def test_import_drops_bad_prices_and_unknown_fallbacks_with_warnings() -> None:
    cfg = {
        "model_list": [
            {
                "model_name": "a",
                "litellm_params": {"model": "openai/a", "input_cost_per_token": "x"},
            },
            {"model_name": "b", "litellm_params": {"model": "openai/b"}},
        ],
        "router_settings": {"fallbacks": [{"a": ["zz", "b"]}, {"ghost": ["a"]}], "timeout": 30},
        "litellm_settings": {"request_timeout": 600},
    }
    data, warnings = from_litellm_config(cfg)
    assert data["routing"]["fallbacks"] == {"a": ["b"]}
    assert data["routing"]["timeout"] == 30
    assert "pricing" not in str(data["models"]["a"])
    assert warnings == [
        "model_list[0]: input_cost_per_token 'x' is not a number; dropped",
        "litellm_settings.request_timeout: 600 dropped; routing.timeout is already 30",
        "fallbacks: 'a' -> 'zz': not another model_name of the file; dropped",
        "fallbacks: 'ghost' is not a model_name of the file; dropped",
    ]
    validate_data(data)


def test_import_keeps_the_key_of_a_bare_model_name() -> None:
    cfg = {
        "model_list": [
            {"model_name": "a", "litellm_params": {"model": "gpt-4o", "api_key": "os.environ/K"}},
            {"model_name": "b", "litellm_params": {"model": "mystery-x", "api_base": "http://h"}},
        ]
    }
    data, warnings = from_litellm_config(cfg)
    reg = Registry.from_dict(data)
    (a,) = reg.resolve("a")
    assert (a.provider, a.model_id) == ("openai", "gpt-4o")
    assert a.api_key is not None and a.api_key.raw == "${K}"
    assert data["models"]["b"] == "mystery-x"
    assert len(warnings) == 1 and "api_base has no backend to go to" in warnings[0]


def test_import_warns_about_a_literal_key_without_printing_it() -> None:
    cfg = {
        "model_list": [
            {"model_name": "a", "litellm_params": {"model": "openai/a", "api_key": "sk-lit"}}
        ]
    }
    _, warnings = from_litellm_config(cfg)
    assert len(warnings) == 1 and "api_key is written in the file" in warnings[0]
    assert "sk-lit" not in warnings[0]


def test_import_names_hidden_alias_settings_it_drops() -> None:
    cfg = {
        "model_list": [{"model_name": "m", "litellm_params": {"model": "openai/m"}}],
        "router_settings": {"model_group_alias": {"x": {"model": "m", "hidden": True}}},
    }
    data, warnings = from_litellm_config(cfg)
    assert data["models"]["m"]["aliases"] == ["x"]
    assert warnings == [
        "router_settings.model_group_alias.x: hidden has no place in modelbench's format; dropped"
    ]


def test_embedding_model_exports_and_imports_as_embedding() -> None:
    reg = Registry.from_dict(
        {
            "models": {
                "e": {"backend": "openai/text-embedding-3-small", "capabilities": ["embedding"]}
            }
        }
    )
    (entry,) = reg.to_litellm_config()["model_list"]
    assert entry["model_info"]["mode"] == "embedding"
    data, warnings = from_litellm_config(reg.to_litellm_config())
    assert warnings == []
    assert Registry.from_dict(data).model("e").capabilities == {"embedding"}


def test_local_model_round_trips_through_litellm_form() -> None:
    reg = Registry.from_yaml(Path(__file__).parent.parent / "examples" / "local.yaml")
    exported = reg.to_litellm_config()
    tiny = next(e for e in exported["model_list"] if e["model_name"] == "tiny")
    assert tiny["litellm_params"]["model"] == "text-completion-openai/gemma3-270m"
    assert tiny["litellm_params"]["api_base"] == "os.environ/MODELBENCH_LOCAL_API_BASE"
    data, _ = from_litellm_config(exported)
    assert data["backends"]["local"] == {"provider": "local"}
    again = Registry.from_dict(data)
    (dep,) = again.resolve("tiny")
    assert (dep.provider, dep.mode, dep.model_id) == ("local", "completion", "gemma3-270m")
    assert dep.pricing == reg.resolve("tiny")[0].pricing
    assert again.to_litellm_config()["model_list"] == exported["model_list"]


@pytest.mark.parametrize("retries", [None, 0, 3])
def test_retries_are_written_even_when_zero(retries: int | None) -> None:
    """LiteLLM retries twice when num_retries is absent: our 0 (the default) must be written,
    in the exported file and in the in-process Router alike, routes or not."""
    data: dict[str, Any] = {
        "models": {"m": "box/gemma3-270m"},
        "backends": {"box": {"provider": "local", "api_base": "http://127.0.0.1:9/v1"}},
    }
    if retries is not None:
        data["routing"] = {"retries": retries}
    reg = Registry.from_dict(data)
    expected = retries or 0
    assert reg.to_litellm_config()["router_settings"]["num_retries"] == expected
    assert reg.router().num_retries == expected


def test_import_without_num_retries_keeps_litellms_two() -> None:
    """A LiteLLM file without num_retries retried twice; imported and exported again, it must
    not silently become 0 (export always writes routing.retries)."""
    plain = {"model_list": [{"model_name": "m", "litellm_params": {"model": "openai/gpt-4o"}}]}
    data, _ = from_litellm_config(plain)
    reg = Registry.from_config(validate_data(data).config)
    assert reg.config.routing.retries == 2
    assert reg.to_litellm_config()["router_settings"]["num_retries"] == 2
    zero = {**plain, "router_settings": {"num_retries": 0}}
    data, _ = from_litellm_config(zero)
    assert Registry.from_config(validate_data(data).config).config.routing.retries == 0
