"""``modelbench report --html`` embeds the figures: one self-contained page that opens offline."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

from test_notebook_plots import synthetic

from modelbench.bench import ResultsWriter
from modelbench.cli import main


def test_html_report_embeds_every_figure(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    with ResultsWriter(results) as writer:
        for row in synthetic(prompts=12).to_dict("records"):
            writer.write(row)
    page_path = tmp_path / "report.html"
    assert main(["report", str(results), "--html", str(page_path)]) == 0
    page = page_path.read_text("utf-8")
    images = re.findall(r"<img class='figure' alt='([^']*)' src='data:image/png;base64,([^']+)'", page)
    assert [alt for alt, _ in images[:4]] == [
        "latency per backend",
        "time to first token per backend",
        "quality against cost per backend",
        "errors per backend and type",
    ]
    for _, data in images:
        assert base64.b64decode(data)[:4] == b"\x89PNG"
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    assert page.index("Figures") < page.index("Outputs side by side")
    # the routing layer is installed: the policy table, the recommendation and the frontier
    assert "<h2>Routing policies</h2>" in page
    assert "alt='quality against cost of every policy'" in page
    assert "Single(strong)" in page and "Recommended:" in page
    # long policy names wrap instead of pushing the figures off the page; the choice is marked
    assert "td.wrap{white-space:normal" in page
    chosen = re.findall(r"<tr class=chosen><td class='key wrap'>([^<]+)</td>", page)
    assert len(chosen) == 1 and "Recommended:" in page and chosen[0] in page.split("Recommended:")[1]
