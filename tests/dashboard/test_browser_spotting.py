"""Browser test (Chromium, as test_browser.py): the Explorer on the demo shows the baseline's
predictions by default, the score track and the intervals coloured by outcome, and a click
on an interval seeks the video to its apex.

The expected intervals of each outcome are computed here from the demo's files and
annotations (:func:`~mmme_analysis.dashboard.spot_outcomes.spot_outcomes`); the page's
Bokeh models must hold the same ones, in the outcome's colour.
"""
from __future__ import annotations

import numpy as np
import pytest

from . import test_browser as _tb
from .test_browser import _cursors, _painted, _serve_app, _until

browser = _tb.browser

pytestmark = pytest.mark.browser

# what the predictions track of the page holds: per named renderer its intervals and colour
TRACK = """() => {
  const out = {};
  for (const m of Bokeh.documents[0].all_models) {
    if (!m.name || !m.name.startsWith('mmme-pred-')) continue;
    const d = m.data_source.data, c = m.glyph.fill_color;
    out[m.name.slice(10)] = {n: (d.left || d.x || []).length, left: Array.from(d.left || []),
                             apex: Array.from(d.apex || []), text: Array.from(d.text || []),
                             color: c && typeof c === 'object' ? c.value : c,
                             visible: m.visible};
  }
  const fig = [...Bokeh.documents[0].all_models].find(m => m.name === 'mmme-predictions');
  out.figure = fig ? {visible: fig.visible, title: fig.title.text,
                      legend: fig.above.filter(l => l.items).flatMap(l => l.items.filter(i => i.visible)
                                                                           .map(i => i.label.value))} : null;
  return out;
}"""
# page coordinates of time x and height y (0..1 up the lanes) on the predictions track
WHERE = """([x, y]) => {
  const pv = [...Bokeh.index.query(v => v.model && v.model.name === 'mmme-predictions')][0];
  pv.canvas_view.el.scrollIntoView({block: 'center'});
  const box = pv.canvas_view.el.getBoundingClientRect();
  return [box.left + pv.frame.x_scale.compute(x), box.top + pv.frame.y_scale.compute(y)];
}"""


def _expected():
    """The demo trial whose predictions show the most outcomes, and its outcome tables."""
    import mmme_analysis as mm
    from mmme_analysis.dashboard import read_predictions
    from mmme_analysis.dashboard.spot_outcomes import scored_kinds, spot_outcomes

    ds = mm.open_dataset(mm.demo.data_path())
    pred = read_predictions(mm.demo.data_path("predictions") / "baseline_intervals.csv")
    kinds, by_kind = scored_kinds(pred.table["label"])
    best = None
    for trial in ds.trials["trial"]:
        tree = ds.trial(trial)
        ev = tree["events"].to_dataset()
        events = {c: np.asarray(ev[c].values) for c in ("onset", "apex", "offset", "kind", "offset_coded") if c in ev}
        import pandas as pd

        times = np.asarray(tree["video"]["time"].values, float)
        fps = float(tree["video"].attrs["fps"])
        predicted, missed = spot_outcomes(pred.for_trial(trial), pd.DataFrame(events), fps=fps, t0=times[0],
                                          kinds=kinds, by_kind=by_kind)
        counts = {o: int((predicted["outcome"] == o).sum()) for o in ("TP", "FP", "dropped")} | {"missed": len(missed)}
        score = (sum(v > 0 for v in counts.values()), counts.get("TP", 0))
        if best is None or score > best[0]:
            best = (score, trial, predicted, missed, counts, times)
    return best[1:]


def test_demo_explorer_shows_scores_and_coloured_intervals_and_seeks_apex(browser):
    from mmme_analysis import demo
    from mmme_analysis.dashboard.spot_outcomes import OUTCOME_COLORS

    trial, predicted, missed, counts, times = _expected()
    assert sum(v > 0 for v in counts.values()) >= 3, counts  # the demo shows at least three of the four
    with _serve_app("--data", str(demo.data_path())) as url:
        pg = browser.new_page(viewport={"width": 1400, "height": 1100})
        errors = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        try:
            pg.goto(f"{url}?trial={trial}")
            pg.wait_for_selector(".mmme-player[data-painted]", timeout=60_000)
            track = _until(pg, lambda: (lambda t: t if t.get("figure") and t["figure"]["visible"]
                                        and t.get("score", {}).get("n") else None)(pg.evaluate(TRACK)), timeout=60)
            assert track, "no predictions track with a score line on the page"
            assert track["score"]["n"] > 100  # the score line (downsampled to the plot's width)
            assert "baseline_intervals.csv" in track["figure"]["title"]
            assert "baseline_spotting.csv" in track["figure"]["title"]
            for outcome, n in counts.items():
                assert track[outcome]["n"] == n, (outcome, track[outcome], counts)
                assert track[outcome]["color"] == OUTCOME_COLORS[outcome]
            rows = predicted[predicted["outcome"] == "dropped"]
            assert track["dropped"]["left"] == pytest.approx(rows["onset"].tolist())
            assert all(t.startswith("HRS ") for t in track["dropped"]["text"])  # greyed, with their HRS
            assert track["missed"]["apex"] == pytest.approx(missed["target"].tolist())
            legend = track["figure"]["legend"]
            assert f"TP ({counts['TP']})" in legend and f"missed (ground truth) ({counts['missed']})" in legend

            # click a quarter into an interval: the video goes to its apex, not to the click
            pick = predicted[predicted["outcome"].isin(["TP", "FP"])]
            row = (pick if len(pick) else predicted).iloc[0]
            x = row["onset"] + 0.25 * (row["offset"] - row["onset"])
            frame = int(np.argmin(np.abs(times - row["target"])))
            assert abs(int(np.argmin(np.abs(times - x))) - frame) > 2  # the click is frames away from the apex
            px, py = pg.evaluate(WHERE, [x, 0.6])
            pg.mouse.click(px, py)
            _painted(pg, frame, timeout=30_000)
            locs = _cursors(pg, expected=float(times[frame]), timeout=30)
            assert locs and all(abs(v - times[frame]) < 1e-9 for v in locs), (locs, times[frame])
            assert pg.locator(".mmme-frame-label").text_content().startswith(f"frame {frame} / ")
            assert errors == []
        finally:
            pg.close()
