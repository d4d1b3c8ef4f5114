"""The Explorer: one trial's face video, EEG, peripheral signals, annotations, model
outputs and clock alignment on one time axis.

:class:`Explorer` is a thin app: it chooses the trial (subject, then trial id), opens it
as a :class:`~mmme_analysis.dashboard.trial_state.TrialState` and hands it to one view per
modality (:mod:`video_view`, :mod:`annotations_view`, :mod:`predictions_view`,
:mod:`eeg_view`, :mod:`peri_view`, :mod:`alignment_view`), which share a
:class:`~mmme_analysis.dashboard.timeline.Timeline` (cursor and visible range). Moving the
cursor or the visible range updates the existing Bokeh models in place (the cursor line
itself is drawn over the figures, so that moving it repaints none), which keeps scrubbing
fast; opening a trial builds its figures once. Video frames are read and encoded off the
server's event loop, scaled to the size the page shows them at.

Use it from a notebook (the Panel extension is loaded for you, with inline resources; see
:mod:`~mmme_analysis.dashboard.notebook`)::

    import mmme_analysis as mm
    from mmme_analysis.dashboard import Explorer
    Explorer(mm.open_dataset(mm.demo.data_path()))

or serve it with ``panel serve dashboards/explorer.py``; a served page opens the trial and
time its address asks for (``?trial=sub-01_101&t=2.5``, see :meth:`Explorer.open_url`).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import panel as pn
import param
from panel.io.document import hold

from .alignment_view import AlignmentView
from .annotations_view import AnnotationsView
from .eeg_view import EEGView
from .notebook import load_extension, push_changes
from .notes import Scrubber
from .peri_view import PeriView
from .predictions_view import PredictionsView
from .timeline import Timeline
from .trial_state import TrialState
from .video_view import VideoView

__all__ = ["Explorer"]

#: The Explorer's views, by attribute, in the order a trial is handed to them.
_VIEWS = ("annotations", "predictions", "eeg", "peri", "video", "alignment")
#: Parameters of the views that are not settings.
_NOT_SETTINGS = {"name", "timeline", "state", "status"}


def _shown(text: str) -> str:
    """Text from a page's address, safe to show: letters, digits and ``_.-:`` only, quoted."""
    return repr(re.sub(r"[^\w.:-]", "?", str(text))[:80])


def _trial_label(row) -> str:
    """Label of a trial in the trial list: its id, category, events and missing modalities."""
    miss = [m for m, ok in (("video", row.has_video), ("EEG", row.has_eeg), ("peri", row.has_peri)) if not ok]
    parts = [] if pd.isna(row.category) else [f"cat. {int(row.category)}"]
    n = int(row.n_events) if not pd.isna(row.n_events) else 0
    parts.append(f"{n} event{'s' if n != 1 else ''}")
    if miss:
        parts.append(f"no {'/'.join(miss)}")
    return f"{row.trial} ({', '.join(parts)})"


class Explorer(pn.viewable.Viewer):
    """Linked viewer of one trial: video frame at the cursor, EEG, peripheral signals,
    annotations, predictions and clock alignment.

    Parameters
    ----------
    dataset : Dataset
        As returned by :func:`mmme_analysis.dataset.open_dataset` (any backend: a Zarr
        store, a raw MMME folder, a video-only image-sequence dataset such as CASME II).
    **params
        Parameters of the Explorer (``subject="sub-02"``, ``trial="sub-02_103"``,
        ``plot_width=700``) or of one of its views: ``time``, ``x_range`` (timeline);
        ``channels``, ``eeg_group``, ``scaling``, ``gain``, ``highpass``, ``lowpass``,
        ``notch`` (EEG); ``peri`` (peripheral); ``prediction_source``,
        ``prediction_dirs`` (predictions).

    Attributes
    ----------
    timeline : Timeline
        Cursor (``timeline.time``) and visible range (``timeline.x_range``).
    video, annotations, predictions, eeg, peri, alignment
        The views (:class:`VideoView`, :class:`AnnotationsView`, ...), each with its own
        settings as parameters.

    Notes
    -----
    The time cursor snaps to video frames: frame position ``round((t - t0) * fps)``, where
    ``t0`` is the time of the first frame (0 for a video starting at the marker).
    Displayed in a notebook, the Explorer loads Panel's extension with inline resources
    unless it is loaded already (:func:`~mmme_analysis.dashboard.notebook.load_extension`).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> from mmme_analysis.dashboard import Explorer
    >>> ex = Explorer(mm.open_dataset(mm.demo.data_path()))
    >>> ex.trial
    'sub-01_101'
    >>> ex.seek(2.0)
    >>> round(ex.timeline.time, 3) == round(round(2.0 * 150) / 150, 3)
    True
    """

    dataset = param.Parameter(default=None, doc="Dataset (see docs/data_model.md).")
    subject = param.Selector(default=None, objects=[], allow_None=True, doc="Subject (pseudonym).")
    trial = param.Selector(default=None, objects={}, allow_None=True, doc="Trial id (ds.trials['trial']).")
    plot_width = param.Integer(default=900, bounds=(200, 4000), doc="Width of the plots (pixels).")
    status = param.String(default="", doc="Last error or warning shown to the user ('' when none).")
    state = param.ClassSelector(class_=TrialState, default=None, allow_None=True, constant=True,
                                doc="The open trial (replaced, never changed, when another trial opens).")

    def __init__(self, dataset=None, **params):
        own = {k: params.pop(k) for k in ("subject", "trial", "plot_width") if k in params}
        super().__init__(plot_width=own.pop("plot_width", 900))
        self.timeline = Timeline(plot_width=self.plot_width)
        self.annotations = AnnotationsView(self.timeline)
        self.predictions = PredictionsView(self.timeline)
        self.eeg = EEGView(self.timeline)
        self.peri = PeriView(self.timeline)
        self.video = VideoView(self.timeline)
        self.alignment = AlignmentView()
        self._open_error = ""
        self._url_error = ""  # what the page's address asked for and could not be shown
        self._scrub = Scrubber()  # participant names to pseudonyms in what the page shows
        self._selecting = False  # True while _select sets subject and trial
        self._layout = None  # built once the first trial is open (the widgets start in sync)
        routed = self._route(params)
        self.predictions.param.update(**routed.pop("predictions", {}))
        for view in (self.eeg, self.peri, self.predictions):
            view.param.watch(self._on_view_status, "status")
        # after the views' own watchers: in a notebook, send what they changed
        self.timeline.param.watch(self._push, ["time", "x_range"], precedence=10)
        self.eeg.param.watch(self._push, [p for p in self.eeg.param if p not in _NOT_SETTINGS], precedence=10)
        self.peri.param.watch(self._push, ["peri"], precedence=10)
        self.predictions.param.watch(self._push, ["prediction_source"], precedence=10)
        self._subject_select = pn.widgets.Select(label="Subject", options=[])
        self._trial_select = pn.widgets.Select(label="Trial", options={})
        self._subject_select.param.watch(self._on_select, "value")
        self._trial_select.param.watch(self._on_select, "value")
        self._messages = pn.Column(margin=0)
        self._dataset_label = pn.pane.Markdown("", margin=(0, 5))
        with param.parameterized.discard_events(self):
            self.param.update(**own)
        self.dataset = dataset
        for name, values in routed.items():
            getattr(self, name).param.update(**values)
        self._layout = self._build_layout()

    def _route(self, params) -> dict:
        """Keyword arguments for the views: {view attribute: {parameter: value}}."""
        owners = {"timeline": self.timeline, "eeg": self.eeg, "peri": self.peri, "predictions": self.predictions}
        routed = {}
        for key, value in params.items():
            owner = next((n for n, o in owners.items() if key in o.param and key not in _NOT_SETTINGS), None)
            if owner is None:
                names = sorted({"subject", "trial", "plot_width"} | {p for o in owners.values() for p in o.param
                                                                     if p not in _NOT_SETTINGS | {"bounds"}})
                raise TypeError(f"Invalid value for 'params': expected parameters of the Explorer or its views "
                                f"({', '.join(names)}), got {key!r}")
            routed.setdefault(owner, {})[key] = value
        return routed

    # -- trial selection -----------------------------------------------------------------
    @param.depends("dataset", watch=True)
    def _on_dataset(self):
        path = getattr(self.dataset, "path", None)
        self._scrub = Scrubber.for_dataset(self.dataset)
        self._dataset_label.object = (f"**Dataset:** `{Path(path).name}`" if path else "**Dataset:** (in memory)")
        self.predictions.find(path)
        self._select(self.subject, self.trial)

    @param.depends("subject", watch=True)
    def _on_subject(self):
        if not self._selecting:
            self._select(self.subject, None)

    @param.depends("trial", watch=True)
    def _on_trial(self):
        if not self._selecting:
            self._select(None, self.trial)

    def _on_select(self, event):
        """A subject or trial chosen in the sidebar."""
        if not self._selecting:
            setattr(self, "subject" if event.obj is self._subject_select else "trial", event.new)

    def _select(self, subject, trial):
        """Choose the subject and trial and open it, once. A valid ``trial`` wins (its subject
        is chosen); else ``self.trial`` if it is one of ``subject``'s, else the trial of
        ``subject`` with the stimulus of the open trial, else its first."""
        if self.dataset is None:
            return
        trials = self.dataset.trials
        subjects = sorted(trials["subject"].astype(str).unique())
        if trial in set(trials["trial"]):
            subject = str(trials.loc[trials["trial"] == trial, "subject"].iloc[0])
        elif subject not in subjects:
            subject = subjects[0] if subjects else None
        rows = trials[trials["subject"] == subject].sort_values("marker", kind="stable", na_position="last")
        ids = list(rows["trial"])
        if trial not in ids:
            trial = self.trial if self.trial in ids else self._same_stimulus(rows)
        labels = {_trial_label(r): r.trial for r in rows.itertuples()}
        self._selecting = True
        try:
            self.param.subject.objects = subjects
            self.param.trial.objects = labels
            self.param.update(subject=subject, trial=trial)
            # options and value in one update: a Select given a value that is not among its
            # options resets it to the first one (which would switch the trial twice)
            self._subject_select.param.update(options=subjects, value=subject)
            self._trial_select.param.update(options=labels, value=trial)
        finally:
            self._selecting = False
        self._open(trial)

    def _same_stimulus(self, rows):
        """Among ``rows`` (one subject's trials), the trial with the stimulus marker of the
        open trial, else the first (None without rows)."""
        marker = self.state.tree.attrs.get("marker") if self.state is not None else None
        if marker is not None and not pd.isna(marker) and int(marker) != -1:
            same = rows.loc[(rows["marker"] == int(marker)).fillna(False).to_numpy(bool), "trial"]
            if len(same):
                return same.iloc[0]
        return rows["trial"].iloc[0] if len(rows) else None

    def _open(self, trial):
        """Open ``trial`` and hand it to the views (nothing to do when it is open)."""
        if trial is None or (self.state is not None and self.state.trial == trial
                             and self.state.dataset is self.dataset):
            return
        try:  # a damaged trial opens with what it has (TrialState.missing says what it lacks)
            state = TrialState(self.dataset, trial, scrub=self._scrub)
        except Exception as err:  # noqa: BLE001 - say why, keep serving
            self._open_error = self._scrub(f"Could not open trial {trial}: {type(err).__name__}: {err}")
            self._on_view_status()
            return
        self._open_error = self._url_error = ""
        # served, the changes go out together and Bokeh walks its model graph once, not once
        # per replaced figure (seconds for a trial's ten figures)
        with hold(freeze=True):
            self.timeline.reset(state.extent(), clock=state.video_info(),
                                events=self.annotations.colored(state.events()))
            for name in _VIEWS:
                getattr(self, name).load(state)
            self.timeline.show_axis()
            with param.edit_constant(self):
                self.state = state
            self._on_view_status()
        self._push()

    # -- status --------------------------------------------------------------------------
    def _on_view_status(self, *_):
        self.status = self._scrub(self._open_error or self._url_error
                                  or next((v.status for v in (self.eeg, self.peri, self.predictions) if v.status), ""))
        self._show_messages()

    def messages(self) -> list:
        """What the message area shows: what the open trial lacks and why (or why it could
        not be opened), then ``status``; in pseudonyms only."""
        msgs = list(self.state.missing()) if self.state is not None else []
        return msgs + ([self.status] if self.status else [])

    def _show_messages(self):
        n_missing = len(self.state.missing()) if self.state is not None and not self.state.error else 0
        self._messages.objects = [pn.pane.Alert(m, alert_type="warning" if k < n_missing else "danger",
                                                margin=(2, 5), css_classes=["mmme-note"])
                                  for k, m in enumerate(self.messages())]

    # -- actions -------------------------------------------------------------------------
    def seek(self, t: float) -> None:
        """Move the cursor to ``t`` (s), snapped to the nearest video frame; scroll the view
        when ``t`` is outside it."""
        self.timeline.seek(t)

    def open_url(self, query) -> None:
        """Open the trial and time a page's URL asks for: ``?trial=<trial id>&t=<seconds>``.

        ``t`` (s on the trial axis) moves the cursor to the video frame nearest it (clipped to
        the trial); either may be left out. A trial the dataset does not have, or a ``t``
        that is not a number, is named in the message area and the page stays as it is.

        Parameters
        ----------
        query : dict
            ``{name: value}`` or ``{name: [value, ...]}`` (values str or bytes), e.g.
            Panel's ``pn.state.session_args``; the last value of a name counts.

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> from mmme_analysis.dashboard import Explorer
        >>> ex = Explorer(mm.open_dataset(mm.demo.data_path()))
        >>> ex.open_url({"trial": [b"sub-01_101"], "t": [b"2.004"]})
        >>> ex.trial, ex.video.player.frame, round(ex.timeline.time, 4)
        ('sub-01_101', 301, 2.0067)
        """
        def value(name):
            v = query.get(name) if hasattr(query, "get") else None
            v = v[-1] if isinstance(v, (list, tuple)) and v else v
            v = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
            return None if v is None or str(v).strip() == "" else str(v).strip()

        trial, t, problems = value("trial"), value("t"), []
        if trial is not None:
            if self.dataset is not None and trial in set(self.dataset.trials["trial"]):
                self.trial = trial
            else:
                problems.append(f"The page's address asks for trial {_shown(trial)}, which this dataset does not have.")
        if t is not None:
            try:
                seconds = float(t)
                if not np.isfinite(seconds):
                    raise ValueError
            except ValueError:
                problems.append(f"The page's address asks for time t={_shown(t)}; expected seconds (a number).")
            else:
                if not problems:
                    self.seek(seconds)
        self._url_error = " ".join(problems)
        self._on_view_status()

    def add_predictions(self, path) -> None:
        """Add a prediction CSV to the choices and show it."""
        self.predictions.add(path)

    @param.depends("plot_width", watch=True)
    def _on_plot_width(self):
        self.timeline.plot_width = self.plot_width

    # -- display -------------------------------------------------------------------------
    def _push(self, *_):
        if self._layout is not None:
            push_changes(self._layout)

    def _build_layout(self):
        title = lambda text: pn.pane.Markdown(text, margin=(5, 5, 0, 5))  # noqa: E731
        sidebar = pn.Column(
            self._dataset_label,
            self._subject_select,
            self._trial_select,
            title("**Expressions** (click: apex)"), self.annotations.event_list(),
            title("**EEG**"), self.eeg.controls(),
            title("**Peripheral**"), self.peri.controls(),
            title("**Predictions**"), self.predictions.controls(),
            width=300, margin=(5, 5),
        )
        side = pn.Column(self.predictions.bars(), self.alignment, margin=0)
        # the video and the side panels wrap (the card goes under the video) rather than run
        # past the plots; a notebook narrower than the whole scrolls sideways, never clips
        top = pn.FlexBox(self.video, side, flex_wrap="wrap", align_items="flex-start", margin=0)
        # the cursor layer takes no room: it draws the time cursor over the plots
        plots = pn.Column(self.timeline.layer, self.annotations, self.predictions, self.eeg, self.peri, margin=0)
        main = pn.Column(self._messages, top, plots, margin=(5, 5))
        return pn.Row(sidebar, main, margin=0, sizing_mode="stretch_width", styles={"overflow-x": "auto"})

    def __panel__(self):
        return self._layout

    def _repr_mimebundle_(self, include=None, exclude=None):
        load_extension()  # a notebook shows nothing without Panel's extension
        return super()._repr_mimebundle_(include, exclude)
