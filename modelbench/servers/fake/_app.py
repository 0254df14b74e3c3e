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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from modelbench._errors import ServerError
from modelbench.servers.fake._draw import prompt_hash
from modelbench.servers.fake._profile import Profile, content_text, last_user_text
from modelbench.servers.fake._state import Call, Sim

__all__ = ["HOST", "build_app", "serve"]

HOST = "127.0.0.1"
_SIM = web.AppKey("sim", Sim)
_INVALID = "invalid_request_error"


def _error(status: int, message: str, kind: str, code: str | None, **headers: str) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


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


async def _parse(request: web.Request, sim: Sim, kind: str) -> Call | web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _error(400, "The request body is not valid JSON.", _INVALID, None)
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return _error(400, "A 'model' string is required.", _INVALID, None)
    model: str = body["model"]
    spec = sim.profile.model(model)
    if spec is None:
        sim.outcomes[model]["not_found"] += 1
        served = ", ".join(sim.profile.models)
        message = f"The model '{model}' does not exist; this fake provider serves: {served}."
        return _error(404, message, _INVALID, "model_not_found")
    if kind == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' must be a non-empty list.", _INVALID, None)
        key: Any = messages
        match_text = last_user_text(messages)
        all_text = " ".join(content_text(m.get("content")) for m in messages if isinstance(m, dict))
    else:
        prompt = body.get("prompt")
        if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
            prompt = prompt[0]
        if not isinstance(prompt, str):
            return _error(400, "'prompt' must be a string.", _INVALID, None)
        key = match_text = all_text = prompt
    phash = prompt_hash(key)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    stream = bool(body.get("stream"))
    options = body.get("stream_options") or {}
    return Call(
        kind=kind,
        model=model,
        spec=spec,
        phash=phash,
        match_text=match_text,
        prompt_tokens=max(1, len(all_text.split())),
        stream=stream,
        include_usage=stream and isinstance(options, dict) and bool(options.get("include_usage")),
        max_tokens=limit if isinstance(limit, int) and limit > 0 else None,
        attempt=sim.count(model, phash),
    )


async def _fault(
    request: web.Request, call: Call, fault: str, trace: dict[str, str]
) -> web.Response:
    """The response for a fault that replaces the answer (all but malformed and cut_stream)."""
    spec = call.spec
    if fault == "429":
        after = spec.retry_after_s
        headers = {
            "Retry-After": f"{after:g}",
            "retry-after-ms": str(round(after * 1000)),
            "x-ratelimit-remaining-requests": "0",
        }
        message = f"Rate limit reached for {call.model} (simulated). Retry after {after:g}s."
        return _error(429, message, "requests", "rate_limit_exceeded", **headers, **trace)
    if fault == "500":
        message = "The server had an error while processing your request (simulated)."
        return _error(500, message, "server_error", None, **trace)
    if fault == "503":
        message = "The engine is currently overloaded, please try again later (simulated)."
        return _error(503, message, "server_error", "service_unavailable", **trace)
    if fault == "timeout":
        await asyncio.sleep(spec.hang_s)  # cancelled when the client gives up
        return _error(504, "The simulated hang ended.", "server_error", "timeout", **trace)
    _drop_connection(request, reset=True)
    return web.Response(status=500)  # never reaches the client


@dataclass(frozen=True)
class _Answer:
    """Everything a successful (or malformed / cut) answer sends, and when."""

    call: Call
    tokens: list[str]
    finish: str
    first: float  # loop time of the first token
    step: float  # seconds between tokens

    @property
    def ident(self) -> str:
        prefix = "chatcmpl" if self.call.kind == "chat" else "cmpl"
        return f"{prefix}-{self.call.phash}-{self.call.attempt}"

    def usage(self) -> dict[str, int]:
        prompt, completion = self.call.prompt_tokens, len(self.tokens)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def head(self, obj: str) -> dict[str, Any]:
        return {
            "id": self.ident,
            "object": obj,
            "created": int(time.time()),
            "model": self.call.model,
        }

    def body(self) -> bytes:
        text = "".join(self.tokens)
        if self.call.kind == "chat":
            message = {"role": "assistant", "content": text}
            choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": self.finish}
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text, "logprobs": None, "finish_reason": self.finish}
            obj = "text_completion"
        return json.dumps({**self.head(obj), "choices": [choice], "usage": self.usage()}).encode()

    def events(self) -> list[tuple[float | None, bytes]]:
        """Server-sent events as ``(deadline or None for right away, bytes)``."""
        chat = self.call.kind == "chat"
        head = self.head("chat.completion.chunk" if chat else "text_completion")

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            return b"data: " + json.dumps({**head, "choices": choices, **extra}).encode() + b"\n\n"

        def choice(text: str | None, role: bool, reason: str | None) -> dict[str, Any]:
            if not chat:
                return {"index": 0, "text": text or "", "logprobs": None, "finish_reason": reason}
            delta: dict[str, Any] = {} if text is None else {"content": text}
            if role:  # rides on the first token, so the first chunk a client sees has text
                delta["role"] = "assistant"
            return {"index": 0, "delta": delta, "finish_reason": reason}

        out: list[tuple[float | None, bytes]] = [
            (self.first + self.step * i, event([choice(token, i == 0, None)]))
            for i, token in enumerate(self.tokens)
        ]
        out.append((None, event([choice(None, False, self.finish)])))
        if self.call.include_usage and self.call.spec.stream_usage:
            out.append((None, event([], usage=self.usage())))
        out.append((None, b"data: [DONE]\n\n"))
        return out


def _handler(kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        t0 = asyncio.get_running_loop().time()
        sim = request.app[_SIM]
        call = await _parse(request, sim, kind)
        if isinstance(call, web.Response):
            return call
        fault = sim.fault(call)
        sim.outcomes[call.model][fault or "ok"] += 1
        trace = {"x-fake-outcome": fault or "ok", "x-fake-attempt": str(call.attempt)}
        start = t0 + call.spec.latency_s + sim.jitter(call)
        if fault not in (None, "malformed", "cut_stream"):
            await sim.sleep_until(start)
            return await _fault(request, call, fault, trace)

        # Everything is encoded before the deadlines, so each one only costs a write.
        tokens, finish = sim.tokens(call), "stop"
        if call.max_tokens is not None and call.max_tokens < len(tokens):
            tokens, finish = tokens[: call.max_tokens], "length"
        step = 0.0 if call.spec.tokens_per_s is None else 1.0 / call.spec.tokens_per_s
        answer = _Answer(call, tokens, finish, start + call.spec.ttft_s, step)
        if not call.stream:
            if fault == "malformed":
                body = b'{"id": "' + answer.ident.encode() + b'", "choices": [{"mess'
            else:
                body = answer.body()
            await sim.sleep_until(answer.first + step * (len(tokens) - 1))
            return web.Response(body=body, content_type="application/json", headers=trace)

        events = answer.events()
        if fault == "malformed":
            bad = b'data: {"id": "' + answer.ident.encode() + b'", "choices": [{\n\n'
            events = [(answer.first, bad), (None, b"data: [DONE]\n\n")]
        cut_at = max(1, len(tokens) // 2) if fault == "cut_stream" else None
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **trace}
        )
        await sim.sleep_until(start)
        await response.prepare(request)
        for i, (deadline, data) in enumerate(events):
            if i == cut_at:
                _drop_connection(request, reset=False)
                return response
            if deadline is not None:
                await sim.sleep_until(deadline)
            await response.write(data)
        await response.write_eof()
        return response

    return handle


async def _models(request: web.Request) -> web.Response:
    sim = request.app[_SIM]
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "modelbench-fake"}
        for name in sim.profile.models
    ]
    return web.json_response({"object": "list", "data": data})


async def _stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[_SIM].stats())


async def _reset(request: web.Request) -> web.Response:
    request.app[_SIM].reset()
    return web.json_response({"ok": True})


def build_app(profile: Profile, seed: int = 0) -> web.Application:
    """The aiohttp application (served under both ``/v1/...`` and ``/...``)."""
    app = web.Application()
    app[_SIM] = Sim(profile, seed)
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
    except OverflowError:
        sock.close()
        raise ServerError(f"port {port} is not a port number (0-65535)") from None
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
