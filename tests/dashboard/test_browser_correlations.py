"""Browser test (Chromium, as test_browser.py): the correlation explorer served beside the
Explorer on the demo (``panel serve dashboards/correlations.py dashboards/explorer.py``).

Choosing a feature pair redraws the scatter with those two columns; dragging a box over part
of it brushes those points, and the page's count says how many (the number is computed here
from the demo's event table); a click on a point opens the Explorer at that event's apex
frame (``/explorer?trial=...&t=...``, the video frame nearest the apex); a click on a
heat-map cell makes its two features the pair.
"""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

from . import test_browser as _tb
from .test_browser import REPO, _panel_serve, _until

browser = _tb.browser

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")]

X, Y = "ecg_hr_apex", "ecg_slope_apex"

# the pair's scatter (the figure with the Explorer tap tool): its glyph fields, points and frame on the page
PAIR = """() => {
  const v = [...Bokeh.index.query(v => v.model && v.model.toolbar &&
             v.model.toolbar.tools.some(t => (t.tags || []).includes('mmme-open-explorer')))][0];
  if (!v) return null;
  const tool = v.model.toolbar.tools.find(t => (t.tags || []).includes('mmme-open-explorer'));
  const r = tool.renderers[0], d = r.data_source.data;
  v.canvas_view.el.scrollIntoView({block: 'center'});
  const box = v.canvas_view.el.getBoundingClientRect(), f = v.frame.bbox;
  return {title: v.model.title.text, x: r.glyph.x.field, y: r.glyph.y.field,
          xs: Array.from(d[r.glyph.x.field]), ys: Array.from(d[r.glyph.y.field]),
          left: box.left + f.left, right: box.left + f.right, top: box.top + f.top, bottom: box.top + f.bottom};
}"""
# page coordinates of data point (x, y) on the pair's scatter
WHERE = """([x, y]) => {
  const v = [...Bokeh.index.query(v => v.model && v.model.toolbar &&
             v.model.toolbar.tools.some(t => (t.tags || []).includes('mmme-open-explorer')))][0];
  const box = v.canvas_view.el.getBoundingClientRect();
  return [box.left + v.frame.x_scale.compute(x), box.top + v.frame.y_scale.compute(y)];
}"""
# the selected indices of every scatter on the page (the pair's and the matrix's)
SELECTED = """() => [...Bokeh.documents[0].all_models].filter(m => m.glyph && m.data_source && m.glyph.type === 'Scatter')
  .map(m => Array.from(m.data_source.selected.indices).sort((a, b) => a - b))"""
# the heat map's off-diagonal cells: their features and page coordinates
CELLS = """() => {
  const has = (r) => r.data_source && r.data_source.data && 'zvalues' in r.data_source.data;
  const v = [...Bokeh.index.query(v => v.model && v.frame && Array.isArray(v.model.renderers) && v.model.renderers.some(has))][0];
  if (!v) return null;
  const d = v.model.renderers.find(has).data_source.data;
  v.canvas_view.el.scrollIntoView({block: 'center'});
  const box = v.canvas_view.el.getBoundingClientRect(), cells = [];
  for (let i = 0; i < d.x.length; i++)
    if (d.x[i] !== d.y[i])
      cells.push({x: d.x[i], y: d.y[i],
                  px: box.left + v.frame.x_scale.compute(v.model.x_range.synthetic(d.x[i])),
                  py: box.top + v.frame.y_scale.compute(v.model.y_range.synthetic(d.y[i]))});
  return cells;
}"""
# the text of a Panel pane by its CSS class
TEXT = """(cls) => {
  const m = [...Bokeh.documents[0].all_models].find(m => (m.css_classes || []).includes(cls));
  return m ? m.text : null;
}"""

# every string the page holds: its DOM, shadow roots included, and every property of every Bokeh model
PAGE_TEXT = """() => {
  const out = [];
  const dom = (node) => {
    if (node.shadowRoot) { out.push(node.shadowRoot.innerHTML); node.shadowRoot.querySelectorAll('*').forEach(dom); }
  };
  out.push(document.documentElement.outerHTML);
  document.querySelectorAll('*').forEach(dom);
  const seen = new Set();
  const add = (v) => {
    if (typeof v === 'string') { out.push(v); return; }
    if (!v || typeof v !== 'object' || seen.has(v) || ArrayBuffer.isView(v) || v.properties) return;
    seen.add(v);
    if (v instanceof Map) v.forEach((x, k) => { add(k); add(x); });
    else if (Array.isArray(v)) v.forEach(add);
    else Object.values(v).forEach(add);
  };
  for (const m of Bokeh.documents[0].all_models)
    for (const k of Object.keys(m.properties)) { try { add(m[k]); } catch (e) { /* unset property */ } }
  return out.join(' ');
}"""


def _serve_both():
    """``panel serve dashboards/correlations.py dashboards/explorer.py`` (the demo): the base URL."""
    return _panel_serve([REPO / "dashboards" / "correlations.py", REPO / "dashboards" / "explorer.py"],
                        "/correlations", ["--n-permutations", "200"], timeout=180.0)


def _demo():
    """The demo's event table (as the page computes it) and its dataset."""
    import mmme_analysis as mm

    path = mm.demo.data_path()
    return mm.stats.event_table(path, progress=False), mm.open_dataset(path)


def _count(text):
    plain = re.sub(r"<[^>]+>", "", html.unescape(text or ""))  # the pane's HTML, as text
    m = re.search(r"Brushed: (\d+) of (\d+) events", plain)
    return (int(m.group(1)), int(m.group(2))) if m else None


def test_pair_brush_count_and_click_opens_explorer_at_apex(browser):
    table, ds = _demo()
    ok = table[[X, Y]].notna().all(axis=1).to_numpy()
    pts = table[ok].reset_index(drop=True)
    assert len(pts) >= 6, pts  # enough points to brush part of them
    with _serve_both() as base:
        pg = browser.new_page(viewport={"width": 1500, "height": 1100})
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        try:
            pg.goto(f"{base}/correlations")
            pg.wait_for_selector(".mmme-brush-count", timeout=90_000)
            assert _until(pg, lambda: pg.evaluate(PAIR), timeout=60)
            assert _count(pg.evaluate(TEXT, "mmme-brush-count")) is None  # nothing brushed yet

            # choose the pair: the scatter is redrawn with those two columns
            pg.locator("select").nth(0).select_option(X)
            pg.locator("select").nth(1).select_option(Y)
            pair = _until(pg, lambda: (lambda p: p if p and p["title"].startswith(f"{Y} vs {X};") else None)(
                pg.evaluate(PAIR)), timeout=60)
            assert pair, pg.evaluate(PAIR)
            assert (pair["x"], pair["y"]) == (X, Y)
            xs, ys = np.asarray(pair["xs"], float), np.asarray(pair["ys"], float)
            shown = np.isfinite(xs) & np.isfinite(ys)
            np.testing.assert_allclose(np.sort(xs[shown]), np.sort(pts[X].to_numpy(float)))
            assert f"n = {len(pts)} events" in pair["title"]

            # brush the points left of a cut between two x values (the whole height of the frame)
            ux = np.sort(pts[X].to_numpy(float))
            cut = 0.5 * (ux[len(ux) // 2 - 1] + ux[len(ux) // 2])
            expected = int((pts[X] < cut).sum())
            assert 0 < expected < len(pts)
            x_cut, _ = pg.evaluate(WHERE, [cut, float(pts[Y].mean())])
            pg.mouse.move(pair["left"] + 2, pair["top"] + 2)
            pg.mouse.down()
            pg.mouse.move(x_cut, pair["bottom"] - 2, steps=8)
            pg.mouse.up()
            count = _until(pg, lambda: _count(pg.evaluate(TEXT, "mmme-brush-count")), timeout=60)
            assert count == (expected, len(table)), (count, expected, pg.evaluate(TEXT, "mmme-brush-count"))
            # the scatter matrix shows the same events brushed (rows of the table: its indices are the pair's)
            sel = _until(pg, lambda: (lambda v: v if len(v) >= 4 and len(set(map(tuple, v))) == 1 else None)(
                pg.evaluate(SELECTED)), timeout=30)
            assert sel and sel[0] == np.flatnonzero(ok & (table[X] < cut).to_numpy()).tolist(), pg.evaluate(SELECTED)

            # click a point: the Explorer opens at that event's apex frame
            row = pts.iloc[int(np.argmax(pts[X].to_numpy(float)))]  # the rightmost point, away from the others
            px, py = pg.evaluate(WHERE, [float(row[X]), float(row[Y])])
            with pg.context.expect_page(timeout=60_000) as opened:
                pg.mouse.click(px, py)
            ex = opened.value
            href = pg.evaluate("() => document.body.dataset.mmmeOpened")
            assert f"trial={row['trial']}&t=" in href and href.startswith("explorer?"), href
            times = np.asarray(ds.trial(row["trial"])["video"]["time"].values, float)
            frame = int(np.argmin(np.abs(times - float(row["apex"]))))
            ex.wait_for_selector(f".mmme-player[data-painted='{frame}']", timeout=90_000)
            assert f"trial={row['trial']}" in ex.url
            assert ex.locator(".mmme-frame-label").text_content().startswith(f"frame {frame} / ")
            ex.close()

            # click a heat-map cell: its two features become the pair (the selects and the scatter follow)
            cells = _until(pg, lambda: pg.evaluate(CELLS), timeout=30)
            cell = next(c for c in cells if not {c["x"], c["y"]} & {X, Y})  # two other features
            pg.mouse.click(cell["px"], cell["py"])
            picked = _until(pg, lambda: (lambda v: v if v == [cell["x"], cell["y"]] else None)(
                [pg.locator("select").nth(0).input_value(), pg.locator("select").nth(1).input_value()]), timeout=30)
            assert picked, ([pg.locator("select").nth(i).input_value() for i in (0, 1)], cell)
            assert _until(pg, lambda: (lambda p: p if p and (p["x"], p["y"]) == (cell["x"], cell["y"]) else None)(
                pg.evaluate(PAIR)), timeout=30)
            # back to the first pair with the selects, then the same cell again: it is the pair again
            pg.locator("select").nth(0).select_option(X)
            pg.locator("select").nth(1).select_option(Y)
            assert _until(pg, lambda: (lambda p: p if p and (p["x"], p["y"]) == (X, Y) else None)(pg.evaluate(PAIR)),
                          timeout=30)
            cell = next(c for c in _until(pg, lambda: pg.evaluate(CELLS), timeout=30)
                        if (c["x"], c["y"]) == (cell["x"], cell["y"]))
            pg.mouse.click(cell["px"], cell["py"])
            assert _until(pg, lambda: (lambda p: p if p and (p["x"], p["y"]) == (cell["x"], cell["y"]) else None)(
                pg.evaluate(PAIR)), timeout=30), pg.evaluate(PAIR)
            assert errors == []
        finally:
            pg.close()


def test_real_coding_sheet_page_shows_pseudonyms_only(browser, shared_data, monkeypatch):
    from tests.stats._sheets import read_sheet

    names = {str(r["Subject"]).strip() for r in read_sheet(shared_data / "mes_eeg_coding_file_combined.xlsx")}
    names -= {"", "None"}
    assert len(names) >= 10  # the sheet names its participants: the check below can fail
    monkeypatch.setenv("MMME_DATA_ROOT", str(shared_data))
    monkeypatch.setenv("MMME_DATA", "mes_eeg_coding_file_combined.xlsx")
    with _serve_both() as base:
        pg = browser.new_page(viewport={"width": 1500, "height": 1100})
        try:
            pg.goto(f"{base}/correlations")
            pg.wait_for_selector(".mmme-brush-count", timeout=90_000)
            assert _until(pg, lambda: pg.evaluate(PAIR), timeout=60)
            pg.locator("select").nth(2).select_option("subject")  # the subjects become groups to choose
            levels = _until(pg, lambda: (lambda o: o if len(o) > 5 else None)(
                pg.locator("select").nth(4).evaluate("s => [...s.options].map(o => o.value)")), timeout=60)
            assert levels and levels[0] == "all" and all(re.fullmatch(r"sub-\d\d", v) for v in levels[1:]), levels
            text = pg.evaluate(PAGE_TEXT)
            assert "ann_duration" in text and "sub-01" in text
            assert not [n for n in names if n in text]
        finally:
            pg.close()
