"""Frame-exact video player: a Panel ``JSComponent`` that pushes JPEG bytes to a canvas.

Why not ``pn.pane.Image`` with a slider: Panel debounces browser-to-server property changes
by 50 ms and re-sends the whole image as a base64 property. Here the browser sends each
seek as a custom message (``model.send_msg``, handled at once, no debounce) and the server
answers with the encoded frame as a binary buffer (``_send_msg``), drawn on a canvas with
``createImageBitmap``.

Only the newest position matters while scrubbing, so no frame queues up: the browser keeps
one seek in flight and, when a frame arrives, asks for the newest position passed in the
meantime (the positions in between are never asked for). On a server, frames are read
and encoded on a worker thread of the player
(:class:`~mmme_analysis.dashboard.worker.LatestRequest`), not on the event loop that
every session shares, one at a time; a request that arrives while a frame is being made
replaces any request still waiting (say a seek from the page and one from a plot click).
A frame encoded already (stepping back, say) is sent at once, from the event loop; after
a step (a move of at most ``read_ahead`` frames; not after a jump), the next ``read_ahead``
frames in its direction are read into that cache while the server has no frame request to
work
(:class:`~mmme_analysis.dashboard.worker.ReadAhead`), so that stepping frame by frame, or
slow playback, finds its next frame at hand.
The browser reports the size of the box it shows frames in (device pixels, again on
resize), so that frames are scaled on the server to what the page shows.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import param
from panel.custom import JSComponent
from panel.io.state import state

from .worker import LatestRequest, ReadAhead, Request

__all__ = ["FramePlayer"]

_ESM = r"""
export function render({ model, el }) {
  const root = document.createElement('div');
  root.className = 'mmme-player';
  const canvas = document.createElement('canvas');
  canvas.className = 'mmme-frame';
  canvas.width = 320; canvas.height = 180;
  const ctx = canvas.getContext('2d');
  const note = document.createElement('div');
  note.className = 'mmme-frame-message';
  const bar = document.createElement('div');
  bar.className = 'mmme-controls';
  const slider = document.createElement('input');
  slider.type = 'range'; slider.min = 0; slider.step = 1; slider.className = 'mmme-slider';
  const label = document.createElement('span');
  label.className = 'mmme-frame-label';
  const mk = (txt, cls, title) => {
    const b = document.createElement('button'); b.textContent = txt; b.className = 'mmme-btn ' + cls;
    b.title = title; bar.appendChild(b); return b;
  };
  const back = mk('\u25C0|', 'mmme-step-back', 'one frame back (left arrow)');
  const fwd = mk('|\u25B6', 'mmme-step-forward', 'one frame forward (right arrow)');
  const p1 = mk('\u25B6 1x', 'mmme-play-1', 'play at real time');
  const p025 = mk('\u25B6 0.25x', 'mmme-play-025', 'play at quarter speed');
  const p01 = mk('\u25B6 0.1x', 'mmme-play-01', 'play at a tenth of real time');
  const stopb = mk('\u25A0', 'mmme-pause', 'stop');
  bar.appendChild(label);
  root.append(canvas, slider, bar, note);
  el.appendChild(root);

  // one seek in flight: positions passed while it is out are never asked for (only the
  // newest matters); frames drawn in the order received; box: the size last reported
  let wanted = 0, inflight = null, playing = null, received = 0, drawn = 0, box = null, hello = false;
  const n = () => Math.max(1, model.n_frames);
  const clamp = (i) => Math.min(Math.max(0, Math.round(i)), n() - 1);
  const fmt = (i, t) => {
    const tt = t === undefined ? model.t_first + i / model.fps : t;
    return `frame ${i} / ${n() - 1} \u00B7 t = ${tt.toFixed(4)} s \u00B7 ${model.fps} fps`;
  };
  // text and attributes are written only when they change: each write makes the browser
  // lay out (part of) the page again before it paints the next frame
  const setText = (node, text) => { if (node.textContent !== text) node.textContent = text; };
  const setUi = (i) => {
    if (slider.max !== String(n() - 1)) slider.max = n() - 1;
    slider.value = i; setText(label, fmt(i)); root.dataset.wanted = i;
  };
  const send = (i) => { inflight = i; model.send_msg({ type: 'seek', frame: i }); };
  const request = (i) => {
    i = clamp(i); wanted = i; setUi(i);
    if (inflight === null) send(i);
  };
  // the box frames are shown in (device pixels): the container's width, the CSS max-height
  const measure = () => {
    const dpr = window.devicePixelRatio || 1;
    const maxH = parseFloat(getComputedStyle(canvas).maxHeight) || 420;
    return { width: Math.round(root.clientWidth * dpr), height: Math.round(maxH * dpr) };
  };
  const report = () => {
    const b = measure();
    if (!b.width) return;
    if (!hello) { hello = true; box = b; model.send_msg({ type: 'hello', ...b }); return; }
    if (b.width !== box.width || b.height !== box.height) { box = b; model.send_msg({ type: 'size', ...b }); }
  };
  const stop = () => { playing = null; root.dataset.playing = ''; };
  const play = (speed) => {
    stop();
    const f0 = wanted >= n() - 1 ? 0 : wanted, t0 = performance.now(), token = {};
    playing = token; root.dataset.playing = String(speed);
    const tick = () => {
      if (playing !== token) return;
      const target = f0 + Math.floor((performance.now() - t0) / 1000 * model.fps * speed);
      if (target >= n() - 1) { request(n() - 1); stop(); return; }
      if (target !== wanted) request(target);
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  };
  const toBytes = (d) => {
    if (d instanceof ArrayBuffer || ArrayBuffer.isView(d)) return d;
    if (d && d.buffer) return d.buffer;
    const s = atob(typeof d === 'string' ? d : d.data);
    const u = new Uint8Array(s.length);
    for (let k = 0; k < s.length; k++) u[k] = s.charCodeAt(k);
    return u;
  };
  slider.addEventListener('input', () => { stop(); request(Number(slider.value)); });
  back.addEventListener('click', () => { stop(); request(wanted - 1); });
  fwd.addEventListener('click', () => { stop(); request(wanted + 1); });
  p1.addEventListener('click', () => play(1));
  p025.addEventListener('click', () => play(0.25));
  p01.addEventListener('click', () => play(0.1));
  stopb.addEventListener('click', stop);
  root.tabIndex = 0;
  root.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft') { stop(); request(wanted - 1); e.preventDefault(); }
    if (e.key === 'ArrowRight') { stop(); request(wanted + 1); e.preventDefault(); }
  });
  model.on('msg:custom', async (m) => {
    if (!m || m.type !== 'frame') return;
    if (m.seek) { wanted = m.frame; setUi(m.frame); }
    // any frame answers the seek in flight (the server drops a seek superseded by its own)
    if (inflight !== null) {
      inflight = null;
      if (wanted !== m.frame) send(wanted);
    }
    const seq = ++received;
    let bmp = null, error = null;
    try {
      bmp = await createImageBitmap(new Blob([toBytes(m.data)], { type: m.mime }));
    } catch (err) {
      error = err;
    }
    // drawn at the start of the next animation frame, together with whatever else changes
    // for it (the cursor lines): the browser makes one new picture of the page, not two
    requestAnimationFrame(() => {
      if (seq < drawn) { if (bmp) bmp.close(); return; }  // a newer frame is drawn already
      drawn = seq;
      if (bmp) {
        if (canvas.width !== bmp.width || canvas.height !== bmp.height) {
          canvas.width = bmp.width; canvas.height = bmp.height;
        }
        ctx.drawImage(bmp, 0, 0);
        bmp.close();
        setText(note, m.message || '');
      } else {
        setText(note, `frame ${m.frame} could not be shown: ${error}`);
      }
      root.dataset.frame = m.frame;
      if (root.dataset.source !== String(m.source)) root.dataset.source = m.source;
      root.dataset.time = m.time;
      if (m.frame === wanted) setText(label, fmt(m.frame, m.time));
      root.dataset.painted = m.frame;  // in this animation frame: painted with it
      el.dispatchEvent(new CustomEvent('mmme-frame', { bubbles: true, composed: true,
        detail: { frame: m.frame, t: performance.now() } }));
    });
  });
  model.on(['n_frames', 'fps', 't_first'], () => setUi(wanted));
  setUi(wanted);
  // the server answers 'hello' with its current frame, at the size reported: wait for a
  // layout (a player not shown yet has no width), but not forever
  new ResizeObserver(() => requestAnimationFrame(report)).observe(root);
  setTimeout(() => { if (!hello) { hello = true; model.send_msg({ type: 'hello' }); } }, 1000);
}
"""

_CSS = """
.mmme-player { display: flex; flex-direction: column; gap: 4px; outline: none; }
.mmme-frame { max-width: 100%; max-height: 420px; width: auto; height: auto; align-self: flex-start;
               background: #222; min-width: 160px; }
.mmme-slider { width: 100%; }
.mmme-controls { display: flex; gap: 4px; align-items: center; flex-wrap: wrap; font: 13px sans-serif; }
.mmme-btn { padding: 2px 8px; cursor: pointer; }
.mmme-frame-label { margin-left: 8px; font-family: monospace; }
.mmme-frame-message { color: #b00; font: 13px sans-serif; min-height: 1em; }
"""


class FramePlayer(JSComponent):
    """Video frame at a cursor, with a slider, frame steps and playback (1x, 0.25x, 0.1x).

    Parameters
    ----------
    source : callable
        ``source(index) -> Frame`` (see :class:`~mmme_analysis.dashboard.frames.Frame`):
        the encoded frame at a 0-based position. Called for each seek: on a server, on the
        player's worker thread, so it must not touch Bokeh models.
    cached : callable, optional
        ``cached(index) -> Frame | None``: the frame if it is at hand (encoded already),
        else None. A frame at hand is sent at once, without a trip to the worker thread.
    executor : concurrent.futures.Executor, optional
        Where ``source`` runs on a server; default a thread of the player's own.
    ahead_executor : concurrent.futures.Executor, optional
        Where frames are read ahead on a server; default another thread of its own.
    frame : int
        Current frame position; setting it from Python pushes that frame to the browser.
    n_frames : int
        Number of frames.
    fps : float
        Frames per second (Hz).
    t_first : float
        Time of frame 0 on the trial axis (s).

    Notes
    -----
    Served, a frame asked for by the browser is read off the event loop and ``frame``
    follows when it is sent (the time cursor moves with the image); ``frame`` set from
    Python changes at once and its image follows. Outside a server (tests, notebooks) both
    happen at once.
    """

    # not synced as a property (see _rename): frames travel as messages, and a property
    # change per frame would make the browser update the component on every seek
    frame = param.Integer(default=0, bounds=(0, None), doc="Current frame position.")
    n_frames = param.Integer(default=1, bounds=(1, None), doc="Number of frames.")
    fps = param.Number(default=150.0, bounds=(0, None), inclusive_bounds=(False, True), doc="Frames per second (Hz).")
    t_first = param.Number(default=0.0, doc="Time of frame 0 (s).")
    message = param.String(default="", doc="Message of the last frame sent (empty when it was read).")
    read_ahead = param.Integer(default=2, bounds=(0, 64),
                               doc="Frames read ahead (served, with a cache) in the direction of a step (a move "
                                   "of at most this many frames), while no frame request is being worked.")
    display_box = param.Tuple(default=None, length=2, allow_None=True,
                              doc="(width, height) in device pixels of the box the page shows frames in, "
                                  "as the browser measured it; None until it reports.")

    _esm = _ESM
    _rename = {"frame": None, "message": None, "display_box": None, "read_ahead": None}
    _stylesheets = [_CSS]

    def __init__(self, source: Callable | None = None, *, cached: Callable | None = None, executor=None,
                 ahead_executor=None, **params):
        super().__init__(**params)
        self._source = source
        self._cached = cached
        self._source_id = 0
        self._requests = LatestRequest(self._work, self._deliver_served, executor=executor)
        self._ahead = ReadAhead(self._read_ahead, executor=ahead_executor)
        self._closing = set()  # documents whose end stops the worker

    def set_source(self, source: Callable, *, n_frames: int, fps: float, t_first: float = 0.0, frame: int = 0,
                   cached: Callable | None = None):
        """Switch to another video (``source`` and ``cached`` as the parameters) and show ``frame``."""
        self._source = source
        self._cached = cached
        self._source_id += 1
        self.param.update(n_frames=max(int(n_frames), 1), fps=float(fps), t_first=float(t_first))
        self.show(frame, force=True)

    def show(self, index: int, *, force: bool = False):
        """Push frame ``index`` to the browser and move the slider there."""
        index = int(np.clip(int(index), 0, self.n_frames - 1))
        if index == self.frame and not force:
            return
        self.frame = index
        self._push(index, seek=True)

    def refresh(self):
        """Push the current frame again (after its encoding changed, e.g. its size)."""
        self._push(self.frame, seek=True)

    # -- frames --------------------------------------------------------------------------
    def _push(self, index: int, *, seek: bool):
        if self._source is None:
            return
        request = Request(int(index), bool(seek), self._source_id)
        doc = state.curdoc
        if doc is None or doc.session_context is None:  # not served: at once
            self._deliver(request, self._source(request.index))
            return
        if not self._on_page():  # not shown yet: the page's 'hello' asks for the frame
            return
        fr = self._cached(request.index) if self._cached is not None and not self._requests.busy else None
        if fr is not None:  # at hand, and nothing in progress to overtake
            self._deliver_served(request, fr)
            return
        if doc not in self._closing:
            self._closing.add(doc)
            doc.on_session_destroyed(lambda _ctx: self._close())
        self._requests.submit(request, doc.add_next_tick_callback)

    def _on_page(self) -> bool:
        """Whether the player is shown (has a model in a document)."""
        return bool(self._models)

    def _work(self, request: Request):
        """The encoded frame of ``request`` (on the worker thread); None for a replaced video."""
        source = self._source
        if request.source != self._source_id or source is None:
            return None
        return source(request.index)

    def _close(self) -> None:
        self._requests.close()
        self._ahead.close()

    def _read_ahead(self, index: int) -> None:
        """Frame ``index`` into the source's cache, unless it is there (on the read-ahead thread)."""
        source, cached = self._source, self._cached
        if source is not None and cached is not None and cached(index) is None:
            source(index)

    def _deliver_served(self, request: Request, fr) -> None:
        """:meth:`_deliver` on a server, then the frames after it read ahead."""
        previous = self.frame
        self._deliver(request, fr)
        # after a step (a move of at most read_ahead frames: stepping, slow playback), not
        # after a jump, whose next move cannot be guessed (and whose reads would only load
        # the machine)
        moved = abs(int(fr.index) - previous)
        if (self.read_ahead and self._cached is not None and request.source == self._source_id
                and 1 <= moved <= self.read_ahead):
            self._ahead.after(int(fr.index), previous, self.n_frames, self.read_ahead)

    def _deliver(self, request: Request, fr) -> None:
        """Send frame ``fr``, then move ``frame`` to it (and so the time cursor)."""
        if request.source != self._source_id:
            return
        # not inside a document hold: a message sent while the document is held, and the
        # changes held, go out only at a later turn of the event loop
        self._send_msg({"type": "frame", "frame": int(fr.index), "time": float(fr.time), "mime": fr.mime,
                        "message": fr.message, "seek": request.seek, "source": self._source_id, "data": fr.data})
        self.message = fr.message
        self.frame = int(fr.index)

    # -- browser messages ----------------------------------------------------------------
    def _handle_msg(self, msg):
        if not isinstance(msg, dict):
            return
        kind = msg.get("type")
        if kind in ("hello", "size"):
            box = self._box(msg)
            changed = box is not None and box != self.display_box
            if changed:
                self.display_box = box
            if kind == "hello" or changed:
                self.refresh()
            return
        if kind != "seek":
            return
        try:
            index = int(np.clip(int(msg.get("frame", 0)), 0, self.n_frames - 1))
        except (TypeError, ValueError):
            return
        self._push(index, seek=False)

    @staticmethod
    def _box(msg):
        """(width, height) of a size message, None when it has no valid size."""
        try:
            w, h = int(msg["width"]), int(msg["height"])
        except (KeyError, TypeError, ValueError):
            return None
        return (w, h) if w > 0 and h > 0 else None
