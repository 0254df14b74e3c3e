"""Option types shared by the subcommands: numbers are checked, never clamped.

A bad value is an argparse error: the parser prints it on one line and exits with code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import NoReturn

__all__ = [
    "OneLineParser",
    "at_least_one",
    "csv_list",
    "port_number",
    "positive_seconds",
]


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr (exit 2), like ours."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see '{self.prog} --help')", file=sys.stderr)
        sys.exit(2)


def at_least_one(text: str) -> int:
    """A whole number >= 1 (``--repeats``, ``--concurrency``, ``--max-attempts``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds > 0 (``--timeout``)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text}")
    return value


def port_number(text: str) -> int:
    """``--port``: 0 (pick a free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def csv_list(text: str) -> list[str]:
    """``a,b, c`` -> ["a", "b", "c"]; an empty list is an error."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise argparse.ArgumentTypeError(f"{text!r} names nothing; give comma-separated names")
    return parts
