"""The Explorer: one trial's face video, EEG, peripheral signals, annotations and model
outputs on one time axis.

All state is in parameters of :class:`Explorer` (dataset, subject, trial, time cursor,
visible range, channels, filters, prediction source). Views are ``@param.depends`` methods
that rebuild only when the trial changes; moving the cursor or the visible range updates
the existing Bokeh models in place (``watch=True`` side effects), which keeps scrubbing
fast. Data access is delegated to :class:`~mmme_analysis.dashboard.store.ExplorerStore`.

Use it from a notebook::

    import mmme_analysis as mm
    from mmme_analysis.dashboard import Explorer
    Explorer(mm.open_dataset("store.zarr"))

or serve it with ``panel serve dashboards/explorer.py``.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.events import RangesUpdate, Tap
from bokeh.models import (
    ColumnDataSource,
    FactorRange,
    FixedTicker,
    HoverTool,
    LabelSet,
    Range1d,
    Span,
)
from bokeh.plotting import figure

from ..errors import DataFormatError
from .player import FramePlayer
from .store import ExplorerStore, downsample_trace, read_predictions

__all__ = ["EMOTION_COLORS", "Explorer"]

#: Colour of each canonical emotion (``mmme_analysis.io.labels.EMOTION_CLASSES``; the trial
#: tree holds canonical names, not raw labels) and 3-class composite; anything else is grey.
EMOTION_COLORS = {
    "happiness": "#e6b800",
    "disgust": "#2ca02c",
    "anger": "#d62728",
    "fear": "#9467bd",
    "sadness": "#1f77b4",
    "surprise": "#ff7f0e",
    "contempt": "#8c564b",
    "tense": "#17becf",
    "positive": "#e6b800", "negative": "#d62728",
}
_OTHER = "#7f7f7f"

#: Display unit of each stored unit: (factor, label).
_DISPLAY_UNITS = {"V": (1e3, "mV"), "S": (1e6, "µS"), "degC": (1.0, "°C")}

#: Trace colour of each EEG display group (``store.channel_group``).
_GROUP_COLORS = {"frontal": "#1f4e79", "central": "#2e7d32", "temporal": "#8e44ad", "parietal": "#b35900",
                 "occipital": "#7b1f1f", "other": "#444444"}

_BORDER_LEFT = 90
#: Peripheral signals shown by default (others can be ticked in the sidebar).
_DEFAULT_PERI = ("ECG", "EDA", "PPG", "RSP", "SKT")
# level "overlay": moving the cursor repaints only the overlay canvas, not the traces
_CURSOR = dict(line_color="#d00000", line_width=1.5, line_dash="solid", level="overlay")


def _color(emotion) -> str:
    return EMOTION_COLORS.get(str(emotion).lower(), _OTHER)


class Explorer(pn.viewable.Viewer):
    """Linked viewer of one trial: video frame at the cursor, EEG, peripheral signals,
    annotations, predictions and clock alignment.

    Parameters
    ----------
    dataset : object
        A dataset as returned by ``mmme_analysis.open_dataset`` (see docs/data_model.md).
    **params
        Any parameter below (``subject="sub-02"``, ``trial=103``, ``notch=50.0`` ...).

    Notes
    -----
    The time cursor snaps to video frames: frame position ``round((t - t0) * fps)``, where
    ``t0`` is the time of the first frame (0 for a video starting at the marker).
    """

    dataset = param.Parameter(default=None, doc="Dataset (see docs/data_model.md).")
    subject = param.Selector(default=None, objects=[], allow_None=True, doc="Subject (pseudonym).")
    trial = param.Selector(default=None, objects=[], allow_None=True, doc="Trial (stimulus marker).")
    time = param.Number(default=0.0, doc="Time cursor (s on the trial axis).")
    x_range = param.Range(default=(0.0, 1.0), doc="Visible time range (s).")
    eeg_group = param.Selector(default="all", objects=["all"], doc="EEG channel group.")
    channels = param.ListSelector(default=[], objects=[], doc="EEG channels shown, top to bottom.")
    scaling = param.Selector(default="channel", objects=["channel", "common"],
                             doc="EEG scaling: each channel by its own robust sd, or one common scale.")
    gain = param.Number(default=1.0, bounds=(0.1, 20.0), step=0.1, doc="EEG display gain.")
    highpass = param.Number(default=None, allow_None=True, bounds=(0, None), doc="Band-pass low edge (Hz).")
    lowpass = param.Number(default=None, allow_None=True, bounds=(0, None), doc="Band-pass high edge (Hz).")
    notch = param.Selector(default=0.0, objects={"off": 0.0, "50 Hz": 50.0, "60 Hz": 60.0},
                           doc="Line-noise notch (Hz); 0 is off.")
    peri = param.ListSelector(default=[], objects=[], doc="Peripheral signals shown.")
    prediction_source = param.Selector(default="", objects={"(none)": ""},
                                       doc="Prediction CSV shown, '' for none (see mmme_analysis.dashboard.store).")
    prediction_dirs = param.List(default=[], item_type=(str, Path), doc="Folders searched for prediction CSVs.")
    plot_width = param.Integer(default=900, bounds=(200, 4000), doc="Width of the plots (pixels).")
    status = param.String(default="", doc="Last error or warning shown to the user.")

    _version = param.Integer(default=0, precedence=-1)

    def __init__(self, dataset=None, **params):
        self._store = ExplorerStore(dataset)
        self.player = FramePlayer(width=460)
        self._spans, self._figs = [], {}
        self._shade = None
        self._src = {}
        self._video = None
        self._events = pd.DataFrame()
        self._predictions = None
        self._pred_event = None
        self._bounds = (0.0, 1.0)
        self._upload_dir = None
        self._xr = Range1d(0, 1)
        super().__init__(dataset=dataset, **{k: v for k, v in params.items() if k in ("plot_width",)})
        self.player.param.watch(self._on_player_frame, "frame")
        self._on_dataset()
        self.param.update(**{k: v for k, v in params.items() if k not in ("dataset", "plot_width")})

    # -- dataset / trial selection -------------------------------------------------------
    @param.depends("dataset", watch=True)
    def _on_dataset(self):
        self._store.dataset = self.dataset
        if self.dataset is None:
            return
        subjects = self._store.subjects()
        self.param.subject.objects = subjects
        self._find_predictions()
        if self.subject in subjects:
            self._on_subject()
        else:
            self.subject = subjects[0] if subjects else None

    def _find_predictions(self):
        dirs = [Path(d) for d in self.prediction_dirs]
        root = getattr(self.dataset, "path", None)
        if root is not None:
            dirs.append(Path(root) / "predictions")
        objects = {"(none)": ""}
        for d in dirs:
            if d.is_dir():
                for f in sorted(d.glob("*.csv")):
                    objects[f.name] = str(f)
        for v in self.param.prediction_source.objects:
            if v and v not in objects.values():
                objects[Path(v).name] = v
        self.param.prediction_source.objects = objects

    @param.depends("prediction_dirs", watch=True)
    def _on_prediction_dirs(self):
        self._find_predictions()

    @param.depends("subject", watch=True)
    def _on_subject(self):
        if self.subject is None:
            self.param.trial.objects = {}
            return
        trials = self._store.trials_of(self.subject)
        labels = {}
        for row in trials.itertuples():
            miss = [m for m, ok in (("video", row.has_video), ("EEG", row.has_eeg), ("peri", row.has_peri))
                    if not ok]
            extra = f", no {'/'.join(miss)}" if miss else ""
            labels[f"{int(row.marker)} (cat. {row.category}, {int(row.n_events)} events{extra})"] = int(row.marker)
        self.param.trial.objects = labels
        markers = list(labels.values())
        if self.trial in markers:
            self._load_trial()
        else:
            self.trial = markers[0] if markers else None

    @param.depends("trial", watch=True)
    def _load_trial(self):
        if self.subject is None or self.trial is None:
            return
        s, m, store = self.subject, int(self.trial), self._store
        try:
            store.trial(s, m)
        except Exception as err:  # noqa: BLE001 - say why, keep serving
            self.status = f"Could not open {s}, marker {m}: {type(err).__name__}: {err}"
            return
        self.status = ""
        self._video = store.video_info(s, m)
        self._events = store.events(s, m)
        chans = store.eeg_channels(s, m)
        self._channel_table = chans
        groups = ["all"] + sorted(set(chans["group"]))
        self.param.eeg_group.objects = groups
        self.param.channels.objects = list(chans["channel"])
        signals = store.peri_signals(s, m)
        self.param.peri.objects = list(signals)
        # time extent of the trial
        extents = []
        tree = store.trial(s, m)
        for name in ("video", "eeg", "peri"):
            if name in tree.children and "time" in tree[name].to_dataset().coords:
                t = tree[name].to_dataset()["time"].values
                if t.size:
                    extents += [float(t[0]), float(t[-1])]
        if not extents and len(self._events):
            extents = [0.0, float(self._events["offset"].max()) + 1.0]
        lo, hi = (min(extents), max(extents)) if extents else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self._bounds = (lo, hi)
        self._build_figures()
        if self._video is not None:
            self.player.set_source(lambda i, s=s, m=m: self._store.frame(s, m, i),
                                   n_frames=self._video.n_frames, fps=self._video.fps,
                                   t_first=self._video.t_first, frame=self._video.index(lo))
        self.eeg_group = "all"
        with param.parameterized.batch_call_watchers(self):
            self.param.update(
                channels=[c for c, t in zip(chans["channel"], chans["ch_type"]) if t == "eeg"][:32],
                peri=[k for k in _DEFAULT_PERI if k in signals] or list(signals)[:5],
                x_range=(lo, hi),
                time=self._snap(lo),
            )
        self._refresh_all()
        self._move_cursor()
        self._version += 1

    # -- time cursor ---------------------------------------------------------------------
    def _snap(self, t: float) -> float:
        lo, hi = self._bounds
        t = float(np.clip(t, lo, hi))
        if self._video is not None:
            return self._video.time(self._video.index(t))
        return t

    def seek(self, t: float):
        """Move the cursor to ``t`` (s), snapped to the nearest video frame; scroll the view
        when ``t`` is outside it."""
        t = self._snap(t)
        x0, x1 = self.x_range
        if not (x0 <= t <= x1):
            w = x1 - x0
            lo, hi = self._bounds
            x0 = float(np.clip(t - w / 2, lo, max(lo, hi - w)))
            self.x_range = (x0, x0 + w)
        self.time = t

    def _on_player_frame(self, event):
        if self._video is not None:
            self.time = self._video.time(event.new)

    @param.depends("time", watch=True)
    def _move_cursor(self):
        if self._video is not None:
            self.player.show(self._video.index(self.time))
        for span in self._spans:
            span.location = self.time
        self._update_class_bars()
        self._push()

    def _push(self):
        """Send in-place model changes to a notebook (the server sends them by itself)."""
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:
            return
        try:
            pn.io.push_notebook(*self._panes())
        except Exception:  # noqa: BLE001 - not displayed in a notebook
            pass

    def _panes(self):
        return [p for p in getattr(self, "_bokeh_panes", [])]

    # -- figures -------------------------------------------------------------------------
    def _figure(self, name: str, height: int, y_label: str = "", **kw) -> figure:
        f = figure(width=self.plot_width, height=height, x_range=self._xr, tools="xpan,xwheel_zoom,reset",
                   active_scroll="xwheel_zoom", toolbar_location="right", min_border_left=_BORDER_LEFT,
                   min_border_right=10, name=f"mmme-{name}", **kw)
        f.yaxis.axis_label = y_label
        f.xaxis.visible = False
        f.toolbar.logo = None
        span = Span(location=self.time, dimension="height", name="mmme-cursor", **_CURSOR)
        f.add_layout(span)
        self._spans.append(span)
        if self._shade is not None:  # one glyph per figure, one source for all: cheap
            f.vstrip(x0="left", x1="right", source=self._shade, fill_color="color", fill_alpha=0.12, line_alpha=0)
        f.on_event(Tap, self._on_tap)
        f.on_event(RangesUpdate, self._on_ranges)
        self._figs[name] = f
        return f

    def _on_tap(self, event):
        if event.x is not None:
            self.seek(event.x)

    def _on_ranges(self, event):
        if event.x0 is None or event.x1 is None:
            return
        rng = (float(event.x0), float(event.x1))
        if rng != tuple(self.x_range):
            self.x_range = rng

    def _build_figures(self):
        lo, hi = self._bounds
        self._spans, self._figs, self._src = [], {}, {}
        self._xr = Range1d(lo, hi, bounds=(lo, hi), min_interval=1.0 / (self._video.fps if self._video else 1000))
        s, m = self.subject, int(self.trial)
        ev = self._events
        self._shade = None
        if len(ev):
            shaded = dict(left=ev["onset"].astype(float),
                          right=np.maximum(ev["offset"].astype(float), ev["apex"].astype(float)),
                          color=[_color(e) for e in ev["emotion"]])
            self._shade = ColumnDataSource(shaded)
        # annotations
        f = self._figure("annotations", 120, "events", y_range=Range1d(0, 1))
        f.yaxis.visible = False
        f.title.text = "Annotations (onset-offset shaded, apex line, AUs)"
        if len(ev):
            data = dict(
                shaded, apex=ev["apex"].astype(float),
                label=[f"{'ME' if k == 'micro' else 'MaE'} {a}" for k, a in zip(ev["kind"], ev["aus"])],
                kind=list(ev["kind"]), emotion=list(ev["emotion"]), aus=list(ev["aus"]),
                y=np.where(np.arange(len(ev)) % 2 == 0, 0.62, 0.12),
            )
            src = ColumnDataSource(data)
            q = f.quad(left="left", right="right", bottom=0.05, top=0.95, color="color", fill_alpha=0.35,
                       line_alpha=0.8, source=src)
            f.segment(x0="apex", x1="apex", y0=0.0, y1=1.0, color="color", line_width=2, source=src)
            f.add_layout(LabelSet(x="left", y="y", text="label", source=src, text_font_size="10px",
                                  x_offset=2))
            f.add_tools(HoverTool(renderers=[q], tooltips=[("kind", "@kind"), ("emotion", "@emotion"),
                                                           ("AUs", "@aus"), ("onset", "@left{0.000} s"),
                                                           ("apex", "@apex{0.000} s"),
                                                           ("offset", "@right{0.000} s")]))
        # predictions
        fp = self._figure("predictions", 110, "score")
        fp.title.text = "Predictions"
        self._src["score"] = ColumnDataSource(dict(x=[], y=[]))
        fp.line("x", "y", source=self._src["score"], color="#444")
        self._src["intervals"] = ColumnDataSource(dict(left=[], right=[], label=[]))
        fp.quad(left="left", right="right", bottom=0, top=1, source=self._src["intervals"], fill_color="#8888ff",
                fill_alpha=0.3, line_alpha=0)
        fp.add_layout(LabelSet(x="left", y=0.8, text="label", source=self._src["intervals"], text_font_size="9px"))
        fp.visible = False
        fb = figure(width=320, height=160, x_range=FactorRange(), y_range=Range1d(0, 1), tools="",
                    toolbar_location=None, name="mmme-classes", title="Class probabilities")
        self._src["classes"] = ColumnDataSource(dict(cls=[], p=[]))
        fb.vbar(x="cls", top="p", width=0.8, source=self._src["classes"], color="#6a51a3")
        fb.xaxis.major_label_orientation = 0.8
        fb.visible = False
        self._figs["classes"] = fb
        # EEG
        eeg_sfreq = self._store.eeg_sfreq(s, m)
        if eeg_sfreq is not None:
            fe = self._figure("eeg", 300, "", y_range=Range1d(-1, 1))
            fe.title.text = f"EEG ({eeg_sfreq:g} Hz)"
            self._src["eeg"] = ColumnDataSource(dict(xs=[], ys=[], channel=[], color=[]))
            fe.multi_line("xs", "ys", source=self._src["eeg"], line_color="color", line_width=1)
            fe.yaxis.ticker = FixedTicker(ticks=[])
        # peripheral
        signals = self._store.peri_signals(s, m)
        order = {k: i for i, k in enumerate(_DEFAULT_PERI)}  # ECG (and HR) first, then the others
        signals = dict(sorted(signals.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        sfreq_peri = None
        if signals:
            tree = self._store.trial(s, m)
            sfreq_peri = tree["peri"].attrs.get("sfreq")
        for name, units in signals.items():
            ulabel = _DISPLAY_UNITS.get(units, (1.0, units))[1]
            fg = self._figure(f"peri-{name}", 100, f"{name} [{ulabel}]")
            fg.title.text = f"{name} ({sfreq_peri:g} Hz)" if sfreq_peri else name
            self._src[f"peri-{name}"] = ColumnDataSource(dict(x=[], y=[]))
            fg.line("x", "y", source=self._src[f"peri-{name}"], color="#333")
            if name == "ECG":
                self._src["rpeaks"] = ColumnDataSource(dict(x=[], y=[]))
                fg.scatter("x", "y", source=self._src["rpeaks"], color="#d62728", size=5, marker="inverted_triangle")
                for key, lab in (("hr", "HR [bpm]"), ("hr_slope", "HR slope [bpm/s]")):
                    fh = self._figure(key, 100, lab)
                    fh.title.text = "Heart rate (from R peaks)" if key == "hr" else "Heart-rate slope"
                    self._src[key] = ColumnDataSource(dict(x=[], y=[]))
                    fh.line("x", "y", source=self._src[key], color="#d62728" if key == "hr" else "#9467bd")
        # the lowest visible time-series figure shows the time axis
        self._axis_figure()
        # alignment
        devs, res = self._store.alignment(s, m)
        fa = figure(width=420, height=180, tools="hover", toolbar_location=None, name="mmme-alignment",
                    title="Marker residuals after the clock fit", x_axis_label="marker time on EEG clock [s]",
                    y_axis_label="residual [ms]")
        for k, (dev, grp) in enumerate(res.groupby("device")):
            fa.scatter(grp["ref_time"], grp["residual_ms"], size=7, legend_label=str(dev),
                       color=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"][k % 4])
        if len(res):
            fa.legend.location = "top_left"
        self._figs["alignment"] = fa
        self._alignment_table = devs

    def _axis_figure(self):
        order = self._plot_order()
        shown = [self._figs[k] for k in order if k in self._figs and self._figs[k].visible]
        for f in [self._figs[k] for k in order if k in self._figs]:
            f.xaxis.visible = False
        if shown:
            shown[-1].xaxis.visible = True
            shown[-1].xaxis.axis_label = "time [s] (trial axis)"

    def _plot_order(self):
        return ["annotations", "predictions", "eeg"] + [
            k for k in self._figs if k.startswith("peri-") or k in ("hr", "hr_slope")
        ]

    # -- trace updates -------------------------------------------------------------------
    @param.depends("x_range", watch=True)
    def _on_x_range(self):
        x0, x1 = self.x_range
        if (self._xr.start, self._xr.end) != (x0, x1):
            self._xr.update(start=x0, end=x1)
        self._refresh_all()
        self._push()

    def _refresh_all(self):
        self._refresh_eeg()
        self._refresh_peri()
        self._refresh_predictions()

    @param.depends("channels", "scaling", "gain", "highpass", "lowpass", "notch", watch=True)
    def _refresh_eeg(self):
        src = self._src.get("eeg")
        if src is None:
            return
        s, m = self.subject, int(self.trial)
        hp, lp = self.highpass, self.lowpass
        sf = self._store.eeg_sfreq(s, m)
        if hp is not None and lp is not None and hp >= lp:
            self.status = f"Band-pass: expected low edge < high edge, got {hp} Hz and {lp} Hz; not filtering."
            hp = lp = None
        if (lp is not None and lp >= sf / 2) or (hp is not None and hp >= sf / 2):
            self.status = f"Band-pass: expected edges below Nyquist ({sf / 2:g} Hz), got {hp}, {lp}; not filtering."
            hp = lp = None
        x0, x1 = self.x_range
        tr = self._store.eeg_traces(s, m, self.channels, x0, x1, self.plot_width, l_freq=hp or None,
                                    h_freq=lp, notch=self.notch or None, scaling=self.scaling, gain=self.gain)
        groups = dict(zip(self._channel_table["channel"], self._channel_table["group"]))
        src.data = dict(xs=tr["xs"], ys=tr["ys"], channel=tr["channel"],
                        color=[_GROUP_COLORS.get(groups.get(c, "other"), "#555555") for c in tr["channel"]])
        f = self._figs["eeg"]
        n = len(tr["channel"])
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

    @param.depends("peri", watch=True)
    def _on_peri(self):
        for k, f in self._figs.items():
            if k.startswith("peri-"):
                f.visible = k[5:] in self.peri
        for k in ("hr", "hr_slope"):
            if k in self._figs:
                self._figs[k].visible = "ECG" in self.peri
        self._axis_figure()
        self._refresh_peri()

    def _refresh_peri(self):
        if self.subject is None or self.trial is None:
            return
        s, m = self.subject, int(self.trial)
        x0, x1 = self.x_range
        w = self.plot_width
        for name, units in self._store.peri_signals(s, m).items():
            key = f"peri-{name}"
            if key not in self._src:
                continue
            if name not in self.peri:
                self._src[key].data = dict(x=[], y=[])
                continue
            fac = _DISPLAY_UNITS.get(units, (1.0, units))[0]
            x, y = self._store.peri_trace(s, m, name, x0, x1, w)
            self._src[key].data = dict(x=x, y=y * fac)
            if name == "ECG":
                self._refresh_cardiac(x0, x1, w, fac)

    def _refresh_cardiac(self, x0, x1, w, fac):
        s, m = self.subject, int(self.trial)
        try:
            card = self._store.cardiac(s, m)
        except Exception as err:  # noqa: BLE001 - R-peak detection can fail on noise
            self.status = f"R-peak detection failed: {type(err).__name__}: {err}"
            card = None
        if card is None:
            return
        rp = card["rpeaks"]
        rp = rp[(rp >= x0) & (rp <= x1)]
        self._src["rpeaks"].data = dict(x=rp, y=self._store.peri_at(s, m, "ECG", rp) * fac)
        for key in ("hr", "hr_slope"):
            x, y = downsample_trace(card["time"], card[key], x0, x1, w)
            self._src[key].data = dict(x=x, y=y)

    # -- predictions ---------------------------------------------------------------------
    @param.depends("prediction_source", watch=True)
    def _load_predictions(self):
        self._predictions = None
        if self.prediction_source:
            try:
                self._predictions = read_predictions(self.prediction_source)
                self.status = ""
            except (DataFormatError, OSError, ValueError) as err:
                self.status = str(err)
        self._refresh_predictions()
        self._pred_event = None
        self._update_class_bars()
        self._axis_figure()
        self._push()

    def add_predictions(self, path) -> None:
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
        name = Path(self._file_input.filename or "predictions.csv").name
        path = Path(self._upload_dir) / name
        path.write_bytes(event.new)
        self.add_predictions(path)

    def _refresh_predictions(self):
        fp = self._figs.get("predictions")
        if fp is None:
            return
        pred = self._predictions
        if pred is None or pred.kind == "classes" or self.trial is None:
            fp.visible = False
            if "score" in self._src:
                self._src["score"].data = dict(x=[], y=[])
                self._src["intervals"].data = dict(left=[], right=[], label=[])
            return
        rows = pred.for_trial(self.subject, int(self.trial))
        fp.visible = True
        x0, x1 = self.x_range
        if pred.kind == "spotting":
            if len(rows):
                x, y = downsample_trace(rows["time"].to_numpy(float), rows["score"].to_numpy(float), x0, x1,
                                        self.plot_width)
            else:
                x, y = np.array([]), np.array([])
            self._src["score"].data = dict(x=x, y=y)
            fp.title.text = f"Predictions: spotting score ({Path(pred.path).name})"
        else:
            self._src["intervals"].data = dict(left=rows["onset"].to_numpy(float),
                                               right=rows["offset"].to_numpy(float),
                                               label=rows["label"].astype(str).tolist())
            fp.title.text = f"Predictions: intervals ({Path(pred.path).name})"

    def _current_event(self):
        ev = self._events
        if not len(ev):
            return None
        t = self.time
        inside = np.flatnonzero((ev["onset"].to_numpy(float) <= t) & (t <= ev["offset"].to_numpy(float)))
        if inside.size:
            return int(inside[0])
        return int(np.argmin(np.abs(ev["apex"].to_numpy(float) - t)))

    def _update_class_bars(self):
        fb = self._figs.get("classes")
        if fb is None:
            return
        pred = self._predictions
        if pred is None or pred.kind != "classes":
            fb.visible = False
            return
        k = self._current_event()
        if k == self._pred_event and fb.visible:
            return
        self._pred_event = k
        rows = pred.for_trial(self.subject, int(self.trial))
        rows = rows[rows["event"] == k] if k is not None else rows.iloc[:0]
        fb.visible = True
        fb.x_range.factors = [str(c) for c in rows["class"]]
        self._src["classes"].data = dict(cls=[str(c) for c in rows["class"]], p=rows["probability"].tolist())
        fb.title.text = (f"Class probabilities, event {k}" if k is not None else "Class probabilities")

    # -- views ---------------------------------------------------------------------------
    def _event_rows(self):
        rows = []
        ev = self._events
        for k, e in enumerate(ev.itertuples()):
            kind = "ME" if e.kind == "micro" else "MaE"
            label = f"{kind} {k + 1}: {e.emotion} \u00b7 {float(e.apex):.3f} s"
            main = pn.widgets.Button(label=label, color="light", width=170, margin=(2, 2),
                                     stylesheets=[":host .bk-btn { font-size: 11px; text-align: left; "
                                                  "overflow: hidden; text-overflow: ellipsis; }"],
                                     css_classes=["mmme-event"],
                                     styles={"border-left": f"6px solid {_color(e.emotion)}"})
            main.on_click(lambda _e, t=float(e.apex): self.seek(t))
            jumps = []
            for what in ("onset", "apex", "offset"):
                b = pn.widgets.Button(label={"onset": "on", "apex": "apex", "offset": "off"}[what], width=44,
                                      margin=(2, 1), color="default",
                                      stylesheets=[":host .bk-btn { font-size: 11px; padding: 2px; }"])
                b.on_click(lambda _e, t=float(getattr(e, what)): self.seek(t))
                jumps.append(b)
            rows.append(pn.Row(main, *jumps, margin=0))
        return rows

    @param.depends("_version")
    def _events_view(self):
        rows = self._event_rows()
        if not rows:
            return pn.pane.Markdown("*No annotated expression in this trial.*")
        return pn.Column(*rows, margin=0, scroll=True, max_height=300)

    @param.depends("_version", "status")
    def _messages_view(self):
        msgs = []
        if self.subject is not None and self.trial is not None and self._store._key is not None:
            msgs += self._store.missing(self.subject, int(self.trial))
        items = [pn.pane.Alert(m, alert_type="warning", margin=(2, 5)) for m in msgs]
        if self.status:
            items.append(pn.pane.Alert(self.status, alert_type="danger", margin=(2, 5)))
        return pn.Column(*items, margin=0)

    @param.depends("_version")
    def _plots_view(self):
        order = [k for k in self._plot_order() if k in self._figs]
        self._bokeh_panes = [pn.pane.Bokeh(self._figs[k], margin=(0, 0)) for k in order]
        return pn.Column(*self._bokeh_panes, margin=0)

    @param.depends("_version")
    def _side_panels(self):
        items = []
        if "classes" in self._figs:
            p = pn.pane.Bokeh(self._figs["classes"])
            self._bokeh_panes = getattr(self, "_bokeh_panes", []) + [p]
            items.append(p)
        if "alignment" in self._figs:
            table = getattr(self, "_alignment_table", pd.DataFrame())
            if len(table):
                fmt = table.assign(offset_s=table["offset_s"].map("{:.4f}".format),
                                   drift_ppm=table["drift_ppm"].map("{:+.1f}".format),
                                   max_abs_residual_ms=table["max_abs_residual_ms"].map("{:.2f}".format))
                tbl = pn.pane.DataFrame(fmt, index=False, sizing_mode="fixed", width=420)
            else:
                tbl = pn.pane.Markdown("*No alignment information in this store.*")
            items.append(pn.Card(pn.pane.Markdown("Clock fits to the EEG clock: "
                                                  "`t_device = offset + (1 + drift) t_eeg`"),
                                 tbl, pn.pane.Bokeh(self._figs["alignment"]), title="Alignment",
                                 collapsed=False, width=440))
        return pn.Column(*items, margin=0)

    @param.depends("_version")
    def _video_view(self):
        if self._video is None:
            return pn.pane.Markdown("**No video in this trial.**", width=320)
        return self.player

    def _sidebar(self):
        self._file_input = pn.widgets.FileInput(accept=".csv", multiple=False, label="prediction CSV")
        self._file_input.param.watch(self._upload, "value")
        w = pn.widgets
        ds_name = getattr(self.dataset, "path", None)
        ds_label = f"**Dataset:** `{Path(ds_name).name}`" if ds_name else "**Dataset:** (in memory)"
        return pn.Column(
            pn.pane.Markdown(ds_label, margin=(0, 5)),
            w.Select.from_param(self.param.subject, label="Subject"),
            w.Select.from_param(self.param.trial, label="Trial"),
            pn.pane.Markdown("**Expressions** (click: apex)", margin=(5, 5, 0, 5)),
            self._events_view,
            pn.pane.Markdown("**EEG**", margin=(5, 5, 0, 5)),
            w.Select.from_param(self.param.eeg_group, label="Channel group"),
            w.MultiChoice.from_param(self.param.channels, label="Channels", max_items=128),
            w.RadioButtonGroup.from_param(self.param.scaling, label="Scaling"),
            w.FloatSlider.from_param(self.param.gain, label="Gain"),
            pn.Row(w.FloatInput.from_param(self.param.highpass, label="High-pass (Hz)", width=130),
                   w.FloatInput.from_param(self.param.lowpass, label="Low-pass (Hz)", width=130)),
            w.Select.from_param(self.param.notch, label="Notch (Hz)"),
            pn.pane.Markdown("**Peripheral**", margin=(5, 5, 0, 5)),
            w.MultiChoice.from_param(self.param.peri, label="Signals"),
            pn.pane.Markdown("**Predictions**", margin=(5, 5, 0, 5)),
            w.Select.from_param(self.param.prediction_source, label="Source"),
            self._file_input,
            width=320, margin=(5, 5),
        )

    @param.depends("eeg_group", watch=True)
    def _on_group(self):
        table = getattr(self, "_channel_table", None)
        if table is None:
            return
        if self.eeg_group == "all":
            self.channels = list(table["channel"])
        else:
            self.channels = list(table.loc[table["group"] == self.eeg_group, "channel"])

    def __panel__(self):
        main = pn.Column(
            self._messages_view,
            pn.Row(self._video_view, self._side_panels, margin=0),
            self._plots_view,
            margin=(5, 5),
        )
        return pn.Row(self._sidebar(), main, margin=0)
