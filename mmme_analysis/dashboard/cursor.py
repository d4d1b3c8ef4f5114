"""The time cursor of the linked figures, drawn over them as page elements.

A cursor drawn by Bokeh (a ``Span`` in each figure) makes every figure repaint its canvas
each time the cursor moves: with the ten or so figures of the Explorer, that cost tens of
milliseconds of the browser's main thread per video frame, in the path of the frame itself
(and, with several sessions on one machine, taken from the server). :class:`CursorLayer`
instead draws one thin line element over the plotting area of each figure and moves it
with a CSS transform when ``time`` changes (at the next animation frame, the one in which
the video player draws the frame of that time): no figure repaints. The lines follow the
figures' ranges and layout (they are placed again after each repaint of a figure: pan,
zoom, new traces) and let clicks through to the figures.
"""
from __future__ import annotations

import param
from panel.custom import JSComponent

from .styles import CURSOR

__all__ = ["CursorLayer"]

_ESM = r"""
export function render({ model, el }) {
  const root = document.createElement('div');
  root.className = 'mmme-cursors';
  el.appendChild(root);
  const lines = new Map();   // plot view -> its line element
  let views = [], retries = 0, retry = null;
  const find = () => {
    const ids = new Set(model.figures);
    views = ids.size && window.Bokeh ? [...Bokeh.index.query(v => ids.has(v.model.id) && v.frame != null)] : [];
  };
  const place = (pv) => {
    let line = lines.get(pv);
    if (line === undefined || !line.isConnected) {
      line = document.createElement('div');
      line.className = 'mmme-cursor';
      Object.assign(line.style, {
        position: 'absolute', left: '0px', top: '0px', width: '0px', pointerEvents: 'none',
        borderLeft: `${model.line_width}px solid ${model.line_color}`,
        marginLeft: `${-model.line_width / 2}px`, willChange: 'transform',
      });
      pv.canvas_view.overlays_el.appendChild(line);
      if (!lines.has(pv)) pv.repainted.connect(() => place(pv));  // pans, zooms, layout
      lines.set(pv, line);
    }
    const t = model.time, f = pv.frame, box = f.bbox;
    const x = f.x_scale.compute(t);
    const shown = pv.model.visible && Number.isFinite(x) && x >= box.left - 0.5 && x <= box.right + 0.5;
    line.style.display = shown ? '' : 'none';
    line.style.height = `${box.height}px`;
    line.style.transform = `translate(${x}px, ${box.top}px)`;
    line.dataset.time = String(t);
  };
  const update = () => {
    if (views.length !== model.figures.length || views.some(v => !v.el.isConnected)) find();
    views.forEach(place);
    root.dataset.time = String(model.time);
    root.dataset.count = String(views.length);
    // figures not rendered yet (a trial just opened): look again shortly, a few times
    if (views.length < model.figures.length && retries < 50 && retry === null) {
      retries += 1;
      retry = setTimeout(() => { retry = null; update(); }, 100);
    }
  };
  // the lines of this layer, for tests and benchmarks (they live in the figures' shadow roots)
  root.cursors = () => views.map(v => lines.get(v)).filter(l => l !== undefined);
  // moved at the start of the next animation frame, with the video frame drawn for the same
  // time (one new picture of the page), and once per animation frame however often it moves
  let pending = false;
  model.on('time', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; update(); });
  });
  model.on('figures', () => { retries = 0; find(); update(); });
  update();
}
"""


class CursorLayer(JSComponent):
    """A vertical line at ``time`` over each of ``figures``, moved without repainting them.

    Parameters
    ----------
    time : float
        Cursor time, in the figures' x units (s on the trial axis).
    figures : list of str
        Ids of the Bokeh figures to draw the cursor over (``figure.id``).
    line_color : str
        CSS colour of the line.
    line_width : float
        Width of the line (CSS pixels).

    Notes
    -----
    The layer itself takes no room on the page; put it anywhere in the same layout as
    the figures. A figure whose x range does not contain ``time`` (or that is hidden)
    shows no line.
    """

    time = param.Number(default=0.0, doc="Cursor time (figure x units).")
    figures = param.List(default=[], item_type=str, doc="Ids of the Bokeh figures the cursor is drawn over.")
    line_color = param.String(default=CURSOR["line_color"], doc="CSS colour of the line.")
    line_width = param.Number(default=CURSOR["line_width"], bounds=(0, None), doc="Width of the line (px).")

    _esm = _ESM

    def __init__(self, **params):
        params.setdefault("width", 0)
        params.setdefault("height", 0)
        params.setdefault("margin", 0)
        super().__init__(**params)
