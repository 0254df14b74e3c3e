"""Routes in a config: validated with located errors, round-tripped, compiled to LiteLLM's form
and run in-process (the Router where LiteLLM can, modelbench's cascade where it cannot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelbench import ConfigError, Registry
from modelbench.config import load_config_text
from modelbench.export_files import dump_litellm, dump_modelbench

MODELS: dict[str, Any] = {
    "cheap": {"backend": "openai/cheap-1", "params": {"mock_response": "not json"}},
    "mid": {"backend": "openai/mid-1", "params": {"mock_response": "mid says hi"}},
    "strong": {
        "backend": "anthropic/strong-1",
        "params": {"mock_response": '{"answer": 42}'},
        "pricing": {"input_per_1m": 3, "output_per_1m": 15},
    },
    "broken": {
        "backend": "openai/broken-1",
        "params": {"mock_response": "litellm.InternalServerError"},
    },
}
BACKENDS = {
    "openai": {"provider": "openai", "api_key": "sk-test-not-real"},
    "anthropic": {"provider": "anthropic", "api_key": "sk-test-not-real"},
}


def registry(routes: dict[str, Any]) -> Registry:
    return Registry.from_dict({"models": MODELS, "backends": BACKENDS, "routes": routes})


ALL_ROUTES: dict[str, Any] = {
    "fb": {"policy": "fallback", "members": ["broken", "strong"]},
    "mix": {"policy": "weighted", "weights": {"cheap": 3, "mid": 1}},
    "casc": {
        "policy": "cascade",
        "members": ["cheap", "strong"],
        "accept": {"check": "json"},
        "evidence": {
            "run_id": "run-1",
            "date": "2026-11-27",
            "chosen": "Cascade(cheap -> strong; json)",
            "policy": {"quality": 0.9, "cost_per_1k": 1.5, "p95_s": 0.8},
            "arms": {"cheap": {"quality": 0.5, "cost_per_1k": 0.1, "p95_s": 0.2}},
        },
    },
    "cat": {
        "policy": "bycategory",
        "mapping": {
            "math": "strong",
            "chat": {"policy": "fallback", "members": ["broken", "mid"]},
        },
        "default": "cheap",
    },
}


def messages(text: str = "hi") -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def test_routes_round_trip_through_both_dumps(tmp_path: Path) -> None:
    reg = registry(ALL_ROUTES)
    text = dump_modelbench(reg, source="test")
    assert "route 'casc': Cascade(cheap -> strong; json)" in text
    assert "chosen on run run-1, 2026-11-27" in text
    back = Registry.from_dict(yaml.safe_load(text))
    assert back == reg
    assert back.config.routes["casc"].accept == {"check": "json"}
    assert back.to_litellm_config() == reg.to_litellm_config()


def test_litellm_form_of_each_policy() -> None:
    form = registry(ALL_ROUTES).to_litellm_config()
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in form["model_list"]:
        groups.setdefault(item["model_name"], []).append(item)
    settings = form["router_settings"]
    # fallback: a level per member, LiteLLM's fallbacks in order
    assert [g["litellm_params"]["model"] for g in groups["fb"]] == ["openai/broken-1"]
    assert [g["litellm_params"]["model"] for g in groups["fb~2"]] == ["anthropic/strong-1"]
    assert {"fb": ["fb~2"]} in settings["fallbacks"]
    # weighted: LiteLLM's weights (simple-shuffle)
    assert {g["litellm_params"]["model"]: g["litellm_params"]["weight"] for g in groups["mix"]} == {
        "openai/cheap-1": 3,
        "openai/mid-1": 1,
    }
    assert settings["routing_strategy"] == "simple-shuffle"
    # cascade: errors move down the levels in LiteLLM; the check stays ours
    assert {"casc": ["casc~2"]} in settings["fallbacks"]
    # bycategory: tags, the rest tagged 'default', tag filtering on
    tags = {
        (g["litellm_params"]["model"], tuple(g["litellm_params"]["tags"])) for g in groups["cat"]
    }
    assert tags == {
        ("anthropic/strong-1", ("math",)),
        ("openai/broken-1", ("chat",)),
        ("openai/cheap-1", ("default",)),
    }
    assert [g["litellm_params"]["tags"] for g in groups["cat~2"]] == [["chat"]]
    # tag filtering for this route's groups only; other models ignore request tags
    assert all(g["model_info"]["enable_tag_filtering"] for g in groups["cat"] + groups["cat~2"])
    assert "enable_tag_filtering" not in settings
    assert all("enable_tag_filtering" not in g["model_info"] for g in groups["mix"])
    # the policies were simulated without retries; LiteLLM's default would retry twice
    assert settings["num_retries"] == 0
    # every deployment id is unique (LiteLLM keys deployments by it)
    ids = [item["model_info"]["id"] for item in form["model_list"]]
    assert len(ids) == len(set(ids))


def test_litellm_file_explains_what_it_cannot_run() -> None:
    text = dump_litellm(registry(ALL_ROUTES), source="cfg.yaml", output="out.yaml")
    assert "modelbench proxy out.yaml" in text
    assert "NOTE: route 'casc' is a cascade with the acceptance check {check=json}" in text
    assert "LiteLLM cannot run that check" in text
    assert '"tags": ["<category>"]' in text


def test_cheapest_gets_cost_routing_with_measured_prices() -> None:
    route = {
        "policy": "cheapest",
        "arms": ["cheap", "strong"],
        "min_quality": 0.5,
        "evidence": {"arms": {"cheap": {"cost_per_1k": 0.02, "tokens": 20}}},
    }
    form = registry({"low": route}).to_litellm_config()
    # a routing group of its own: the rest of the config keeps its strategy
    assert form["router_settings"]["routing_groups"] == [
        {"group_name": "low-cheapest", "models": ["low"], "routing_strategy": "cost-based-routing"}
    ]
    assert form["router_settings"]["routing_strategy"] == "simple-shuffle"
    prices = {
        i["litellm_params"]["model"]: i["litellm_params"].get("input_cost_per_token")
        for i in form["model_list"]
        if i["model_name"] == "low"
    }
    # measured: $0.02 per 1k requests of 20 tokens -> 1e-6 per token; strong keeps its price
    assert prices == {"openai/cheap-1": pytest.approx(1e-6), "anthropic/strong-1": 3e-6}


def test_fallback_route_runs_in_process() -> None:
    reply = registry(ALL_ROUTES).completion("fb", messages())
    assert reply.choices[0].message.content == '{"answer": 42}'


def test_cascade_escalates_when_the_check_fails() -> None:
    reg = registry(ALL_ROUTES)
    assert reg.completion("casc", messages()).choices[0].message.content == '{"answer": 42}'
    keep = {**ALL_ROUTES["casc"], "accept": {"check": "regex", "pattern": "json"}}
    kept = registry({"casc": keep}).completion("casc", messages())
    assert kept.choices[0].message.content == "not json"  # the cheap answer passed: kept


def test_cascade_refuses_to_stream() -> None:
    with pytest.raises(ConfigError, match="cannot stream"):
        registry(ALL_ROUTES).completion("casc", messages(), stream=True)


def test_by_category_routes_on_the_category() -> None:
    reg = registry(ALL_ROUTES)
    assert reg.completion("cat", messages(), category="math").choices[0].message.content == (
        '{"answer": 42}'
    )
    # chat: its own fallback, broken -> mid
    assert reg.completion("cat", messages(), category="chat").choices[0].message.content == (
        "mid says hi"
    )
    for other in (None, "unknown"):
        reply = reg.completion("cat", messages(), category=other)
        assert reply.choices[0].message.content == "not json"


CONFIG_TEXT = """\
models:
  cheap: openai/cheap-1
  strong: {backend: openai/strong-1, aliases: [big]}
routes:
  routed:
    policy: fallback
    members: [chep, strong@openai/nope]
  big:
    policy: single
    arm: cheap
  nested:
    policy: fallback
    members:
      - {policy: cheapest, arms: [cheap]}
      - strong
"""


def test_route_errors_are_located_one_line_each() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(CONFIG_TEXT, file="c.yaml")
    lines = str(info.value).splitlines()
    assert lines == [
        "c.yaml:7: route 'routed': unknown model 'chep' (did you mean 'cheap'?)",
        "c.yaml:7: route 'routed': model 'strong' has no backend 'openai/nope' "
        "(did you mean 'openai'?); its backends: openai/strong-1, openai",
        "c.yaml:8: route 'big': the name is already an alias of model 'strong'; rename the route",
        "c.yaml:14: route 'nested': a cheapest policy cannot run inside a fallback policy; "
        "inside a fallback use an arm or one of: fallback, single, weighted",
    ]


def test_policy_shape_errors_name_the_route() -> None:
    text = (
        "models: {cheap: openai/c}\nroutes:\n  bad:\n    policy: weighted\n    members: [cheap]\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config_text(text, file="c.yaml")
    assert str(info.value) == (
        "c.yaml:3: routes.bad: 'members' does not apply to a weighted policy; it takes: weights"
    )


def test_sim_backend_exports_its_address_variable(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("models: {small: {}}\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("models: {s: sim/small}\nbackends: {sim: {provider: sim, profile: p.yaml}}\n")
    item = Registry.from_yaml(cfg).to_litellm_config()["model_list"][0]
    assert item["litellm_params"]["api_base"] == "os.environ/MODELBENCH_SIM_API_BASE"
    assert item["litellm_params"]["model"] == "openai/small"
    assert item["model_info"]["sim_profile"] == str(profile)
    with pytest.raises(ConfigError, match="'profile' is for simulated backends"):
        load_config_text(
            "models: {a: openai/x}\nbackends: {openai: {provider: openai, profile: p}}\n"
        )


def test_sim_profile_follows_the_exported_file(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "p.yaml").write_text("models: {small: {}}\n")
    cfg = tmp_path / "src" / "c.yaml"
    cfg.write_text("models: {s: sim/small}\nbackends: {sim: {provider: sim, profile: p.yaml}}\n")
    out = tmp_path / "out" / "tuned.yaml"
    out.parent.mkdir()
    out.write_text(dump_modelbench(Registry.from_yaml(cfg), source=str(cfg), output=str(out)))
    assert yaml.safe_load(out.read_text())["backends"]["sim"]["profile"] == "../src/p.yaml"
    assert Registry.from_yaml(out).resolve("s")[0].profile == str(tmp_path / "src" / "p.yaml")


def test_import_litellm_reads_sim_back_and_names_skipped_routes(tmp_path: Path) -> None:
    from modelbench.litellm_form import from_litellm_config

    (tmp_path / "p.yaml").write_text("models: {small: {}, big: {}}\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "models: {s: sim/small, b: sim/big}\n"
        "backends: {sim: {provider: sim, profile: p.yaml}}\n"
        "routes: {routed: {policy: fallback, members: [s, b]}}\n"
    )
    data, warnings = from_litellm_config(Registry.from_yaml(cfg).to_litellm_config())
    assert data["backends"] == {"sim": {"provider": "sim", "profile": str(tmp_path / "p.yaml")}}
    assert set(data["models"]) == {"s", "b"}
    assert any("route 'routed' (a modelbench policy) are skipped" in w for w in warnings)


def test_cascade_with_a_judge_asks_the_judge_model() -> None:
    models = {
        **MODELS,
        "says_yes": {"backend": "openai/j1", "params": {"mock_response": "YES, fine"}},
        "says_no": {"backend": "openai/j2", "params": {"mock_response": "NO"}},
    }

    def run(judge: str) -> str:
        accept = {"check": "judge", "model": judge}
        route = {"policy": "cascade", "members": ["cheap", "strong"], "accept": accept}
        reg = Registry.from_dict({"models": models, "backends": BACKENDS, "routes": {"r": route}})
        return str(reg.completion("r", messages()).choices[0].message.content)

    assert run("says_yes") == "not json"
    assert run("says_no") == '{"answer": 42}'


def test_text_completion_runs_a_route() -> None:
    reply = registry(ALL_ROUTES).text_completion("fb", "Q: 1+1?\nA:")
    assert reply.choices[0].text == '{"answer": 42}'


def test_cheapest_route_picks_by_price_in_process() -> None:
    def answers(cheap_cost_per_1k: float) -> set[str]:
        route = {
            "policy": "cheapest",
            "arms": ["cheap", "strong"],
            "evidence": {"arms": {"cheap": {"cost_per_1k": cheap_cost_per_1k, "tokens": 20}}},
        }
        reg = registry({"low": route})
        return {str(reg.completion("low", messages()).choices[0].message.content) for _ in range(4)}

    assert answers(0.02) == {"not json"}  # cheap: 1e-6 per token against strong's 3e-6
    assert answers(2000.0) == {'{"answer": 42}'}  # cheap measured at 0.1 per token: strong


def test_by_category_without_a_category_shares_litellms_default_tag() -> None:
    route = {"policy": "bycategory", "mapping": {"": "mid", "math": "strong"}, "default": "cheap"}
    reg = registry({"cat": route})
    notes = reg.routes["cat"].notes
    assert len(notes) == 1 and "share LiteLLM's 'default' tag" in notes[0] and "(cheap)" in notes[0]
    assert "NOTE: route 'cat': requests without a category" in dump_litellm(reg, source="c")
    assert reg.completion("cat", messages()).choices[0].message.content == "mid says hi"
    with pytest.raises(ConfigError, match="'default' is LiteLLM's tag for everything else"):
        registry({"cat": {**route, "mapping": {"default": "mid"}}})


def test_models_command_lists_routes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from modelbench.cli import main

    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({"models": MODELS, "backends": BACKENDS, "routes": ALL_ROUTES}))
    assert main(["models", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "route casc: Cascade(cheap -> strong; json) (arms: cheap, strong)" in out
    assert "route fb: fallback (arms: broken, strong)" in out
