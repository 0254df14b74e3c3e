"""The provider table is litellm's own answer, and it keeps litellm out of `validate`."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from modelbench import _litellm_providers as table
from modelbench.providers import known_providers, provider_env, render_table

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "litellm changed: run `python -m modelbench.providers` and commit the table"


def test_the_table_is_what_the_installed_litellm_says() -> None:
    assert version("litellm") == table.LITELLM_VERSION, REGENERATE
    assert Path(table.__file__).read_text("utf-8") == render_table(), REGENERATE


def test_the_table_answers_the_usual_providers() -> None:
    assert {"openai", "anthropic", "azure", "local"} <= known_providers()
    assert provider_env("openai") == ("OPENAI_API_KEY",)
    assert provider_env("no-such-provider") == ()


def test_validate_and_models_do_not_import_litellm() -> None:
    code = (
        "import sys\nfrom modelbench.cli import main\n"
        "for cmd in ('validate', 'models'):\n"
        "    assert main([cmd, 'examples/model_config_example.yaml']) == 0\n"
        "print('litellm' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr
