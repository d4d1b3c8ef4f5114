"""Frame-exact video player: a Panel ``JSComponent`` that pushes JPEG bytes to a canvas.

Why not ``pn.pane.Image`` with a slider: Panel debounces browser-to-server property changes
by 50 ms and re-sends the whole image as a base64 property. Here the browser sends each
seek as a custom message (``model.send_msg``, handled at once, no debounce) and the server
answers with the encoded frame as a binary buffer (``_send_msg``), drawn on a canvas with
``createImageBitmap``. Only one request is in flight: while the user drags, the newest
position is requested as soon as the previous frame arrives, so frames never queue up.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import param
from panel.custom import JSComponent

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

  let wanted = 0, inflight = null, playing = null;
  const n = () => Math.max(1, model.n_frames);
  const clamp = (i) => Math.min(Math.max(0, Math.round(i)), n() - 1);
  const fmt = (i, t) => {
    const tt = t === undefined ? model.t_first + i / model.fps : t;
    return `frame ${i} / ${n() - 1} \u00B7 t = ${tt.toFixed(4)} s \u00B7 ${model.fps} fps`;
  };
  const setUi = (i) => { slider.max = n() - 1; slider.value = i; label.textContent = fmt(i); root.dataset.wanted = i; };
  const send = (i) => { inflight = i; model.send_msg({ type: 'seek', frame: i }); };
  const request = (i) => {
    i = clamp(i); wanted = i; setUi(i);
    if (inflight === null) send(i);
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
    try {
      const bmp = await createImageBitmap(new Blob([toBytes(m.data)], { type: m.mime }));
      if (canvas.width !== bmp.width || canvas.height !== bmp.height) {
        canvas.width = bmp.width; canvas.height = bmp.height;
      }
      ctx.drawImage(bmp, 0, 0);
      bmp.close();
      note.textContent = m.message || '';
    } catch (err) {
      note.textContent = `frame ${m.frame} could not be shown: ${err}`;
    }
    root.dataset.frame = m.frame;
    root.dataset.source = m.source;
    root.dataset.time = m.time;
    if (m.frame === wanted) label.textContent = fmt(m.frame, m.time);
    requestAnimationFrame(() => {
      root.dataset.painted = m.frame;
      el.dispatchEvent(new CustomEvent('mmme-frame', { bubbles: true, composed: true,
        detail: { frame: m.frame, t: performance.now() } }));
    });
    if (!m.seek) {
      inflight = null;
      if (wanted !== m.frame) send(wanted);
    }
  });
  model.on(['n_frames', 'fps', 't_first'], () => setUi(wanted));
  setUi(wanted);
  model.send_msg({ type: 'hello' });  // the server answers with its current frame
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
        the encoded frame at a 0-based position. Called on the server for each seek.
    frame : int
        Current frame position; setting it from Python pushes that frame to the browser.
    n_frames : int
        Number of frames.
    fps : float
        Frames per second (Hz).
    t_first : float
        Time of frame 0 on the trial axis (s).
    """

    # not synced as a property (see _rename): frames travel as messages, and a property
    # change per frame would make the browser update the component on every seek
    frame = param.Integer(default=0, bounds=(0, None), doc="Current frame position.")
    n_frames = param.Integer(default=1, bounds=(1, None), doc="Number of frames.")
    fps = param.Number(default=150.0, bounds=(0, None), inclusive_bounds=(False, True), doc="Frames per second (Hz).")
    t_first = param.Number(default=0.0, doc="Time of frame 0 (s).")
    message = param.String(default="", doc="Message of the last frame sent (empty when it was read).")

    _esm = _ESM
    _rename = {"frame": None, "message": None}
    _stylesheets = [_CSS]

    def __init__(self, source: Callable | None = None, **params):
        super().__init__(**params)
        self._source = source
        self._source_id = 0

    def set_source(self, source: Callable, *, n_frames: int, fps: float, t_first: float = 0.0, frame: int = 0):
        """Switch to another video and show ``frame``."""
        self._source = source
        self._source_id += 1
        self.param.update(n_frames=max(int(n_frames), 1), fps=float(fps), t_first=float(t_first))
        self.show(frame, force=True)

    def show(self, index: int, *, force: bool = False):
        """Push frame ``index`` to the browser and move the slider there."""
        index = int(np.clip(int(index), 0, self.n_frames - 1))
        if index == self.frame and not force:
            return
        self._push(index, seek=True)
        self.frame = index

    def _push(self, index: int, *, seek: bool):
        if self._source is None:
            return
        fr = self._source(index)
        self.message = fr.message
        self._send_msg({"type": "frame", "frame": int(fr.index), "time": float(fr.time), "mime": fr.mime,
                        "message": fr.message, "seek": bool(seek), "source": self._source_id, "data": fr.data})

    def _handle_msg(self, msg):
        if isinstance(msg, dict) and msg.get("type") == "hello":
            self._push(self.frame, seek=True)
            return
        if not isinstance(msg, dict) or msg.get("type") != "seek":
            return
        try:
            index = int(np.clip(int(msg.get("frame", 0)), 0, self.n_frames - 1))
        except (TypeError, ValueError):
            return
        self._push(index, seek=False)
        self.frame = index
