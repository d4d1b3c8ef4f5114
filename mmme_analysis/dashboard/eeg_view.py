"""EEG view of the Explorer: stacked, display-filtered channels over the visible range."""
from __future__ import annotations

import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, FixedTicker, Range1d

from .styles import GROUP_COLORS
from .timeline import Timeline
from .trial_state import TrialState

__all__ = ["EEGView"]


class EEGView(pn.viewable.Viewer):
    """Stacked EEG traces, min/max-downsampled to the plot width.

    Each channel is centred on its median and scaled by its robust sd (or one common
    scale); display filters are :func:`mmme_analysis.eeg.eeg_filter_array`. A band-pass
    that cannot be applied is reported in ``status`` and the traces are shown unfiltered.

    Parameters
    ----------
    timeline : Timeline
        Cursor and visible range shared with the other views.
    **params
        Any parameter below.
    """

    timeline = param.ClassSelector(class_=Timeline, constant=True, doc="Shared cursor and visible range.")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")
    eeg_group = param.Selector(default="all", objects=["all"], doc="EEG channel group.")
    channels = param.ListSelector(default=[], objects=[], doc="EEG channels shown, top to bottom.")
    scaling = param.Selector(default="channel", objects=["channel", "common"],
                             doc="EEG scaling: each channel by its own robust sd, or one common scale.")
    gain = param.Number(default=1.0, bounds=(0.1, 20.0), step=0.1, doc="EEG display gain.")
    highpass = param.Number(default=None, allow_None=True, bounds=(0, None), doc="Band-pass low edge (Hz).")
    lowpass = param.Number(default=None, allow_None=True, bounds=(0, None), doc="Band-pass high edge (Hz).")
    notch = param.Selector(default=0.0, objects={"off": 0.0, "50 Hz": 50.0, "60 Hz": 60.0},
                           doc="Line-noise notch (Hz); 0 is off.")
    max_channels = param.Integer(default=32, bounds=(1, None), doc="EEG channels shown when a trial opens.")
    group_colors = param.Dict(default=dict(GROUP_COLORS), doc="Trace colour of each channel group.")
    status = param.String(default="", doc="Why the display filter was not applied ('' when it was).")

    def __init__(self, timeline: Timeline, **params):
        super().__init__(timeline=timeline, **params)
        self.figure = None
        self.source = ColumnDataSource(dict(xs=[], ys=[], channel=[], color=[]))
        self.channel_table = pd.DataFrame(columns=["channel", "ch_type", "group"])
        self._plot = pn.Column(margin=0)

    def load(self, state: TrialState) -> None:
        """Show the EEG of ``state`` (after ``timeline.reset``): its first EEG channels."""
        self.state = state
        table = self.channel_table = state.eeg_channels()
        sfreq = state.eeg_sfreq()
        self.figure = None
        if sfreq is not None:
            f = self.figure = self.timeline.figure("eeg", 300, "", y_range=Range1d(-1, 1))
            f.title.text = f"EEG ({sfreq:g} Hz)"
            self.source = ColumnDataSource(dict(xs=[], ys=[], channel=[], color=[]))
            f.multi_line("xs", "ys", source=self.source, line_color="color", line_width=1)
            f.yaxis.ticker = FixedTicker(ticks=[])
        self._plot.objects = [pn.pane.Bokeh(self.figure, margin=(0, 0))] if self.figure is not None else []
        with param.parameterized.discard_events(self):
            self.param.eeg_group.objects = ["all"] + sorted(set(table["group"]))
            self.param.channels.objects = list(table["channel"])
            self.eeg_group = "all"
            self.channels = [c for c, t in zip(table["channel"], table["ch_type"]) if t == "eeg"][:self.max_channels]
        self.refresh()

    @param.depends("eeg_group", watch=True)
    def _on_group(self):
        table = self.channel_table
        if self.eeg_group == "all":
            self.channels = list(table["channel"])
        else:
            self.channels = list(table.loc[table["group"] == self.eeg_group, "channel"])

    def _band(self):
        """(l_freq, h_freq) to apply, and the status message."""
        hp, lp = self.highpass or None, self.lowpass
        sf = self.state.eeg_sfreq()
        if hp is not None and lp is not None and hp >= lp:
            return None, None, f"Band-pass: expected low edge < high edge, got {hp} Hz and {lp} Hz; not filtering."
        if (lp is not None and lp >= sf / 2) or (hp is not None and hp >= sf / 2):
            return None, None, (f"Band-pass: expected edges below Nyquist ({sf / 2:g} Hz), got {hp}, {lp}; "
                                "not filtering.")
        return hp, lp, ""

    @param.depends("channels", "scaling", "gain", "highpass", "lowpass", "notch", "timeline.x_range", watch=True)
    def refresh(self):
        """Send the traces of the visible range to the figure."""
        if self.figure is None:
            return
        hp, lp, self.status = self._band()
        x0, x1 = self.timeline.x_range
        tr = self.state.eeg_traces(self.channels, x0, x1, self.timeline.plot_width, l_freq=hp, h_freq=lp,
                                   notch=self.notch or None, scaling=self.scaling, gain=self.gain)
        groups = dict(zip(self.channel_table["channel"], self.channel_table["group"]))
        self.source.data = dict(xs=tr["xs"], ys=tr["ys"], channel=tr["channel"],
                                color=[self.group_colors.get(groups.get(c, "other"), "#555555") for c in tr["channel"]])
        f, n = self.figure, len(tr["channel"])
        f.y_range.update(start=-1, end=max(n, 1))
        f.yaxis.ticker = FixedTicker(ticks=list(tr["offset"]))
        f.yaxis.major_label_overrides = {
            int(o): f"{c} ({sc * 1e6 / self.gain:.0f} µV)" if self.scaling == "channel" else c
            for o, c, sc in zip(tr["offset"], tr["channel"], tr["scale"])
        }
        f.height = int(min(60 + 18 * max(n, 1), 1200))
        if self.scaling == "common" and n:
            f.yaxis.axis_label = f"{tr['scale'][0] * 1e6 / self.gain:.0f} µV per row"
        else:
            f.yaxis.axis_label = ""

    def controls(self):
        """Widgets of the EEG settings (for a sidebar)."""
        w = pn.widgets
        return pn.Column(
            w.Select.from_param(self.param.eeg_group, label="Channel group"),
            w.MultiChoice.from_param(self.param.channels, label="Channels", max_items=128),
            w.RadioButtonGroup.from_param(self.param.scaling, label="Scaling"),
            w.FloatSlider.from_param(self.param.gain, label="Gain"),
            pn.Row(w.FloatInput.from_param(self.param.highpass, label="High-pass (Hz)", width=130),
                   w.FloatInput.from_param(self.param.lowpass, label="Low-pass (Hz)", width=130)),
            w.Select.from_param(self.param.notch, label="Notch (Hz)"),
            margin=0,
        )

    def __panel__(self):
        return self._plot
