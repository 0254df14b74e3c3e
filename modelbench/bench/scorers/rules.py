"""Rule-based scorers: ``exact``, ``contains``, ``regex``, ``json``, ``numeric``.

Each compares the output with every acceptable answer (``expected`` may be a list: any match
scores 1) and returns 0 or 1; ``json`` against a dict gives the share of keys that match.
A row without ``expected`` scores NaN, except for ``json`` (then only validity counts) and
``regex:<pattern>`` (the pattern is the answer).
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import re
from typing import TYPE_CHECKING, Any

from modelbench._errors import ScorerError
from modelbench.bench.record import DatasetItem
from modelbench.bench.scorers.base import (
    NAN,
    RuleScorer,
    Score,
    Scorer,
    expected_candidates,
    register_scorer,
)

if TYPE_CHECKING:
    from modelbench.registry import Registry

__all__ = [
    "ContainsScorer",
    "ExactScorer",
    "JsonScorer",
    "NumericScorer",
    "RegexScorer",
    "extract_json",
    "extract_numbers",
]

_NO_EXPECTED = Score(NAN, reason="no expected answer")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _case_option(name: str, arg: str | None) -> bool:
    """``name`` -> case-insensitive; ``name:case`` -> case-sensitive."""
    if arg is None:
        return False
    if arg.strip().lower() == "case":
        return True
    raise ScorerError(f"scorer {name!r} accepts only ':case' (case-sensitive), got {arg!r}")


class ExactScorer(RuleScorer):
    """1 when the output equals an expected answer after stripping whitespace, ignoring case."""

    def __init__(self, *, case_sensitive: bool = False, strip: bool = True) -> None:
        self.case_sensitive = case_sensitive
        self.strip = strip
        self.name = "exact:case" if case_sensitive else "exact"

    def _norm(self, text: str) -> str:
        text = text.strip() if self.strip else text
        return text if self.case_sensitive else text.casefold()

    def score(self, output: str, item: DatasetItem) -> Score:
        answers = expected_candidates(item.expected)
        if answers is None:
            return _NO_EXPECTED
        got = self._norm(output)
        return Score(float(any(self._norm(_text(a)) == got for a in answers)))


class ContainsScorer(RuleScorer):
    """1 when an expected answer appears in the output (ignoring case by default)."""

    def __init__(self, *, case_sensitive: bool = False) -> None:
        self.case_sensitive = case_sensitive
        self.name = "contains:case" if case_sensitive else "contains"

    def score(self, output: str, item: DatasetItem) -> Score:
        answers = expected_candidates(item.expected)
        if answers is None:
            return _NO_EXPECTED
        texts = [_text(a).strip() for a in answers]
        if not self.case_sensitive:
            output, texts = output.casefold(), [t.casefold() for t in texts]
        return Score(float(any(t in output for t in texts)))


class RegexScorer(RuleScorer):
    """1 when ``re.search`` finds the pattern in the output.

    The pattern is the one given (``regex:<pattern>``), else each expected answer. Matching is
    case-sensitive: use ``(?i)`` in the pattern for the other way.
    """

    def __init__(self, pattern: str | None = None) -> None:
        self.pattern: re.Pattern[str] | None = None
        if pattern is not None:
            try:
                self.pattern = re.compile(pattern)
            except re.error as exc:
                raise ScorerError(f"invalid pattern in scorer regex:{pattern}: {exc}") from exc
        self.name = "regex" if pattern is None else f"regex:{pattern}"

    def score(self, output: str, item: DatasetItem) -> Score:
        if self.pattern is not None:
            return Score(float(self.pattern.search(output) is not None))
        answers = expected_candidates(item.expected)
        if answers is None:
            return _NO_EXPECTED
        try:
            return Score(float(any(re.search(_text(a), output) for a in answers)))
        except re.error as exc:
            return Score(NAN, reason=f"invalid expected pattern: {exc}")


# --- json ---------------------------------------------------------------------------------------

_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)
_NOT_JSON = object()


def extract_json(output: str, *, lenient: bool = False) -> Any:
    """The JSON value in an output, or the sentinel ``_NOT_JSON``.

    Strict: the whole output (stripped) is JSON, or one fenced code block is the whole output.
    Lenient: also the first fenced block anywhere, else the first ``{`` or ``[`` that starts
    a valid value (text around it ignored).
    """
    text = output.strip()
    candidates = [text]
    fence = _FENCE.search(text)
    if fence and (lenient or fence.group(0) == text):
        candidates.insert(0, fence.group(1).strip())
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    if lenient:
        decoder = json.JSONDecoder()
        for match in re.finditer(r"[\[{]", text):
            try:
                return decoder.raw_decode(text, match.start())[0]
            except ValueError:
                continue
    return _NOT_JSON


def _json_equal(got: Any, want: Any) -> bool:
    """JSON equality where true != 1 and 1 == 1.0; an expected dict matches as a subset."""
    if isinstance(want, dict):
        return isinstance(got, dict) and all(
            k in got and _json_equal(got[k], v) for k, v in want.items()
        )
    if isinstance(want, bool) or isinstance(got, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got == want
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_json_equal(g, w) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, numbers.Real) and isinstance(got, numbers.Real):
        return float(got) == float(want)
    return bool(got == want)


def _json_match(got: Any, want: Any) -> float:
    """A dict: the share of its keys whose values match; anything else: 0 or 1."""
    if isinstance(want, str):
        with contextlib.suppress(ValueError):  # else a plain string: a JSON string value
            want = json.loads(want)
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return 0.0
        if not want:
            return 1.0
        hits = sum(k in got and _json_equal(got[k], v) for k, v in want.items())
        return hits / len(want)
    return float(_json_equal(got, want))


class JsonScorer(RuleScorer):
    """The output must parse as JSON; an expected dict's keys and values must also match.

    No expected answer: 1 if it parses. Expected dict: share of its keys present with equal
    values (nested dicts: subset, all or nothing). Other expected values: equal -> 1.
    """

    def __init__(self, *, lenient: bool = False) -> None:
        self.lenient = lenient
        self.name = "json:lenient" if lenient else "json"

    def score(self, output: str, item: DatasetItem) -> Score:
        value = extract_json(output, lenient=self.lenient)
        if value is _NOT_JSON:
            return Score(0.0, reason="output is not JSON")
        answers = expected_candidates(item.expected)
        if answers is None:
            return Score(1.0)
        return Score(max(_json_match(value, a) for a in answers))


# --- numeric ------------------------------------------------------------------------------------

# A sign only where it cannot be a hyphen ("10-20" is 10 and 20); thousands commas allowed.
_NUMBER = re.compile(
    r"(?:(?<![\w)\].])[-+\u2212])?"
    r"(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)"
    r"(?:[eE][-+]?\d+)?"
)


DEFAULT_TOLERANCE = 1e-9
"""``numeric`` without a tolerance: equal up to float noise."""


def extract_numbers(text: str) -> list[float]:
    """Every number in a text, in order: ``"-1,234.5"`` -> -1234.5, ``"3e2"`` -> 300."""
    out = []
    for match in _NUMBER.finditer(text):
        raw = match.group(0).replace(",", "").replace("\u2212", "-")
        try:
            out.append(float(raw))
        except ValueError:  # pragma: no cover - the pattern only matches numbers
            continue
    return out


def _expected_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    found = extract_numbers(_text(value))
    return found[0] if found else None


class NumericScorer(RuleScorer):
    """1 when the first number in the output is within tolerance of an expected number.

    Match when ``|got - expected| <= tolerance * max(1, |expected|)``: relative to the expected
    value when ``|expected| >= 1``, absolute below that (so an expected 0 works). Default
    tolerance 1e-9 (equal up to float noise). ``last=True`` takes the last number instead.
    """

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE, *, last: bool = False) -> None:
        if not tolerance >= 0:
            raise ScorerError(f"numeric tolerance must be >= 0, got {tolerance}")
        self.tolerance = tolerance
        self.last = last
        options = [] if tolerance == DEFAULT_TOLERANCE else [f"{tolerance:g}"]
        options += ["last"] if last else []
        self.name = "numeric" + (":" + ",".join(options) if options else "")

    def score(self, output: str, item: DatasetItem) -> Score:
        answers = expected_candidates(item.expected)
        if answers is None:
            return _NO_EXPECTED
        wanted = [n for n in (_expected_number(a) for a in answers) if n is not None]
        if not wanted:
            return Score(NAN, reason=f"expected {item.expected!r} has no number")
        found = extract_numbers(output)
        if not found:
            return Score(0.0, reason="no number in the output")
        got = found[-1] if self.last else found[0]
        ok = any(abs(got - w) <= self.tolerance * max(1.0, abs(w)) for w in wanted)
        return Score(float(ok))


def _numeric_options(arg: str | None) -> NumericScorer:
    tolerance, last = DEFAULT_TOLERANCE, False
    for part in (arg or "").split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part in ("first", "last"):
            last = part == "last"
            continue
        try:
            tolerance = float(part)
        except ValueError:
            raise ScorerError(
                f"bad option {part!r} for scorer numeric: use numeric:<tolerance>, "
                "numeric:last or numeric:<tolerance>,last (e.g. numeric:0.01)"
            ) from None
        if not math.isfinite(tolerance):
            raise ScorerError(f"numeric tolerance must be finite, got {part!r}")
    return NumericScorer(tolerance, last=last)


# --- registration: the same call a user's scorer makes -----------------------------------------


@register_scorer("exact")
def _exact(arg: str | None, registry: Registry | None) -> Scorer:
    return ExactScorer(case_sensitive=_case_option("exact", arg))


@register_scorer("contains")
def _contains(arg: str | None, registry: Registry | None) -> Scorer:
    return ContainsScorer(case_sensitive=_case_option("contains", arg))


@register_scorer("regex")
def _regex(arg: str | None, registry: Registry | None) -> Scorer:
    return RegexScorer(arg or None)


@register_scorer("json")
def _json(arg: str | None, registry: Registry | None) -> Scorer:
    if arg is not None and arg.strip().lower() != "lenient":
        raise ScorerError(f"scorer 'json' accepts only ':lenient', got {arg!r}")
    return JsonScorer(lenient=arg is not None)


@register_scorer("numeric")
def _numeric(arg: str | None, registry: Registry | None) -> Scorer:
    return _numeric_options(arg)
