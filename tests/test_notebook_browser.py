"""01-quickstart in a real browser: JupyterLab on 127.0.0.1 with a token, driven by playwright
through Debian's chromium. Run all cells, see the dashboard, open the plots, move a slider, export.

Screenshots go to $MODELBENCH_TEST_ARTIFACTS/notebook-shots (default: the system temp dir).
The notebook runs on a copy (JupyterLab saves what it runs), against one local model server.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(os.environ.get("MODELBENCH_TEST_ARTIFACTS", tempfile.gettempdir())) / "notebook-shots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def local_api_base() -> Iterator[str]:
    pytest.importorskip("llama_cpp", reason="needs the extra: pip install 'modelbench[local]'")
    from modelbench.servers.local import LocalServer, local_model_path

    with LocalServer(model_path=local_model_path()) as server:
        yield server.api_base


@pytest.fixture
def lab(tmp_path: Path, local_api_base: str) -> Iterator[tuple[str, Path]]:
    """JupyterLab on a free loopback port over a copy of notebooks/, examples/ and data/."""
    pytest.importorskip("jupyterlab")
    work = tmp_path / "work"
    for name in ("notebooks", "examples", "data"):
        shutil.copytree(ROOT / name, work / name)
    token = secrets.token_hex(16)
    port = _free_port()
    env = dict(os.environ)
    env.update(
        MODELBENCH_LOCAL_API_BASE=local_api_base,
        PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"),
    )
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={work}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.port_retries=0",
            "--allow-root",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text())
                time.sleep(0.5)
        yield f"{base}/lab/tree/notebooks/01-quickstart.ipynb?token={token}", work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"browser-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _dismiss_dialogs(page: Any) -> None:
    """Accept JupyterLab's "Select Kernel" dialog; answer the news toast if it is up.

    Both come and go on their own schedule, so each click is best effort (short timeout)."""
    from playwright.sync_api import Error

    for selector in (".jp-Dialog .jp-mod-accept", ".Toastify__toast button[title='No']"):
        target = page.locator(selector)
        try:
            if target.count():
                target.first.click(timeout=3000)
        except Error:
            pass


def test_quickstart_in_jupyterlab(lab: tuple[str, Path]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make chromium` (apt-get install chromium)")
    url, work = lab
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        try:
            _run(page, url, work)
        finally:
            _shot(page, "last")
            browser.close()


def _run(page: Any, url: str, work: Path) -> None:
    page.goto(url)
    page.wait_for_selector(".jp-Notebook", timeout=120_000)
    # the kernel dialog appears once the notebook panel asks for a kernel
    page.wait_for_timeout(2000)
    _dismiss_dialogs(page)
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.jp-Notebook') && "
        "window.jupyterapp && window.jupyterapp.commands.hasCommand('notebook:run-all-cells')",
        timeout=60_000,
    )
    _dismiss_dialogs(page)
    page.evaluate("window.jupyterapp.shell.collapseLeft()")  # room for the dashboard
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(".modelbench-dashboard", timeout=480_000)
    # wait until every cell ran: the last code cell gets an execution count
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        ".every(p => /\\[\\d+\\]/.test(p.textContent))",
        timeout=300_000,
    )
    _dismiss_dialogs(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert tracebacks == []

    dash = page.locator(".modelbench-dashboard")
    dash.scroll_into_view_if_needed()
    assert dash.locator("table.modelbench-summary").count() >= 1
    assert dash.locator("table.mb-sbs").count() == 1  # the side-by-side view
    header = dash.locator("table.mb-sbs thead").inner_text()
    assert "tiny" in header and "sim-small" in header and "sim-large" in header
    dash.screenshot(path=str(_shot_path("dashboard")))

    dash.locator(".lm-TabBar-tab", has_text="Plots").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.modelbench-dashboard img')]"
        ".filter(i => i.naturalWidth > 0).length >= 4",
        timeout=120_000,
    )
    dash.screenshot(path=str(_shot_path("plots")))

    dash.locator(".lm-TabBar-tab", has_text="Policy & export").click()
    rec = dash.locator(".mb-recommendation")
    rec.wait_for(timeout=60_000)
    before = rec.inner_text()
    dash.screenshot(path=str(_shot_path("policy-before")))
    slider = dash.locator(".widget-slider", has_text="min quality")
    readout = slider.locator(".widget-readout")
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("0.7")  # above sim-small and tiny, below sim-large: a met change
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(before) => { const r = document.querySelector('.modelbench-dashboard "
        ".mb-recommendation'); return r && r.innerText !== before; }",
        arg=before,
        timeout=60_000,
    )
    after = rec.inner_text()
    assert after != before
    dash.screenshot(path=str(_shot_path("policy-after")))

    target = work / "notebooks" / "routed.yaml"
    assert not target.exists()
    dash.locator("button", has_text="Export tuned config").click()
    page.wait_for_function(
        "() => document.querySelector('.modelbench-dashboard').innerText.includes('wrote')",
        timeout=60_000,
    )
    assert target.exists() and "model_list" in target.read_text("utf-8")
    shown = dash.locator("textarea").input_value()
    assert shown == target.read_text("utf-8")
    dash.screenshot(path=str(_shot_path("export")))


def _shot_path(name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS / f"browser-{name}.png"
