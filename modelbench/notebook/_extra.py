"""The ``notebook`` extra: ipywidgets and matplotlib load only when a view needs them."""

from __future__ import annotations

import importlib
from types import ModuleType

from modelbench._errors import MissingExtraError

__all__ = ["require"]

_WHAT: dict[str, str] = {
    "ipywidgets": "the dashboard",
    "matplotlib": "the plots",
    "IPython": "the notebook display",
}


def require(module: str) -> ModuleType:
    """Import ``module`` or say which extra brings it (one line, no traceback in the CLI)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        what = _WHAT.get(top, "this view")
        raise MissingExtraError(
            f"{what} needs {top}, which is not installed: "
            "pip install 'modelbench[notebook]' (the notebook extra)"
        ) from exc
