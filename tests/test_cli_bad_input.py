"""Every subcommand x bad inputs: exit 2, one line on stderr, no traceback, no results file changed.

To cover a new subcommand, add its cases to ``CASES``: an id and the argv, written with the
placeholders of ``Workspace.fill`` ({config}, {dataset}, {results}, {missing}, {folder}, ...).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelbench.cli import main

GOOD_CONFIG = (
    "models:\n"
    "  m: fake/m\n"
    "backends:\n"
    "  fake:\n"
    "    provider: openai\n"
    "    api_base: http://127.0.0.1:9/v1\n"  # never called: every case fails before a call
    "    api_key: ${MB_BAD_INPUT_KEY}\n"
)
ROW = {
    "run_id": "r",
    "prompt_id": "q1",
    "category": "",
    "model": "m",
    "backend": "fake/m",
    "repeat": 0,
    "started_at": "2025-01-01T00:00:00Z",
    "output": "4",
    "error_type": "",
    "error": "",
}
LITELLM_FILE = "model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n"


@dataclass
class Workspace:
    root: Path

    def fill(self, arg: str) -> str:
        r = self.root
        return arg.format(
            config=r / "config.yaml",
            dataset=r / "data.jsonl",
            results=r / "results.jsonl",
            litellm=r / "litellm.yaml",
            missing=r / "nope.yaml",
            folder=r / "folder",
            under_file=r / "config.yaml" / "x",  # a path through a file: fails for root too
            latin1=r / "latin1.txt",
            malformed_yaml=r / "malformed.yaml",
            malformed_jsonl=r / "malformed.jsonl",
            unreadable=r / "unreadable.yaml",
            a_file=r / "plain.txt",
            unknown_backend=r / "unknown.yaml",
            latin1_jsonl=r / "latin1.jsonl",
        )


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("MB_BAD_INPUT_KEY", "sk-test")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text(GOOD_CONFIG)
    (tmp_path / "data.jsonl").write_text(json.dumps({"id": "q1", "prompt": "2+2?"}) + "\n")
    (tmp_path / "results.jsonl").write_text(json.dumps(ROW) + "\n")
    (tmp_path / "litellm.yaml").write_text(LITELLM_FILE)
    (tmp_path / "folder").mkdir()
    (tmp_path / "latin1.txt").write_bytes(b"models:\n  m: fake/m\n  caf\xe9: fake/m\n")
    (tmp_path / "malformed.yaml").write_text("models: [unclosed\n")
    (tmp_path / "malformed.jsonl").write_text('{"id": "q1", "prompt": "ok"}\n{"id": q2\n')
    (tmp_path / "plain.txt").write_text("not a folder\n")
    (tmp_path / "unknown.yaml").write_text("models:\n  m: opnai/m\n")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "q1", "prompt": "caf\xe9"}\n')
    unreadable = tmp_path / "unreadable.yaml"
    unreadable.write_text(GOOD_CONFIG)
    unreadable.chmod(0)
    return Workspace(tmp_path)


RUN = ["run", "{config}", "{dataset}", "--no-progress", "--out", "{root}/new.jsonl"]

CASES: list[tuple[str, list[str]]] = [
    # validate / models / export / import-litellm: the config path and its content
    *[
        (f"{cmd}-{what}", [cmd, path])
        for cmd in ("validate", "models", "export")
        for what, path in (
            ("missing", "{missing}"),
            ("folder", "{folder}"),
            ("under-a-file", "{under_file}"),
            ("unreadable", "{unreadable}"),
            ("not-utf8", "{latin1}"),
            ("malformed", "{malformed_yaml}"),
        )
    ],
    ("validate-not-a-mapping", ["validate", "{a_file}"]),
    ("validate-unknown-backend", ["validate", "{unknown_backend}"]),
    ("models-unknown-backend", ["models", "{unknown_backend}"]),
    ("export-bad-format", ["export", "{config}", "--format", "json"]),
    ("export-out-folder", ["export", "{config}", "-o", "{folder}"]),
    ("export-out-under-a-file", ["export", "{config}", "-o", "{under_file}"]),
    ("import-missing", ["import-litellm", "{missing}"]),
    ("import-folder", ["import-litellm", "{folder}"]),
    ("import-not-utf8", ["import-litellm", "{latin1}"]),
    ("import-malformed", ["import-litellm", "{malformed_yaml}"]),
    ("import-not-litellm", ["import-litellm", "{config}"]),
    ("import-out-folder", ["import-litellm", "{litellm}", "-o", "{folder}"]),
    # run: paths
    ("run-config-missing", ["run", "{missing}", "{dataset}"]),
    ("run-config-not-utf8", ["run", "{latin1}", "{dataset}"]),
    ("run-dataset-missing", ["run", "{config}", "{missing}"]),
    ("run-dataset-folder", ["run", "{config}", "{folder}"]),
    ("run-dataset-not-utf8", ["run", "{config}", "{latin1_jsonl}"]),
    ("run-dataset-unknown-format", ["run", "{config}", "{latin1}"]),
    ("run-dataset-malformed", ["run", "{config}", "{malformed_jsonl}"]),
    ("run-out-folder", ["run", "{config}", "{dataset}", "--out", "{folder}"]),
    ("run-out-under-a-file", ["run", "{config}", "{dataset}", "--out", "{under_file}"]),
    ("run-out-has-results", ["run", "{config}", "{dataset}", "--out", "{results}"]),
    ("run-cache-is-a-file", [*RUN, "--cache", "{a_file}"]),
    # run: numbers and names
    ("run-repeats-0", [*RUN, "--repeats", "0"]),
    ("run-repeats-text", [*RUN, "--repeats", "three"]),
    ("run-concurrency-negative", [*RUN, "--concurrency", "-1"]),
    ("run-max-attempts-0", [*RUN, "--max-attempts", "0"]),
    ("run-timeout-negative", [*RUN, "--timeout", "-1"]),
    ("run-timeout-nan", [*RUN, "--timeout", "nan"]),
    ("run-unknown-model", [*RUN, "--models", "mm"]),
    ("run-unknown-backend", [*RUN, "--backends", "openai"]),
    ("run-unknown-scorer", [*RUN, "--scorer", "exactly"]),
    ("run-empty-models", [*RUN, "--models", ","]),
    # report
    ("report-missing", ["report", "{missing}"]),
    ("report-folder", ["report", "{folder}"]),
    ("report-not-utf8", ["report", "{latin1_jsonl}"]),
    ("report-malformed", ["report", "{malformed_jsonl}"]),
    ("report-unknown-column", ["report", "{results}", "--by", "modle"]),
    ("report-html-folder", ["report", "{results}", "--html", "{folder}"]),
    ("report-html-under-a-file", ["report", "{results}", "--html", "{under_file}"]),
    ("report-dataset-missing", ["report", "{results}", "--html", "{root}/r.html", "--dataset", "{missing}"]),
    ("report-config-missing", ["report", "{results}", "--html", "{root}/r.html", "--config", "{missing}"]),
    # sim serve and local serve: fail before anything listens
    ("sim-profile-missing", ["sim", "serve", "--profile", "{missing}"]),
    ("sim-profile-folder", ["sim", "serve", "--profile", "{folder}"]),
    ("sim-profile-not-utf8", ["sim", "serve", "--profile", "{latin1}"]),
    ("sim-port-out-of-range", ["sim", "serve", "--port", "70000"]),
    ("sim-seed-text", ["sim", "serve", "--seed", "x"]),
    ("local-port-text", ["local", "serve", "--port", "http"]),
    ("local-threads-0", ["local", "serve", "--threads", "0"]),
    # recommend / policies: the results file, numbers, policy specs
    *[
        (f"{cmd}-{what}", [cmd, *args])
        for cmd in ("recommend", "policies")
        for what, args in (
            ("missing", ["{missing}"]),
            ("folder", ["{folder}"]),
            ("not-utf8", ["{latin1_jsonl}"]),
            ("malformed", ["{malformed_jsonl}"]),
            ("folds-negative", ["{results}", "--folds", "-1"]),
            ("folds-text", ["{results}", "--folds", "five"]),
            ("unknown-policy", ["{results}", "--policy", "cheapest-ever:m"]),
        )
    ],
    ("recommend-min-quality-text", ["recommend", "{results}", "--min-quality", "high"]),
    ("recommend-min-quality-above-1", ["recommend", "{results}", "--min-quality", "2"]),
    ("recommend-max-p95-negative", ["recommend", "{results}", "--max-p95", "-1"]),
    ("recommend-unknown-objective", ["recommend", "{results}", "--objective", "cheap"]),
    ("recommend-config-missing", ["recommend", "{results}", "--config", "{missing}"]),
    ("policies-json-and-csv", ["policies", "{results}", "--json", "--csv"]),
    # proxy: fails before it starts anything
    ("proxy-missing", ["proxy", "{missing}"]),
    ("proxy-folder", ["proxy", "{folder}"]),
    ("proxy-not-utf8", ["proxy", "{latin1}"]),
    ("proxy-malformed", ["proxy", "{malformed_yaml}"]),
    ("proxy-port-out-of-range", ["proxy", "{config}", "--port", "70000"]),
    # the command line itself
    ("unknown-subcommand", ["bench"]),
]


@pytest.mark.parametrize(("case", "argv"), CASES, ids=[c for c, _ in CASES])
def test_bad_input_is_one_line_and_exit_2(
    case: str, argv: list[str], ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    if "unreadable" in case and os.geteuid() == 0:
        pytest.skip("root reads files without read permission")
    before = (ws.root / "results.jsonl").read_bytes()
    args = [ws.fill(a.replace("{root}", str(ws.root))) for a in argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert (ws.root / "results.jsonl").read_bytes() == before


def test_every_subcommand_has_bad_input_cases() -> None:
    from modelbench.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    commands = set(subparsers.choices)  # type: ignore[union-attr]
    covered = {argv[0] for _, argv in CASES}
    assert commands - covered == set(), "add cases for the new subcommand(s) to CASES"
