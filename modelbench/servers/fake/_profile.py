"""What each fake model does: timing, fault rates and quality, validated with pydantic.

A profile is YAML (or a dict) of this shape; every key is optional::

    defaults:            # applied to every model, then overridden per model
      ttft_s: 0.05
    dataset: qa.jsonl    # rows {id, prompt | messages, expected}; relative to the profile
    models:
      good:  {accuracy: 0.9}
      flaky: {rate_429: 0.2, retry_after_s: 1, rate_reset: 0.05}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from modelbench._errors import ConfigError, DatasetError
from modelbench._suggest import did_you_mean
from modelbench.config.loader import read_text

__all__ = [
    "DEFAULT_PROFILE",
    "FAULT_KINDS",
    "DatasetRow",
    "ModelProfile",
    "Profile",
    "load_profile",
]

# The order in which a single uniform draw is split into fault bands.
FAULT_KINDS: tuple[str, ...] = (
    "429",
    "500",
    "503",
    "timeout",
    "reset",
    "malformed",
    "cut_stream",
)

_Rate = Field(default=0.0, ge=0.0, le=1.0)


class ModelProfile(BaseModel):
    """One fake model. A client sees the first token after ``latency_s + jitter + ttft_s``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_s: float = Field(default=0.0, ge=0.0)
    """Base delay before anything is answered (response headers, or an error)."""
    jitter_s: float = Field(default=0.0, ge=0.0)
    """A deterministic uniform draw in [0, jitter_s) added to ``latency_s``."""
    ttft_s: float = Field(default=0.0, ge=0.0)
    """Time from the response headers to the first token."""
    tokens_per_s: float | None = Field(default=None, gt=0.0)
    """Generation speed after the first token; None sends every token at once."""
    output_tokens: int = Field(default=16, ge=1, le=100_000)
    """Answer length in tokens (words), capped by the request's ``max_tokens``."""
    stream_usage: bool = True
    """Send ``usage`` at the end of a stream when asked (``stream_options.include_usage``);
    False acts like servers that never do (llama-cpp-python), so clients must estimate."""

    rate_429: float = _Rate
    retry_after_s: float = Field(default=1.0, ge=0.0)
    rate_500: float = _Rate
    rate_503: float = _Rate
    rate_timeout: float = _Rate
    hang_s: float = Field(default=900.0, ge=0.0)
    """How long a ``timeout`` fault holds the connection: longer than any client timeout."""
    rate_reset: float = _Rate
    rate_malformed: float = _Rate
    rate_cut_stream: float = _Rate
    """A stream stops after half its tokens; a non-streaming request is reset instead."""

    accuracy: float = Field(default=1.0, ge=0.0, le=1.0)
    """Chance of answering a dataset row's ``expected`` (fixed per model and row)."""

    @model_validator(mode="after")
    def _rates_fit(self) -> ModelProfile:
        total = sum(self.fault_rates().values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {total:g}; they must add up to at most 1")
        return self

    def fault_rates(self) -> dict[str, float]:
        """Fault kind -> rate, in the order draws are assigned."""
        return {kind: float(getattr(self, f"rate_{kind}")) for kind in FAULT_KINDS}


class DatasetRow(BaseModel):
    """A dataset row the fake can answer; other keys in the row (category, ...) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    prompt: str | None = None
    messages: list[dict[str, Any]] | None = None
    expected: str | int | float | list[str]

    @model_validator(mode="after")
    def _one_input(self) -> DatasetRow:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("a row needs exactly one of 'prompt' or 'messages'")
        return self

    def key(self) -> str:
        """The text a request must carry (prompt, or last user message) to match this row."""
        if self.prompt is not None:
            return self.prompt.strip()
        return last_user_text(self.messages or []).strip()

    def answer(self) -> str:
        if isinstance(self.expected, list):
            return self.expected[0] if self.expected else ""
        return str(self.expected)


class Profile(BaseModel):
    """Every fake model served, plus the optional dataset that gives them measurable quality."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    defaults: ModelProfile = Field(default_factory=ModelProfile)
    models: dict[str, ModelProfile]
    dataset: str | list[DatasetRow] | None = None

    @field_validator("models")
    @classmethod
    def _some_models(cls, models: dict[str, ModelProfile]) -> dict[str, ModelProfile]:
        if not models:
            raise ValueError("no models; add at least one, e.g. models: {fake-a: {}}")
        return models

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        defaults = data.get("defaults") or {}
        models = data.get("models")
        if not isinstance(defaults, Mapping) or not isinstance(models, Mapping):
            return data
        try:
            ModelProfile.model_validate(defaults)
        except ValidationError:
            return data  # reported once, under "defaults", not again under every model
        merged = {
            name: {**defaults, **(spec or {})} if isinstance(spec, Mapping | None) else spec
            for name, spec in models.items()
        }
        return {**data, "models": merged}

    def model(self, name: str) -> ModelProfile | None:
        return self.models.get(name)

    def rows(self) -> list[DatasetRow]:
        """The dataset rows (read from the file when ``dataset`` is a path)."""
        if self.dataset is None:
            return []
        if isinstance(self.dataset, list):
            return list(self.dataset)
        return _read_dataset(Path(self.dataset))


DEFAULT_PROFILE = Profile.model_validate(
    {
        "models": {
            "fake-fast": {"ttft_s": 0.02, "tokens_per_s": 400, "output_tokens": 16},
            "fake-slow": {
                "latency_s": 0.1,
                "jitter_s": 0.05,
                "ttft_s": 0.3,
                "tokens_per_s": 40,
                "output_tokens": 16,
            },
            "fake-flaky": {
                "ttft_s": 0.05,
                "tokens_per_s": 200,
                "output_tokens": 16,
                "rate_429": 0.1,
                "retry_after_s": 1,
                "rate_500": 0.05,
                "rate_503": 0.05,
                "rate_timeout": 0.02,
                "rate_reset": 0.03,
                "rate_malformed": 0.02,
                "rate_cut_stream": 0.03,
            },
        }
    }
)


def last_user_text(messages: list[Any]) -> str:
    """The text of the last ``user`` message (content parts of type text joined)."""
    for message in reversed(messages):
        if isinstance(message, Mapping) and message.get("role") == "user":
            return content_text(message.get("content"))
    return ""


def content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, Mapping)]
        return "".join(p for p in parts if isinstance(p, str))
    return ""


def load_profile(source: Profile | Mapping[str, Any] | str | Path | None) -> Profile:
    """A validated profile from a dict, a YAML/JSON file, or None for the built-in default.

    Raises ``ConfigError`` with one line per problem, each naming the key (and the file line).
    A relative ``dataset`` path is resolved against the profile file (or the current directory).
    """
    if source is None:
        return DEFAULT_PROFILE
    if isinstance(source, Profile):
        return source
    file: str | None = None
    node: yaml.Node | None = None
    base = Path.cwd()
    if isinstance(source, str | Path):
        path = Path(source)
        file = str(path)
        text = read_text(path, "profile")  # one line for missing, directory, not UTF-8
        try:
            data = yaml.safe_load(text)
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise ConfigError(
                f"not valid YAML: {exc}".splitlines()[0], file=file, line=line
            ) from None
        base = path.resolve().parent
    else:
        data = dict(source)
    if not isinstance(data, Mapping):
        raise ConfigError("a profile must be a mapping with a 'models' key", file=file)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        problems = [
            ConfigError(_describe(err), file=file, line=_line_of(node, err["loc"]))
            for err in exc.errors()
        ]
        first = problems[0]
        raise ConfigError(first.message, file=file, line=first.line, problems=problems) from None
    if isinstance(profile.dataset, str):
        dataset = Path(profile.dataset)
        if not dataset.is_absolute():
            dataset = base / dataset
        profile = profile.model_copy(update={"dataset": str(dataset)})
        profile.rows()  # fail now, in the caller, on a missing or bad file
    return profile


def _describe(err: Any) -> str:
    loc = ".".join(str(part) for part in err["loc"]) or "profile"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        fields = Profile.model_fields if len(err["loc"]) <= 1 else ModelProfile.model_fields
        hint = did_you_mean(str(err["loc"][-1]), fields)
        msg = f"unknown key{hint}; valid keys are: {', '.join(sorted(fields))}"
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif "input" in err and not isinstance(err["input"], Mapping | list):
        msg = f"{msg} (got {err['input']!r})"
    return f"{loc}: {msg}"


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its deepest existing parent)."""
    if node is None:
        return None
    # Errors in merged model specs name models.<name>.<key>; the key may sit in defaults.
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
            if child is None:  # e.g. a missing key: point at its parent
                break
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
        else:
            break
    return int(node.start_mark.line) + 1


def _read_dataset(path: Path) -> list[DatasetRow]:
    try:
        lines = read_text(path, "dataset for the fake provider").splitlines()
    except ConfigError as exc:
        raise DatasetError(exc.message, file=exc.file, line=exc.line) from None
    rows: list[DatasetRow] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(DatasetRow.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"not valid JSON: {exc.msg}", file=str(path), line=number) from None
        except ValidationError as exc:
            raise DatasetError(_describe(exc.errors()[0]), file=str(path), line=number) from None
    return rows
