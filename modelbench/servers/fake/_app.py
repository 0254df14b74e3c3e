"""The fake provider's aiohttp application: OpenAI-compatible endpoints with injected faults.

Timeline of one request, measured from when its handler starts (``t0``)::

    t0 + latency_s + jitter          response headers, or the fault (429/500/503/reset/...)
    ... + ttft_s                     first token
    ... + i / tokens_per_s           token i; a non-streaming body is sent with the last token

Every delay sleeps until an absolute deadline on the loop's monotonic clock, so the error
does not accumulate across tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import socket
import struct
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from modelbench._errors import ServerError
from modelbench.servers.fake._draw import prompt_hash, unit, words
from modelbench.servers.fake._profile import (
    DatasetRow,
    ModelProfile,
    Profile,
    content_text,
    last_user_text,
)

__all__ = ["HOST", "build_app", "serve"]

HOST = "127.0.0.1"
_SIM_KEY = web.AppKey("sim", "_Sim")


@dataclass(frozen=True)
class _Call:
    """One parsed generation request."""

    kind: str  # "chat" or "text"
    model: str
    spec: ModelProfile
    phash: str
    match_text: str
    prompt_tokens: int
    stream: bool
    include_usage: bool
    max_tokens: int | None
    attempt: int  # 1 for the first time this (model, prompt) was seen


class _Sim:
    """The server's state: profile, seed and the request counters behind ``/_sim/stats``."""

    def __init__(self, profile: Profile, seed: int) -> None:
        self.profile = profile
        self.seed = seed
        self.rows: dict[str, DatasetRow] = {row.key(): row for row in profile.rows()}
        self.reset()

    def reset(self) -> None:
        self.prompts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def count(self, model: str, phash: str) -> int:
        self.prompts[model][phash] += 1
        return self.prompts[model][phash]

    def stats(self) -> dict[str, Any]:
        models = {
            model: {
                "requests": sum(self.outcomes[model].values()),
                "outcomes": dict(self.outcomes[model]),
                "prompts": dict(self.prompts.get(model, {})),
            }
            for model in sorted(self.outcomes)
        }
        return {"total": sum(m["requests"] for m in models.values()), "models": models}

    def fault(self, call: _Call) -> str | None:
        draw = unit(self.seed, call.model, call.phash, call.attempt, "fault")
        edge = 0.0
        for kind, rate in call.spec.fault_rates().items():
            edge += rate
            if draw < edge:
                return "reset" if kind == "cut_stream" and not call.stream else kind
        return None

    def tokens(self, call: _Call) -> list[str]:
        """The answer, one word per token: a dataset row's ``expected`` or hashed words."""
        row = self.rows.get(call.match_text.strip())
        if row is None:
            chosen = words(call.spec.output_tokens, self.seed, call.model, call.phash)
        else:
            expected = row.answer()
            if unit(self.seed, call.model, row.id, "accuracy") < call.spec.accuracy:
                chosen = expected.split() or [expected]
            else:
                chosen = _wrong(expected, self.seed, call.model, row.id)
        return [w if i == 0 else " " + w for i, w in enumerate(chosen)]


def _wrong(expected: str, *parts: object) -> list[str]:
    """A short answer that does not contain ``expected``."""
    size = max(1, len(expected.split()))
    for attempt in range(20):
        candidate = words(size, *parts, "wrong", attempt)
        if expected.strip().lower() not in " ".join(candidate).lower():
            return candidate
    return ["(no", "answer)"]


def _error(status: int, message: str, kind: str, code: str | None, **headers: str) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


async def _sleep_until(deadline: float) -> None:
    delay = deadline - asyncio.get_running_loop().time()
    if delay > 0:
        await asyncio.sleep(delay)


def _drop_connection(request: web.Request, *, reset: bool) -> None:
    """Close the client's connection now: a TCP RST when ``reset``, else a FIN."""
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()


def _count_words(text: str) -> int:
    return len(text.split())


async def _parse(request: web.Request, kind: str) -> _Call | web.Response:
    sim = request.app[_SIM_KEY]
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "The request body is not valid JSON.", "invalid_request_error", None)
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return _error(400, "A 'model' string is required.", "invalid_request_error", None)
    model: str = body["model"]
    spec = sim.profile.model(model)
    if spec is None:
        sim.outcomes[model]["not_found"] += 1
        served = ", ".join(sim.profile.models)
        return _error(
            404,
            f"The model '{model}' does not exist; this fake provider serves: {served}.",
            "invalid_request_error",
            "model_not_found",
        )
    if kind == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(
                400, "'messages' must be a non-empty list.", "invalid_request_error", None
            )
        key: Any = messages
        match_text = last_user_text(messages)
        all_text = " ".join(content_text(m.get("content")) for m in messages if isinstance(m, dict))
    else:
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            return _error(400, "'prompt' must be a string.", "invalid_request_error", None)
        key = match_text = all_text = prompt
    phash = prompt_hash(key)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    stream = bool(body.get("stream"))
    options = body.get("stream_options") or {}
    return _Call(
        kind=kind,
        model=model,
        spec=spec,
        phash=phash,
        match_text=match_text,
        prompt_tokens=max(1, _count_words(all_text)),
        stream=stream,
        include_usage=stream and isinstance(options, dict) and bool(options.get("include_usage")),
        max_tokens=limit if isinstance(limit, int) and limit > 0 else None,
        attempt=sim.count(model, phash),
    )


def _handler(kind: str) -> Callable[[web.Request], Any]:
    async def handle(request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        call = await _parse(request, kind)
        if isinstance(call, web.Response):
            return call
        sim = request.app[_SIM_KEY]
        spec = call.spec
        fault = sim.fault(call)
        sim.outcomes[call.model][fault or "ok"] += 1
        jitter = unit(sim.seed, call.model, call.phash, call.attempt, "jitter") * spec.jitter_s
        start = t0 + spec.latency_s + jitter
        trace = {"x-fake-outcome": fault or "ok", "x-fake-attempt": str(call.attempt)}
        await _sleep_until(start)

        if fault == "429":
            after = spec.retry_after_s
            return _error(
                429,
                f"Rate limit reached for {call.model} (simulated). Retry after {after:g}s.",
                "requests",
                "rate_limit_exceeded",
                **{
                    "Retry-After": f"{after:g}",
                    "retry-after-ms": str(round(after * 1000)),
                    "x-ratelimit-remaining-requests": "0",
                },
                **trace,
            )
        if fault == "500":
            msg = "The server had an error while processing your request (simulated)."
            return _error(500, msg, "server_error", None, **trace)
        if fault == "503":
            msg = "The engine is currently overloaded, please try again later (simulated)."
            return _error(503, msg, "server_error", "service_unavailable", **trace)
        if fault == "timeout":
            await asyncio.sleep(spec.hang_s)
            return _error(504, "The simulated hang ended.", "server_error", "timeout", **trace)
        if fault == "reset":
            _drop_connection(request, reset=True)
            return web.Response(status=500)  # never reaches the client

        tokens = sim.tokens(call)
        finish = "stop"
        if call.max_tokens is not None and call.max_tokens < len(tokens):
            tokens, finish = tokens[: call.max_tokens], "length"
        step = 0.0 if spec.tokens_per_s is None else 1.0 / spec.tokens_per_s
        first = start + spec.ttft_s
        usage = {
            "prompt_tokens": call.prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": call.prompt_tokens + len(tokens),
        }
        ident = f"{'chatcmpl' if kind == 'chat' else 'cmpl'}-{call.phash}-{call.attempt}"
        head = {"id": ident, "created": int(time.time()), "model": call.model}

        if not call.stream:
            if fault == "malformed":
                await _sleep_until(first)
                return web.Response(
                    status=200,
                    text='{"id": "' + ident + '", "choices": [{"mess',
                    content_type="application/json",
                    headers=trace,
                )
            await _sleep_until(first + step * (len(tokens) - 1))
            text = "".join(tokens)
            if kind == "chat":
                choice: dict[str, Any] = {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": finish,
                }
                obj = "chat.completion"
            else:
                choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}
                obj = "text_completion"
            body = {**head, "object": obj, "choices": [choice], "usage": usage}
            return web.json_response(body, headers=trace)

        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **trace}
        )
        await response.prepare(request)
        obj = "chat.completion.chunk" if kind == "chat" else "text_completion"

        async def send(choices: list[dict[str, Any]], **extra: Any) -> None:
            event = {**head, "object": obj, "choices": choices, **extra}
            await response.write(b"data: " + json.dumps(event).encode() + b"\n\n")

        def choice_for(text: str | None, i: int, reason: str | None) -> dict[str, Any]:
            if kind == "text":
                return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": reason}
            delta: dict[str, Any] = {} if text is None else {"content": text}
            if i == 0:
                delta["role"] = "assistant"
            return {"index": 0, "delta": delta, "finish_reason": reason}

        if fault == "malformed":
            await _sleep_until(first)
            await response.write(b'data: {"id": "' + ident.encode() + b'", "choices": [{\n\n')
            await response.write(b"data: [DONE]\n\n")
            return response
        cut_at = max(1, len(tokens) // 2) if fault == "cut_stream" else None
        for i, token in enumerate(tokens):
            if i == cut_at:
                _drop_connection(request, reset=False)
                return response
            await _sleep_until(first + step * i)
            await send([choice_for(token, i, None)])
        await send([choice_for(None, len(tokens), finish)])
        if call.include_usage:
            await send([], usage=usage)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    return handle


async def _models(request: web.Request) -> web.Response:
    sim = request.app[_SIM_KEY]
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "modelbench-fake"}
        for name in sim.profile.models
    ]
    return web.json_response({"object": "list", "data": data})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[_SIM_KEY].stats())


async def _reset(request: web.Request) -> web.Response:
    request.app[_SIM_KEY].reset()
    return web.json_response({"ok": True})


def build_app(profile: Profile, seed: int = 0) -> web.Application:
    """The aiohttp application (served under both ``/v1/...`` and ``/...``)."""
    app = web.Application()
    app[_SIM_KEY] = _Sim(profile, seed)
    chat, text = _handler("chat"), _handler("text")
    for prefix in ("/v1", ""):
        app.router.add_post(f"{prefix}/chat/completions", chat)
        app.router.add_post(f"{prefix}/completions", text)
        app.router.add_get(f"{prefix}/models", _models)
    app.router.add_get("/_sim/stats", _stats)
    app.router.add_post("/_sim/reset", _reset)
    return app


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        reason = (
            "is already in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror})"
        )
        raise ServerError(
            f"port {port} on {HOST} {reason}; "
            "choose another port or leave it out to pick a free one"
        ) from None
    sock.listen(512)
    return sock


async def _serve(
    profile: Profile,
    seed: int,
    port: int,
    on_ready: Callable[[str], None],
    parent_pid: int | None,
) -> None:
    sock = _bind(port)
    runner = web.AppRunner(build_app(profile, seed), handler_cancellation=True, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        on_ready(f"http://{HOST}:{sock.getsockname()[1]}/v1")
        while parent_pid is None or os.getppid() == parent_pid:
            await asyncio.sleep(0.5)  # stop with a parent that died without stopping us
    finally:
        await runner.cleanup()


def serve(
    profile: Profile,
    *,
    seed: int = 0,
    port: int = 0,
    on_ready: Callable[[str], None] = print,
    parent_pid: int | None = None,
) -> None:
    """Serve in the foreground until interrupted; ``on_ready(api_base)`` once listening.

    ``port=0`` picks a free port. With ``parent_pid``, exit when that process goes away.
    """
    for name in ("aiohttp.access", "aiohttp.server", "aiohttp.web"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    asyncio.run(_serve(profile, seed, port, on_ready, parent_pid))
