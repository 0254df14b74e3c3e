"""Timing at the wire: the transport stamps arrivals, whatever pace the parser reads at."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from modelbench.bench import _wire
from modelbench.bench._wire import WireTransport, watch


class _Paced(httpx.AsyncByteStream):
    """Body pieces sent at fixed offsets from the request, then an optional fault."""

    def __init__(self, pieces: list[tuple[float, bytes]], fault: Exception | None = None) -> None:
        self.pieces = pieces
        self.fault = fault
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        start = time.perf_counter()
        for at, piece in self.pieces:
            await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
            yield piece
        if self.fault is not None:
            raise self.fault

    async def aclose(self) -> None:
        self.closed = True


class _Backend(httpx.AsyncBaseTransport):
    def __init__(self, **kwargs: object) -> None:
        self.kwargs = kwargs
        self.streams: list[_Paced] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        stream = _Paced(**self.kwargs)  # type: ignore[arg-type]
        self.streams.append(stream)
        return httpx.Response(200, stream=stream, request=request)


async def _read(client: httpx.AsyncClient, parse_s: float) -> tuple[list[bytes], float]:
    """Read the body like a slow parser: ``parse_s`` of work after every piece."""
    sent = time.perf_counter()
    pieces = []
    async with client.stream("POST", "http://backend/v1/x") as response:
        async for piece in response.aiter_raw():
            pieces.append(piece)
            await asyncio.sleep(parse_s)
    return pieces, time.perf_counter() - sent


def test_arrivals_are_stamped_when_the_bytes_come_not_when_the_parser_gets_to_them() -> None:
    pieces = [(0.05, b"data: a\n\n"), (0.10, b"data: b\n\n"), (0.15, b"data: [DONE]\n\n")]
    backend = _Backend(pieces=pieces)

    async def main() -> tuple[_wire.WireTimes, list[bytes], float]:
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            with watch() as times:
                got, parser_s = await _read(client, parse_s=0.2)  # slower than the backend
        return times, got, parser_s

    times, got, parser_s = asyncio.run(main())
    assert got == [p for _, p in pieces]  # the same bytes, in order
    assert times.seen and times.requests == 1
    assert 0.04 < times.first_byte - times.sent < 0.1
    latency = times.last_piece - times.sent
    assert 0.14 < latency < 0.3  # the backend's 150 ms, give or take a busy machine
    assert parser_s > 0.6  # while the parser took 3 x 200 ms to get through them
    assert backend.streams[0].closed


def test_first_content_stamp_is_the_arrival_of_the_piece_being_parsed() -> None:
    backend = _Backend(pieces=[(0.02, b"one"), (0.12, b"two")])

    async def main() -> list[float]:
        seen = []
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            with watch() as times:
                async with client.stream("GET", "http://backend/") as response:
                    async for _piece in response.aiter_raw():
                        seen.append(times.last_piece - times.sent)
                        await asyncio.sleep(0.15)  # the second piece arrives meanwhile
        return seen

    first, second = asyncio.run(main())
    assert 0.01 < first < 0.08  # not the arrival of "two", which came in while we parsed "one"
    assert 0.11 < second < 0.2


def test_requests_outside_watch_are_left_alone() -> None:
    backend = _Backend(pieces=[(0.0, b"x")])

    async def main() -> tuple[bytes, object]:
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            response = await client.get("http://backend/")
            return response.content, response.stream

    content, stream = asyncio.run(main())
    assert content == b"x"
    assert not isinstance(stream, _wire._TimedStream)


def test_a_fault_mid_stream_reaches_the_parser_as_the_same_exception() -> None:
    backend = _Backend(pieces=[(0.0, b"data: a\n\n")], fault=httpx.ReadError("connection reset"))

    async def main() -> list[bytes]:
        got: list[bytes] = []
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            with watch():
                async with client.stream("GET", "http://backend/") as response:
                    async for piece in response.aiter_raw():
                        got.append(piece)
        return got

    with pytest.raises(httpx.ReadError, match="connection reset"):
        asyncio.run(main())


def test_closing_early_stops_the_reader_and_closes_the_body() -> None:
    backend = _Backend(pieces=[(0.0, b"a"), (5.0, b"never")])

    async def main() -> float:
        start = time.perf_counter()
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            with watch():
                async with client.stream("GET", "http://backend/") as response:
                    async for _piece in response.aiter_raw():
                        break
        return time.perf_counter() - start

    assert asyncio.run(main()) < 2.0
    assert backend.streams[0].closed


@pytest.mark.parametrize(
    ("pieces", "seen"),
    [
        ([b'data: {"choices": [], "usage": {"prompt_tokens": 3}}\n\n'], True),
        ([b'data: {"choices": [], "usage":{"prompt_tokens": 3}}\n\n'], True),
        ([b'data: {"choices": [], "us', b'age":  {"prompt_tokens": 3}}\n\n'], True),
        ([b'data: {"choices": [{"text": "x"}], "usage": null}\n\n', b"data: [DONE]\n\n"], False),
        ([b'data: {"choices": [{"text": "usage: {"}]}\n\n'], False),
    ],
)
def test_usage_object_in_the_body_is_noticed(pieces: list[bytes], seen: bool) -> None:
    backend = _Backend(pieces=[(0.0, p) for p in pieces])

    async def main() -> bool:
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            with watch() as times:
                await _read(client, parse_s=0)
        return times.usage_seen

    assert asyncio.run(main()) is seen


def test_a_resend_starts_the_stamps_afresh() -> None:
    backend = _Backend(pieces=[(0.0, b'{"usage": {}}')])

    async def main() -> tuple[_wire.WireTimes, float]:
        async with httpx.AsyncClient(transport=WireTransport(backend)) as client:
            with watch() as times:
                await _read(client, parse_s=0)
                first_sent = times.sent
                await asyncio.sleep(0.05)
                backend.kwargs = {"pieces": [(0.0, b"{}")]}
                await _read(client, parse_s=0)
        return times, first_sent

    times, first_sent = asyncio.run(main())
    assert times.requests == 2
    assert times.sent > first_sent + 0.04
    assert not times.usage_seen  # the answer that counts had none
    assert not math.isnan(times.last_piece) and times.last_piece >= times.sent
