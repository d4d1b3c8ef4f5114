"""Predictions view of the Explorer: a model's spotting scores, intervals or class
probabilities, read from prediction CSVs (format in :mod:`~mmme_analysis.dashboard.predictions`)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.core.properties import value
from bokeh.events import Tap
from bokeh.models import ColumnDataSource, FactorRange, HoverTool, LabelSet, Legend, LegendItem, LinearAxis, Range1d
from bokeh.plotting import figure

from ..errors import DataFormatError
from .downsample import downsample_trace
from .predictions import read_predictions
from .spot_outcomes import IOU, OUTCOME_COLORS, OUTCOME_LABELS, OUTCOMES, scored_kinds, spot_outcomes
from .timeline import Timeline
from .trial_state import TrialState

__all__ = ["DEFAULT_PREDICTIONS", "PredictionsView"]

#: Files of ``<dataset>/predictions/`` shown by default (the demo ships both, made by the
#: baseline spotter): parameter -> file name.
DEFAULT_PREDICTIONS = {"prediction_source": "baseline_intervals.csv", "score_source": "baseline_spotting.csv"}
#: Lanes of the track (y in 0..1): predicted intervals above, missed ground truth below.
_LANES = {"predicted": (0.22, 1.0), "missed": (0.0, 0.18)}
_COLUMNS = ("left", "right", "apex", "label", "outcome", "unfiltered", "iou", "hrs", "text", "line")
_CLICK_PX = 3  # how near (pixels) a click must be to an interval narrower than that


def _empty():
    return {c: [] for c in _COLUMNS}


class PredictionsView(pn.viewable.Viewer):
    """The prediction files chosen in ``prediction_source`` and ``score_source``, for the open trial.

    One track under the annotations shows spotting scores as a line (the file of
    ``score_source``, or ``prediction_source`` when that is a spotting file) and predicted
    intervals as spans coloured by their outcome against the trial's annotations (TP, FP,
    dropped by the heart-rate-slope filter in grey with its HRS, outlined green when it would
    have been a TP without the filter, missed ground truth in a lower lane; rules in
    :mod:`~mmme_analysis.dashboard.spot_outcomes`, IoU >= 0.5 on frames), with a legend
    that counts them. Clicking an interval (or a missed expression)
    seeks to its apex (its midpoint when the file gives none). Class probabilities are bars
    for the expression at the cursor. Files are offered from ``prediction_dirs`` and from
    ``<dataset>/predictions/`` (:meth:`find`), added with :meth:`add` or uploaded; when
    nothing was chosen, the dataset's :data:`DEFAULT_PREDICTIONS` are shown (the demo's
    baseline predictions). A file that cannot be read is reported in ``status``.

    Parameters
    ----------
    timeline : Timeline
        Cursor and visible range shared with the other views.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> from mmme_analysis.dashboard import Explorer
    >>> ex = Explorer(mm.open_dataset(mm.demo.data_path()))
    >>> [Path(p).name for p in (ex.predictions.prediction_source, ex.predictions.score_source)]
    ['baseline_intervals.csv', 'baseline_spotting.csv']
    >>> set(ex.predictions.outcomes[0]["outcome"]) <= {"TP", "FP", "dropped"}
    True
    """

    timeline = param.ClassSelector(class_=Timeline, constant=True, doc="Shared cursor and visible range.")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, doc="The open trial.")
    prediction_source = param.Selector(default="", objects={"(none)": ""},
                                       doc="Prediction CSV shown (any kind), '' for none.")
    score_source = param.Selector(default="", objects={"(none)": ""},
                                  doc="Spotting CSV whose scores are drawn with the intervals, '' for none.")
    prediction_dirs = param.List(default=[], item_type=(str, Path), doc="Folders searched for prediction CSVs.")
    status = param.String(default="", doc="Why a chosen file is not shown ('' when it is).")

    def __init__(self, timeline: Timeline, **params):
        super().__init__(timeline=timeline, **params)
        self.predictions = None
        self.scores = None
        self.outcomes = (pd.DataFrame(), pd.DataFrame())
        self.track = None
        self.classes = None
        self.legend = None
        self.sources = {}
        self.dataset_path = None
        self._defaults = {}
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

        When no file was chosen (or the one shown was a default), the files named in
        :data:`DEFAULT_PREDICTIONS` are chosen from ``<dataset_path>/predictions``.

        Parameters
        ----------
        dataset_path : path-like, optional
            The dataset's folder; remembered for later calls.
        """
        if dataset_path is not None:
            self.dataset_path = Path(dataset_path)
        dirs = [Path(d) for d in self.prediction_dirs]
        own = self.dataset_path / "predictions" if self.dataset_path is not None else None
        if own is not None:
            dirs.append(own)
        objects = {"(none)": ""}
        for d in dirs:
            if d.is_dir():  # not the hidden temporary files of a write in progress
                objects.update({f.name: str(f) for f in sorted(d.glob("*.csv")) if not f.name.startswith(".")})
        wanted = {}
        for name, file in DEFAULT_PREDICTIONS.items():
            current = getattr(self, name)
            if current and current != self._defaults.get(name):
                continue  # chosen by the user
            path = own / file if own is not None else None
            wanted[name] = str(path) if path is not None and path.is_file() else ""
        for name in DEFAULT_PREDICTIONS:
            p = self.param[name]
            choices = dict(objects)
            for v in p.objects:
                if v and v not in choices.values():
                    choices[Path(v).name] = v
            p.objects = choices
        self._defaults = {k: v for k, v in wanted.items() if v}
        if wanted:
            self.param.update(**wanted)

    def add(self, path) -> None:
        """Add a prediction CSV to the choices and show it."""
        path = str(path)
        for name in DEFAULT_PREDICTIONS:
            objects = dict(self.param[name].names or {"(none)": ""})
            objects[Path(path).name] = path
            self.param[name].objects = objects
        self.prediction_source = path

    def _upload(self, event):
        if not event.new:
            return
        if self._upload_dir is None:
            self._upload_dir = tempfile.mkdtemp(prefix="mmme-predictions-")
        path = Path(self._upload_dir) / Path(self.file_input.filename or "predictions.csv").name
        path.write_bytes(event.new)
        self.add(path)

    @param.depends("prediction_source", "score_source", watch=True)
    def _read(self):
        self.predictions, self.scores, problems = None, None, []
        for name in ("prediction_source", "score_source"):
            path = getattr(self, name)
            if not path:
                continue
            try:
                pred = read_predictions(path)
            except (DataFormatError, OSError, ValueError) as err:
                problems.append(str(err))
                continue
            if name == "prediction_source":
                self.predictions = pred
            elif pred.kind != "spotting":
                problems.append(f"{path}: expected a spotting file (trial, time, score) for the scores, "
                                f"got a {pred.kind} file")
            else:
                self.scores = pred
        self.status = " ".join(problems)
        self._event = None
        self._send()
        self._update_bars()
        self.timeline.show_axis()

    @property
    def _score_file(self):
        """The spotting file drawn as the score line (the main file when it is one)."""
        if self.predictions is not None and self.predictions.kind == "spotting":
            return self.predictions
        return self.scores

    # -- figures -------------------------------------------------------------------------
    def load(self, state: TrialState) -> None:
        """Show the predictions of ``state`` (after ``timeline.reset``)."""
        self.state = state
        f = self.track = self.timeline.figure("predictions", 150, "", y_range=Range1d(0, 1))
        f.title.text = "Predictions"
        f.yaxis.visible = False  # the lanes' axis; the score has its own
        f.extra_y_ranges = {"score": Range1d(0, 1)}
        f.add_layout(LinearAxis(y_range_name="score", axis_label="score"), "left")
        self.sources["score"] = ColumnDataSource(dict(x=[], y=[]))
        items, quads = [], []
        for outcome in OUTCOMES:
            src = self.sources[outcome] = ColumnDataSource(_empty())
            lo, hi = _LANES["missed" if outcome == "missed" else "predicted"]
            color = OUTCOME_COLORS[outcome]
            q = f.quad(left="left", right="right", bottom=lo, top=hi, source=src, fill_color=color,
                       fill_alpha=0.3 if outcome != "dropped" else 0.4, line_color="line", line_alpha=0.9,
                       hatch_pattern="/" if outcome == "missed" else None, hatch_color=color, hatch_alpha=0.5,
                       name=f"mmme-pred-{outcome}")
            f.segment(x0="apex", x1="apex", y0=lo, y1=hi, source=src, line_color=color, line_width=2)
            quads.append(q)
            items.append(LegendItem(label=value(OUTCOME_LABELS[outcome]), renderers=[q], visible=outcome != "unscored"))
        f.add_layout(LabelSet(x="left", y=0.8, text="text", source=self.sources["dropped"], text_font_size="9px",
                              x_offset=2, text_color="#555555"))
        f.line("x", "y", source=self.sources["score"], y_range_name="score", line_color="#222222", line_width=1.2,
               name="mmme-pred-score")
        f.add_tools(HoverTool(renderers=quads, tooltips=[
            ("outcome", "@outcome"), ("label", "@label"), ("onset", "@left{0.000} s"), ("apex", "@apex{0.000} s"),
            ("offset", "@right{0.000} s"), ("IoU", "@iou{0.00}"), ("HRS", "@hrs"), ("without the filter", "@unfiltered")]))
        self.legend = Legend(items=items, orientation="horizontal", location="top_left", label_text_font_size="9px",
                             glyph_height=10, glyph_width=14, spacing=6, padding=2, margin=0, border_line_alpha=0,
                             click_policy="none")
        f.add_layout(self.legend, "above")
        f.on_event(Tap, self._on_tap)  # after the timeline's own seek to the click: the apex wins
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
        self._send()
        self._update_bars()

    def _events(self) -> pd.DataFrame:
        """The open trial's annotations, with ``offset_coded`` when the trial has it."""
        ev = self.state.events().copy()
        tree = self.state.tree
        if "events" in tree.children and "offset_coded" in tree["events"].to_dataset():
            coded = np.asarray(tree["events"]["offset_coded"].values, bool)
            if coded.size == len(ev):
                ev["offset_coded"] = coded
        return ev

    def _send(self):
        """Send the open trial's intervals (by outcome) and score range to the track."""
        f, pred = self.track, self.predictions
        if f is None:
            return
        intervals = pred is not None and pred.kind == "intervals"
        scores = self._score_file
        parts = []
        counts = dict.fromkeys(OUTCOMES, 0)
        if intervals:
            rows = pred.for_trial(self.state.trial)
            clock = self.state.video_info()
            kinds, by_kind = scored_kinds(pred.table["label"])
            self.outcomes = spot_outcomes(rows, self._events(), fps=clock.fps if clock else None,
                                          t0=clock.t_first if clock else 0.0, iou=IOU, kinds=kinds, by_kind=by_kind)
            predicted, missed = self.outcomes
            for outcome in OUTCOMES:
                sel = missed if outcome == "missed" else predicted[predicted["outcome"] == outcome]
                counts[outcome] = len(sel)
                self.sources[outcome].data = self._columns(sel, outcome)
            shown = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o] or o in ("TP", "FP", "missed"))
            parts.append(f"intervals {Path(pred.path).name} (IoU >= {IOU} with the annotations: {shown})")
        else:
            self.outcomes = (pd.DataFrame(), pd.DataFrame())
            for outcome in OUTCOMES:
                self.sources[outcome].data = _empty()
        for item, outcome in zip(self.legend.items, OUTCOMES):
            item.label = value(f"{OUTCOME_LABELS[outcome]} ({counts[outcome]})")
            item.visible = intervals and (outcome != "unscored" or counts[outcome] > 0)
        self.legend.visible = intervals
        if scores is not None:
            y = scores.for_trial(self.state.trial)["score"].to_numpy(float)
            lo, hi = (float(y.min()), float(y.max())) if y.size else (0.0, 1.0)
            pad = 0.05 * (hi - lo) or 0.5
            f.extra_y_ranges["score"].update(start=lo - pad, end=hi + pad)
            parts.append(f"spotting score {Path(scores.path).name}")
        f.title.text = "Predictions: " + "; ".join(parts) if parts else "Predictions"
        f.visible = bool(parts)
        self.refresh()

    @staticmethod
    def _columns(rows: pd.DataFrame, outcome: str) -> dict:
        if not len(rows):
            return _empty()
        n = len(rows)
        unfiltered = rows["unfiltered"].astype(str).tolist() if "unfiltered" in rows else [outcome] * n
        # a dropped candidate that would have been a TP keeps a green outline
        line = [OUTCOME_COLORS["TP" if outcome == "dropped" and u == "TP" else outcome] for u in unfiltered]
        hrs = rows["hrs"].to_numpy(float) if "hrs" in rows else np.full(n, np.nan)
        hrs_text = [f"{h:.2f} bpm/s" if np.isfinite(h) else "n/a" for h in hrs]
        return dict(left=rows["onset"].to_numpy(float), right=rows["offset"].to_numpy(float),
                    apex=rows["target"].to_numpy(float),
                    label=rows["label"].astype(str).tolist() if "label" in rows else list(rows["kind"].astype(str)),
                    outcome=[outcome] * n, unfiltered=unfiltered, line=line,
                    iou=rows["iou"].to_numpy(float) if "iou" in rows else np.full(n, np.nan),
                    hrs=hrs_text, text=[f"HRS {h}" for h in hrs_text] if outcome == "dropped" else [""] * n)

    @param.depends("timeline.x_range", watch=True)
    def refresh(self):
        """Send the scores of the visible range to the track (downsampled to its width)."""
        if self.track is None:
            return
        scores = self._score_file
        x, y = np.array([]), np.array([])
        if scores is not None:
            rows = scores.for_trial(self.state.trial)
            if len(rows):
                x0, x1 = self.timeline.x_range
                x, y = downsample_trace(rows["time"].to_numpy(float), rows["score"].to_numpy(float), x0, x1,
                                        self.timeline.plot_width)
        self.sources["score"].data = dict(x=x, y=y)

    # -- clicks --------------------------------------------------------------------------
    def target_at(self, x: float, y: float | None = None) -> float | None:
        """Where a click at ``x`` (s) and ``y`` (0..1 up the track) seeks: the apex of the
        interval under it (its midpoint without an apex), None when there is none.

        The lower lane holds the missed expressions, the upper one the predicted intervals
        (``y`` None: either); among overlapping intervals the apex nearest ``x`` wins.
        """
        predicted, missed = self.outcomes
        if y is None:
            table = pd.concat([t for t in (predicted, missed) if len(t)]) if len(predicted) or len(missed) else None
        else:
            table = missed if y < _LANES["predicted"][0] else predicted
        if table is None or not len(table):
            return None
        x0, x1 = self.timeline.x_range
        tol = _CLICK_PX * (x1 - x0) / max(self.timeline.plot_width, 1)
        on, off = table["onset"].to_numpy(float), table["offset"].to_numpy(float)
        inside = np.flatnonzero((on - tol <= x) & (x <= off + tol))
        if not inside.size:
            return None
        target = table["target"].to_numpy(float)[inside]
        return float(target[np.argmin(np.abs(target - x))])

    def _on_tap(self, event):
        if event.x is None:
            return
        t = self.target_at(float(event.x), None if event.y is None else float(event.y))
        if t is not None and np.isfinite(t):
            self.timeline.seek(t)

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
        """Source choices and upload (for a sidebar)."""
        return pn.Column(pn.widgets.Select.from_param(self.param.prediction_source, label="Source"),
                         pn.widgets.Select.from_param(self.param.score_source, label="Scores (spotting file)"),
                         self.file_input, margin=0)

    def bars(self):
        """The class-probability bars (shown for a ``classes`` file)."""
        return self._bars

    def __panel__(self):
        return self._plot
