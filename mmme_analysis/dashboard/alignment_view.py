"""Alignment view of the Explorer: each device's clock fit to the EEG clock and its marker
residuals, for the open trial's session."""
from __future__ import annotations

import pandas as pd
import panel as pn
import param
from bokeh.plotting import figure

from .trial_state import TrialState

__all__ = ["AlignmentView"]

_DEVICE_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728")


class AlignmentView(pn.viewable.Viewer):
    """A card with the clock fits (offset, drift, residuals) and a residual plot.

    Parameters
    ----------
    width : int
        Width of the card (pixels); the table and the plot fit inside it.
    """

    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")
    width = param.Integer(default=420, bounds=(300, None), doc="Width of the card (pixels).")

    def __init__(self, **params):
        super().__init__(**params)
        self.table = pd.DataFrame()
        self.figure = None
        self._card = pn.Card(title="Alignment", collapsed=False, width=self.width, margin=(0, 5),
                             css_classes=["mmme-alignment-card"])

    def load(self, state: TrialState) -> None:
        """Show the alignment of ``state``."""
        self.state = state
        devs, res = state.alignment()
        self.table = devs
        inner = self.width - 30  # the card's padding and border
        intro = pn.pane.Markdown("Clock fits to the EEG clock: `t_device = offset + (1 + drift) t_eeg`",
                                 width=inner, margin=(0, 5))
        if not len(devs):
            self.figure = None
            self._card.objects = [pn.pane.Markdown("*No alignment information for this trial.*", width=inner)]
            self._card.collapsed = True
            return
        fmt = devs.assign(offset_s=devs["offset_s"].map("{:.4f}".format),
                          drift_ppm=devs["drift_ppm"].map("{:+.1f}".format),
                          max_abs_residual_ms=devs["max_abs_residual_ms"].map("{:.2f}".format))
        fmt = fmt.rename(columns={"offset_s": "offset s", "drift_ppm": "drift ppm", "n_markers": "n",
                                  "max_abs_residual_ms": "max |res| ms"})
        table = pn.pane.DataFrame(fmt, index=False, width=inner, margin=(0, 5), sizing_mode="fixed",
                                  stylesheets=[":host table { width: 100%; font-size: 11px; }"])
        f = self.figure = figure(width=inner, height=180, tools="hover", toolbar_location=None, name="mmme-alignment",
                                 title="Marker residuals after the clock fit",
                                 x_axis_label="marker time on EEG clock [s]", y_axis_label="residual [ms]")
        for k, (dev, grp) in enumerate(res.groupby("device")):
            f.scatter(grp["ref_time"], grp["residual_ms"], size=7, legend_label=str(dev),
                      color=_DEVICE_COLORS[k % len(_DEVICE_COLORS)])
        if len(res):
            f.legend.location = "top_left"
        self._card.objects = [intro, table, pn.pane.Bokeh(f, margin=(5, 5))]
        self._card.collapsed = False

    def __panel__(self):
        return self._card
