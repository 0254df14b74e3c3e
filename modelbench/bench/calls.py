"""One streamed call to one deployment -> text, usage and honest timings; error classification.

Timers are ``time.perf_counter``. On the OpenAI-SDK paths (``openai/...``,
``text-completion-openai/...``: the local model, the fake provider, vLLM-style servers) the
call runs on modelbench's own client, whose transport stamps the moment the request is handed
to it and the moment each piece of the body arrives (``_wire``): latency is send -> last byte,
TTFT send -> arrival of the bytes that carried the first non-empty content, both before litellm
parses them. On other paths the send is litellm's ``pre_call`` logging hook (``_sendtime``),
after every limiter and back-off wait and after litellm's own request building (or the hand-over
to litellm if that hook does not fire), and arrivals are when litellm hands on each chunk.
"""

from __future__ import annotations

import email.utils
import functools
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelbench._env import import_litellm
from modelbench._errors import CallError, ModelbenchError, OptionError
from modelbench.bench import _clients, _sendtime, _wire
from modelbench.bench.record import DatasetItem
from modelbench.registry import Deployment

__all__ = [
    "ESTIMATED",
    "PROVIDER",
    "UNKNOWN",
    "CallError",
    "CallResult",
    "ErrorInfo",
    "RetryPolicy",
    "call_cost",
    "classify",
    "one_line",
    "request_kwargs",
    "retry_after",
    "stream_call",
    "utc_now",
    "warm_up",
]

# ``token_source``: where a row's token counts come from.
PROVIDER = "provider"
"""The backend reported them (a usage object in its stream)."""
ESTIMATED = "estimated"
"""The backend sent none: litellm counted them with its default tokenizer."""
UNKNOWN = "unknown"
"""litellm's figures on a path modelbench does not see at the wire (other providers, mocks)."""

# Status codes worth another attempt: timeouts, conflicts, rate limits and server faults.
_RETRIABLE_STATUS = frozenset((408, 409, 425, 429))


@dataclass(frozen=True)
class CallResult:
    """What one successful attempt returned."""

    output: str
    started_at: str
    latency_s: float
    ttft_s: float
    input_tokens: float
    output_tokens: float
    cached_input_tokens: float = math.nan
    token_source: str = ""

    @property
    def tpot_s(self) -> float:
        """Time per output token after the first; NaN with fewer than two tokens."""
        if math.isnan(self.output_tokens) or self.output_tokens < 2 or math.isnan(self.ttft_s):
            return math.nan
        return (self.latency_s - self.ttft_s) / (self.output_tokens - 1)


@dataclass(frozen=True)
class ErrorInfo:
    """How one failed attempt is recorded and whether it is worth another."""

    type: str
    message: str
    retriable: bool
    rate_limited: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How failed attempts are retried: exponential back-off with jitter, ``Retry-After`` first.

    Attempt ``n`` (1-based) that failed waits ``min(max_delay, base_delay * 2**(n-1))`` scaled
    by a random factor in ``[1 - jitter, 1]``, and never less than the provider's Retry-After.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise OptionError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if not 0 <= self.jitter <= 1:
            raise OptionError(f"jitter must be in [0, 1], got {self.jitter}")
        if not (self.base_delay >= 0 and self.max_delay >= 0):
            raise OptionError(
                f"base_delay and max_delay must be >= 0, got {self.base_delay}, {self.max_delay}"
            )

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt``."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        backoff *= 1 - self.jitter * (rng or random).random()
        return float(max(backoff, retry_after or 0.0))


def request_kwargs(
    deployment: Deployment, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Keyword arguments for every attempt: streaming with usage, litellm's retries off."""
    kwargs = deployment.call_kwargs()
    if extra:
        kwargs.update(extra)
    kwargs.update(
        stream=True,
        stream_options={"include_usage": True},
        num_retries=0,  # modelbench retries, so it sees every fault and keeps waits out of timing
        max_retries=0,
    )
    return kwargs


async def stream_call(
    deployment: Deployment, item: DatasetItem, kwargs: Mapping[str, Any]
) -> CallResult:
    """One attempt, streamed; raises what litellm raises (or ``CallError``)."""
    # Inside a run this joins the run's scope; called on its own, it closes its client after.
    async with _clients.run_scope():
        return await _stream_call(deployment, item, kwargs)


async def _stream_call(
    deployment: Deployment, item: DatasetItem, kwargs: Mapping[str, Any]
) -> CallResult:
    litellm = _litellm()
    chat = deployment.mode != "completion"
    # A fresh id per attempt, even over one passed in: a shared id would mix up the send
    # stamps of concurrent requests.
    call_id = _sendtime.new_call_id()
    _sendtime.expect(call_id)
    started_at = utc_now()
    sent = time.perf_counter()  # the fallback start, should litellm's pre-call hook not fire
    extra: dict[str, Any] = {"litellm_call_id": call_id}
    client = _clients.openai_client(kwargs, chat=chat)
    if client is not None:
        extra["client"] = client
    with _wire.watch() as wire:
        try:
            if chat:
                stream = await litellm.acompletion(
                    messages=item.as_messages(), **{**kwargs, **extra}
                )
            else:
                stream = await litellm.atext_completion(
                    prompt=item.as_prompt(), **{**kwargs, **extra}
                )
        finally:
            handed = _sendtime.sent_at(call_id)
        if handed is not None and handed >= sent:
            sent = handed
        parts: list[str] = []
        first = first_wire = math.nan
        usage: Any = None
        last = math.nan
        async for chunk in stream:
            last = time.perf_counter()
            text = _chunk_text(chunk, chat)
            if text:
                if not parts:
                    first, first_wire = last, wire.last_piece
                parts.append(text)
            chunk_usage = getattr(chunk, "usage", None)
            if chunk_usage is not None:
                usage = chunk_usage
    if math.isnan(last):
        raise CallError("the stream ended without sending anything")
    if wire.seen:  # stamped at the transport: the backend's time, not litellm's parsing
        sent, last = wire.sent, wire.last_piece
        if parts:
            first = first_wire
    input_tokens, output_tokens, cached = _usage(usage)
    if usage is None:
        source = ""
    elif wire.seen:
        source = PROVIDER if wire.usage_seen else ESTIMATED
    else:
        source = UNKNOWN
    return CallResult(
        output="".join(parts),
        started_at=started_at,
        latency_s=last - sent,
        ttft_s=first - sent if parts else math.nan,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached if source == PROVIDER else math.nan,
        token_source=source,
    )


async def warm_up(deployment: Deployment, kwargs: Mapping[str, Any]) -> None:
    """One mocked streamed call (no network) so litellm's first-call work is not timed.

    litellm imports and builds much of itself on first use: without this, the first wave of
    requests of a run measures ~0.3 s of client start-up as provider latency.
    """
    litellm = _litellm()
    call = dict(
        model=kwargs["model"],
        api_key="sk-modelbench-warm-up",
        mock_response="warm-up",
        stream=True,
        stream_options={"include_usage": True},
        num_retries=0,
    )
    try:
        if deployment.mode == "completion":
            stream = await litellm.atext_completion(prompt="warm-up", **call)
        else:
            stream = await litellm.acompletion(
                messages=[{"role": "user", "content": "warm-up"}], **call
            )
        async for _chunk in stream:
            pass
    except Exception:  # only a warm-up: the real calls will report any real problem
        return


def utc_now() -> str:
    """Wall-clock UTC in ISO 8601 with milliseconds: ``started_at`` of a row."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@functools.cache
def _litellm() -> Any:
    return import_litellm()


def _chunk_text(chunk: Any, chat: bool) -> str:
    choices = getattr(chunk, "choices", None)
    if not choices:
        return ""
    choice = choices[0]
    if chat:
        delta = getattr(choice, "delta", None)
        content = getattr(delta, "content", None) if delta is not None else None
    else:
        content = getattr(choice, "text", None)
    return content if isinstance(content, str) else ""


def _usage(usage: Any) -> tuple[float, float, float]:
    """(prompt, completion, cached prompt tokens) from litellm's usage; NaN where absent."""
    if usage is None:
        return math.nan, math.nan, math.nan
    details = getattr(usage, "prompt_tokens_details", None)
    return (
        _count(getattr(usage, "prompt_tokens", None)),
        _count(getattr(usage, "completion_tokens", None)),
        _count(getattr(details, "cached_tokens", None)),
    )


def _count(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


_UNKNOWN = "unknown"
_EXACT = "exact"
_PRICES: dict[str, tuple[float, float] | str] = {}
"""litellm model -> (USD per input token, per output token), or how to price it."""


def call_cost(deployment: Deployment, result: CallResult) -> float:
    """The config's price, else litellm's price map, else NaN (never a made-up 0)."""
    cost = deployment.pricing.cost(result.input_tokens, result.output_tokens, result.latency_s)
    if not math.isnan(cost) or deployment.pricing.known:
        return cost
    if math.isnan(result.input_tokens) or math.isnan(result.output_tokens):
        return math.nan
    model = deployment.litellm_model
    price = _PRICES.get(model)
    if price is None:
        price = _PRICES[model] = _map_price(model)
    if isinstance(price, tuple):
        return result.input_tokens * price[0] + result.output_tokens * price[1]
    if price == _UNKNOWN:
        return math.nan
    litellm = import_litellm()
    try:
        prompt_cost, completion_cost = litellm.cost_per_token(
            model=model,
            prompt_tokens=int(result.input_tokens),
            completion_tokens=int(result.output_tokens),
        )
    except Exception:  # litellm raises assorted errors for models it has no price for
        _PRICES[model] = _UNKNOWN
        return math.nan
    return float(prompt_cost) + float(completion_cost)


def _map_price(model: str) -> tuple[float, float] | str:
    """Flat per-token prices from litellm's map when that is all there is to it.

    ``litellm.cost_per_token`` costs ~0.2 ms a call; a flat price needs it only once. Prices
    that depend on the prompt length (``..._above_128k_tokens``, tiers) keep the exact path.
    """
    litellm = import_litellm()
    try:
        info = litellm.get_model_info(model)
    except Exception:
        return _EXACT  # not in the map under this name; cost_per_token may still know it
    if any(("above" in key or "tier" in key) and value for key, value in info.items()):
        return _EXACT
    per_in, per_out = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if isinstance(per_in, int | float) and isinstance(per_out, int | float):
        return float(per_in), float(per_out)
    return _EXACT


def classify(exc: BaseException) -> ErrorInfo:
    """Name, one-line message, and whether to retry (and after how long the provider asked)."""
    name = type(exc).__name__
    message = one_line(str(exc)) or name
    if isinstance(exc, CallError):  # an empty stream: another attempt may get an answer
        return ErrorInfo(name, message, retriable=True)
    if isinstance(exc, ModelbenchError):  # a missing secret, ...: no retry will fix it
        return ErrorInfo(name, message, retriable=False)
    status = getattr(exc, "status_code", None)
    if not isinstance(status, int):
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    if isinstance(exc, TimeoutError | ConnectionError):
        return ErrorInfo(name, message, retriable=True)
    if isinstance(status, int) and 400 <= status < 500 and status not in _RETRIABLE_STATUS:
        return ErrorInfo(name, message, retriable=False)  # 400/401/403/404/422: fix the request
    if name in ("BadRequestError", "AuthenticationError", "NotFoundError", "PermissionDeniedError"):
        return ErrorInfo(name, message, retriable=False)
    rate_limited = status == 429 or name == "RateLimitError"
    # Anything else - 5xx, dropped connections, a malformed body that broke a parser - is
    # worth another attempt; the attempt limit bounds the cost of being wrong.
    return ErrorInfo(
        name,
        message,
        retriable=True,
        rate_limited=rate_limited,
        retry_after=retry_after(exc) if rate_limited or status == 503 else None,
    )


def retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked to wait (``retry-after-ms`` / ``Retry-After``), if it did."""
    for headers in _header_sources(exc):
        lowered = {str(k).lower(): str(v) for k, v in headers.items()}
        if "retry-after-ms" in lowered:
            try:
                return max(0.0, float(lowered["retry-after-ms"]) / 1000)
            except ValueError:
                pass
        if "retry-after" in lowered:
            value = lowered["retry-after"].strip()
            try:
                return max(0.0, float(value))
            except ValueError:
                try:
                    when = email.utils.parsedate_to_datetime(value)
                except (TypeError, ValueError, IndexError):
                    continue
                return max(0.0, when.timestamp() - time.time())
    return None


def _header_sources(exc: BaseException) -> list[Mapping[str, Any]]:
    # litellm keeps provider headers in different places depending on the call path:
    # the chat path on ``litellm_response_headers``, the text path on ``response.headers``.
    out: list[Mapping[str, Any]] = []
    for candidate in (
        getattr(exc, "litellm_response_headers", None),
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "headers", None),
    ):
        if candidate is not None and hasattr(candidate, "items"):
            out.append(candidate)
    return out


def one_line(text: str, limit: int = 300) -> str:
    """Whitespace collapsed to single spaces, cut at ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
