"""Run a coroutine to completion from sync code, also inside a running loop (Jupyter)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(make())``; when this thread already runs a loop, in a worker thread.

    A notebook's loop is busy running the cell, so the coroutine gets its own loop in a
    thread and this call blocks until it ends. Ctrl-C (interrupting the kernel) cancels it
    there, waits for it to stop cleanly, and raises KeyboardInterrupt here.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())

    box: dict[str, Any] = {}
    started, done = threading.Event(), threading.Event()

    def target() -> None:
        loop = asyncio.new_event_loop()
        try:
            box["loop"] = loop
            box["task"] = loop.create_task(make())
            started.set()
            box["result"] = loop.run_until_complete(box["task"])
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            started.set()
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                done.set()

    # Wait on an Event, not Thread.join: a KeyboardInterrupt inside join() makes CPython 3.11
    # mark a live thread as stopped (bpo-45274), and a later join() would not wait for it.
    thread = threading.Thread(target=target, name="modelbench-run", daemon=True)
    try:
        thread.start()  # inside the try: Ctrl-C right after the start must cancel it too
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        if thread.ident is None:  # interrupted before the thread started: nothing runs
            raise
        started.wait()
        task, loop = box.get("task"), box.get("loop")
        if task is not None and loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: it is over
                loop.call_soon_threadsafe(task.cancel)
        done.wait()
        raise
    if "error" in box:
        error: BaseException = box["error"]
        if isinstance(error, asyncio.CancelledError):
            raise KeyboardInterrupt from None
        raise error
    result: T = box["result"]
    return result
