"""The policy table for people: the summary's money format, identical policies folded into one
row, long names cut to the width and given in full below; JSON and CSV keep everything."""

from __future__ import annotations

import pandas as pd
from routing_data import frame, row

from modelbench.routing.format import format_table, same_figures, table_records, to_csv
from modelbench.routing.simulate import simulate

CATEGORIES = [f"category-number-{i}" for i in range(8)]


def results(cheap_fails: bool = False) -> pd.DataFrame:
    """cheap: $0.0000039 a request, right on even prompts; strong: $0.00005, always right."""
    rows = []
    for i in range(16):
        pid, category = f"p{i:02d}", CATEGORIES[i % len(CATEGORIES)]
        error = "InternalServerError" if cheap_fails and i == 3 else ""
        score = float(i % 2 == 0)
        rows.append(row("cheap", pid, score=score, cost=3.9e-6, latency=0.3, error=error,
                        category=category))  # fmt: skip
        rows.append(row("strong", pid, score=1.0, cost=5e-5, latency=0.8, category=category))
    return frame(rows)


SPECS = ["single:cheap", "fallback:cheap,strong", "single:strong", "fallback:strong,cheap"]


def test_cost_column_uses_the_summary_money_format() -> None:
    text = format_table(simulate(results(), ["single:cheap", "single:strong"]), width=200)
    lines = {line.split()[1]: line for line in text.splitlines()[1:3]}
    assert "$0.0039" in lines["Single(cheap)"]  # not the raw 0.0039
    assert "$0.05" in lines["Single(strong)"]  # not 0.05


def test_policies_with_identical_replays_share_one_row() -> None:
    table = simulate(results(), SPECS)
    assert same_figures(table) == {
        "Single(cheap)": ["Fallback(cheap -> strong)"],  # cheap never fails: the same calls
        "Single(strong)": ["Fallback(strong -> cheap)"],
    }
    text = format_table(table, width=200)
    rows = text.splitlines()[1:3]
    assert [r.split()[1] for r in rows] == ["Single(cheap)", "Single(strong)"]
    assert all(r.split()[2] == "+1" for r in rows)
    assert "same figures as the row shown" in text
    assert "  Single(cheap) = Fallback(cheap -> strong)" in text.splitlines()
    # the frontier is still marked on the row shown
    assert rows[0].startswith(" *") and rows[1].startswith(" *")
    # the recommendation is always the row shown, whatever is simpler
    chosen = format_table(table, chosen="Fallback(cheap -> strong)", width=200).splitlines()
    assert chosen[1].startswith(">*  Fallback(cheap -> strong)")
    assert "  Fallback(cheap -> strong) = Single(cheap)" in chosen
    # on a narrow terminal, the list breaks between names, not inside one
    narrow = format_table(table, width=40).splitlines()
    assert (
        "      Fallback(cheap -> strong)" in narrow
        or "  Single(cheap) = Fallback(cheap -> strong)" in narrow
    )
    # programs get every row
    assert [r["policy"] for r in table_records(table)] == list(table["policy"])
    assert to_csv(table).count("\n") == len(SPECS) + 1


def test_a_fallback_that_recovers_errors_is_not_folded() -> None:
    table = simulate(results(cheap_fails=True), SPECS)
    assert "Single(cheap)" not in same_figures(table)
    text = format_table(table, width=200)
    assert "Fallback(cheap -> strong)" in [" ".join(r.split()[1:4]) for r in text.splitlines()]


def test_long_names_are_cut_to_the_width_and_given_in_full_below() -> None:
    mapping = ",".join(f"{c}=strong" for c in CATEGORIES[:-1])
    spec = f"bycategory:{mapping},{CATEGORIES[-1]}=cheap,*=strong"
    table = simulate(results(), [spec, "single:cheap"])
    long_name = table["policy"].iloc[0]
    assert len(long_name) > 200
    text = format_table(table, chosen=long_name, width=130)
    lines = text.splitlines()
    table_lines = lines[:3]
    assert all(len(line) <= 130 for line in table_lines)
    (mine,) = [line for line in table_lines if line.startswith(">")]
    assert mine.startswith(">*  ByCategory(") and "…" in mine
    below = " ".join(" ".join(lines[lines.index("in full (cut above):") :]).split())
    assert long_name in below
    # a narrow terminal still gets readable names, not a few characters
    narrow = format_table(table, chosen=long_name, width=60).splitlines()
    (mine,) = [line for line in narrow[:3] if line.startswith(">")]
    assert len(mine.split("…")[0]) >= 4 + 36 - 1
    # the JSON keeps the full description
    assert table_records(table)[0]["policy"] == long_name
