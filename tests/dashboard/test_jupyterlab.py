"""The Explorer in JupyterLab 4, as a user meets it: the README snippet in a notebook.

Starts ``jupyter lab`` on 127.0.0.1 with a token in a temporary folder (its own config,
settings, workspaces and runtime folders), opens a notebook holding the snippet of README.md's
"Explorer in JupyterLab" section, runs it in Debian's Chromium (Playwright) and checks that
the Explorer renders offline (no ``pn.extension()`` call in the snippet), that a frame step
paints the next frame and moves every cursor, that switching the subject opens one new
trial, and that no output shows an error, warning or traceback and the console logs none.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
FPS = 150.0  # the demo video
# times of the cursor lines drawn over the plots (one per plot; run on every .mmme-cursor)
CURSORS = "(lines) => lines.map(l => Number(l.dataset.time))"

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} not installed (set CI=1 to make this a failure)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("jupyterlab")


def readme_snippet() -> str:
    """The Python block of README.md's "Explorer in JupyterLab" section."""
    text = (REPO / "README.md").read_text()
    section = text.split("### Explorer in JupyterLab", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1).strip()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(path: Path, source: str) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": "explorer", "metadata": {},
                     "outputs": [], "source": source}],
          "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                      "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))


@pytest.fixture
def lab(tmp_path):
    """URL of a notebook with the README snippet in a fresh ``jupyter lab`` (token auth)."""
    import mmme_analysis as mm

    mm.demo.data_path()  # built (or found) before the clock starts, as a user has it after `mmme demo`
    root = tmp_path / "work"
    root.mkdir()
    _notebook(root / "explorer.ipynb", readme_snippet())
    config = tmp_path / "config"
    (config / "labconfig").mkdir(parents=True)
    # no news or update checks: nothing outside 127.0.0.1 is asked for
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root
        cmd.append("--allow-root")
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        t_end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=10) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > t_end:
                    pytest.fail("jupyter lab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
                time.sleep(0.3)
        yield f"{base}/lab/tree/explorer.ipynb?token={token}"
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _cursors(page, expected, timeout=10.0):
    t_end = time.monotonic() + timeout
    while True:
        locs = page.locator(".jp-OutputArea .mmme-cursor").evaluate_all(CURSORS)
        if locs and all(abs(v - expected) < 1e-9 for v in locs):
            return locs
        if time.monotonic() > t_end:
            return locs
        page.wait_for_timeout(50)


def test_readme_snippet_runs_in_jupyterlab(lab, tmp_path):
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(lab)
            page.wait_for_selector(".jp-Notebook .jp-Cell .cm-content", timeout=30_000)
            # the kernel is connected and idle (the status bar says so)
            page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for(timeout=40_000)
            page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
            page.locator("[data-command='notebook:run-cell-and-select-next']").first.click()  # run the cell
            page.wait_for_selector(".jp-OutputArea .mmme-player[data-painted]", timeout=60_000)
            player = page.locator(".jp-OutputArea .mmme-player")
            assert player.count() == 1
            assert page.locator(".jp-OutputArea canvas.mmme-frame").is_visible()
            names = page.evaluate("() => [...Bokeh.index.query(v => true)].map(v => v.model.name).filter(n => n)")
            assert {"mmme-annotations", "mmme-eeg", "mmme-peri-ECG", "mmme-alignment"} <= set(names)
            # a frame step paints the next frame and moves every cursor there
            start = int(player.get_attribute("data-painted"))
            page.locator(".jp-OutputArea .mmme-step-forward").click()
            page.wait_for_selector(f".jp-OutputArea .mmme-player[data-painted='{start + 1}']", timeout=10_000)
            t = float(player.get_attribute("data-time"))
            locs = _cursors(page, t)
            assert len(locs) >= 8 and all(abs(v - t) < 1e-9 for v in locs), (t, locs)
            # switching the subject opens one trial (the player's source counts the trials opened)
            assert player.get_attribute("data-source") == "1"
            page.locator(".jp-OutputArea select").first.select_option("sub-02")
            page.wait_for_selector(".jp-OutputArea .mmme-player[data-source='2'][data-painted]", timeout=20_000)
            trial = page.locator(".jp-OutputArea select").nth(1).input_value()
            assert trial.startswith("sub-02_"), trial
            page.wait_for_timeout(1000)  # a second, unwanted switch would show by now
            assert player.get_attribute("data-source") == "2"
            # outputs: no red stderr box, no traceback or warning text
            outputs = "\n".join(page.locator(".jp-OutputArea").all_inner_texts())
            for word in ("IProgress", "Traceback", "Warning", "Error"):
                assert word not in outputs, outputs[:2000]
            assert page.locator(".jp-OutputArea [data-mime-type='application/vnd.jupyter.stderr']").count() == 0
            assert errors == []
        finally:
            # shown by pytest when the test fails
            print("console errors:", errors)
            print("jupyter lab log:", (tmp_path / "lab.log").read_text()[-6000:])
            artifacts = REPO / "test-artifacts"
            artifacts.mkdir(exist_ok=True)
            page.screenshot(path=str(artifacts / "jupyterlab.png"), full_page=True)
            browser.close()
