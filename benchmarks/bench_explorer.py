"""Scrub latency and payload of the Explorer on a real-size trial, measured in a real browser.

    python benchmarks/bench_explorer.py [--seeks 50] [--sessions 5] [--json out.json]
    python benchmarks/bench_explorer.py --quick        # a check that it runs (< 2 min): fake data, 4 s,
                                                       # 5 seeks, 2 sessions; its figures mean little
    python benchmarks/bench_explorer.py --data fake    # generated frames, no video file

Data (``--data real``, the default): one trial of the generator at the MMME camera's size,
``mmme synth DIR --subjects 1 --trials 1 --duration 20 --size 2048x1088`` (3000 frames at
150 fps, lossless HuffYUV, about 10 GB), opened with ``open_dataset`` (raw backend), so
every seek decodes a frame of a real recording through the suite's reader. Its frames
then carry their own index as 14 black/white blocks of ``width / 16`` pixels along the top
edge (128 px at 2048; stamped once, rewritten losslessly with the suite's video writer),
which the browser decodes from the image it paints at any display size. All of it is
cached in ``--cache`` (default ``$TMPDIR/mmme-bench-explorer``), never in the repository.
``--data fake`` instead serves the in-memory fake dataset of the dashboard tests at the
same size (frames generated on demand: no decoding cost).

Serves, with ``panel serve`` on 127.0.0.1, (a) the Explorer on that trial, all EEG
channels shown, and (b) the baseline: a bare Panel app whose slider drives one
``pn.pane.JPG`` showing the same frames, read from the same dataset by the same
``TrialState`` (same decoder, same scaling, same JPEG encoder and quality), scaled on the
server to the width it displays them at: the Explorer's player width (420 px). Debian's
Chromium (Playwright) then makes the same random seeks on both:

* frame painted: slider moved -> the requested frame is drawn (detected in
  ``requestAnimationFrame``, i.e. at paint), checked by its pixels (the stamped index);
* every cursor moved (Explorer): slider moved -> the time cursor line over every plot at
  the frame's time, at paint;
* alone and with ``--sessions`` concurrent sessions seeking at the same time;
* stepping frame by frame (alone): ``--steps`` steps of one frame forward from each of 5
  random frames, one every 150 ms (a person on the arrow key), where the Explorer's
  read-ahead has the next frame at hand after the first step (the baseline has none): all
  steps, the first ones, the others;
* bytes and websocket messages received by the browser per seek, and per change of the
  visible range (10 s, the whole trial); the size the frames arrive at and the size the
  page shows them at; the CPU time per seek of the server and of Chromium;
* on the server side, without a browser: the cost of one frame's read and decode,
  scaling and JPEG encoding.

Figures depend on the machine; run it on an otherwise idle one.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from explorer_browser import N_BITS, Session, browser_cpu_s, process_cpu_s, run_seeks, run_steps, serve  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FPS = 150.0
DISPLAY_WIDTH = 420  # the Explorer's player width (VideoView): the baseline shows frames at it
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# -- the data -----------------------------------------------------------------------------
def stamp_block(width: int) -> int:
    """Side (pixels) of the index blocks stamped on frames ``width`` pixels wide."""
    return max(16, int(width) // 16)


def stamp(frame: np.ndarray, index: int) -> np.ndarray:
    """``frame`` with ``index`` written along its top edge (see :func:`read_stamp`)."""
    block = stamp_block(frame.shape[1])
    for b in range(N_BITS):
        frame[:block, b * block:(b + 1) * block] = 255 if (index >> (N_BITS - 1 - b)) & 1 else 0
    return frame


def read_stamp(img: np.ndarray, source_width: int) -> int:
    """The index :func:`stamp` wrote, read from ``img`` (the frame at any scale)."""
    block = stamp_block(source_width) * img.shape[1] / source_width
    value = 0
    for b in range(N_BITS):
        cell = img[int(block / 4):int(3 * block / 4), int((b + 0.25) * block):int((b + 0.75) * block), :3]
        value = (value << 1) | int(cell.mean() > 127)
    return value


def _stamp_chunk(x, block_info=None):
    lo = block_info[0]["array-location"][0][0]
    x = np.array(x)
    for k in range(x.shape[0]):
        stamp(x[k], lo + k)
    return x


def prepare_real(cache: Path, duration: float, size: str) -> Path:
    """The generated raw dataset with stamped frames (made once, then reused from ``cache``)."""
    root = cache / f"synth-{size}-{duration:g}s"
    done = cache / f"{root.name}.stamped.json"
    if done.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    if not list(root.glob("*/video/*.avi")):
        print(f"generating {root} (mmme synth, about 35 ms per frame) ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "mmme_analysis.cli", "synth", str(root), "--subjects", "1",
                        "--trials", "1", "--duration", f"{duration:g}", "--size", size, "--overwrite"], check=True)
    from mmme_analysis.io.video import read_video, write_video

    for k, video in enumerate(sorted(root.glob("*/video/*.avi"))):
        # the raw layout's folder and file names carry the participant's name: not printed
        print(f"stamping the frame index on video {k + 1} of the generated trial ...", file=sys.stderr, flush=True)
        frames = read_video(video)
        tmp = cache / f"stamped-{video.name}"  # not among the videos; same file system: os.replace
        write_video(tmp, frames.data.map_blocks(_stamp_chunk, dtype=np.uint8), float(frames.attrs["fps"]))
        os.replace(tmp, video)
    done.write_text(json.dumps({"n_bits": N_BITS, "block": "width // 16"}))
    return root


def open_data(spec: str):
    """The dataset of ``spec``: ``fake[:SECONDS]`` (default 20 s) or ``real:PATH``."""
    if spec.split(":")[0] == "fake":
        sys.path.insert(0, str(REPO / "tests" / "dashboard"))
        from conftest import FakeDataset, FakeSpec

        duration = float(spec.split(":", 1)[1]) if ":" in spec else 20.0
        return FakeDataset(FakeSpec(duration=duration, fps=FPS, eeg_sfreq=1000.0, n_eeg=66, peri_sfreq=1000.0,
                                    height=1088, width=2048, textured=True, stamp_block=stamp_block(2048),
                                    subjects=("sub-01",), markers=(101,)))
    from mmme_analysis.dataset import open_dataset

    return open_dataset(spec.split(":", 1)[1])


# -- the served apps ----------------------------------------------------------------------
def explorer_app(spec: str):
    import panel as pn

    from mmme_analysis.dashboard import Explorer

    pn.extension()
    e = Explorer(open_data(spec), plot_width=900)
    chans = e.state.eeg_channels()
    e.eeg.channels = list(chans.loc[chans["ch_type"] == "eeg", "channel"])  # every EEG channel
    return e


def baseline_app(spec: str):
    import panel as pn

    from mmme_analysis.dashboard import TrialState

    pn.extension()
    ds = open_data(spec)
    state = TrialState(ds, str(ds.trials["trial"].iloc[0]), max_frame_width=DISPLAY_WIDTH)
    n = state.video_info().n_frames
    slider = pn.widgets.IntSlider(label="bench-frame", start=0, end=n - 1, value=0, width=600)
    image = pn.pane.JPG(state.frame(0).data, width=DISPLAY_WIDTH)

    def show(event):
        image.object = state.frame(event.new).data

    slider.param.watch(show, "value")
    return pn.Column(slider, image)


if __name__.startswith("bokeh_app"):
    _argv = sys.argv[1:]
    _which = _argv[_argv.index("--app") + 1]
    _spec = _argv[_argv.index("--data") + 1]
    (explorer_app(_spec) if _which == "explorer" else baseline_app(_spec)).servable()


# -- browser side (the page scripts, serving and sessions: explorer_browser.py) -------------
async def view_changes(s, frames, times, info, settle_ms=3000):
    """Bytes received per change of the visible range (10 s, whole trial) and per seek then."""
    views = {}
    duration = info.n_frames / info.fps
    for width_s in (10.0, duration):
        b0 = s.received
        await s.page.evaluate("([a, b]) => __bench.view(a, b)", [info.t_first, info.t_first + width_s])
        await s.page.wait_for_timeout(settle_ms)
        view_bytes = s.received - b0
        sub = [(f, t) for f, t in zip(frames, times) if t < info.t_first + width_s][:10]
        seeks = [await s.seek("explorer", int(f), float(t)) for f, t in sub]
        views[f"{width_s:g}s"] = {"bytes_view_change": int(view_bytes), "bytes_per_seek": summarize(seeks, "bytes")}
    return views


def points_per_pixel(ds, trial, width=900):
    """Largest number of points per pixel of plot width over the traces of one update."""
    from mmme_analysis.dashboard import TrialState

    state = TrialState(ds, trial)
    chans = list(state.eeg_channels()["channel"])
    lo, hi = state.extent()
    worst = 0.0
    for t1 in (min(lo + 10.0, hi), hi):
        tr = state.eeg_traces(chans, lo, t1, width)
        worst = max(worst, max(x.size for x in tr["xs"]) / width)
        for name in state.peri_signals():
            worst = max(worst, state.peri_trace(name, lo, t1, width)[0].size / width)
    return worst


def summarize(rows, key):
    v = np.array([r[key] for r in rows if r.get(key) is not None], dtype=float)
    if not v.size:
        return None
    return {"p50": float(np.percentile(v, 50)), "p95": float(np.percentile(v, 95)), "n": int(v.size),
            "missing": int(len(rows) - v.size)}


def _exact(rows):
    return f"{sum(bool(r['exact']) for r in rows)}/{len(rows)}"


async def bench(args, spec, info):
    from playwright.async_api import async_playwright

    rng = np.random.default_rng(0)
    frames = rng.choice(np.arange(1, info.n_frames), args.seeks, replace=False)  # distinct, none at 0
    times = [info.time(int(i)) for i in frames]
    out = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        cdp = await browser.new_browser_cdp_session()
        for app, ready in (("explorer", ".mmme-player[data-painted]"), ("baseline", "img")):
            proc, url = serve(Path(__file__).resolve(), app, spec)
            try:
                s0 = await Session.open(browser, url, ready, info.width)
                await run_seeks([s0], app, frames[:5], times[:5])  # warm-up
                cpu0, page0 = process_cpu_s(proc.pid), await browser_cpu_s(cdp)
                alone = await run_seeks([s0], app, frames, times)
                cpu = {"server": 1e3 * (process_cpu_s(proc.pid) - cpu0) / len(alone),
                       "browser": 1e3 * (await browser_cpu_s(cdp) - page0) / len(alone)}
                steps = await run_steps(s0, app, frames[:5] % (info.n_frames - args.steps - 1), args.steps,
                                        info.time) if args.steps else []
                res = {"alone": {k: summarize(alone, k) for k in ("frame_ms", "cursor_ms", "first_msg_ms",
                                                                  "last_msg_ms")},
                       "steps": {k: summarize(steps, k) for k in ("frame_ms", "cursor_ms")} if steps else None,
                       "steps_after_the_first": {k: summarize([r for r in steps if r["step"] > 1], k)
                                                 for k in ("frame_ms", "cursor_ms")} if steps else None,
                       "steps_first": summarize([r for r in steps if r["step"] == 1], "frame_ms") if steps else None,
                       "cpu_ms_per_seek": cpu,
                       "exact_frames": _exact(alone), "bytes_per_seek": summarize(alone, "bytes"),
                       "messages_per_seek": summarize(alone, "messages"),
                       "image_px": sorted({r["image_px"] for r in alone}),
                       "shown_px": sorted({round(r["shown_px"], 1) for r in alone})}
                others = [await Session.open(browser, url, ready, info.width) for _ in range(args.sessions - 1)]
                cpu0, page0 = process_cpu_s(proc.pid), await browser_cpu_s(cdp)
                conc = await run_seeks([s0] + others, app, frames, times)
                res["concurrent"] = {k: summarize(conc, k) for k in ("frame_ms", "cursor_ms", "first_msg_ms")}
                res["concurrent"]["cpu_ms_per_seek"] = {
                    "server": 1e3 * (process_cpu_s(proc.pid) - cpu0) / len(conc),
                    "browser": 1e3 * (await browser_cpu_s(cdp) - page0) / len(conc)}
                res["concurrent"]["exact_frames"] = _exact(conc)
                for o in others:
                    await o.page.context.close()
                if app == "explorer":
                    res["views"] = await view_changes(s0, frames, times, info, 1000 if args.quick else 3000)
                out[app] = res
                print(json.dumps({app: res}), file=sys.stderr, flush=True)
                await s0.page.context.close()
            finally:
                proc.terminate()
                proc.wait(20)
        await browser.close()
    e, b = out["explorer"], out["baseline"]
    for when in ("alone", "concurrent") + (("steps",) if args.steps else ()):
        for q in ("p50", "p95"):
            out[f"ratio_frame_{q}_{when}_explorer_over_baseline"] = (e[when]["frame_ms"][q]
                                                                     / b[when]["frame_ms"][q])
    return out


def server_costs(ds, trial, n=20):
    """Milliseconds per frame on the server, no browser: read + decode, scale, encode."""
    import cv2

    from mmme_analysis.dashboard import TrialState

    try:
        from mmme_analysis.dashboard.encoding import scale_image
    except ImportError:  # an Explorer from before the frames were scaled in steps
        def scale_image(rgb, width):
            h = round(rgb.shape[0] * width / rgb.shape[1])
            return cv2.resize(rgb, (width, h), interpolation=cv2.INTER_AREA)

    state = TrialState(ds, trial, max_frame_width=DISPLAY_WIDTH)
    reader = state.frames
    rows = {"read_decode": [], "scale": [], "jpeg": [], "frame_total": []}
    exact = 0
    for i in np.random.default_rng(1).integers(0, reader.info.n_frames, n):
        t0 = time.perf_counter()
        rgb = np.asarray(reader.read(int(i)))
        t1 = time.perf_counter()
        small = scale_image(rgb, reader.max_frame_width)
        t2 = time.perf_counter()
        ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(small[..., ::-1]),
                               [cv2.IMWRITE_JPEG_QUALITY, reader.jpeg_quality])
        t3 = time.perf_counter()
        fr = reader.frame(int(i) + 1 if int(i) + 1 < reader.info.n_frames else int(i) - 1)
        t4 = time.perf_counter()
        rows["read_decode"].append(t1 - t0)
        rows["scale"].append(t2 - t1)
        rows["jpeg"].append(t3 - t2)
        rows["frame_total"].append(t4 - t3)
        img = cv2.imdecode(np.frombuffer(fr.data, np.uint8), cv2.IMREAD_COLOR)
        exact += read_stamp(img, reader.info.width) == fr.index
    rows["read_at_display_width"] = []  # the dataset scales frames as it reads them
    for i in np.random.default_rng(2).integers(0, reader.info.n_frames, n):
        t0 = time.perf_counter()
        reader.read(int(i), DISPLAY_WIDTH)
        rows["read_at_display_width"].append(time.perf_counter() - t0)
    out = {k: {"p50": 1e3 * float(np.median(v)), "p95": 1e3 * float(np.percentile(v, 95))} for k, v in rows.items()}
    out["frames"] = n
    out["exact_frames"] = f"{exact}/{n}"
    out["image_px"] = [int(img.shape[1]), int(img.shape[0])]
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeks", type=int, default=50)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10, help="frame steps from each of 5 frames (0: none)")
    parser.add_argument("--data", choices=("real", "fake"), default="real")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "mmme-bench-explorer"),
                        help="folder of the generated trial (real data)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the generated trial")
    parser.add_argument("--size", default="2048x1088", help="frame size of the generated trial, WxH")
    parser.add_argument("--prepare-only", action="store_true", help="generate and stamp the trial, then stop")
    parser.add_argument("--json", default=None, help="write the figures to this file")
    parser.add_argument("--quick", action="store_true",
                        help="check that it runs (< 2 min): fake data, a 4 s trial, 5 seeks, 2 sessions")
    args = parser.parse_args(argv)
    spec = "fake"
    if args.quick:
        args.data, args.seeks, args.sessions, args.steps, spec = "fake", 5, 2, 3, "fake:4"
    if args.data == "real":
        spec = f"real:{prepare_real(Path(args.cache), args.duration, args.size)}"
    if args.prepare_only:
        return
    if not Path(CHROMIUM).exists():
        sys.exit(f"{CHROMIUM} is needed (apt-get install chromium)")
    from mmme_analysis.dashboard import TrialState

    ds = open_data(spec)
    trial = str(ds.trials["trial"].iloc[0])
    info = TrialState(ds, trial).video_info()
    setup = {"data": spec, "trial": trial, "fps": info.fps, "n_frames": info.n_frames,
             "frame_px": [info.width, info.height], "display_px": DISPLAY_WIDTH, "seeks": int(args.seeks),
             "sessions": int(args.sessions), "cpu_count": os.cpu_count()}
    out = {"setup": setup, "server_ms_per_frame": server_costs(ds, trial, n=5 if args.quick else 20)}
    print(json.dumps(out), file=sys.stderr, flush=True)
    out.update(asyncio.run(bench(args, spec, info)))
    out["max_points_per_pixel"] = points_per_pixel(ds, trial)
    text = json.dumps(out, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text)


if __name__ == "__main__":
    main()
