"""Browser tests (Chromium, as test_browser.py): a page's address opens a trial at a time,
and a damaged raw folder opens each trial with what it has, naming what it lacks and why
without any participant folder name reaching the browser."""
from __future__ import annotations

import re

import pytest

from . import test_browser as _tb
from .test_browser import FPS, _cursors, _painted, _serve_app, _shown

# the browser and the demo server of test_browser.py, one of each for this module too
browser, server = _tb.browser, _tb.server

pytestmark = pytest.mark.browser

# everything the page holds as text: its DOM and every shadow root below it (Panel and Bokeh
# render into shadow roots, which page.content() leaves out)
ALL_HTML = """() => {
  const out = [];
  const walk = (root) => {
    out.push(root.innerHTML || '');
    root.querySelectorAll('*').forEach(el => { if (el.shadowRoot) walk(el.shadowRoot); });
  };
  walk(document.documentElement);
  return out.join('\\n');
}"""
# points sent for the EEG traces (0 when the plot has no data)
EEG_POINTS = """() => {
  const figs = [...Bokeh.index.query(v => v.model.name === 'mmme-eeg')];
  if (!figs.length) return 0;
  return figs[0].model.renderers.map(r => (r.data_source.data.xs || []).reduce((n, x) => n + x.length, 0))
    .reduce((a, b) => a + b, 0);
}"""


def test_address_opens_the_trial_at_the_frame_nearest_t(server, browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 1100})
    try:
        pg.goto(f"{server}?trial=sub-02_102&t=2.0042")
        frame = round(2.0042 * FPS)  # 301 (300.63)
        _painted(pg, frame)
        assert _shown(pg) == frame  # the image painted is that frame
        locs = _cursors(pg, expected=frame / FPS, timeout=30)
        assert locs and all(abs(v - frame / FPS) < 1e-9 for v in locs), locs
        assert pg.locator("select").nth(0).input_value() == "sub-02"
        assert pg.locator("select").nth(1).input_value().startswith("sub-02_102 ")
        assert pg.locator(".mmme-frame-label").text_content().startswith(f"frame {frame} / 1499")
    finally:
        pg.close()


def test_damaged_trials_open_with_the_rest_and_name_what_they_lack(browser, damaged_raw):
    root, info = damaged_raw
    received = []
    with _serve_app("--data", str(root)) as url:
        pg = browser.new_page(viewport={"width": 1400, "height": 1100})
        pg.on("websocket", lambda ws: ws.on(
            "framereceived", lambda p: received.append(p if isinstance(p, str) else p.decode("latin-1"))))
        try:
            html = []
            for key, why in (("cut", "truncated"), ("twice", "two videos")):
                pg.goto(f"{url}?trial={info[key]}")
                note = pg.get_by_text(re.compile(f"^No video in trial {info[key]}: "))  # in shadow roots
                note.first.wait_for(timeout=60_000)
                assert why in note.first.text_content()
                assert pg.locator(".mmme-note").filter(has_text=f"No video in trial {info[key]}").count() == 1
                pg.get_by_text("No video in this trial.").wait_for(timeout=30_000)
                pg.wait_for_function(EEG_POINTS, timeout=30_000)  # the EEG traces still show
                names = pg.evaluate("() => [...Bokeh.documents[0].all_models].map(m => m.name).filter(n => n)")
                assert {"mmme-eeg", "mmme-peri-ECG", "mmme-hr"} <= set(names)  # and the peripheral ones
                assert pg.locator("select").nth(1).input_value().startswith(f"{info[key]} ")
                html.append(pg.evaluate(ALL_HTML))
        finally:
            pg.close()
    shown = "\n".join(html + received).lower()
    assert "no video in trial" in shown and len(received) > 2  # what is searched holds the notes
    for name in info["names"]:
        assert name.lower() not in shown, f"a participant folder name reached the browser ({name[:2]}...)"
