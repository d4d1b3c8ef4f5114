"""Browser tests: Playwright drives Debian's Chromium against ``panel serve`` on localhost.

Skipped when ``/usr/bin/chromium`` is absent, unless the environment variable ``CI`` is set
(then they fail, so CI cannot pass without running them). The served app is the Explorer on
the fake dataset of ``conftest.py`` (or on a tiny CASME II folder opened with
``open_dataset``), whose frames carry their own index as pixel blocks, so the tests check
that the frame painted is the one requested.
"""
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# with ``--dist loadfile`` one worker runs them all, in order (one server and browser)
pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "test-artifacts"
FPS = 150.0

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} not installed (set CI=1 to make this a failure)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

# JS run on the frame canvas: the frame index written by conftest.make_frame
DECODE = """(canvas) => {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, 16).data;
  let v = 0;
  for (let b = 0; b < 14; b++) {
    let s = 0, n = 0;
    for (let y = 2; y < 14; y++) for (let x = b * 16 + 2; x < (b + 1) * 16 - 2; x++) {
      const k = (y * canvas.width + x) * 4; s += d[k] + d[k + 1] + d[k + 2]; n += 3;
    }
    v = (v << 1) | (s / n > 127 ? 1 : 0);
  }
  return v;
}"""
# times of the cursor lines drawn over the plots (one per plot; run on every .mmme-cursor)
CURSORS = "(lines) => lines.map(l => Number(l.dataset.time))"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _panel_serve(scripts, ready: str, args=(), timeout: float = 120.0):
    """``panel serve SCRIPTS [--args ARGS]`` on 127.0.0.1, on a free port: its base URL, once
    ``ready`` (an app's path) renders a first session (this also warms the imports)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "panel", "serve", *map(str, scripts), "--address", "127.0.0.1",
           "--port", str(port), "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "1"]
    cmd += ["--args", *args] if args else []
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail("panel serve exited:\n" + proc.stdout.read().decode(errors="replace")[-3000:])
            try:
                with urllib.request.urlopen(base + ready, timeout=timeout / 2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"panel serve did not answer within {timeout:.0f} s")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def _serve_app(*args):
    """``panel serve tests/dashboard/explorer_app.py [--args ARGS]``: its URL."""
    with _panel_serve([HERE / "explorer_app.py"], "/explorer_app", args) as base:
        yield base + "/explorer_app"


@pytest.fixture(scope="module")
def server():
    with _serve_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(server, browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1100})
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    pg.goto(server)
    pg.wait_for_selector(".mmme-player[data-painted]", timeout=30_000)
    yield pg
    pg.close()


def _painted(page, frame, timeout=30_000):
    page.wait_for_selector(f".mmme-player[data-painted='{frame}']", timeout=timeout)


def _until(page, fn, timeout=30.0, poll_ms=50):
    """``fn()`` once it is truthy, polled (a busy machine may take long); its last value after
    ``timeout`` seconds (the caller's assertion then fails)."""
    t_end = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > t_end:
            return value
        page.wait_for_timeout(poll_ms)


def _cursors(page, expected=None, timeout=30.0):
    """Locations of every time cursor; waits until all equal ``expected`` when given."""
    t_end = time.monotonic() + timeout
    while True:
        locs = page.locator(".mmme-cursor").evaluate_all(CURSORS)
        if expected is None or (locs and all(abs(v - expected) < 1e-9 for v in locs)):
            return locs
        if time.monotonic() > t_end:
            return locs
        page.wait_for_timeout(20)


def _shown(page) -> int:
    return page.locator("canvas.mmme-frame").evaluate(DECODE)


def test_page_loads_without_console_errors(page):
    assert page.locator(".mmme-player").count() == 1
    names = page.evaluate("() => [...Bokeh.documents[0].all_models].map(m => m.name).filter(n => n)")
    assert {"mmme-annotations", "mmme-eeg", "mmme-peri-ECG", "mmme-hr", "mmme-alignment"} <= set(names)
    assert page.errors == []


def test_choosing_a_trial_shows_frame_and_traces(page):
    player = page.locator(".mmme-player")
    source = player.get_attribute("data-source")
    page.locator("select").nth(1).select_option(label="sub-01_102 (cat. 2, 3 events)")
    page.wait_for_selector(f".mmme-player:not([data-source='{source}'])", timeout=30_000)  # new video (slow on a busy machine)
    _painted(page, 0)
    assert _shown(page) == 0
    n_points = page.evaluate(
        "() => [...Bokeh.documents[0].all_models].filter(m => m.type === 'ColumnDataSource' || "
        "(m.constructor && m.constructor.name === 'ColumnDataSource'))"
        ".map(s => (s.data.xs || s.data.x || []).length)")
    assert max(n_points) > 0  # traces were sent
    assert page.locator(".mmme-frame-label").text_content().startswith("frame 0 / 1499")
    assert page.errors == []


def test_one_frame_step_changes_image_and_moves_cursor_by_one_frame(page):
    start = int(page.locator(".mmme-player").get_attribute("data-painted"))
    before = _cursors(page)
    assert len(set(before)) == 1
    page.locator(".mmme-step-forward").click()
    _painted(page, start + 1)
    assert _shown(page) == start + 1  # the new image is the requested frame
    after = _cursors(page, expected=before[0] + 1 / FPS)
    assert all(abs(a - b - 1 / FPS) < 1e-9 for a, b in zip(after, before)), (before, after)
    page.locator(".mmme-step-back").click()
    _painted(page, start)
    assert _shown(page) == start


# where the cursor line of each plot is drawn, against where the plot draws that time
CURSOR_PLACES = """(lines) => lines.filter(l => l.style.display !== 'none').map(l => {
  const pv = [...Bokeh.index.query(v => v.frame != null && v.canvas_view.overlays_el.contains(l))][0];
  const box = l.getBoundingClientRect(), canvas = pv.canvas_view.el.getBoundingClientRect();
  return [box.left - canvas.left, pv.frame.x_scale.compute(Number(l.dataset.time)), box.height,
          pv.frame.bbox.height];
})"""


def test_cursor_lines_are_drawn_at_the_time_and_follow_the_range(page):
    page.locator(".mmme-step-forward").click()
    frame = int(page.locator(".mmme-player").get_attribute("data-wanted"))
    _painted(page, frame)
    _cursors(page, expected=frame / FPS)
    places = page.locator(".mmme-cursor").evaluate_all(CURSOR_PLACES)
    assert len(places) >= 8  # every visible plot
    for left, x, height, frame_height in places:
        assert abs(left - x) < 1.5 and abs(height - frame_height) < 1.5, places
    # zoom in around the cursor: the lines move with the plots, no seek needed
    page.evaluate("""(t) => {
      const pv = [...Bokeh.index.query(v => v.model.name === 'mmme-eeg')][0];
      pv.model.x_range.setv({start: t - 0.5, end: t + 0.5});
    }""", frame / FPS)

    def moved():  # the figures repainted at the new range, and the lines with them
        z = page.locator(".mmme-cursor").evaluate_all(CURSOR_PLACES)
        return z if z and z[0][0] != places[0][0] and all(abs(left - x) < 1.5 for left, x, _, _ in z) else None

    zoomed = _until(page, moved)
    assert zoomed, page.locator(".mmme-cursor").evaluate_all(CURSOR_PLACES)
    page.evaluate("""() => {
      const pv = [...Bokeh.index.query(v => v.model.name === 'mmme-eeg')][0];
      pv.model.x_range.setv({start: pv.model.x_range.bounds[0], end: pv.model.x_range.bounds[1]});
    }""")


def test_clicking_an_expression_jumps_to_its_apex(page):
    button = page.get_by_role("button", name=re.compile(r"^ME 2: "))
    button.click()
    # read the apex after the click: the list is rebuilt when a trial changes, so text read
    # before the click may belong to a list that was replaced in the meantime
    apex = float(re.search(r"([0-9.]+) s$", button.text_content().strip()).group(1))
    frame = round(apex * FPS)
    _painted(page, frame)
    assert _shown(page) == frame
    locs = _cursors(page, expected=frame / FPS)
    assert all(abs(v - frame / FPS) < 1e-9 for v in locs), locs
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "explorer.png"), full_page=True)
    assert (ARTIFACTS / "explorer.png").stat().st_size > 10_000


def test_clicking_a_trace_seeks_the_video(page):
    before = int(page.locator(".mmme-player").get_attribute("data-painted"))
    plot = page.locator(".bk-Canvas").nth(2)  # the EEG plot (annotations, predictions hidden, EEG)
    box = plot.bounding_box()
    plot.click(position={"x": box["width"] * 0.3, "y": box["height"] / 2})
    painted = lambda: int(page.locator(".mmme-player").get_attribute("data-painted") or before)  # noqa: E731
    assert _until(page, lambda: painted() != before), "clicking the EEG did not seek"
    frame = painted()
    assert _shown(page) == frame
    locs = _cursors(page, expected=frame / FPS)
    assert all(abs(v - frame / FPS) < 1e-9 for v in locs)
    assert page.errors == []


def test_play_advances_and_stop_stops(page):
    painted = lambda: int(page.locator(".mmme-player").get_attribute("data-painted"))  # noqa: E731
    start = painted()
    t0 = time.monotonic()
    page.locator(".mmme-play-025").click()
    assert _until(page, lambda: painted() > start), "playback painted no frame"
    page.wait_for_timeout(500)
    page.locator(".mmme-pause").click()
    played = time.monotonic() - t0  # clicks take a while on a busy machine

    def settled():  # the frame asked for last has arrived: nothing changes for 0.5 s
        before = painted()
        page.wait_for_timeout(500)
        return painted() == before

    assert _until(page, settled, timeout=20), "playback did not stop"
    stopped = painted()
    # 0.25x at 150 fps: about 37 frames per second of playback, never more
    assert start < stopped <= start + 0.25 * FPS * (played + 0.2)
    page.wait_for_timeout(500)
    assert painted() == stopped
    assert _shown(page) == stopped


def test_served_script_refuses_paths_outside_the_data_root(browser, tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    port = _free_port()
    env = dict(os.environ, MMME_DATA_ROOT=str(root), MMME_DATA="/etc")
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", str(REPO / "dashboards" / "explorer.py"), "--address", "127.0.0.1",
         "--port",
         str(port), "--allow-websocket-origin", f"127.0.0.1:{port}"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/explorer"
        t_end = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=30).close()
                break
            except OSError:
                assert time.monotonic() < t_end and proc.poll() is None, "panel serve did not start"
                time.sleep(0.3)
        pg = browser.new_page()
        pg.goto(url)
        pg.get_by_text("outside the data root").wait_for(timeout=20_000)
        assert "Refusing to open '/etc'" in pg.get_by_text("outside the data root").text_content()
        pg.close()
    finally:
        proc.terminate()
        proc.wait(10)


# the frame index of conftest.make_frame, read from a canvas showing the frame at any scale
DECODE_SCALED = """(canvas, block) => {
  const w = canvas.width, d = canvas.getContext('2d').getImageData(0, 0, w, Math.ceil(block)).data;
  let v = 0;
  for (let b = 0; b < 14; b++) {
    let s = 0, n = 0;
    for (let y = Math.ceil(block / 8); y < block - block / 8; y++)
      for (let x = Math.ceil(b * block + block / 8); x < (b + 1) * block - block / 8; x++) {
        const k = (y * w + x) * 4; s += d[k] + d[k + 1] + d[k + 2]; n += 3;
      }
    v = (v << 1) | (s / n > 127 ? 1 : 0);
  }
  return v;
}"""


def test_camera_size_frames_are_scaled_to_the_page_and_stay_exact(browser):
    with _serve_app("--size", "2048x1088") as url:
        pg = browser.new_page(viewport={"width": 1400, "height": 1100})
        try:
            pg.goto(url)
            _painted(pg, 0)
            canvas = pg.locator("canvas.mmme-frame")
            size = "(c) => [c.width, c.height, c.getBoundingClientRect().width * devicePixelRatio]"
            t_end = time.monotonic() + 30
            while canvas.evaluate(size)[0] == 960:  # the first frame may come before the page's size
                assert time.monotonic() < t_end, "frames were not scaled to the page"
                pg.wait_for_timeout(100)
            width, height, shown = canvas.evaluate(size)
            box = pg.locator(".mmme-player").evaluate("(p) => p.clientWidth * devicePixelRatio")
            assert (width, height) == (box, round(1088 * box / 2048)) and shown == width  # 1 pixel : 1 pixel
            block = 128 * width / 2048
            for i in (1, 2, 1000):
                if i < 3:
                    pg.locator(".mmme-step-forward").click()
                else:
                    pg.locator(".mmme-slider").evaluate(f"(s) => {{ s.value = {i}; s.dispatchEvent(new Event('input')); }}")
                _painted(pg, i)
                assert canvas.evaluate(DECODE_SCALED, block) == i
        finally:
            pg.close()


# a canvas digest: changes when any painted pixel changes
DIGEST = """(canvas) => {
  const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let h = 0;
  for (let k = 0; k < d.length; k += 4) h = (h * 31 + d[k] + 3 * d[k + 1] + 7 * d[k + 2]) % 1000000007;
  return h;
}"""


def test_video_only_dataset_opens_and_scrubs_frame_by_frame(browser, casme2):
    with _serve_app("--data", str(casme2)) as url:
        pg = browser.new_page(viewport={"width": 1400, "height": 1100})
        errors = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        try:
            pg.goto(url)
            _painted(pg, 0)
            assert _shown(pg) == 0
            assert pg.locator(".mmme-frame-label").text_content().startswith("frame 0 / 19")
            canvas = pg.locator("canvas.mmme-frame")
            digests = [canvas.evaluate(DIGEST)]
            for i in (1, 2, 3):
                pg.locator(".mmme-step-forward").click()
                _painted(pg, i)
                assert _shown(pg) == i  # the image painted is frame i of the clip
                digests.append(canvas.evaluate(DIGEST))
            assert len(set(digests)) == 4  # every step painted a new image
            pg.locator(".mmme-step-back").click()
            _painted(pg, 2)
            assert _shown(pg) == 2 and canvas.evaluate(DIGEST) == digests[2]
            assert pg.locator("select").nth(1).input_value().startswith("sub-01_EP02_01f (1 event")
            source = pg.locator(".mmme-player").get_attribute("data-source")
            pg.locator("select").nth(0).select_option("sub-17")  # another subject, another clip
            pg.wait_for_selector(f".mmme-player:not([data-source='{source}'])", timeout=30_000)
            _painted(pg, 0)
            assert pg.locator(".mmme-frame-label").text_content().startswith("frame 0 / 5")
            message = pg.get_by_text("No EEG in trial sub-17_EP01_01")
            message.wait_for(timeout=10_000)  # the message pane updates after the player
            assert message.count() == 1
            assert errors == []
        finally:
            pg.close()
