"""Scorers: turn a model's output into a score in [0, 1] (NaN = not scored).

    scorer = resolve_scorer("numeric:0.01")          # by name, with an argument
    scorer = resolve_scorer("judge:smart", registry)  # an LLM judge from the registry
    scorer = resolve_scorer(lambda out, item: "yes" in out.lower())
    score = await scorer.ascore(output, item)         # Score(value=1.0, cost_usd=0.0)

Built-in names: ``exact``, ``contains``, ``regex``, ``json``, ``numeric``, ``judge``. Add your
own with ``register_scorer`` (the built-ins register the same way). Rules: doc/scoring.md.
"""

from __future__ import annotations

from modelbench.bench.scorers.base import (
    CallableScorer,
    RuleScorer,
    Score,
    ScoreFunction,
    Scorer,
    ScorerFactory,
    ScorerSpec,
    expected_candidates,
    register_scorer,
    resolve_scorer,
    scorer_names,
)
from modelbench.bench.scorers.judge import JUDGE_TEMPLATE, JudgeScorer, parse_verdict
from modelbench.bench.scorers.rules import (
    ContainsScorer,
    ExactScorer,
    JsonScorer,
    NumericScorer,
    RegexScorer,
    extract_json,
    extract_numbers,
)

__all__ = [
    "JUDGE_TEMPLATE",
    "CallableScorer",
    "ContainsScorer",
    "ExactScorer",
    "JsonScorer",
    "JudgeScorer",
    "NumericScorer",
    "RegexScorer",
    "RuleScorer",
    "Score",
    "ScoreFunction",
    "Scorer",
    "ScorerFactory",
    "ScorerSpec",
    "expected_candidates",
    "extract_json",
    "extract_numbers",
    "parse_verdict",
    "register_scorer",
    "resolve_scorer",
    "scorer_names",
]
