"""Policies: descriptions, specs, dict round trips, learned fitting, the registry."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import pytest

from modelbench._errors import ModelbenchError
from modelbench.checks import Regex, ValidJSON
from modelbench.routing import (
    ByCategory,
    Cascade,
    Cheapest,
    Fallback,
    Fastest,
    Oracle,
    Policy,
    Single,
    Weighted,
    arms,
    policy_from_dict,
    policy_names,
    register_policy,
    resolve_policy,
)


def rows(spec: dict[str, list[tuple[str, str, float, float, float, str]]]) -> pd.DataFrame:
    """arm -> [(prompt_id, category, score, cost, latency, error_type)]."""
    out = []
    for arm, items in spec.items():
        model, _, backend = arm.partition("@")
        for prompt_id, category, score, cost, latency, error in items:
            out.append(
                {
                    "prompt_id": prompt_id,
                    "category": category,
                    "model": model,
                    "backend": backend or f"b/{model}",
                    "repeat": 0,
                    "score": score,
                    "cost_usd": cost,
                    "latency_s": latency,
                    "error_type": error,
                }
            )
    return pd.DataFrame(out)


POLICIES: list[tuple[str, Policy, str]] = [
    ("single:tiny", Single("tiny"), "Single(tiny)"),
    ("fallback:cheap,strong", Fallback(["cheap", "strong"]), "Fallback(cheap -> strong)"),
    (
        "weighted:cheap=3,strong=1",
        Weighted({"cheap": 3, "strong": 1}),
        "Weighted(cheap=3, strong=1)",
    ),
    (
        "cascade:cheap,strong;json",
        Cascade(["cheap", "strong"], ValidJSON()),
        "Cascade(cheap -> strong; json)",
    ),
    (
        "cascade:a,b,c;regex:^\\d+$",
        Cascade("a,b,c", Regex(r"^\d+$")),
        "Cascade(a -> b -> c; regex:^\\d+$)",
    ),
    ("cheapest:0.8", Cheapest(0.8), "Cheapest(quality>=0.8)"),
    ("fastest:p95", Fastest("p95"), "Fastest(p95)"),
    ("fastest:p99,0.5", Fastest("p99", 0.5), "Fastest(p99, quality>=0.5)"),
    (
        "bycategory:easy=tiny,hard=strong,*=strong",
        ByCategory({"easy": "tiny", "hard": "strong"}, "strong"),
        "ByCategory(easy->tiny, hard->strong; else strong)",
    ),
    ("oracle", Oracle(), "Oracle()"),
]


@pytest.mark.parametrize(("spec", "policy", "text"), POLICIES, ids=[p[0] for p in POLICIES])
def test_spec_describe_and_dict_round_trip(spec: str, policy: Policy, text: str) -> None:
    assert resolve_policy(spec) == policy
    assert policy.describe() == text == str(policy)
    assert policy_from_dict(policy.to_dict()) == policy
    assert hash(policy_from_dict(policy.to_dict())) == hash(policy)


def test_nested_members_round_trip_and_list_their_arms() -> None:
    inner = Weighted({"a": 1, "b": 1})
    policy = Fallback([inner, "c"])
    assert policy.describe() == "Fallback(Weighted(a=1, b=1) -> c)"
    assert policy.members() == ("a", "b", "c")
    assert policy_from_dict(policy.to_dict()) == policy
    cat = ByCategory({"x": Fallback(["a", "c"])}, "b")
    assert cat.members() == ("a", "c", "b")
    assert policy_from_dict(cat.to_dict()) == cat


def test_exportable_and_learned_flags() -> None:
    assert not Oracle().exportable and Single("a").exportable
    assert Cheapest().learned and Fastest().learned
    assert not Single("a").learned and not ByCategory({}, "a").learned
    assert resolve_policy("bycategory").learned
    assert Fallback([resolve_policy("bycategory"), "a"]).learned


def test_bad_specs_are_one_clear_line() -> None:
    with pytest.raises(
        ModelbenchError, match=r"unknown policy 'fallbak' \(did you mean 'fallback'\?\)"
    ):
        resolve_policy("fallbak:a,b")
    with pytest.raises(ModelbenchError, match="needs at least 2 member"):
        resolve_policy("fallback:a")
    with pytest.raises(ModelbenchError, match="weighted:ARM=W"):
        resolve_policy("weighted:a=x")
    with pytest.raises(ModelbenchError, match="between 0 and 1"):
        resolve_policy("cheapest:3")
    with pytest.raises(ModelbenchError, match="p50, p95 or p99"):
        resolve_policy("fastest:p90")
    with pytest.raises(ModelbenchError, match=r"\*=DEFAULT|needs a default"):
        resolve_policy("bycategory:a=b")
    with pytest.raises(ModelbenchError, match="'policy' family"):
        policy_from_dict({"members": ["a"]})


def test_arms_name_models_with_several_backends_by_backend() -> None:
    df = rows(
        {
            "gpt@openai/gpt": [("p1", "", 1, 0.1, 1, "")],
            "gpt@azure/gpt": [("p1", "", 1, 0.1, 1, "")],
            "tiny": [("p1", "", 1, 0.0, 1, "")],
        }
    )
    assert arms(df) == ["gpt@azure/gpt", "gpt@openai/gpt", "tiny"]


def test_cheapest_and_fastest_fit_to_one_arm() -> None:
    df = rows(
        {
            "cheap": [("p1", "", 0, 0.001, 3.0, ""), ("p2", "", 1, 0.001, 3.0, "")],
            "mid": [("p1", "", 1, 0.01, 2.0, ""), ("p2", "", 1, 0.01, 2.0, "")],
            "fast": [("p1", "", 0, 0.1, 0.5, ""), ("p2", "", 0, 0.1, 0.5, "")],
        }
    )
    assert Cheapest().fit(df).chosen == "cheap"
    assert Cheapest(0.8).fit(df).chosen == "mid"
    assert Fastest().fit(df).chosen == "fast"
    assert Fastest("p95", 0.5).fit(df).chosen == "mid"
    assert Fastest("p95", 0.9).fit(df).chosen == "mid"
    assert Cheapest(0.8).fit(df).describe() == "Cheapest(quality>=0.8 -> mid)"
    # No arm reaches the floor: the best one.
    assert Cheapest(1.0, ("cheap", "fast")).fit(df).chosen == "cheap"


def test_bycategory_learns_the_cheapest_good_arm_per_category() -> None:
    df = rows(
        {
            "tiny": [("p1", "easy", 1, 0.001, 1, ""), ("p2", "hard", 0, 0.001, 1, "")],
            "strong": [("p1", "easy", 1, 0.01, 1, ""), ("p2", "hard", 1, 0.01, 1, "")],
        }
    )
    learned = ByCategory.learn(df)
    assert learned.mapping == {"easy": "tiny", "hard": "strong"}
    assert learned.default == "strong"
    assert learned.describe() == "ByCategory(easy->tiny, hard->strong; else strong)"
    assert learned.learned and policy_from_dict(learned.to_dict()) == learned
    backed = ByCategory.learn(df, fallback="strong")
    assert backed.mapping == {"easy": Fallback(["tiny", "strong"]), "hard": "strong"}
    assert resolve_policy("bycategory").fit(df) == learned


def test_users_register_policies_the_way_builtins_do() -> None:
    @dataclass(frozen=True)
    class FirstArm(Policy):
        family: ClassVar[str] = "firstarm"

        def describe(self) -> str:
            return "FirstArm()"

        def members(self) -> tuple[str, ...]:
            return ()

        def to_dict(self) -> dict[str, Any]:
            return {"policy": self.family}

        @classmethod
        def from_dict(cls, data: Mapping[str, Any]) -> FirstArm:
            return cls()

        @classmethod
        def from_spec(cls, arg: str | None) -> FirstArm:
            return cls()

        def replay(self, r: Any) -> Any:
            return r.arm(r.arms[0])

    register_policy("firstarm", FirstArm)
    assert "firstarm" in policy_names() and "fallback" in policy_names()
    assert resolve_policy("firstarm") == FirstArm()
    assert policy_from_dict({"policy": "firstarm"}) == FirstArm()
    with pytest.raises(ModelbenchError, match="already registered"):
        register_policy("single", FirstArm)


def test_weighted_rejects_bad_weights() -> None:
    with pytest.raises(ModelbenchError, match="weight >= 0"):
        Weighted({"a": -1})
    with pytest.raises(ModelbenchError, match="at least one arm"):
        Weighted({"a": 0})
    assert Weighted({"a": 2, "b": 0}).weights == {"a": 2.0}
    assert math.isclose(sum(Weighted({"a": 1, "b": 3}).weights.values()), 4)
