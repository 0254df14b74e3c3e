"""One benchmark result row: the unit everything downstream works on.

Rows are keyed by (prompt_id, model, backend, repeat). ``backend`` is the deployment name
``<backend>/<provider model id>`` (``Deployment.name``). Times are seconds from a monotonic
clock; ``started_at`` is wall-clock UTC (ISO 8601) for humans.

| column        | meaning                                                                  |
|---------------|--------------------------------------------------------------------------|
| run_id        | id of the run that wrote the row (rows a resumed run adds carry its own) |
| prompt_id     | dataset row id                                                           |
| category      | dataset row category ("" when none)                                      |
| model         | model name from the registry                                             |
| backend       | deployment name ``<backend>/<model id>``                                 |
| repeat        | 0-based repeat index                                                     |
| started_at    | UTC time the (final) attempt was sent                                    |
| latency_s     | send -> last byte of the final attempt; never includes retry waits       |
| ttft_s        | send -> first non-empty content (streaming)                              |
| tpot_s        | (latency - ttft) / (output_tokens - 1); NaN when output_tokens < 2       |
| input_tokens  | prompt tokens (NaN if unknown); where from: token_source                 |
| output_tokens | completion tokens (NaN if unknown); where from: token_source             |
| cached_input_tokens | prompt tokens served from the provider's cache (NaN: not reported) |
| token_source  | "provider" (reported), "estimated" (litellm counted), "unknown", "" (none) |
| cost_usd      | cost of the final attempt; NaN when no price is known, 0 for cache hits  |
| output        | the text returned ("" on error)                                          |
| score         | scorer result in [0, 1]; NaN when not scored                             |
| score_cost_usd| what scoring cost (an LLM judge's own calls); 0 for rule-based scorers   |
| error_type    | "" on success, else the exception class (RateLimitError, Timeout, ...)   |
| error         | one-line error message ("" on success)                                   |
| attempts      | attempts made (1 = no retry)                                             |
| cached        | True when the response came from the response cache                      |
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

__all__ = ["COLUMNS", "KEY", "DatasetItem", "ResultRow"]

KEY: tuple[str, ...] = ("prompt_id", "model", "backend", "repeat")
"""The columns that identify a row: one row per key, ever, in a results file."""


@dataclass(frozen=True)
class DatasetItem:
    """One prompt of a dataset: ``prompt`` (text) or ``messages`` (chat), never both."""

    id: str
    prompt: str | None = None
    messages: tuple[dict[str, Any], ...] | None = None
    expected: Any = None
    category: str = ""
    metadata: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def as_messages(self) -> list[dict[str, Any]]:
        """Chat messages for a chat deployment (a text prompt becomes one user message)."""
        if self.messages is not None:
            return [dict(m) for m in self.messages]
        return [{"role": "user", "content": self.prompt or ""}]

    def as_prompt(self) -> str:
        """Text for a completion-mode deployment (chat messages are joined, role-tagged)."""
        if self.prompt is not None:
            return self.prompt
        parts = [f"{m.get('role', 'user')}: {m.get('content', '')}" for m in self.messages or ()]
        return "\n".join(parts) + "\nassistant:"


@dataclass(frozen=True)
class ResultRow:
    run_id: str
    prompt_id: str
    category: str
    model: str
    backend: str
    repeat: int
    started_at: str
    latency_s: float = math.nan
    ttft_s: float = math.nan
    tpot_s: float = math.nan
    input_tokens: float = math.nan
    output_tokens: float = math.nan
    cached_input_tokens: float = math.nan
    token_source: str = ""
    cost_usd: float = math.nan
    output: str = ""
    score: float = math.nan
    score_cost_usd: float = 0.0
    error_type: str = ""
    error: str = ""
    attempts: int = 1
    cached: bool = False

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.prompt_id, self.model, self.backend, self.repeat)

    @property
    def ok(self) -> bool:
        return not self.error_type

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ResultRow))
