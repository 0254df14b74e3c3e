"""Deterministic "randomness": every draw is a hash of the seed and what it is about."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["prompt_hash", "unit", "words"]

# Short common words: answers look like text and every word is one "token".
_WORDS = """the of and to in is it that was for on are as with his they at be this from have or by
    one had not but what all were when we there can an your which their said if do will each
    about how up out them then she many some so these would other into has more her two like
    him see time could no make than first been its who now people my made over did down only
    way find use may water long little very after words called just where most know"""
_VOCAB: tuple[str, ...] = tuple(_WORDS.split())


def _digest(*parts: object) -> bytes:
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def unit(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by ``parts``."""
    return int.from_bytes(_digest(*parts)[:8], "big") / 2.0**64


def words(count: int, *parts: object) -> list[str]:
    """``count`` vocabulary words fixed by ``parts``."""
    return [
        _VOCAB[int.from_bytes(_digest(*parts, i)[:4], "big") % len(_VOCAB)] for i in range(count)
    ]


def prompt_hash(prompt_or_messages: Any) -> str:
    """The key the fake counts requests by: a chat request's ``messages`` or a ``prompt``.

    Tests use it to read ``SimStats.prompts``; two requests with the same messages (or prompt)
    share a hash whatever their other parameters.
    """
    canonical = json.dumps(
        prompt_or_messages, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
