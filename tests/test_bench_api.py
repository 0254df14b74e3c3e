"""The public surface of ``modelbench.bench``: every name importable, litellm not imported."""

from __future__ import annotations

import subprocess
import sys

import modelbench.bench as bench


def test_every_name_resolves() -> None:
    for name in bench.__all__:
        assert getattr(bench, name) is not None


def test_importing_bench_does_not_import_litellm() -> None:
    code = "import sys, modelbench.bench; print('litellm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
