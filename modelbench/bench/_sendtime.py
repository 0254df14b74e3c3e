"""When litellm handed a request to the HTTP layer: one ``perf_counter`` stamp per call.

litellm spends a few milliseconds of its own CPU between ``acompletion(...)`` and sending
(building the request body, the logging object, the provider config). That is client work,
not provider time, so timers start at litellm's ``pre_call`` instead: the point where the
provider module logs "POST Request Sent" and calls the HTTP client. One ``CustomLogger``,
registered once in ``litellm.input_callback``, stamps ``log_pre_api_call`` - but only for
call ids that :func:`expect` registered, so it does nothing to anyone else's calls, and
concurrent requests never share a stamp (each has its own ``litellm_call_id``).
"""

from __future__ import annotations

import functools
import time
import uuid
from typing import Any

from modelbench._env import import_litellm

__all__ = ["expect", "new_call_id", "sent_at"]

_PENDING: dict[str, float | None] = {}
"""Call id -> perf_counter when litellm last logged the send (None until it does)."""


def new_call_id() -> str:
    """A fresh ``litellm_call_id`` for one attempt."""
    return f"modelbench-{uuid.uuid4()}"


def expect(call_id: str) -> None:
    """Start watching ``call_id``; make sure the hook is (still) registered with litellm."""
    litellm = import_litellm()
    hook = _hook()
    if hook not in litellm.input_callback:  # first use, or something reset litellm's callbacks
        litellm.logging_callback_manager.add_litellm_input_callback(hook)
    _PENDING[call_id] = None


def sent_at(call_id: str) -> float | None:
    """Stop watching ``call_id``: the last send stamp, or None if the hook never fired."""
    return _PENDING.pop(call_id, None)


def _stamp(call_id: object) -> None:
    # Only ids we are waiting for; a re-send inside litellm (it retries once without the
    # parameters a 422 named) overwrites the stamp, so it is always the send that answered.
    if isinstance(call_id, str) and call_id in _PENDING:
        _PENDING[call_id] = time.perf_counter()


@functools.cache
def _hook() -> Any:
    from litellm.integrations.custom_logger import CustomLogger

    class _SendTime(CustomLogger):
        """Stamps the send time of modelbench's own calls; ignores every other call."""

        def log_pre_api_call(self, model: Any, messages: Any, kwargs: Any) -> None:
            if isinstance(kwargs, dict):
                _stamp(kwargs.get("litellm_call_id"))

    return _SendTime()
