"""Numbers for people: dollars and seconds without exponents (``$0.0000278``, not ``2.78e-05``)."""

from __future__ import annotations

import math

__all__ = ["seconds", "usd"]


def usd(value: float, *, digits: int = 3) -> str:
    """``$1,234.50``, ``$0.15``, ``$0.0000278``: cents for a dollar or more, else ``digits``
    significant digits; ``?`` when unknown (NaN)."""
    if not math.isfinite(value):
        return "?"
    if value == 0:
        return "$0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1:
        return f"{sign}${value:,.2f}"
    decimals = max(2, digits - 1 - math.floor(math.log10(value)))
    text = f"{value:.{decimals}f}"
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{sign}${whole}.{frac}"


def seconds(value: float) -> str:
    """``850ms`` below a second, ``2.35s`` above; ``-`` when unknown."""
    if not math.isfinite(value):
        return "-"
    return f"{value * 1000:.0f}ms" if value < 1 else f"{value:.2f}s"
