"""Redraw latency and payload of the correlation explorer when the feature pair changes, in a real browser.

    python benchmarks/bench_correlations.py [--events 5000] [--changes 30] [--json out.json]
    python benchmarks/bench_correlations.py --quick      # a check that it runs: 1,000 events, 6 changes

Data: a synthetic event table of ``--events`` rows with the layout of
:func:`mmme_analysis.stats.event_table` (20 subjects x 10 trials, half micro-expressions and
half matched controls, 24 continuous features named as the table's and 6 AU indicators;
features correlated through a shared latent factor and a subject offset). Generating it
takes no physiology processing, so the figures are the dashboard's alone.

Serves, with ``panel serve`` on 127.0.0.1 (this file is also the served app), (a) the
:class:`~mmme_analysis.dashboard.CorrelationExplorer` on that table (the whole page: heat map,
scatter matrix of three features, permutation null, fit panels), and (b) the baseline:
a bare HoloViews scatter of the same points (``hv.Scatter`` of the same ``hv.Dataset``,
same size and glyph, in a ``DynamicMap`` driven by two ``Select`` widgets), no statistics,
no linked brushing. Debian's Chromium (Playwright) then changes one feature of the pair at
a time (x, then y, alternately; never a feature of the scatter matrix) on both and measures:

* redraw: the ``change`` event of the ``<select>`` -> the next animation frame after the
  scatter's Bokeh data source holds the new pair's columns (all points): p50, p95, max, and
  the ratio to the bare scatter's;
* statistics shown (explorer only): the same change -> the fit panel names the new pair
  (correlation, mixed model, permutation null, leave-one-subject-out, ME vs non-ME
  contrast; they run after the redraw was sent);
* payload: the bytes (and messages) the page's websocket receives per change, until the
  page is quiet; compared with the two columns of the pair (``2 x n x 8`` bytes) and with
  the whole table's feature columns (``n_features x n x 8`` bytes);
* brushing (explorer only): 50, 500 and 2,500 events brushed on the pair (its selected
  indices set as a box would): bytes sent and received until the page is quiet (the
  indices, to the server and back to the three matrix scatters) and the time until the
  page shows the brushed count.

Figures depend on the machine; run it on an otherwise idle one.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CONTINUOUS = ["ann_duration", "ann_onset_apex", "ecg_hr_onset", "ecg_hr_apex", "ecg_hr_offset", "ecg_slope_onset",
              "ecg_slope_apex", "ecg_slope_offset", "ecg_absslope_onset", "ecg_absslope_apex", "ecg_absslope_offset",
              "ecg_hrv_rmssd", "eda_phasic_peak", "eda_latency", "ppg_amplitude", "rsp_rate", "rsp_amplitude",
              "skt_change", "eeg_alpha_frontal_power", "eeg_alpha_frontal_de", "eeg_theta_central_power",
              "eeg_theta_central_de", "eeg_beta_parietal_power", "eeg_beta_parietal_de"]
AUS = ["au_1", "au_2", "au_4", "au_6", "au_12", "au_14"]


# -- the data ------------------------------------------------------------------------------
def make_table(n_events: int, seed: int = 0) -> pd.DataFrame:
    """A synthetic event table of ``n_events`` rows (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n_sub, n_trial = 20, 10
    n_me = n_events // 2
    trial_of = rng.integers(0, n_sub * n_trial, n_me)
    subj = trial_of // n_trial
    trials = np.array([f"sub-{s + 1:02d}_{101 + t % n_trial}" for s, t in zip(subj, trial_of)])
    subjects = np.array([f"sub-{s + 1:02d}" for s in subj])
    me_ids = np.array([f"{t}:e{i}" for i, t in enumerate(trials)])
    apex = rng.uniform(2, 100, n_me)
    rows = pd.DataFrame({
        "event_id": np.concatenate([me_ids, [f"{e}:c1" for e in me_ids]]),
        "trial": np.tile(trials, 2), "subject": np.tile(subjects, 2),
        "kind": np.repeat(["micro", "control"], n_me), "matched_to": np.concatenate([[None] * n_me, me_ids]),
        "emotion7": np.concatenate([rng.choice(["happiness", "disgust", "fear", "surprise"], n_me), [None] * n_me]),
        "apex": np.concatenate([apex, rng.uniform(2, 100, n_me)]),
    })
    n = len(rows)
    latent = rng.normal(size=n) + 0.8 * (rows["kind"] == "micro").to_numpy()  # an ME response
    offset = rng.normal(size=n_sub)[np.tile(subj, 2)]
    for k, c in enumerate(CONTINUOUS):
        w = rng.uniform(-0.6, 0.6)
        rows[c] = w * latent + 0.5 * offset * (k % 3 == 0) + rng.normal(size=n)
    for c in AUS:
        rows[c] = ((rng.uniform(size=n) < 0.3) & (rows["kind"] == "micro").to_numpy()).astype("int64")
    rows["onset"], rows["offset"] = rows["apex"] - 0.1, rows["apex"] + 0.2
    rows.attrs["features"] = CONTINUOUS + AUS
    rows.attrs["units"] = {c: "1" for c in AUS}
    return rows


# -- the served apps (this file under panel serve) ---------------------------------------------
def _app(kind: str, table_path: str):
    import holoviews as hv
    import panel as pn

    table = pd.read_pickle(table_path)
    if kind == "corr":
        from mmme_analysis.dashboard import CorrelationExplorer

        return CorrelationExplorer(table, explorer_url="", n_permutations=1000)
    hv.renderer("bokeh")
    feats = list(table.attrs["features"])
    ds = hv.Dataset(table[feats].astype(float))  # as the explorer's pair view holds them
    x = pn.widgets.Select(name="x", options=feats, value=feats[0])
    y = pn.widgets.Select(name="y", options=feats, value=feats[1])

    def scatter(x, y):
        return hv.Scatter(ds, x, y).opts(framewise=True, size=5, width=520, height=440, title=f"{y} vs {x}")

    return pn.Row(pn.Column(x, y, width=300), pn.pane.HoloViews(hv.DynamicMap(pn.bind(scatter, x, y))))


def _serve_main():
    import panel as pn

    p = argparse.ArgumentParser()
    p.add_argument("--app", default="corr")
    p.add_argument("--data", required=True)
    args, _ = p.parse_known_args(sys.argv[1:])
    pn.extension(notifications=False)
    _app(args.app, args.data).servable(title=f"bench correlations ({args.app})")


# -- the browser side ------------------------------------------------------------------------
# arm: the next 'change' of select #i stamps t0; then, each animation frame, look for a scatter
# renderer whose glyph shows (x, y) with all n points; the frame after it is the redraw.
JS_ARM = """([i, x, y, n]) => new Promise((resolve) => {
  const deep = (root, out = []) => {
    root.querySelectorAll('select').forEach(s => out.push(s));
    root.querySelectorAll('*').forEach(el => { if (el.shadowRoot) deep(el.shadowRoot, out); });
    return out;
  };
  const sel = deep(document)[i];
  window.__t0 = null; window.__redraw = null;
  sel.addEventListener('change', () => { window.__t0 = performance.now(); }, {once: true});
  const shows = () => [...Bokeh.documents[0].all_models].some(m => m.glyph && m.data_source && m.glyph.x &&
      m.glyph.x.field === x && m.glyph.y && m.glyph.y.field === y && m.visible !== false &&
      (m.data_source.data[x] || []).length === n && (m.data_source.data[y] || []).length === n);
  const tick = () => {
    if (window.__t0 !== null && shows()) {
      requestAnimationFrame(() => { window.__redraw = performance.now() - window.__t0; });
      return;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  resolve(true);
})"""
# the fit panel names the pair (explorer): the time since the change
JS_FIT = """([x, y]) => {
  const m = [...Bokeh.documents[0].all_models].find(m => (m.css_classes || []).includes('mmme-fit'));
  return m && m.text.includes(`${y} vs ${x}`) ? performance.now() - window.__t0 : null;
}"""


class _Wire:
    """Bytes and messages received (and bytes sent) by one page's websocket."""

    def __init__(self, page):
        self.bytes = self.messages = self.sent = 0
        self.last = time.monotonic()
        page.on("websocket", self._ws)

    def _ws(self, ws):
        ws.on("framereceived", self._frame)
        ws.on("framesent", self._sent)

    def _frame(self, payload):
        self.bytes += len(payload)
        self.messages += 1
        self.last = time.monotonic()

    def _sent(self, payload):
        self.sent += len(payload)


# brush k events on the pair as a box would (the page sets its scatter's selected indices)
JS_BRUSH = """(idx) => {
  const tool = [...Bokeh.documents[0].all_models].find(m => (m.tags || []).includes('mmme-open-explorer'));
  tool.renderers[0].data_source.selected.indices = idx;
}"""
# the brushed count the page shows
JS_COUNT = """() => {
  const m = [...Bokeh.documents[0].all_models].find(m => (m.css_classes || []).includes('mmme-brush-count'));
  const t = m ? m.text.replace(/&lt;[^&]*&gt;|<[^>]*>/g, '') : '';
  const r = /Brushed: (\\d+) of/.exec(t);
  return r ? Number(r[1]) : null;
}"""


def measure_brush(page, wire, n, sizes=(50, 500, 2500), quiet_s=0.4, seed=1):
    """Bytes sent and received when ``k`` events are brushed on the pair (shown on the matrix too)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in (k for k in sizes if k <= n // 2):
        idx = sorted(rng.choice(n, k, replace=False).tolist())
        b0, s0 = wire.bytes, wire.sent
        t0 = time.monotonic()
        page.evaluate(JS_BRUSH, idx)
        shown = _wait(page, lambda k=k: k if page.evaluate(JS_COUNT) == k else None)
        dt = time.monotonic() - t0
        while time.monotonic() - wire.last < quiet_s:
            page.wait_for_timeout(50)
        out.append({"brushed": k, "count_shown": shown == k, "count_ms": 1000 * dt, "bytes_received": wire.bytes - b0,
                    "bytes_sent": wire.sent - s0})
    return out


def _wait(page, fn, timeout=120.0):
    t_end = time.monotonic() + timeout
    while True:
        v = fn()
        if v is not None or time.monotonic() > t_end:
            return v
        page.wait_for_timeout(10)


def _changes(n_changes: int, matrix: int = 3):
    """(select index, x, y) per change: x and y alternately, features outside the scatter matrix."""
    pool = CONTINUOUS[matrix:]
    x, y, out = CONTINUOUS[0], CONTINUOUS[1], []
    for k in range(n_changes + 1):  # the first is a warm-up
        f = pool[k % len(pool)]
        if k % 2 == 0:
            x = f if f != y else pool[(k + 1) % len(pool)]
            out.append((0, x, y))
        else:
            y = f if f != x else pool[(k + 1) % len(pool)]
            out.append((1, x, y))
    return out


def measure(browser, url, kind, n, n_changes, quiet_s=0.4):
    page = browser.new_page(viewport={"width": 1500, "height": 1200})
    wire = _Wire(page)
    page.goto(url)
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length && "
                           "[...Bokeh.documents[0].all_models].some(m => m.glyph && m.data_source)", timeout=300_000)
    page.wait_for_timeout(2000)
    redraw, fit, nbytes, nmsg = [], [], [], []
    for k, (i, x, y) in enumerate(_changes(n_changes)):
        page.evaluate(JS_ARM, [i, x, y, n])
        b0, m0 = wire.bytes, wire.messages
        page.locator("select").nth(i).select_option(x if i == 0 else y)
        r = _wait(page, lambda: page.evaluate("() => window.__redraw"))
        f = _wait(page, lambda pair=[x, y]: page.evaluate(JS_FIT, pair)) if kind == "corr" else None
        while time.monotonic() - wire.last < quiet_s:  # the page is quiet: every message of this change arrived
            page.wait_for_timeout(50)
        if k == 0:
            continue  # warm-up
        if r is None:
            raise RuntimeError(f"{kind}: the scatter of ({x}, {y}) was not drawn")
        redraw.append(r)
        fit.append(f)
        nbytes.append(wire.bytes - b0)
        nmsg.append(wire.messages - m0)
    brush = measure_brush(page, wire, n) if kind == "corr" else None
    page.close()
    out = {"redraw_ms": redraw, "bytes": nbytes, "messages": nmsg}
    if kind == "corr":
        out["statistics_ms"] = fit
        out["brush"] = brush
    return out


def _pct(v, q):
    return float(np.percentile(np.asarray(v, float), q))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--events", type=int, default=5000)
    p.add_argument("--changes", type=int, default=30)
    p.add_argument("--quick", action="store_true", help="1,000 events, 6 changes (a check that it runs)")
    p.add_argument("--json", default=None, help="write the figures to this file")
    args = p.parse_args(argv)
    if args.quick:
        args.events, args.changes = 1000, 6
    sys.path.insert(0, str(HERE))
    from explorer_browser import serve
    from playwright.sync_api import sync_playwright

    table = make_table(args.events)
    n = len(table)
    results = {"events": n, "subjects": int(table["subject"].nunique()), "changes": args.changes,
               "features": len(table.attrs["features"])}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        path = Path(tmp) / "table.pkl"
        table.to_pickle(path)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for kind in ("bare", "corr"):
                proc, url = serve(Path(__file__).resolve(), kind, str(path))
                try:
                    results[kind] = measure(browser, url, kind, n, args.changes)
                finally:
                    proc.terminate()
                    proc.wait(10)
        finally:
            browser.close()
    corr = results["corr"]
    KINDS = ("bare", "corr")
    summary = {
        "redraw_p50_ms": {k: _pct(results[k]["redraw_ms"], 50) for k in KINDS},
        "redraw_p95_ms": {k: _pct(results[k]["redraw_ms"], 95) for k in KINDS},
        "redraw_max_ms": {k: float(np.max(results[k]["redraw_ms"])) for k in KINDS},
        "statistics_p50_ms": _pct(corr["statistics_ms"], 50), "statistics_p95_ms": _pct(corr["statistics_ms"], 95),
        "bytes_per_change_median": {k: float(np.median(results[k]["bytes"])) for k in KINDS},
        "messages_per_change_median": {k: float(np.median(results[k]["messages"])) for k in KINDS},
        "pair_columns_bytes": 2 * n * 8, "table_feature_bytes": len(table.attrs["features"]) * n * 8,
    }
    summary["redraw_p95_ratio_corr_to_bare"] = summary["redraw_p95_ms"]["corr"] / summary["redraw_p95_ms"]["bare"]
    summary["redraw_p95_target_ms"] = 300.0
    summary["redraw_p95_within_target"] = summary["redraw_p95_ms"]["corr"] <= 300.0
    results["summary"] = summary
    s = summary
    print(f"{n} events, {results['subjects']} subjects, {results['features']} features; {args.changes} changes of one "
          "feature of the pair (after one warm-up)")
    for k, label in (("corr", "explorer"), ("bare", "bare scatter")):
        print(f"redraw p50 / p95 / max (ms), {label}: {s['redraw_p50_ms'][k]:.0f} / {s['redraw_p95_ms'][k]:.0f} / "
              f"{s['redraw_max_ms'][k]:.0f}; bytes per change (median) {s['bytes_per_change_median'][k]:.0f} in "
              f"{s['messages_per_change_median'][k]:.0f} messages")
    print(f"p95 ratio explorer / bare: {s['redraw_p95_ratio_corr_to_bare']:.2f}; target explorer p95 <= 300 ms: "
          f"{'met' if s['redraw_p95_within_target'] else 'NOT met'}")
    print(f"statistics shown after the change, p50 / p95 (ms): {s['statistics_p50_ms']:.0f} / {s['statistics_p95_ms']:.0f}")
    print(f"for scale: the pair's two columns are {s['pair_columns_bytes']} bytes, the whole table's features "
          f"{s['table_feature_bytes']}")
    for b in corr["brush"]:
        print(f"brush of {b['brushed']} events on the pair (shown on the 3 matrix scatters too): sent {b['bytes_sent']} bytes, "
              f"received {b['bytes_received']}; count shown after {b['count_ms']:.0f} ms"
              f"{'' if b['count_shown'] else ' (NOT shown)'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return results


if __name__.startswith("bokeh_app"):
    _serve_main()
elif __name__ == "__main__":
    main()
