"""Predictions view of the Explorer: a model's spotting scores, intervals or class
probabilities, read from a prediction CSV (format in :mod:`~mmme_analysis.dashboard.predictions`)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import panel as pn
import param
from bokeh.models import ColumnDataSource, FactorRange, LabelSet, Range1d
from bokeh.plotting import figure

from ..errors import DataFormatError
from .downsample import downsample_trace
from .predictions import read_predictions
from .timeline import Timeline
from .trial_state import TrialState

__all__ = ["PredictionsView"]


class PredictionsView(pn.viewable.Viewer):
    """The prediction file chosen in ``prediction_source``, for the open trial.

    Spotting scores are a line and intervals shaded spans on a track under the
    annotations; class probabilities are bars for the expression at the cursor. Files are
    offered from ``prediction_dirs`` and from ``<dataset>/predictions/`` (:meth:`find`),
    added with :meth:`add` or uploaded. A file that cannot be read is reported in
    ``status``.

    Parameters
    ----------
    timeline : Timeline
        Cursor and visible range shared with the other views.
    """

    timeline = param.ClassSelector(class_=Timeline, constant=True, doc="Shared cursor and visible range.")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")
    prediction_source = param.Selector(default="", objects={"(none)": ""},
                                       doc="Prediction CSV shown, '' for none.")
    prediction_dirs = param.List(default=[], item_type=(str, Path), doc="Folders searched for prediction CSVs.")
    status = param.String(default="", doc="Why the chosen file is not shown ('' when it is).")

    def __init__(self, timeline: Timeline, **params):
        super().__init__(timeline=timeline, **params)
        self.predictions = None
        self.track = None
        self.classes = None
        self.sources = {}
        self.dataset_path = None
        self._event = None
        self._upload_dir = None
        self.file_input = pn.widgets.FileInput(accept=".csv", multiple=False)
        self.file_input.param.watch(self._upload, "value")
        self._plot = pn.Column(margin=0)
        self._bars = pn.Column(margin=0)

    # -- files ---------------------------------------------------------------------------
    @param.depends("prediction_dirs", watch=True)
    def find(self, dataset_path=None) -> None:
        """Offer the CSV files of ``prediction_dirs`` and of ``<dataset_path>/predictions``.

        Parameters
        ----------
        dataset_path : path-like, optional
            The dataset's folder; remembered for later calls.
        """
        if dataset_path is not None:
            self.dataset_path = Path(dataset_path)
        dirs = [Path(d) for d in self.prediction_dirs]
        if self.dataset_path is not None:
            dirs.append(self.dataset_path / "predictions")
        objects = {"(none)": ""}
        for d in dirs:
            if d.is_dir():
                objects.update({f.name: str(f) for f in sorted(d.glob("*.csv"))})
        for v in self.param.prediction_source.objects:
            if v and v not in objects.values():
                objects[Path(v).name] = v
        self.param.prediction_source.objects = objects

    def add(self, path) -> None:
        """Add a prediction CSV to the choices and show it."""
        path = str(path)
        objects = dict(self.param.prediction_source.names or {"(none)": ""})
        objects[Path(path).name] = path
        self.param.prediction_source.objects = objects
        self.prediction_source = path

    def _upload(self, event):
        if not event.new:
            return
        if self._upload_dir is None:
            self._upload_dir = tempfile.mkdtemp(prefix="mmme-predictions-")
        path = Path(self._upload_dir) / Path(self.file_input.filename or "predictions.csv").name
        path.write_bytes(event.new)
        self.add(path)

    @param.depends("prediction_source", watch=True)
    def _read(self):
        self.predictions, self.status = None, ""
        if self.prediction_source:
            try:
                self.predictions = read_predictions(self.prediction_source)
            except (DataFormatError, OSError, ValueError) as err:
                self.status = str(err)
        self._event = None
        self.refresh()
        self._update_bars()
        self.timeline.show_axis()

    # -- figures -------------------------------------------------------------------------
    def load(self, state: TrialState) -> None:
        """Show the predictions of ``state`` (after ``timeline.reset``)."""
        self.state = state
        f = self.track = self.timeline.figure("predictions", 110, "score")
        f.title.text = "Predictions"
        self.sources["score"] = ColumnDataSource(dict(x=[], y=[]))
        f.line("x", "y", source=self.sources["score"], line_color="#444444")
        self.sources["intervals"] = src = ColumnDataSource(dict(left=[], right=[], label=[]))
        f.quad(left="left", right="right", bottom=0, top=1, source=src, fill_color="#8888ff", fill_alpha=0.3,
               line_alpha=0)
        f.add_layout(LabelSet(x="left", y=0.8, text="label", source=src, text_font_size="9px"))
        f.visible = False
        b = self.classes = figure(width=320, height=160, x_range=FactorRange(), y_range=Range1d(0, 1), tools="",
                                  toolbar_location=None, name="mmme-classes", title="Class probabilities")
        self.sources["classes"] = ColumnDataSource(dict(cls=[], p=[]))
        b.vbar(x="cls", top="p", width=0.8, source=self.sources["classes"], fill_color="#6a51a3",
               line_color="#6a51a3")
        b.xaxis.major_label_orientation = 0.8
        b.visible = False
        self._plot.objects = [pn.pane.Bokeh(f, margin=(0, 0))]
        self._bars.objects = [pn.pane.Bokeh(b, margin=(0, 0))]
        self._event = None
        self.refresh()
        self._update_bars()

    @param.depends("timeline.x_range", watch=True)
    def refresh(self):
        """Send the scores or intervals of the visible range to the track."""
        f, pred = self.track, self.predictions
        if f is None:
            return
        if pred is None or pred.kind == "classes":
            f.visible = False
            self.sources["score"].data = dict(x=[], y=[])
            self.sources["intervals"].data = dict(left=[], right=[], label=[])
            return
        rows = pred.for_trial(self.state.trial)
        f.visible = True
        x0, x1 = self.timeline.x_range
        if pred.kind == "spotting":
            x, y = np.array([]), np.array([])
            if len(rows):
                x, y = downsample_trace(rows["time"].to_numpy(float), rows["score"].to_numpy(float), x0, x1,
                                        self.timeline.plot_width)
            self.sources["score"].data = dict(x=x, y=y)
            f.title.text = f"Predictions: spotting score ({Path(pred.path).name})"
        else:
            self.sources["intervals"].data = dict(left=rows["onset"].to_numpy(float),
                                                  right=rows["offset"].to_numpy(float),
                                                  label=rows["label"].astype(str).tolist())
            f.title.text = f"Predictions: intervals ({Path(pred.path).name})"

    @param.depends("timeline.time", watch=True)
    def _update_bars(self):
        b, pred = self.classes, self.predictions
        if b is None:
            return
        if pred is None or pred.kind != "classes":
            b.visible = False
            return
        k = self.state.event_at(self.timeline.time)
        if k == self._event and b.visible:
            return
        self._event = k
        rows = pred.for_trial(self.state.trial)
        rows = rows[rows["event"] == k] if k is not None else rows.iloc[:0]
        b.visible = True
        b.x_range.factors = [str(c) for c in rows["class"]]
        self.sources["classes"].data = dict(cls=[str(c) for c in rows["class"]], p=rows["probability"].tolist())
        b.title.text = f"Class probabilities, event {k}" if k is not None else "Class probabilities"

    # -- panels --------------------------------------------------------------------------
    def controls(self):
        """Source choice and upload (for a sidebar)."""
        return pn.Column(pn.widgets.Select.from_param(self.param.prediction_source, label="Source"),
                         self.file_input, margin=0)

    def bars(self):
        """The class-probability bars (shown for a ``classes`` file)."""
        return self._bars

    def __panel__(self):
        return self._plot
