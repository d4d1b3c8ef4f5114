"""The time axis shared by the Explorer's views: cursor, visible range and linked figures.

A :class:`Timeline` holds the time cursor and the visible range of one trial and makes
the time-series figures of every view (:meth:`Timeline.figure`): they share one x range,
each carries the shading of the annotated expressions, a click seeks and a pan or zoom
moves the visible range. The cursor line of every figure is drawn over the figures by one
:class:`~mmme_analysis.dashboard.cursor.CursorLayer` (:attr:`Timeline.layer`): moving the
cursor repaints no figure.
"""
from __future__ import annotations

import numpy as np
import param
from bokeh.events import RangesUpdate, Tap
from bokeh.models import ColumnDataSource, Range1d
from bokeh.plotting import figure

from .cursor import CursorLayer
from .frames import VideoInfo
from .styles import PLOT_BORDER_LEFT

__all__ = ["Timeline"]


class Timeline(param.Parameterized):
    """Cursor and visible range of the open trial, and the figures linked to them.

    Parameters
    ----------
    **params
        ``time``, ``x_range``, ``plot_width``.

    Attributes
    ----------
    range : bokeh.models.Range1d
        The x range shared by the linked figures (follows ``x_range``).
    figures : dict
        Linked figures by name, in the order they were made (top to bottom).
    layer : CursorLayer
        Draws the cursor over the figures; part of the page (the Explorer's layout).
    clock : VideoInfo or None
        Video timing the cursor snaps to (None: no snapping).

    Notes
    -----
    The cursor snaps to video frames: frame position ``round((t - t0) * fps)``, where
    ``t0`` is the time of the first frame (0 for a video starting at the marker).
    """

    time = param.Number(default=0.0, doc="Time cursor (s on the trial axis).")
    x_range = param.Range(default=(0.0, 1.0), doc="Visible time range (s).")
    bounds = param.Range(default=(0.0, 1.0), constant=True, doc="Time range of the trial (s).")
    plot_width = param.Integer(default=900, bounds=(200, 4000), doc="Width of the figures (pixels).")

    def __init__(self, **params):
        super().__init__(**params)
        self.range = Range1d(0, 1)
        self.figures = {}
        self.clock = None
        self.layer = CursorLayer(time=self.time)
        self._shade = None

    def reset(self, bounds: tuple, *, clock: VideoInfo | None = None, events=None) -> None:
        """Start a new trial: its time range, video clock and events (DataFrame with onset,
        apex, offset and ``color``). Drops the previous figures; shows the whole trial with
        the cursor at its start. Watchers are not told (the views load the trial next)."""
        lo, hi = float(bounds[0]), float(bounds[1])
        self.clock = clock
        self.figures = {}
        self.range = Range1d(lo, hi, bounds=(lo, hi), min_interval=1.0 / (clock.fps if clock else 1000.0))
        self._shade = None
        if events is not None and len(events):
            self._shade = ColumnDataSource(dict(
                left=events["onset"].to_numpy(float),
                right=np.fmax(events["offset"].to_numpy(float), events["apex"].to_numpy(float)),
                color=list(events["color"])))
        with param.parameterized.discard_events(self), param.edit_constant(self):
            self.param.update(bounds=(lo, hi), x_range=(lo, hi))
            self.time = self.snap(lo)
        self.layer.param.update(figures=[], time=self.time)

    # -- cursor --------------------------------------------------------------------------
    def snap(self, t: float) -> float:
        """``t`` clipped to the trial and snapped to the nearest video frame."""
        lo, hi = self.bounds
        t = float(np.clip(float(t), lo, hi))
        if self.clock is not None:
            return self.clock.time(self.clock.index(t))
        return t

    def seek(self, t: float) -> None:
        """Move the cursor to ``t`` (s), snapped to the nearest video frame; scroll the view
        when ``t`` is outside it."""
        t = self.snap(t)
        x0, x1 = self.x_range
        if not (x0 <= t <= x1):
            w = x1 - x0
            lo, hi = self.bounds
            x0 = float(np.clip(t - w / 2, lo, max(lo, hi - w)))
            self.x_range = (x0, x0 + w)
        self.time = t

    @property
    def cursors(self) -> list:
        """Location (s) of the cursor line of every linked figure (one per figure)."""
        return [self.layer.time] * len(self.layer.figures)

    @param.depends("time", watch=True)
    def _move_cursors(self):
        self.layer.time = self.time

    @param.depends("x_range", watch=True)
    def _sync_range(self):
        x0, x1 = self.x_range
        if (self.range.start, self.range.end) != (x0, x1):
            self.range.update(start=x0, end=x1)

    @param.depends("plot_width", watch=True)
    def _resize(self):
        for f in self.figures.values():
            f.width = self.plot_width
        self.param.trigger("x_range")  # traces are downsampled to the width

    # -- figures -------------------------------------------------------------------------
    def figure(self, name: str, height: int, y_label: str = "", **kw) -> figure:
        """A time-series figure linked to the cursor and the visible range.

        Parameters
        ----------
        name : str
            Its key in :attr:`figures`; the Bokeh model is named ``mmme-<name>``.
        height : int
            Height (pixels).
        y_label : str
            Y axis label.
        **kw
            Passed to :func:`bokeh.plotting.figure` (``y_range=...``).
        """
        f = figure(width=self.plot_width, height=height, x_range=self.range, tools="xpan,xwheel_zoom,reset",
                   active_scroll="xwheel_zoom", toolbar_location="right", min_border_left=PLOT_BORDER_LEFT,
                   min_border_right=10, name=f"mmme-{name}", **kw)
        f.yaxis.axis_label = y_label
        f.xaxis.visible = False
        f.toolbar.logo = None
        self.layer.figures = [*self.layer.figures, f.id]
        if self._shade is not None:  # one glyph per figure, one source for all: cheap
            f.vstrip(x0="left", x1="right", source=self._shade, fill_color="color", fill_alpha=0.12, line_alpha=0)
        f.on_event(Tap, self._on_tap)
        f.on_event(RangesUpdate, self._on_ranges)
        self.figures[name] = f
        return f

    def show_axis(self) -> None:
        """Show the time axis under the lowest visible figure only."""
        shown = [f for f in self.figures.values() if f.visible]
        for f in self.figures.values():
            f.xaxis.visible = False
        if shown:
            shown[-1].xaxis.visible = True
            shown[-1].xaxis.axis_label = "time [s] (trial axis)"

    def _on_tap(self, event):
        if event.x is not None:
            self.seek(event.x)

    def _on_ranges(self, event):
        if event.x0 is None or event.x1 is None:
            return
        rng = (float(event.x0), float(event.x1))
        if rng != tuple(self.x_range):
            self.x_range = rng
