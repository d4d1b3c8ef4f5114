"""Browser side of ``bench_explorer.py``: the page scripts, serving an app, one session's seeks.

Chromium (Debian's, driven by Playwright) opens the served page; ``JS_INIT`` and
``JS_HELPERS`` time a seek from the slider move to the paint of the requested frame
(read back from its stamped index) and of every time cursor.
"""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
N_BITS = 14  # stamped index: N_BITS blocks, most significant first, white = 1

# run before the page's own scripts: the arrival time of every websocket message
JS_INIT = r"""
(() => {
  const W = window.WebSocket;
  window.__arrivals = [];
  window.WebSocket = class extends W {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => window.__arrivals.push(performance.now()));
    }
  };
})();
"""

JS_HELPERS = r"""
window.__bench = ((SRC_W, N_BITS) => {
  const deep = (sel, root = document) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const h = deep(sel, el.shadowRoot); if (h) return h; }
    }
    return null;
  };
  // the stamped index, read from an image w pixels wide (the frame at any scale)
  const bits = (src, w) => {
    const block = Math.max(16, Math.floor(SRC_W / 16)) * w / SRC_W;
    const c = document.createElement('canvas'); c.width = w; c.height = Math.ceil(block);
    const ctx = c.getContext('2d'); ctx.drawImage(src, 0, 0);
    const d = ctx.getImageData(0, 0, w, c.height).data;
    let v = 0;
    for (let b = 0; b < N_BITS; b++) {
      let s = 0, n = 0;
      for (let y = Math.floor(block / 4); y < Math.floor(3 * block / 4); y++)
        for (let x = Math.floor((b + 0.25) * block); x < Math.floor((b + 0.75) * block); x++) {
          const k = (y * w + x) * 4; s += d[k] + d[k + 1] + d[k + 2]; n += 3;
        }
      v = (v << 1) | (s / n > 127 ? 1 : 0);
    }
    return v;
  };
  // first and last websocket message received between t0 and t1
  const arrivals = (t0, t1) => {
    const a = window.__arrivals.filter(t => t >= t0 && t <= t1);
    return a.length ? {first_msg_ms: a[0] - t0, last_msg_ms: a[a.length - 1] - t0} : {};
  };
  // the page's elements, looked up once (a search through every shadow root costs
  // milliseconds on the Explorer's page, which must not count as its latency)
  let found = null;
  const elements = () => found || (found = {
    slider: deep('.mmme-slider'), canvas: deep('canvas.mmme-frame'), layer: deep('.mmme-cursors'),
    spans: [...Bokeh.index.query(v => v.model.name === 'mmme-cursor')].map(v => v.model),
  });
  // no polling (a requestAnimationFrame loop costs a page ~100 ms of CPU per second in
  // headless Chromium, which would load the machine the servers run on): events and
  // mutation observers say when the frame or the cursors are ready, the time taken is at
  // the next animation frame (paint)
  const explorer = (i, t_expected) => new Promise((resolve) => {
    const {slider, canvas, layer, spans} = elements();
    // the cursor line over each figure; an Explorer from before the cursor layer has a
    // Bokeh Span in each figure instead
    const lines = layer ? layer.cursors() : spans;
    const at = layer ? (l => Number(l.dataset.time)) : (sp => sp.location);
    let tf = null, tc = null, exact = null, done = false;
    const finish = (force) => {
      if (done || (!force && (tf === null || tc === null))) return;
      done = true; clearTimeout(timer); watch.disconnect(); window.removeEventListener('mmme-frame', onFrame);
      resolve({frame_ms: tf, cursor_ms: tc, exact, n_cursors: lines.length,
               image_px: canvas.width, shown_px: canvas.getBoundingClientRect().width * devicePixelRatio,
               ...arrivals(t0, t0 + (tf === null ? 1e9 : tf))});
      if (!layer) spans.forEach(sp => sp.change.disconnect(cursorsDrawn));
    };
    const onFrame = (e) => {
      if (e.detail.frame === i && tf === null) { tf = e.detail.t - t0; exact = bits(canvas, canvas.width) === i; finish(); }
    };
    const cursorsAt = () => lines.every(l => Math.abs(at(l) - t_expected) < 1e-9);
    // the cursor is painted in the animation frame in which it moves: the layer moves its
    // lines in a requestAnimationFrame callback (this observer runs right after it); a
    // Bokeh Span repaints its figure in the animation frame after its model changed
    const drawn = () => { if (tc === null) { tc = performance.now() - t0; finish(); } };
    const cursorsDrawn = () => {
      if (tc === null && cursorsAt()) { if (layer) drawn(); else requestAnimationFrame(drawn); }
    };
    // the layer writes its data-time once every line is placed
    const watch = new MutationObserver(cursorsDrawn);
    if (layer) watch.observe(layer, {attributes: true, attributeFilter: ['data-time']});
    else spans.forEach(sp => sp.change.connect(cursorsDrawn));
    window.addEventListener('mmme-frame', onFrame);
    const timer = setTimeout(() => finish(true), 10000);
    const t0 = performance.now();
    slider.value = i; slider.dispatchEvent(new Event('input'));
    cursorsDrawn();  // already there (the same frame again)
  });
  const baseline = (i) => new Promise((resolve) => {
    const slider = [...Bokeh.documents[0].all_models].find(m => m.title === 'bench-frame');
    const img0 = deep('img'), root = img0.getRootNode(), prev = img0.src;
    let tf = null, exact = null, done = false, cur = img0;
    const finish = () => {
      if (done) return;
      done = true; clearTimeout(timer); watch.disconnect();
      resolve({frame_ms: tf, cursor_ms: null, exact, image_px: cur.naturalWidth,
               shown_px: cur.getBoundingClientRect().width * devicePixelRatio,
               ...arrivals(t0, t0 + (tf === null ? 1e9 : tf))});
    };
    const check = () => {
      const img = root.querySelector('img');
      if (!img || img.src === prev) return;
      cur = img;
      img.decode().then(() => requestAnimationFrame(() => {
        if (tf === null && bits(img, img.naturalWidth) === i) { tf = performance.now() - t0; exact = true; finish(); }
      })).catch(() => {});
    };
    const watch = new MutationObserver(check);
    watch.observe(root, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
    const timer = setTimeout(finish, 10000);
    const t0 = performance.now();
    slider.value = i;
  });
  const view = (x0, x1) => {
    const pv = [...Bokeh.index.query(v => v.model.name === 'mmme-eeg')][0];
    pv.model.x_range.setv({start: x0, end: x1});
    pv.trigger_ranges_update_event();
  };
  return {explorer, baseline, view};
})(%(src_w)d, %(n_bits)d);
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(script: Path, app: str, spec: str):
    """``panel serve`` ``script`` on a free local port with ``--args --app APP --data SPEC``; (process, url)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", str(script), "--address", "127.0.0.1",
         "--port", str(port), "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-procs", "1",
         "--args", "--app", app, "--data", spec],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/{script.stem}"
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
    """One browser page on an app, counting the bytes and messages its websocket receives."""

    def __init__(self, page):
        self.page = page
        self.received = 0
        self.messages = 0
        self.last = 0  # the frame shown (a page opens at frame 0)
        page.on("websocket", self._ws)

    def _ws(self, ws):
        ws.on("framereceived", self._frame)

    def _frame(self, payload):
        self.received += len(payload)
        self.messages += 1

    @classmethod
    async def open(cls, browser, url, ready, src_w):
        ctx = await browser.new_context(viewport={"width": 1500, "height": 1200})
        page = await ctx.new_page()
        await page.add_init_script(JS_INIT)
        s = cls(page)
        await page.goto(url)
        await page.wait_for_selector(ready, timeout=180_000)
        await page.wait_for_timeout(1500)
        await page.evaluate(JS_HELPERS % {"src_w": src_w, "n_bits": N_BITS})
        return s

    async def seek(self, app, i, t):
        before, n_before = self.received, self.messages
        if app == "explorer":
            r = await self.page.evaluate("([i, t]) => __bench.explorer(i, t)", [int(i), float(t)])
        else:
            r = await self.page.evaluate("(i) => __bench.baseline(i)", int(i))
        await self.page.wait_for_timeout(60)  # trailing messages of this update
        r["bytes"] = self.received - before
        r["messages"] = self.messages - n_before
        self.last = int(i)
        return r



async def browser_cpu_s(cdp) -> float:
    """CPU time (s) of all of Chromium's processes so far (``cdp``: a browser CDP session)."""
    return sum(p["cpuTime"] for p in (await cdp.send("SystemInfo.getProcessInfo"))["processInfo"])


def process_cpu_s(pid: int) -> float:
    """User + system CPU time (s) of process ``pid`` and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_seeks(sessions, app, frames, times):
    """Every session seeks through ``frames`` (each its own order), all at the same time."""
    async def one(k, s):
        order = np.random.default_rng(100 + k).permutation(len(frames))
        if len(order) > 1 and int(frames[order[0]]) == s.last:  # a seek must move: the baseline's
            order = np.roll(order, -1)                          # slider would not change
        return [await s.seek(app, int(frames[j]), float(times[j])) for j in order]

    results = await asyncio.gather(*(one(k, s) for k, s in enumerate(sessions)))
    return [r for rs in results for r in rs]


async def run_steps(session, app, starts, n_steps, time_of, pause_ms=150):
    """Frame-by-frame stepping: from each of ``starts`` (a seek, not recorded), ``n_steps``
    steps of one frame forward, one every ``pause_ms`` (a person pressing the arrow key:
    about 7 steps a second), each timed as a seek; each row says its ``step`` (1: the first
    after the seek, which no read-ahead can have prepared)."""
    rows = []
    for start in starts:
        start = int(start)
        await session.seek(app, start, time_of(start))
        await session.page.wait_for_timeout(pause_ms)
        for k in range(1, n_steps + 1):
            rows.append({**await session.seek(app, start + k, time_of(start + k)), "step": k})
            await session.page.wait_for_timeout(max(0, pause_ms - 60))  # seek() waits 60 ms itself
    return rows
