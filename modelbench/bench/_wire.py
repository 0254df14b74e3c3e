"""Timing at the wire: when a request left and when its response's bytes arrived.

litellm parses every streamed chunk (~0.4 ms each) before handing it on, so a clock read
where modelbench receives chunks runs late by that much per token. :class:`WireTransport`
wraps the httpx transport of the clients modelbench hands litellm (``_clients``) and stamps,
with ``time.perf_counter``, the moment the request is handed to the transport and the moment
each piece of the response body comes out of the socket, before litellm sees it.

Stamps go to the :class:`WireTimes` of the call being made: :func:`watch` puts a fresh one in
a context variable for the duration of one attempt, and the transport reads it in the task
that sends the request and reads the body (litellm does both in the caller's task). Requests
made outside :func:`watch` (anyone else's use of the client) are not touched.

The body is read by a task of its own as the bytes arrive (from the moment the response's
headers are in, whether or not litellm has started to iterate yet), and each piece keeps its arrival
stamp until the parser takes it: ``last_piece`` is the arrival of the bytes the parser is
working on. When modelbench sees the first chunk with text, that is when the bytes carrying
it arrived; at the end of the stream, when the last byte did.

The transport also notes whether the body carried a ``"usage": {...}`` object: on these
OpenAI-style streams that is how a backend reports its token counts; without it, the counts
litellm hands on are its own estimate.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import httpx

__all__ = ["WireTimes", "WireTransport", "watch"]


@dataclass
class WireTimes:
    """``perf_counter`` stamps of one attempt's request at the transport (NaN until seen)."""

    sent: float = math.nan
    """The request was handed to the transport (after litellm and the SDK built it)."""
    first_byte: float = math.nan
    """The first piece of the response body arrived."""
    last_piece: float = math.nan
    """The piece of the body most recently read arrived (at the end: the last byte)."""
    requests: int = 0
    """Requests the transport sent for this attempt (litellm may re-send once)."""
    usage_seen: bool = False
    """The response body carried a usage object (the backend counted the tokens)."""

    @property
    def seen(self) -> bool:
        """True when the transport sent the request and read some of its body."""
        return not (math.isnan(self.sent) or math.isnan(self.last_piece))


_USAGE = re.compile(rb'"usage"\s*:\s*\{')
"""A usage object in a JSON body or event (``"usage": null`` does not count)."""

_CURRENT: ContextVar[WireTimes | None] = ContextVar("modelbench_wire_times", default=None)


@contextlib.contextmanager
def watch() -> Iterator[WireTimes]:
    """Stamp the requests made in this context (this task and what it awaits) into one object."""
    times = WireTimes()
    token = _CURRENT.set(times)
    try:
        yield times
    finally:
        _CURRENT.reset(token)


class WireTransport(httpx.AsyncBaseTransport):
    """An httpx transport that stamps send and arrival times around another transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        times = _CURRENT.get()
        if times is None:
            return await self._inner.handle_async_request(request)
        # A re-send (litellm retries once without parameters a 422 named) starts afresh:
        # the stamps are always those of the request that answered.
        times.first_byte = times.last_piece = math.nan
        times.usage_seen = False
        times.requests += 1
        times.sent = time.perf_counter()
        response = await self._inner.handle_async_request(request)
        stream = response.stream
        if isinstance(stream, httpx.AsyncByteStream):
            timed = _TimedStream(stream, times)
            # Read from the moment the headers are in, not from when litellm starts iterating:
            # the body's bytes are stamped when they arrive even while litellm is still busy
            # building its stream wrapper (tens of ms on a first call).
            timed.start()
            response.stream = timed
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _TimedStream(httpx.AsyncByteStream):
    """A response body read as its bytes arrive, each piece stamped with its arrival.

    One reader task per body drains the transport into a queue while the parser (the SDK,
    then litellm) takes pieces at its own pace: a piece that arrives while the parser is
    busy with the previous one is stamped when it arrived, not when the parser got to it.
    The body may be iterated more than once (the SDK starts a second iteration after the
    first stopped early): every iteration takes from the same queue, so the transport is
    only ever read by the one task.
    """

    def __init__(self, inner: httpx.AsyncByteStream, times: WireTimes) -> None:
        self._inner = inner
        self._times = times
        self._arrived: asyncio.Queue[tuple[float, bytes] | BaseException | None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._tail = b""  # the end of the previous piece: a match may straddle two pieces

    def start(self) -> asyncio.Queue[tuple[float, bytes] | BaseException | None]:
        """Start the reader task (once); the queue every iteration takes pieces from."""
        if self._arrived is None:
            self._arrived = asyncio.Queue()
            self._reader = asyncio.create_task(self._read(self._arrived))
        return self._arrived

    async def __aiter__(self) -> AsyncIterator[bytes]:
        arrived, times = self.start(), self._times
        while True:
            item = await arrived.get()
            if item is None or isinstance(item, BaseException):
                arrived.put_nowait(item)  # the end stays the end for any later iteration
                if item is None:
                    return
                raise item
            stamp, piece = item
            if math.isnan(times.first_byte):
                times.first_byte = stamp
            times.last_piece = stamp
            if not times.usage_seen:
                window = self._tail + piece
                times.usage_seen = _USAGE.search(window) is not None
                self._tail = window[-16:]
            yield piece

    async def _read(
        self, arrived: asyncio.Queue[tuple[float, bytes] | BaseException | None]
    ) -> None:
        try:
            async for piece in self._inner:
                if piece:
                    arrived.put_nowait((time.perf_counter(), piece))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a reset, a read timeout: the parser gets it, as before
            arrived.put_nowait(exc)
        else:
            arrived.put_nowait(None)

    async def aclose(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None and not reader.done():
            reader.cancel()
            await asyncio.wait([reader])  # our own cancellation still propagates
        await self._inner.aclose()
