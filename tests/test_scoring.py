"""Scorers: every built-in on hits, misses and edge cases; user scorers; the LLM judge."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from modelbench._errors import ModelbenchError, UnknownModelError
from modelbench.bench.record import DatasetItem
from modelbench.bench.scorers import base
from modelbench.bench.scorers.judge import _response_cost
from modelbench.bench.scoring import (
    CallableScorer,
    JudgeScorer,
    RuleScorer,
    Score,
    Scorer,
    extract_json,
    extract_numbers,
    parse_verdict,
    register_scorer,
    resolve_scorer,
    scorer_names,
)
from modelbench.registry import Registry


def item(expected: Any = None, prompt: str = "What is the capital of France?") -> DatasetItem:
    return DatasetItem(id="q1", prompt=prompt, expected=expected)


def score(spec: str, output: str, expected: Any = None) -> Score:
    scorer = resolve_scorer(spec)
    assert scorer is not None
    return asyncio.run(scorer.ascore(output, item(expected)))


def value(spec: str, output: str, expected: Any = None) -> float:
    return score(spec, output, expected).value


@pytest.fixture
def clean_registry() -> Iterator[None]:
    """Scorers a test registers disappear after it."""
    factories, origins = dict(base._FACTORIES), dict(base._ORIGINS)
    yield
    base._FACTORIES.clear()
    base._FACTORIES.update(factories)
    base._ORIGINS.clear()
    base._ORIGINS.update(origins)


# --- resolving ----------------------------------------------------------------------------------


def test_builtins_are_registered() -> None:
    assert {"exact", "contains", "regex", "json", "numeric", "judge"} <= set(scorer_names())


def test_none_spec_means_no_scorer() -> None:
    assert resolve_scorer(None) is None


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(
        ModelbenchError, match=r"unknown scorer 'exactt' \(did you mean 'exact'\?\)"
    ):
        resolve_scorer("exactt")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("numeric:abc", "bad option 'abc' for scorer numeric"),
        ("numeric:-1", "tolerance must be >= 0"),
        ("numeric:inf", "must be finite"),
        ("json:strict", "accepts only ':lenient'"),
        ("exact:nocase", "accepts only ':case'"),
        ("regex:(unclosed", "invalid pattern"),
        ("judge", "needs a model"),
        ("judge:smart", "needs a registry"),
    ],
)
def test_bad_arguments_fail_before_scoring(spec: str, message: str) -> None:
    with pytest.raises(ModelbenchError, match=message):
        resolve_scorer(spec)


def test_scorer_names_carry_their_argument() -> None:
    assert [resolve_scorer(s).name for s in ("exact", "exact:case", "numeric", "numeric:0.01")] == [  # type: ignore[union-attr]
        "exact",
        "exact:case",
        "numeric",
        "numeric:0.01",
    ]
    assert resolve_scorer("numeric:0.5,last").name == "numeric:0.5,last"  # type: ignore[union-attr]


def test_a_scorer_instance_passes_through() -> None:
    scorer = resolve_scorer("exact")
    assert resolve_scorer(scorer) is scorer


def test_a_class_is_refused_with_a_hint() -> None:
    with pytest.raises(ModelbenchError, match="pass an instance"):
        resolve_scorer(CallableScorer)  # type: ignore[arg-type]


def test_a_non_callable_is_refused() -> None:
    with pytest.raises(ModelbenchError, match="a scorer must be a name"):
        resolve_scorer(42)  # type: ignore[arg-type]


# --- exact / contains ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "expected", "want"),
    [
        ("Paris", "Paris", 1.0),
        ("  paris\n", "PARIS", 1.0),
        ("Paris.", "Paris", 0.0),
        ("The answer is Paris", "Paris", 0.0),
        ("Lyon", ["Paris", "Lyon"], 1.0),
        ("Nice", ["Paris", "Lyon"], 0.0),
        ("42", 42, 1.0),
        ("", "", 1.0),
    ],
)
def test_exact(output: str, expected: Any, want: float) -> None:
    assert value("exact", output, expected) == want


def test_exact_case_sensitive() -> None:
    assert value("exact:case", " Paris ", "Paris") == 1.0
    assert value("exact:case", "paris", "Paris") == 0.0


@pytest.mark.parametrize("spec", ["exact", "contains", "numeric", "regex"])
@pytest.mark.parametrize("expected", [None, math.nan, []])
def test_no_expected_scores_nan_not_zero(spec: str, expected: Any) -> None:
    result = score(spec, "anything 1", expected)
    assert math.isnan(result.value)
    assert result.reason == "no expected answer"


@pytest.mark.parametrize(
    ("output", "expected", "want"),
    [
        ("The capital is Paris.", "paris", 1.0),
        ("The capital is Lyon.", "paris", 0.0),
        ("It's Lyon, I think", ["Paris", "lyon"], 1.0),
        ("costs 42 euros", 42, 1.0),
    ],
)
def test_contains(output: str, expected: Any, want: float) -> None:
    assert value("contains", output, expected) == want


def test_contains_case_sensitive() -> None:
    assert value("contains:case", "the capital is paris", "Paris") == 0.0


# --- regex --------------------------------------------------------------------------------------


def test_regex_from_expected() -> None:
    assert value("regex", "order #12345 shipped", r"#\d{5}\b") == 1.0
    assert value("regex", "order #12 shipped", r"#\d{5}\b") == 0.0
    assert value("regex", "B", ["^A$", "^B$"]) == 1.0
    assert value("regex", "yes", "(?i)^YES$") == 1.0


def test_regex_pattern_in_the_spec_ignores_expected_and_may_contain_colons() -> None:
    assert value(r"regex:^\d{2}:\d{2}$", "12:30") == 1.0
    assert value(r"regex:^\d{2}:\d{2}$", "12:30 pm", "ignored") == 0.0


def test_regex_invalid_expected_pattern_is_nan_with_reason() -> None:
    result = score("regex", "text", "(unclosed")
    assert math.isnan(result.value)
    assert "invalid expected pattern" in result.reason


# --- json ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "want"),
    [
        ('{"a": 1}', 1.0),
        ("[1, 2]", 1.0),
        ('```json\n{"a": 1}\n```', 1.0),
        ('```\n{"a": 1}\n```', 1.0),
        ('Here you go: {"a": 1}', 0.0),
        ('Here:\n```json\n{"a": 1}\n```', 0.0),
        ("{'a': 1}", 0.0),
        ("", 0.0),
    ],
)
def test_json_validity_without_expected(output: str, want: float) -> None:
    assert value("json", output) == want


@pytest.mark.parametrize(
    "output",
    ['Here you go: {"a": 1} hope it helps', 'Sure!\n```json\n{"a": 1}\n```\nDone.'],
)
def test_json_lenient_finds_json_inside_text(output: str) -> None:
    assert value("json:lenient", output, {"a": 1}) == 1.0


def test_json_expected_dict_scores_the_share_of_matching_keys() -> None:
    expected = {"name": "Ada", "age": 36, "langs": ["en", "fr"]}
    assert (
        value("json", '{"name": "Ada", "age": 36.0, "langs": ["en", "fr"], "x": 0}', expected) == 1
    )
    assert value("json", '{"name": "Ada", "age": 37, "langs": ["en"]}', expected) == pytest.approx(
        1 / 3
    )
    assert value("json", "[1, 2]", expected) == 0.0


def test_json_nested_dicts_match_as_subsets_and_bools_are_not_numbers() -> None:
    assert value("json", '{"a": {"b": 1, "c": 2}}', {"a": {"b": 1}}) == 1.0
    assert value("json", '{"a": {"b": 2}}', {"a": {"b": 1}}) == 0.0
    assert value("json", '{"ok": 1}', {"ok": True}) == 0.0
    assert value("json", '{"ok": true}', {"ok": True}) == 1.0


def test_json_expected_as_json_text_list_or_scalar() -> None:
    assert value("json", '{"a": 1}', '{"a": 1}') == 1.0
    assert value("json", '{"a": 2}', [{"a": 1}, {"a": 2}]) == 1.0
    assert value("json", "[1, 2]", [[1, 2]]) == 1.0
    assert value("json", '"yes"', "yes") == 1.0
    assert value("json", "3", 3) == 1.0


def test_json_not_json_has_a_reason() -> None:
    assert score("json", "nope", {"a": 1}) == Score(0.0, reason="output is not JSON")


def test_extract_json_returns_the_value() -> None:
    assert extract_json('```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}


# --- numeric ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("The answer is 42.", [42.0]),
        ("1,234,567.89 total", [1234567.89]),
        ("-3.5 and +2", [-3.5, 2.0]),
        ("pages 10-20", [10.0, 20.0]),
        ("x=-7", [-7.0]),
        ("1.5e3 or .5", [1500.0, 0.5]),
        ("\u22124 degrees", [-4.0]),
        ("1,2,3", [1.0, 2.0, 3.0]),
        ("no digits", []),
    ],
)
def test_extract_numbers(text: str, numbers: list[float]) -> None:
    assert extract_numbers(text) == numbers


@pytest.mark.parametrize(
    ("spec", "output", "expected", "want"),
    [
        ("numeric", "The answer is 42.", 42, 1.0),
        ("numeric", "The answer is 42.", "42", 1.0),
        ("numeric", "It costs $1,234.50", "1,234.5", 1.0),
        ("numeric", "It costs 1234", 1234.5, 0.0),
        ("numeric", "0.1", 0.1, 1.0),
        ("numeric", "1234568", 1234567, 0.0),  # the default tolerance is float noise only
        ("numeric:0.01", "about 99.2", 100, 1.0),  # |diff| 0.8 <= 0.01 * 100: relative
        ("numeric:0.01", "about 98.9", 100, 0.0),
        ("numeric:0.01", "0.009", 0, 1.0),  # |diff| 0.009 <= 0.01 * 1: absolute below 1
        ("numeric:0.01", "0.02", 0, 0.0),
        ("numeric", "Step 1: 40 + 2 = 42", 42, 0.0),  # the first number counts
        ("numeric:last", "Step 1: 40 + 2 = 42", 42, 1.0),
        ("numeric", "7", [6, 7], 1.0),
        ("numeric", "no idea", 7, 0.0),
    ],
)
def test_numeric(spec: str, output: str, expected: Any, want: float) -> None:
    assert value(spec, output, expected) == want


def test_numeric_expected_without_a_number_is_nan() -> None:
    result = score("numeric", "42", "forty-two")
    assert math.isnan(result.value)
    assert "has no number" in result.reason


# --- callables and user scorers -----------------------------------------------------------------


def test_callable_bool_float_none_and_score() -> None:
    def run(fn: Any) -> Score:
        scorer = resolve_scorer(fn)
        assert isinstance(scorer, CallableScorer)
        return asyncio.run(scorer.ascore("Yes, Paris", item("Paris")))

    assert run(lambda out, it: it.expected in out).value == 1.0
    assert run(lambda out, it: False).value == 0.0
    assert run(lambda out, it: 0.25).value == 0.25
    assert math.isnan(run(lambda out, it: None).value)
    assert run(lambda out, it: Score(0.5, cost_usd=0.01)) == Score(0.5, cost_usd=0.01)


def test_callable_async_function() -> None:
    async def judge(output: str, it: DatasetItem) -> float:
        await asyncio.sleep(0)
        return 1.0 if output else 0.0

    scorer = resolve_scorer(judge)
    assert scorer is not None and scorer.name == "judge"
    assert asyncio.run(scorer.ascore("x", item())).value == 1.0


def test_callable_that_raises_gives_nan_with_the_reason() -> None:
    def broken(output: str, it: DatasetItem) -> float:
        raise ValueError("boom")

    result = asyncio.run(CallableScorer(broken).ascore("x", item()))
    assert math.isnan(result.value)
    assert result.reason == "scorer 'broken' raised ValueError: boom"


def test_callable_returning_a_string_is_reported() -> None:
    result = asyncio.run(CallableScorer(lambda o, i: "high").ascore("x", item()))  # type: ignore[arg-type,return-value]
    assert math.isnan(result.value)
    assert "expected a float, bool or Score" in result.reason


@pytest.mark.usefixtures("clean_registry")
def test_register_a_user_scorer_instance_by_name() -> None:
    register_scorer("short", CallableScorer(lambda out, it: len(out) < 5, name="short"))
    assert "short" in scorer_names()
    assert value("short", "abc") == 1.0
    assert value("short", "abcdef") == 0.0
    with pytest.raises(ModelbenchError, match="takes no argument"):
        resolve_scorer("short:3")


@pytest.mark.usefixtures("clean_registry")
def test_register_a_factory_with_a_decorator() -> None:
    @register_scorer("maxlen")
    def make(arg: str | None, registry: Registry | None) -> Scorer:
        limit = int(arg or 3)
        return CallableScorer(lambda out, it: len(out) <= limit, name=f"maxlen:{limit}")

    assert value("maxlen", "abc") == 1.0
    assert value("maxlen:2", "abc") == 0.0
    assert resolve_scorer("maxlen:2").name == "maxlen:2"  # type: ignore[union-attr]


@pytest.mark.usefixtures("clean_registry")
def test_a_rule_scorer_subclass_is_named_after_its_spec() -> None:
    class Upper(RuleScorer):
        def score(self, output: str, item: DatasetItem) -> Score:
            return Score(float(output.isupper()))

    register_scorer("upper", Upper())
    scorer = resolve_scorer("upper")
    assert isinstance(scorer, Upper) and scorer.name == "upper"
    assert scorer.score("LOUD", item()).value == 1.0


@pytest.mark.usefixtures("clean_registry")
def test_a_name_clash_raises_unless_replace_or_the_same_definition() -> None:
    def short(output: str, it: DatasetItem) -> bool:
        return len(output) < 5

    register_scorer("short", CallableScorer(short))
    register_scorer("short", CallableScorer(short))  # re-running a notebook cell
    with pytest.raises(ModelbenchError, match="already registered"):
        register_scorer("short", CallableScorer(lambda out, it: True))
    with pytest.raises(ModelbenchError, match="already registered"):
        register_scorer("exact", CallableScorer(short))
    register_scorer("exact", CallableScorer(short), replace=True)
    assert value("exact", "abcdef", "abcdef") == 0.0


@pytest.mark.usefixtures("clean_registry")
@pytest.mark.parametrize("name", ["", "a:b", "has space", " lead"])
def test_invalid_scorer_names(name: str) -> None:
    with pytest.raises(ModelbenchError, match="invalid scorer name"):
        register_scorer(name, CallableScorer(lambda out, it: True))


@pytest.mark.usefixtures("clean_registry")
def test_a_factory_must_return_a_scorer() -> None:
    register_scorer("bad", lambda arg, registry: 1.0)  # type: ignore[call-overload]
    with pytest.raises(ModelbenchError, match="returned float, not a Scorer"):
        resolve_scorer("bad")


# --- the judge ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "grade"),
    [
        ("Score: 4/5", 4.0),
        ("The answer is right.\n**Score:** 5", 5.0),
        ("Rating: 3 out of 5.", 3.0),
        ("I'd give it a score of 2.", 2.0),
        ("Grade = 4.5/5", 4.5),
        ("4/5", 4.0),
        ("3", 3.0),
        ("**4**", 4.0),
        ("<think>Score: 1 maybe?</think>Clear and right. Score: 5/5", 5.0),
        ("Step 1 looks fine, step 2 too.\nScore: 4/5", 4.0),
    ],
)
def test_parse_verdict(reply: str, grade: float) -> None:
    assert parse_verdict(reply) == (grade, "")


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("", "empty"),
        ("It is good.", "no score"),
        ("Score: 8/10", "graded out of 10"),
        ("Score: 0/5", "outside 1-5"),
        ("Score: 7", "outside 1-5"),
    ],
)
def test_parse_verdict_refuses(reply: str, reason: str) -> None:
    grade, why = parse_verdict(reply)
    assert grade is None
    assert reason in why


def judge_registry(reply: str, **model: Any) -> Registry:
    return Registry.from_dict(
        {
            "models": {
                "judge": {
                    "backend": "openai/gpt-4o-mini",
                    "params": {"mock_response": reply},
                    **model,
                },
                "writer": {"backend": "openai/gpt-4o"},
            },
            "backends": {"openai": {"provider": "openai", "api_key": "sk-test"}},
        }
    )


def test_judge_through_the_registry_records_its_cost() -> None:
    litellm = pytest.importorskip("litellm")
    registry = judge_registry("The answer names Paris correctly. Score: 4/5")
    scorer = resolve_scorer("judge:judge", registry)
    assert isinstance(scorer, JudgeScorer) and scorer.name == "judge:judge"
    result = asyncio.run(scorer.ascore("Paris", item("Paris")))
    assert result.value == 0.75  # (4 - 1) / 4
    assert result.reason == ""
    # litellm's mock reports 10 prompt and 20 completion tokens; gpt-4o-mini's listed price:
    expected_cost = litellm.cost_per_token(
        model="gpt-4o-mini", prompt_tokens=10, completion_tokens=20
    )
    assert result.cost_usd == pytest.approx(sum(expected_cost))
    assert result.cost_usd > 0


def test_judge_cost_uses_the_registry_price_when_set() -> None:
    registry = judge_registry("Score: 5/5", pricing={"input_per_1m": 1.0, "output_per_1m": 2.0})
    result = asyncio.run(JudgeScorer(registry, "judge").ascore("Paris", item("Paris")))
    assert result.value == 1.0
    assert result.cost_usd == pytest.approx(10 * 1e-6 + 20 * 2e-6)


def test_judge_unparseable_verdict_is_nan_with_reason_and_cost() -> None:
    registry = judge_registry("I cannot decide.")
    result = asyncio.run(JudgeScorer(registry, "judge").ascore("Paris", item("Paris")))
    assert math.isnan(result.value)
    assert "no score in the judge's reply" in result.reason
    assert result.cost_usd > 0


def test_judge_call_failure_is_nan_not_an_exception() -> None:
    registry = judge_registry("litellm.InternalServerError")
    judge = JudgeScorer(registry, "judge", num_retries=0)  # the Router would retry twice
    result = asyncio.run(judge.ascore("Paris", item("Paris")))
    assert math.isnan(result.value)
    assert result.reason.startswith("judge 'judge' failed: InternalServerError")
    assert result.cost_usd == 0.0


def test_judge_skips_empty_output() -> None:
    registry = judge_registry("litellm.InternalServerError")  # would fail if called
    result = asyncio.run(JudgeScorer(registry, "judge").ascore("  ", item("Paris")))
    assert result.value == 0.0
    assert "empty output" in result.reason


def test_judge_unknown_model_suggests() -> None:
    with pytest.raises(UnknownModelError, match="did you mean 'judge'"):
        resolve_scorer("judge:jduge", judge_registry("Score: 3"))


class _FakeRegistry:
    """Records what the judge sends; answers with a fixed reply and a known cost."""

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = []

    def canonical(self, name: str) -> str:
        return name

    async def acompletion(self, model: str, messages: list[dict[str, Any]], **kw: Any) -> Any:
        self.calls.append((model, messages, kw))
        message = SimpleNamespace(content=self.reply)
        response = SimpleNamespace(choices=[SimpleNamespace(message=message)])
        response._hidden_params = {"response_cost": 0.002}
        return response


def test_judge_prompt_has_task_reference_and_response_at_temperature_zero() -> None:
    fake = _FakeRegistry("Score: 2/5")
    scorer = JudgeScorer(fake, "grader", max_tokens=200)  # type: ignore[arg-type]
    chat = DatasetItem(
        id="c",
        messages=({"role": "user", "content": "Name a French city"},),
        expected=["Paris", "Lyon"],
    )
    result = asyncio.run(scorer.ascore("Berlin", chat))
    assert result == Score(0.25, cost_usd=0.002)
    ((model, messages, kwargs),) = fake.calls
    assert model == "grader"
    assert kwargs == {"temperature": 0, "max_tokens": 200}
    prompt = messages[1]["content"]
    assert "user: Name a French city" in prompt
    assert "- Paris\n- Lyon" in prompt
    assert "<response>\nBerlin\n</response>" in prompt
    assert "Score: N/5" in prompt


def test_judge_prompt_without_reference() -> None:
    scorer = JudgeScorer(_FakeRegistry("Score: 5"), "grader")  # type: ignore[arg-type]
    prompt = scorer.messages("Paris", item())[1]["content"]
    assert "<reference>" not in prompt
    assert "against the reference" not in prompt


def test_response_cost_falls_back_to_deployment_pricing() -> None:
    registry = judge_registry("x", pricing={"input_per_1m": 3.0, "output_per_1m": 6.0})
    (deployment,) = registry.resolve("judge")
    response = SimpleNamespace(
        usage=SimpleNamespace(prompt_tokens=1000, completion_tokens=500),
        _hidden_params={"model_id": deployment.id},
        choices=[],
    )
    assert _response_cost(response, registry, "judge") == pytest.approx(1000 * 3e-6 + 500 * 6e-6)
    unpriced = SimpleNamespace(usage=None, _hidden_params={}, choices=[])
    assert math.isnan(_response_cost(unpriced, registry, "writer"))
