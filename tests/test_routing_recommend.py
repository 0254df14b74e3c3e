"""recommend() and the CLI (recommend, policies): right choices, nearest misses, exit codes."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from routing_data import frame, row

from modelbench._errors import ModelbenchError
from modelbench.cli import main
from modelbench.routing import Single
from modelbench.routing.recommend import recommend
from modelbench.routing.simulate import simulate

ARMS = {  # arm: (prompts answered right out of 20, $ per request, latency s)
    "cheap": (12, 0.001, 0.5),
    "mid": (17, 0.005, 1.0),
    "strong": (19, 0.02, 3.0),
}


def three_arms(scored: bool = True) -> pd.DataFrame:
    rows = []
    for arm, (right, cost, latency) in ARMS.items():
        for i in range(20):
            score = float(i < right) if scored else math.nan
            rows.append(row(arm, f"p{i:02d}", score=score, cost=cost, latency=latency))
    return frame(rows)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return simulate(three_arms())


def test_cost_objective_picks_the_cheapest_policy_meeting_the_floor(table: pd.DataFrame) -> None:
    rec = recommend(None, "cost", min_quality=0.8, table=table)
    assert rec.met and rec.policy == Single("mid")
    feasible = table[table["exportable"] & (table["quality"] >= 0.8)]
    assert rec.row["cost_per_1k"] == pytest.approx(feasible["cost_per_1k"].min())
    assert rec.best_single["policy"] == "Single(strong)"
    assert rec.saving["cost_pct"] == pytest.approx(0.75)
    assert rec.reason.startswith("Single(mid) is the cheapest policy meeting quality >= 0.8:")
    assert "quality 0.850" in rec.reason and "75% cheaper" in rec.reason
    # money as the table and the benchmark summary show it
    assert "$5.00 per 1k" in rec.reason and "($20.00/1k" in rec.reason


def test_latency_and_quality_objectives(table: pd.DataFrame) -> None:
    assert recommend(None, "latency", table=table).policy == Single("cheap")
    assert recommend(None, "latency", min_quality=0.9, table=table).policy == Single("strong")
    best = recommend(None, "quality", table=table)
    assert best.policy == Single("strong") and best.reason.endswith("best single model itself.")
    assert best.row["quality"] == table[table["exportable"]]["quality"].max()
    balanced = recommend(None, "balanced", table=table)
    assert balanced.met and balanced.policy.exportable


def test_nearest_miss_says_which_constraint_and_by_how_much(table: pd.DataFrame) -> None:
    rec = recommend(None, "cost", min_quality=0.99, max_p95_s=5, table=table)
    assert not rec.met and rec.policy == Single("strong")
    assert rec.misses == {"min_quality": pytest.approx(0.04)}
    assert rec.reason.startswith(
        "No policy meets quality >= 0.99, p95 <= 5s; the nearest miss is Single(strong): "
        "quality 0.950 misses quality >= 0.99 by 0.040"
    )
    cheap = recommend(None, "cost", max_cost_per_1k=0.5, table=table)
    assert not cheap.met and cheap.policy == Single("cheap")
    assert cheap.misses == {"max_cost_per_1k": pytest.approx(0.5)}


def test_unscored_results_need_a_scorer_for_quality() -> None:
    with pytest.raises(ModelbenchError, match=r"needs scores.*no scorer was used"):
        recommend(three_arms(scored=False), "cost", min_quality=0.5)
    rec = recommend(three_arms(scored=False), "cost", max_p95_s=2)
    assert rec.met and rec.policy == Single("cheap") and "quality unknown" in rec.reason


def test_bad_objective_and_constraints() -> None:
    with pytest.raises(
        ModelbenchError, match=r"unknown objective 'cots' \(did you mean 'cost'\?\)"
    ):
        recommend(three_arms(), "cots")
    with pytest.raises(ModelbenchError, match="max_p95_s must be a number >= 0"):
        recommend(three_arms(), "cost", max_p95_s=-1)


def test_to_dict_is_json_with_the_promised_keys(table: pd.DataFrame) -> None:
    data = recommend(None, "cost", min_quality=0.8, table=table).to_dict()
    assert {"policy", "quality", "quality_ci", "cost_per_1k", "p95_s", "error_rate"} <= set(data)
    assert {"reason", "met", "spec", "saving", "best_single"} <= set(data)
    assert data["policy"] == "Single(mid)" and data["spec"] == {"policy": "single", "arm": "mid"}
    json.dumps(data, allow_nan=False)


# --- CLI ----------------------------------------------------------------------------------------


def write(df: pd.DataFrame, path: Path) -> Path:
    df = df.assign(started_at="2026-01-01T00:00:00Z")
    path.write_text(
        "".join(json.dumps(r) + "\n" for r in df.to_dict("records")).replace("NaN", "null")
    )
    return path


def test_cli_recommend_exit_codes_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = write(three_arms(), tmp_path / "r.jsonl")
    assert (
        main(["recommend", str(results), "--objective", "cost", "--min-quality", "0.8", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["met"] is True and data["policy"] == "Single(mid)"
    assert data["quality"] == pytest.approx(0.85) and len(data["quality_ci"]) == 2
    assert main(["recommend", str(results), "--min-quality", "0.99", "--json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert data["met"] is False and data["misses"]["min_quality"] == pytest.approx(0.04)
    assert main(["recommend", str(results), "--objective", "cost", "--min-quality", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "choice: Single(mid) is the cheapest" in out
    assert any(line.startswith(">*") and "Single(mid)" in line for line in out.splitlines())
    assert "AIQ (area under the cost-quality hull / cost range): 0." in out


def test_cli_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["recommend", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no such results file" in err
    results = write(three_arms(), tmp_path / "r.jsonl")
    assert main(["recommend", str(results), "--objective", "speed"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown objective 'speed'" in err
    unscored = write(three_arms(scored=False), tmp_path / "u.jsonl")
    assert main(["recommend", str(unscored), "--min-quality", "0.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "needs scores" in err and "scorer" in err


def test_cli_policies_json_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = write(three_arms(), tmp_path / "r.jsonl")
    specs = ["--policy", "single:cheap", "--policy", "fallback:cheap,strong"]
    assert main(["policies", str(results), *specs, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["policy"] for r in rows] == ["Single(cheap)", "Fallback(cheap -> strong)"]
    assert rows[0]["spec"] == {"policy": "single", "arm": "cheap"} and "obj" not in rows[0]
    assert main(["policies", str(results), *specs, "--csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("policy,family,quality") and len(csv) == 3
    assert main(["policies", str(results), "--policy", "single:nope"]) == 2
    assert "arm 'nope' is not in the results" in capsys.readouterr().err


def test_help_imports_no_litellm() -> None:
    code = (
        "import sys\nfrom modelbench.cli import main\n"
        "for cmd in ('recommend', 'policies'):\n"
        "    try:\n        main([cmd, '--help'])\n    except SystemExit:\n        pass\n"
        "assert 'litellm' not in sys.modules, 'litellm imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--min-quality" in done.stdout and "--csv" in done.stdout
