"""One public surface: every name a user needs from ``modelbench``; one sort rule for __all__."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import modelbench

PACKAGE = Path(modelbench.__file__).resolve().parent
ROOT = PACKAGE.parent


def _kind(name: str) -> tuple[int, str]:
    """The one order of every ``__all__`` (isort's, ruff RUF022): CONSTANTS, Classes, functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def _all_lists() -> list[tuple[str, list[str]]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.parse(path.read_text("utf-8")).body:
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
                and isinstance(node.value, ast.List | ast.Tuple)
            ):
                names = [ast.literal_eval(e) for e in node.value.elts]
                found.append((str(path.relative_to(ROOT)), names))
    return found


def test_every_all_has_one_order() -> None:
    lists = _all_lists()
    assert len(lists) > 30  # the walk found the package's modules
    unsorted = [where for where, names in lists if names != sorted(names, key=_kind)]
    assert unsorted == []


def test_every_public_name_resolves() -> None:
    for name in modelbench.__all__:
        assert getattr(modelbench, name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "Scorer",
        "Score",
        "RetryPolicy",
        "PairedComparison",
        "Config",
        "ModelConfig",
        "BackendConfig",
        "LoadedConfig",
        "format_summary",
        "html_report",
        "OptionError",
        "OutputError",
        "CallError",
    ],
)
def test_what_users_reach_for_is_public(name: str) -> None:
    assert name in modelbench.__all__


def test_error_classes_share_one_base() -> None:
    errors = [getattr(modelbench, n) for n in modelbench.__all__ if n.endswith("Error")]
    assert len(errors) >= 12
    assert all(issubclass(e, modelbench.ModelbenchError) for e in errors)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NotAThing"):
        modelbench.NotAThing  # type: ignore[attr-defined]  # noqa: B018


def test_import_modelbench_loads_nothing_heavy() -> None:
    code = (
        "import sys, modelbench\n"
        "heavy = ['litellm', 'pandas', 'numpy', 'aiohttp', 'ipywidgets', 'ray']\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _imports_of(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
        elif isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
    return modules


def test_commands_use_public_names_only() -> None:
    """The CLI is a user of the layers: no private module (``_x``) of another package."""
    private = {
        f"{path.name}: {module}"
        for path in sorted((PACKAGE / "commands").glob("*.py"))
        for module in _imports_of(path)
        if module.startswith("modelbench")
        and not module.startswith("modelbench.commands")
        and any(part.startswith("_") for part in module.split("."))
    }
    assert private == set()


@pytest.mark.parametrize("folder", ["doc", "benchmarks"])
def test_docs_and_benchmarks_import_from_modelbench(folder: str) -> None:
    """Docs and benchmarks show the public surface; reaching inside says so in a comment."""
    offenders = []
    for path in sorted((ROOT / folder).rglob("*")):
        if path.suffix not in (".md", ".py"):
            continue
        lines = path.read_text("utf-8").splitlines()
        for i, line in enumerate(lines):
            stripped = line.strip()
            if not stripped.startswith(("from modelbench.", "import modelbench.")):
                continue
            above = lines[max(0, i - 3) : i]
            if not any("nternal" in a for a in above) and "nternal" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{i + 1}: {stripped}")
    assert offenders == []


def test_notebooks_import_from_modelbench() -> None:
    """Notebooks use the public surface (and the notebook layer and CLI, which are public)."""
    import json

    allowed = ("from modelbench import", "from modelbench.notebook import", "from modelbench.cli ")
    offenders = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text("utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            for line in "".join(cell["source"]).splitlines():
                stripped = line.strip()
                if stripped.startswith(("from modelbench", "import modelbench.")) and not (
                    stripped.startswith(allowed)
                ):
                    offenders.append(f"{path.name}: {stripped}")
    assert offenders == []

