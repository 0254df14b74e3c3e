"""The public surface of ``modelbench.bench``: one sorted list, every name importable."""

from __future__ import annotations

import subprocess
import sys

import modelbench.bench as bench


def _kind(name: str) -> tuple[int, str]:
    """isort's order (ruff RUF022): CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_resolves() -> None:
    assert bench.__all__ == sorted(bench.__all__, key=_kind)
    for name in bench.__all__:
        assert getattr(bench, name) is not None


def test_importing_bench_does_not_import_litellm() -> None:
    code = "import sys, modelbench.bench; print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
