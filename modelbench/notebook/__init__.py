"""The notebook layer (top of the stack: nothing else imports it).

``dashboard`` (ipywidgets), ``plots`` (matplotlib figures), ``compare`` (run + dashboard) and
``summary_table`` (a readable summary). ipywidgets and matplotlib load only when a view is
built; without them, a ``MissingExtraError`` names the ``notebook`` extra.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Dashboard", "SummaryTable", "compare", "dashboard", "summary_table"]

_LAZY: dict[str, str] = {
    "Dashboard": "modelbench.notebook.dashboard",
    "dashboard": "modelbench.notebook.dashboard",
    "compare": "modelbench.notebook.compare",
    "SummaryTable": "modelbench.notebook.table",
    "summary_table": "modelbench.notebook.table",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelbench.notebook' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
