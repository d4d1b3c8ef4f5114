"""Peripheral view of the Explorer: ECG (with R peaks, heart rate and its slope), EDA, PPG,
RSP, SKT and any other peripheral signal, one plot each."""
from __future__ import annotations

import panel as pn
import param
from bokeh.models import ColumnDataSource

from .downsample import downsample_trace
from .styles import DISPLAY_UNITS
from .timeline import Timeline
from .trial_state import TrialState

__all__ = ["PeriView"]

#: Peripheral signals shown by default, in this order (others follow, by name).
DEFAULT_PERI = ("ECG", "EDA", "PPG", "RSP", "SKT")


class PeriView(pn.viewable.Viewer):
    """One plot per peripheral signal; the ECG adds its R peaks, heart rate and HR slope.

    R peaks come from :meth:`TrialState.cardiac` (NeuroKit2); a detection failure is
    reported in ``status`` and the ECG is still shown.

    Parameters
    ----------
    timeline : Timeline
        Cursor and visible range shared with the other views.
    """

    timeline = param.ClassSelector(class_=Timeline, constant=True, doc="Shared cursor and visible range.")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")
    peri = param.ListSelector(default=[], objects=[], doc="Peripheral signals shown.")
    status = param.String(default="", doc="Why the cardiac tracks are missing ('' when they are not).")

    def __init__(self, timeline: Timeline, **params):
        super().__init__(timeline=timeline, **params)
        self.figures = {}
        self.sources = {}
        self.signals = {}
        self._plot = pn.Column(margin=0)

    def load(self, state: TrialState) -> None:
        """Show the peripheral signals of ``state`` (after ``timeline.reset``)."""
        self.state = state
        order = {k: i for i, k in enumerate(DEFAULT_PERI)}  # ECG (and HR) first, then the others
        self.signals = dict(sorted(state.peri_signals().items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        self.figures, self.sources = {}, {}
        sfreq = state.peri_sfreq()
        for name, units in self.signals.items():
            f = self._figure(f"peri-{name}", f"{name} [{DISPLAY_UNITS.get(units, (1.0, units))[1]}]",
                             f"{name} ({sfreq:g} Hz)" if sfreq else name, "#333333")
            if name == "ECG":
                self.sources["rpeaks"] = src = ColumnDataSource(dict(x=[], y=[]))
                f.scatter("x", "y", source=src, color="#d62728", size=5, marker="inverted_triangle")
                self._figure("hr", "HR [bpm]", "Heart rate (from R peaks)", "#d62728")
                self._figure("hr_slope", "HR slope [bpm/s]", "Heart-rate slope", "#9467bd")
        self._plot.objects = [pn.pane.Bokeh(f, margin=(0, 0)) for f in self.figures.values()]
        with param.parameterized.discard_events(self):
            self.param.peri.objects = list(self.signals)
            self.peri = [k for k in DEFAULT_PERI if k in self.signals] or list(self.signals)[:5]
        self._on_peri()

    def _figure(self, key, y_label, title, color):
        f = self.timeline.figure(key, 100, y_label)
        f.title.text = title
        self.sources[key] = ColumnDataSource(dict(x=[], y=[]))
        f.line("x", "y", source=self.sources[key], line_color=color)
        self.figures[key] = f
        return f

    @param.depends("peri", watch=True)
    def _on_peri(self):
        for key, f in self.figures.items():
            f.visible = (key[5:] if key.startswith("peri-") else "ECG") in self.peri
        self.timeline.show_axis()
        self.refresh()

    @param.depends("timeline.x_range", watch=True)
    def refresh(self):
        """Send the shown signals of the visible range to their figures."""
        if self.state is None:
            return
        x0, x1 = self.timeline.x_range
        w = self.timeline.plot_width
        for name, units in self.signals.items():
            src = self.sources[f"peri-{name}"]
            if name not in self.peri:
                src.data = dict(x=[], y=[])
                continue
            fac = DISPLAY_UNITS.get(units, (1.0, units))[0]
            x, y = self.state.peri_trace(name, x0, x1, w)
            src.data = dict(x=x, y=y * fac)
            if name == "ECG":
                self._refresh_cardiac(x0, x1, w, fac)

    def _refresh_cardiac(self, x0, x1, w, fac):
        try:
            card = self.state.cardiac()
            self.status = ""
        except Exception as err:  # noqa: BLE001 - R-peak detection can fail on noise
            self.status = f"R-peak detection failed: {type(err).__name__}: {err}"
            card = None
        if card is None:
            return
        rp = card["rpeaks"]
        rp = rp[(rp >= x0) & (rp <= x1)]
        self.sources["rpeaks"].data = dict(x=rp, y=self.state.peri_at("ECG", rp) * fac)
        for key in ("hr", "hr_slope"):
            x, y = downsample_trace(card["time"], card[key], x0, x1, w)
            self.sources[key].data = dict(x=x, y=y)

    def controls(self):
        """Widget choosing the signals shown (for a sidebar)."""
        return pn.widgets.MultiChoice.from_param(self.param.peri, label="Signals")

    def __panel__(self):
        return self._plot
