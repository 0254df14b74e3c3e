"""notebooks/ run top to bottom with no key (local model + fake provider), and are committed
without outputs. One local model server serves every notebook (MODELBENCH_LOCAL_API_BASE)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_committed_without_outputs() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01-quickstart.ipynb",
        "02-compare-backends.ipynb",
        "03-routing-policies.ipynb",
        "04-batch-evaluation.ipynb",
    ]
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text("utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


@pytest.fixture(scope="module")
def local_api_base() -> Iterator[str]:
    """One local model server for the module (the notebooks' `tiny`)."""
    pytest.importorskip("llama_cpp", reason="needs the extra: pip install 'modelbench[local]'")
    from modelbench.servers.local import LocalServer, local_model_path

    with LocalServer(model_path=local_model_path()) as server:
        yield server.api_base


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(
    source: Path, local_api_base: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("MODELBENCH_LOCAL_API_BASE", local_api_base)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    for name in ("notebooks", "examples", "data"):  # a copy: notebooks write files beside them
        shutil.copytree(ROOT / name, tmp_path / name)
    path = tmp_path / "notebooks" / source.name
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "error"
    ]
    assert errors == []
    shown = "".join(json.dumps(cell.get("outputs", [])) for cell in nb.cells)
    assert "Traceback" not in shown
