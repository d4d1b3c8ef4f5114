"""Scrub latency and payload of the Explorer, measured in a real browser.

    python benchmarks/bench_explorer.py [--seeks 50] [--sessions 5] [--json out.json]
    python benchmarks/bench_explorer.py --seeks 5 --sessions 2     # a quick check that it runs

Serves, with ``panel serve`` on 127.0.0.1, (a) the Explorer on a generated 60 s trial at
150 fps (9000 frames of 960 x 510 pixels) with 64 EEG channels at 1000 Hz and five
peripheral signals at 1000 Hz, all 64 channels shown, and (b) the baseline: a bare Panel app
whose slider drives one ``pn.pane.JPG`` showing the same frames (same JPEG encoder and
quality). Debian's Chromium (Playwright) then makes the same random seeks on both:

* frame painted: slider moved -> the requested frame is drawn (detected in
  ``requestAnimationFrame``, i.e. at paint), checked by pixels: every frame carries its own
  index as black/white blocks, decoded from the canvas / image;
* every cursor moved (Explorer): slider moved -> all time cursors of the plots at the
  frame's time, at paint;
* alone and with ``--sessions`` concurrent sessions seeking at the same time;
* bytes received by the browser per update (websocket frames), per seek and per change
  of the visible range, for a 10 s and a 60 s view.

Figures depend on the machine; run it on an otherwise idle one.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FPS = 150.0
DURATION = 60.0
N_FRAMES = int(DURATION * FPS)
TRIAL = "sub-01_101"  # the one trial of the generated dataset
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# -- the served apps ----------------------------------------------------------------------
def bench_dataset():
    """60 s, 150 fps, 64 EEG channels at 1000 Hz: the fake dataset of the dashboard tests."""
    sys.path.insert(0, str(REPO / "tests" / "dashboard"))
    from conftest import FakeDataset, FakeSpec

    spec = FakeSpec(duration=DURATION, fps=FPS, eeg_sfreq=1000.0, n_eeg=66, peri_sfreq=1000.0,
                    height=510, width=960, textured=True, subjects=("sub-01",), markers=(101,))
    return FakeDataset(spec)


def explorer_app():
    import panel as pn

    from mmme_analysis.dashboard import Explorer

    pn.extension()
    ds = bench_dataset()
    e = Explorer(ds, plot_width=900)
    e.eeg.channels = [c for c in e.eeg.param.channels.objects if c not in ("HEO", "VEO")]  # all 64 EEG
    return e


def baseline_app():
    import panel as pn

    from mmme_analysis.dashboard import TrialState

    pn.extension()
    state = TrialState(bench_dataset(), TRIAL)
    slider = pn.widgets.IntSlider(label="bench-frame", start=0, end=N_FRAMES - 1, value=0, width=600)
    image = pn.pane.JPG(state.frame(0).data, width=480)

    def show(event):
        image.object = state.frame(event.new).data

    slider.param.watch(show, "value")
    return pn.Column(slider, image)


if __name__.startswith("bokeh_app"):
    _which = sys.argv[sys.argv.index("--app") + 1] if "--app" in sys.argv else "explorer"
    (explorer_app() if _which == "explorer" else baseline_app()).servable()


# -- browser side -------------------------------------------------------------------------
JS_HELPERS = r"""
window.__bench = (() => {
  const deep = (sel, root = document) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const h = deep(sel, el.shadowRoot); if (h) return h; }
    }
    return null;
  };
  const bits = (src, w) => {
    const c = document.createElement('canvas'); c.width = w; c.height = 16;
    const ctx = c.getContext('2d'); ctx.drawImage(src, 0, 0);
    const d = ctx.getImageData(0, 0, w, 16).data;
    let v = 0;
    for (let b = 0; b < 14; b++) {
      let s = 0, n = 0;
      for (let y = 2; y < 14; y++) for (let x = b * 16 + 2; x < (b + 1) * 16 - 2; x++) {
        const k = (y * w + x) * 4; s += d[k] + d[k + 1] + d[k + 2]; n += 3;
      }
      v = (v << 1) | (s / n > 127 ? 1 : 0);
    }
    return v;
  };
  const explorer = (i, t_expected) => new Promise((resolve) => {
    const slider = deep('.mmme-slider'), canvas = deep('canvas.mmme-frame');
    const spans = [...Bokeh.index.query(v => v.model.name === 'mmme-cursor')].map(v => v.model);
    let tf = null, tc = null, exact = null;
    const onFrame = (e) => {
      if (e.detail.frame === i && tf === null) { tf = e.detail.t - t0; exact = bits(canvas, canvas.width) === i; }
    };
    window.addEventListener('mmme-frame', onFrame);
    const t0 = performance.now();
    slider.value = i; slider.dispatchEvent(new Event('input'));
    const poll = () => {
      const now = performance.now();
      if (tc === null && spans.every(s => Math.abs(s.location - t_expected) < 1e-9)) tc = now - t0;
      if ((tf !== null && tc !== null) || now - t0 > 10000) {
        window.removeEventListener('mmme-frame', onFrame);
        resolve({frame_ms: tf, cursor_ms: tc, exact, n_cursors: spans.length});
      } else requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
  const baseline = (i) => new Promise((resolve) => {
    const slider = [...Bokeh.documents[0].all_models].find(m => m.title === 'bench-frame');
    const img = deep('img');
    const prev = img.src;
    let tf = null, exact = null;
    const t0 = performance.now();
    slider.value = i;
    const poll = () => {
      const now = performance.now();
      const cur = deep('img');
      if (cur.src !== prev && cur.complete && cur.naturalWidth) {
        const v = bits(cur, cur.naturalWidth);
        if (v === i) { tf = now - t0; exact = true; }
      }
      if (tf !== null || now - t0 > 10000) resolve({frame_ms: tf, cursor_ms: null, exact});
      else requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
  });
  const view = (x0, x1) => {
    const pv = [...Bokeh.index.query(v => v.model.name === 'mmme-eeg')][0];
    pv.model.x_range.setv({start: x0, end: x1});
    pv.trigger_ranges_update_event();
  };
  return {explorer, baseline, view};
})();
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: str):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", str(Path(__file__).resolve()), "--address", "127.0.0.1",
         "--port", str(port),
         "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "1", "--args", "--app", app],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/{Path(__file__).stem}"
    t_end = time.monotonic() + 300
    while True:
        try:
            with urllib.request.urlopen(url, timeout=120) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > t_end:
                raise RuntimeError(f"panel serve --app {app} did not start") from None
            time.sleep(0.5)


class Session:
    """One browser page on an app, counting the bytes its websocket receives."""

    def __init__(self, page):
        self.page = page
        self.received = 0
        page.on("websocket", self._ws)

    def _ws(self, ws):
        ws.on("framereceived", lambda payload: setattr(self, "received", self.received + len(payload)))

    @classmethod
    async def open(cls, browser, url, ready):
        ctx = await browser.new_context(viewport={"width": 1500, "height": 1200})
        page = await ctx.new_page()
        s = cls(page)
        await page.goto(url)
        await page.wait_for_selector(ready, timeout=120_000)
        await page.wait_for_timeout(1500)
        await page.evaluate(JS_HELPERS)
        return s

    async def seek(self, app, i):
        before = self.received
        if app == "explorer":
            r = await self.page.evaluate("([i, t]) => __bench.explorer(i, t)", [int(i), float(i / FPS)])
        else:
            r = await self.page.evaluate("(i) => __bench.baseline(i)", int(i))
        await self.page.wait_for_timeout(60)  # trailing messages of this update
        r["bytes"] = self.received - before
        return r


async def run_seeks(sessions, app, frames):
    """Every session seeks through ``frames`` (each its own order), all at the same time."""
    async def one(k, s):
        order = np.random.default_rng(100 + k).permutation(frames)
        return [await s.seek(app, int(i)) for i in order]

    results = await asyncio.gather(*(one(k, s) for k, s in enumerate(sessions)))
    return [r for rs in results for r in rs]


def summarize(rows, key):
    v = np.array([r[key] for r in rows if r.get(key) is not None], dtype=float)
    if not v.size:
        return None
    return {"p50": float(np.percentile(v, 50)), "p95": float(np.percentile(v, 95)), "n": int(v.size),
            "missing": int(len(rows) - v.size)}


async def bench(args):
    from playwright.async_api import async_playwright

    rng = np.random.default_rng(0)
    frames = rng.integers(0, N_FRAMES, args.seeks)
    out = {"setup": {"duration_s": DURATION, "fps": FPS, "n_frames": N_FRAMES, "eeg_channels": 64,
                     "frame_px": [960, 510], "seeks": int(args.seeks), "sessions": int(args.sessions),
                     "cpu_count": os.cpu_count()}}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for app, ready in (("explorer", ".mmme-player[data-painted]"), ("baseline", "img")):
            proc, url = serve(app)
            try:
                s0 = await Session.open(browser, url, ready)
                await run_seeks([s0], app, frames[:5])  # warm-up
                alone = await run_seeks([s0], app, frames)
                res = {"alone": {k: summarize(alone, k) for k in ("frame_ms", "cursor_ms")},
                       "exact_frames": f"{sum(bool(r['exact']) for r in alone)}/{len(alone)}",
                       "bytes_per_seek": summarize(alone, "bytes")}
                others = [await Session.open(browser, url, ready) for _ in range(args.sessions - 1)]
                conc = await run_seeks([s0] + others, app, frames)
                res["concurrent"] = {k: summarize(conc, k) for k in ("frame_ms", "cursor_ms")}
                res["concurrent"]["exact_frames"] = f"{sum(bool(r['exact']) for r in conc)}/{len(conc)}"
                for o in others:
                    await o.page.context.close()
                if app == "explorer":
                    views = {}
                    for width_s in (10.0, 60.0):
                        b0 = s0.received
                        await s0.page.evaluate("([a, b]) => __bench.view(a, b)", [0.0, width_s])
                        await s0.page.wait_for_timeout(3000)
                        view_bytes = s0.received - b0
                        sub = frames[frames < width_s * FPS][:10] if width_s < 60 else frames[:10]
                        seeks = [await s0.seek(app, int(i)) for i in sub]
                        views[f"{width_s:g}s"] = {"bytes_view_change": int(view_bytes),
                                                  "bytes_per_seek": summarize(seeks, "bytes")}
                    res["views"] = views
                out[app] = res
                print(json.dumps({app: res}), file=sys.stderr, flush=True)
                await s0.page.context.close()
            finally:
                proc.terminate()
                proc.wait(20)
        await browser.close()
    e, b = out["explorer"], out["baseline"]
    out["ratio_frame_p50_explorer_over_baseline"] = e["alone"]["frame_ms"]["p50"] / b["alone"]["frame_ms"]["p50"]
    out["ratio_frame_p95_explorer_over_baseline"] = e["alone"]["frame_ms"]["p95"] / b["alone"]["frame_ms"]["p95"]
    return out


def points_per_pixel():
    """Largest number of points per pixel of plot width over the traces of one update."""
    from mmme_analysis.dashboard import TrialState

    state = TrialState(bench_dataset(), TRIAL)
    chans = list(state.eeg_channels()["channel"])
    worst = 0.0
    for t1 in (10.0, 60.0):
        tr = state.eeg_traces(chans, 0.0, t1, 900)
        worst = max(worst, max(x.size for x in tr["xs"]) / 900)
        for name in state.peri_signals():
            worst = max(worst, state.peri_trace(name, 0.0, t1, 900)[0].size / 900)
    return worst


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeks", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--json", default=None, help="write the figures to this file")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is needed (apt-get install chromium)")
    out = asyncio.run(bench(args))
    out["max_points_per_pixel"] = points_per_pixel()
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
