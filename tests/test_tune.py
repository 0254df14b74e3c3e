"""tune(): the chosen policy written into the config as a route, with the evidence for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from routing_data import frame, row

from modelbench import ConstraintsNotMetError, ModelbenchError, Registry
from modelbench.cli import main
from modelbench.routing.tune import tune

CONFIG: dict[str, Any] = {
    "models": {
        "cheap": {"backend": "openai/cheap-1", "params": {"mock_response": "cheap answer"}},
        "strong": {"backend": "openai/strong-1", "params": {"mock_response": "strong answer"}},
    },
    "backends": {"openai": {"provider": "openai", "api_key": "sk-test-not-real"}},
}


def results() -> Any:
    """cheap is right on 'easy' prompts only and 10x cheaper; strong is always right."""
    rows = []
    for i in range(20):
        category = "easy" if i < 10 else "hard"
        pid = f"p{i}"
        rows.append(
            row(
                "cheap",
                pid,
                score=1.0 if category == "easy" else 0.0,
                cost=0.001,
                latency=0.2,
                category=category,
            )
        )
        rows.append(row("strong", pid, score=1.0, cost=0.01, latency=1.0, category=category))
    data = frame(rows)
    data["started_at"] = "2026-11-27T21:00:00+00:00"
    data["input_tokens"] = 8.0
    data["output_tokens"] = 2.0
    return data


def test_tune_writes_the_recommendation_with_its_evidence() -> None:
    reg = Registry.from_dict(CONFIG, source="cfg.yaml")
    tuned = tune(reg, results(), objective="cost", min_quality=0.9)
    route = tuned.registry.config.routes["routed"]
    ev = route.evidence
    assert ev is not None and ev.met is True
    assert ev.run_id == "r1" and ev.date == "2026-11-27"
    assert ev.objective == "cost" and ev.constraints == {"min_quality": 0.9}
    assert ev.chosen == tuned.policy.describe()
    assert ev.policy is not None and ev.policy.quality is not None and ev.policy.quality >= 0.9
    assert set(ev.arms) == set(tuned.policy.members())
    if "cheap" in ev.arms:  # measured: cheap costs $1 per 1k requests, at 10 tokens each
        assert ev.arms["cheap"].cost_per_1k == pytest.approx(1.0)
        assert ev.arms["cheap"].tokens == pytest.approx(10.0)
    # it is cheaper than always calling strong ($10 per 1k), and meets the floor
    assert ev.policy.cost_per_1k is not None and ev.policy.cost_per_1k < 10.0

    text = tuned.text("modelbench")
    assert f"route 'routed': {tuned.policy.describe()}" in text
    assert "chosen on run r1, 2026-11-27" in text
    back = Registry.from_dict(yaml.safe_load(text), source="back")
    assert back.config.routes == tuned.registry.config.routes
    assert back.to_litellm_config() == tuned.registry.to_litellm_config()
    litellm_text = tuned.text("litellm", output="t.litellm.yaml")
    assert "modelbench proxy t.litellm.yaml" in litellm_text
    assert "policy (simulated over the results): quality" in litellm_text

    reply = tuned.registry.completion(
        "routed", [{"role": "user", "content": "hi"}], category="hard"
    )
    assert reply.choices[0].message.content in ("cheap answer", "strong answer")


def test_tune_with_a_given_policy_and_a_name(tmp_path: Any) -> None:
    reg = Registry.from_dict(CONFIG, source="cfg.yaml")
    tuned = tune(reg, results(), policy="fallback:cheap,strong", name="fb")
    assert tuned.registry.config.routes["fb"].spec().model_dump(exclude_none=True) == {
        "policy": "fallback",
        "members": ["cheap", "strong"],
    }
    out = tuned.write(tmp_path / "t.yaml")
    assert Registry.from_yaml(out) == tuned.registry
    reply = tuned.registry.completion("fb", [{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == "cheap answer"


def test_tune_refuses_what_it_cannot_export() -> None:
    reg = Registry.from_dict(CONFIG, source="cfg.yaml")
    with pytest.raises(ConstraintsNotMetError, match="no policy meets the constraints") as err:
        tune(reg, results(), objective="cost", min_quality=0.99, max_cost_per_1k=0.5)
    assert err.value.recommendation is not None and err.value.recommendation.met is False
    with pytest.raises(ModelbenchError, match="reference"):
        tune(reg, results(), policy="oracle")
    with pytest.raises(ModelbenchError, match="already a model"):
        tune(reg, results(), policy="single:cheap", name="cheap")
    with pytest.raises(ModelbenchError, match="unknown constraint 'min_qualty'"):
        tune(reg, results(), min_qualty=0.5)


@pytest.mark.parametrize(
    "spec",
    [
        "single:strong",
        "fallback:cheap,strong",
        "weighted:cheap=3,strong=1",
        "cascade:cheap,strong;regex:^cheap",
        "cheapest:0.9",
        "fastest:p95",
        "bycategory",
    ],
)
def test_every_exportable_family_reads_back_as_the_same_policy(spec: str) -> None:
    from modelbench.routing import policy_from_dict

    tuned = tune(Registry.from_dict(CONFIG, source="cfg.yaml"), results(), policy=spec)
    text = tuned.text("modelbench")
    route = Registry.from_dict(yaml.safe_load(text)).config.routes["routed"]
    back = policy_from_dict(route.spec().model_dump(exclude_none=True))
    assert back.describe() == tuned.policy.describe()
    assert tuned.registry.completion("routed", [{"role": "user", "content": "hi"}], category="easy")


def test_cli_export_exits_3_like_recommend_when_nothing_meets_the_constraints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    path = tmp_path / "r.jsonl"
    rows = results().to_dict("records")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows).replace("NaN", "null"))
    out = tmp_path / "tuned.yaml"
    tight = ["--results", str(path), "--min-quality", "0.99", "--max-cost-per-1k", "0.5"]
    assert main(["recommend", *tight[1:]]) == 3
    capsys.readouterr()
    assert main(["export", str(config), *tight, "-o", str(out)]) == 3
    err = [line for line in capsys.readouterr().err.splitlines() if "warning:" not in line]
    assert len(err) == 1 and "nothing was exported" in err[0] and "nearest miss" in err[0]
    assert not out.exists()
    assert main(["export", str(config), "--results", str(path), "--min-quality", "0.9"]) == 0
