"""Acceptance checks: verdicts, specs, dict round trips, the judge's live-only rule."""

from __future__ import annotations

import pytest

from modelbench._errors import ModelbenchError
from modelbench.checks import (
    Check,
    Judge,
    Length,
    NonEmpty,
    Regex,
    ValidJSON,
    check_from_dict,
    check_names,
    register_check,
    resolve_check,
)


def test_rule_checks_give_verdicts() -> None:
    assert Regex(r"^\d+$")("42") and not Regex(r"^\d+$")("42 apples")
    assert ValidJSON()('{"a": [1, 2]}') and ValidJSON()('```json\n{"a": 1}\n```')
    assert not ValidJSON()("{a: 1}") and not ValidJSON()("   ")
    assert Length(2, 5)("abc") and not Length(2, 5)("abcdef") and not Length(2)(" a ")
    assert NonEmpty()(" x ") and not NonEmpty()(" \n")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("json", ValidJSON()),
        ("regex:^[A-Z]+$", Regex("^[A-Z]+$")),
        ("length:5,200", Length(5, 200)),
        ("length:5", Length(5, None)),
        ("nonempty", NonEmpty()),
        ("judge:smart", Judge("smart")),
    ],
)
def test_specs_and_dicts_round_trip(spec: str, expected: Check) -> None:
    check = resolve_check(spec)
    assert check == expected
    assert isinstance(check, Check)
    assert check_from_dict(check.to_dict()) == check
    assert resolve_check(check.describe()) == check
    assert hash(check) == hash(expected)


def test_bad_specs_say_what_to_write() -> None:
    with pytest.raises(ModelbenchError, match=r"unknown check 'jsn' \(did you mean 'json'\?\)"):
        resolve_check("jsn")
    with pytest.raises(ModelbenchError, match="invalid regex"):
        resolve_check("regex:(")
    with pytest.raises(ModelbenchError, match="length:MIN"):
        resolve_check("length:x")
    with pytest.raises(ModelbenchError, match="min_chars <= max_chars"):
        Length(10, 5)
    with pytest.raises(ModelbenchError, match="needs a 'check' name"):
        check_from_dict({"pattern": "x"})


def test_judge_needs_a_registry() -> None:
    with pytest.raises(ModelbenchError, match="needs a registry"):
        Judge("smart")("an answer")


def test_users_register_checks_the_way_builtins_do() -> None:
    from dataclasses import dataclass
    from typing import Any, ClassVar

    @dataclass(frozen=True)
    class Polite:
        kind: ClassVar[str] = "polite"

        def __call__(self, output: str) -> bool:
            return "please" in output.lower()

        def describe(self) -> str:
            return "polite"

        def to_dict(self) -> dict[str, Any]:
            return {"check": "polite"}

        @classmethod
        def from_spec(cls, arg: str | None) -> Polite:
            return cls()

        @classmethod
        def from_dict(cls, data: Any) -> Polite:
            return cls()

    register_check("polite", Polite)
    assert "polite" in check_names() and "json" in check_names()
    assert resolve_check("polite")("Please wait")
    assert check_from_dict({"check": "polite"}) == Polite()
    with pytest.raises(ModelbenchError, match="already registered"):
        register_check("json", Polite)
