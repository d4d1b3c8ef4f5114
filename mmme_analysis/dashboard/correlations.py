"""The correlation explorer: which physiological and annotation features move together, in
whom, and is it more than chance; each point opens its moment in the Explorer.

:class:`CorrelationExplorer` is a thin app over one :class:`.CorrelationData` (the event
table of :func:`mmme_analysis.stats.event_table`, the choices made on it and the statistics
fitted) and one view per concern (:mod:`.correlations_views`, :mod:`.correlations_export`):

* a heat map of Pearson, Spearman or within-subject (repeated-measures) correlations, with
  Benjamini-Hochberg FDR-adjusted p-values; a click on a cell makes it the pair;
* the pair's scatter and a scatter matrix, brushed together (Bokeh's box and lasso selections
  shared by row, :class:`.Brush`; HoloViews ``link_selections`` was 3-4x slower to redraw),
  with the count of brushed events and subjects; a click on a point opens that event in the
  Explorer at its apex (``explorer?trial=<trial>&t=<apex s>``, see ``Explorer.open_url``);
* the pair's mixed model (subject random intercepts), its within-subject permutation null,
  a warning when one subject drives the correlation, per-group correlations, and the ME vs
  matched non-ME contrast of ``y`` computed by :func:`mmme_analysis.stats.compare_moments`
  (published reference values beside it, labelled *published*);
* export of the brushed events and the fitted tables (CSV) and of the figure (PNG, SVG, HTML).

Every figure and result says how many events and subjects are behind it. Changing the pair
redraws the scatter first and sends its two columns only; the statistics follow.

Use it from a notebook::

    import mmme_analysis as mm
    from mmme_analysis.dashboard import CorrelationExplorer
    CorrelationExplorer.from_source(mm.demo.data_path())

or serve it with ``panel serve dashboards/correlations.py dashboards/explorer.py`` (both
apps, so that clicks land in the Explorer).
"""
from __future__ import annotations

import panel as pn
import param

from .correlations_data import GROUPINGS, MAX_MATRIX, CorrelationData, counts
from .correlations_export import ExportView
from .correlations_views import Brush, BrushView, ContrastView, FitView, HeatmapView, MatrixView, NullView, PairView
from .notebook import load_extension

__all__ = ["CorrelationExplorer"]

_DATA_PARAMS = ("x", "y", "features", "matrix_features", "method", "grouping", "group_au", "group_level", "alpha",
                "n_permutations", "seed")


def _after_redraw(fn):
    """Run ``fn`` on the server's next tick (after the redraw went out), at once elsewhere."""
    pn.state.execute(fn, schedule=True)


class CorrelationExplorer(pn.viewable.Viewer):
    """Exploratory correlation analysis of an event table, linked to the Explorer.

    Parameters
    ----------
    table : pandas.DataFrame
        Event table (:func:`mmme_analysis.stats.event_table`; one row per expression and
        matched control, ``subject``, ``trial``, ``apex`` and numeric feature columns).
    explorer_url : str
        Address of the Explorer that a click on a point opens (``"explorer"``: the app
        served beside this one); ``""`` turns the links off.
    title : str
        Shown above the page (e.g. the dataset's name).
    notes : list of str
        Messages shown at the top (e.g. what the feature table left out), pseudonyms only.
    **params
        Parameters of :class:`.CorrelationData`: ``x``, ``y``, ``features``,
        ``matrix_features``, ``method``, ``grouping``, ``group_au``, ``group_level``,
        ``alpha``, ``n_permutations``, ``seed``.

    Attributes
    ----------
    data : CorrelationData
        The state: ``data.matrix``, ``data.pair``, ``data.contrast``, ``data.selection_table()``.
    selection : Brush
        The brush shared by the pair and the matrix (``selection.select(rows)``,
        ``selection.index()``; the expression is ``data.selection_expr``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mmme_analysis.dashboard import CorrelationExplorer
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"event_id": [f"e{i}" for i in range(60)], "trial": "sub-01_101", "kind": "micro",
    ...                   "subject": np.repeat(["sub-01", "sub-02", "sub-03"], 20), "apex": np.arange(60) / 10,
    ...                   "a": rng.normal(size=60), "b": rng.normal(size=60), "c": rng.normal(size=60)})
    >>> app = CorrelationExplorer(t, n_permutations=100)
    >>> _ = app.data.param.update(x="b", y="c")
    >>> app.data.pair["correlation"]["n"], len(app.data.matrix)
    (60, 3)
    """

    explorer_url = param.String(default="explorer", doc="Address of the Explorer; '' turns the links off.")
    title = param.String(default="", doc="Shown above the page.")
    notes = param.List(default=[], item_type=str, doc="Messages shown at the top (pseudonyms only).")
    data = param.ClassSelector(class_=CorrelationData, constant=True, doc="The state (table, choices, results).")

    def __init__(self, table=None, **params):
        import holoviews as hv

        unknown = [k for k in params if k not in _DATA_PARAMS and k not in ("explorer_url", "title", "notes")]
        if unknown:
            raise TypeError(f"Invalid value for 'params': expected parameters of the explorer or its data "
                            f"({', '.join(('explorer_url', 'title', 'notes', *_DATA_PARAMS))}), got {unknown[0]!r}")
        own = {k: params.pop(k) for k in ("explorer_url", "title", "notes") if k in params}
        super().__init__(data=CorrelationData(table, defer_pair=_after_redraw, **params), **own)
        hv.renderer("bokeh")  # the plotting backend (current, unless another one was chosen before)
        self.selection = Brush(self.data)
        d = self.data
        self.heatmap = HeatmapView(d)
        self.pair_view = PairView(d, self.selection, explorer_url=self.explorer_url)
        self.matrix_view = MatrixView(d, self.selection, self.pair_view)
        self.brush = BrushView(d)
        self.fit = FitView(d)
        self.null = NullView(d)
        self.contrast = ContrastView(d)
        self.export = ExportView(d)
        self._header = pn.pane.Markdown("", margin=(0, 5), css_classes=["mmme-corr-header"])
        self._notes = pn.Column(margin=0)
        d.param.watch(self._on_version, ["version"])
        self._on_version()
        self._layout = self._build_layout()

    # -- state -----------------------------------------------------------------------------
    def _on_version(self, *_):
        """New events shown (another group): clear the brush, say what is shown."""
        d = self.data
        self.selection.refresh()  # the events changed: their brush was cleared
        n, s = d.counts()
        total, subjects = counts(d.table)
        group = "" if d.group_level == "all" else f" in group {d.group_level!r} ({GROUPINGS[d.grouping]})"
        link = (f"Click a point of the pair to open it in the Explorer at its apex (`{self.explorer_url}?trial=...&t=...`)."
                if self.explorer_url else "No Explorer linked.")
        self._header.object = (f"**Events shown:** {n} of {total} ({s} of {subjects} subjects){group}; "
                               f"{len(d.param.x.objects)} features. {link}")

    @param.depends("explorer_url", watch=True)
    def _on_url(self):
        self.pair_view.explorer_url = self.explorer_url
        self._on_version()

    @param.depends("notes", watch=True)
    def _show_notes(self):
        self._notes.objects = [pn.pane.Alert(m, alert_type="warning", margin=(2, 5), css_classes=["mmme-note"])
                               for m in self.notes]

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_source(cls, source, *, features="all", **params) -> CorrelationExplorer:
        """The explorer of a dataset, store, raw folder or coding sheet: its
        :func:`~mmme_analysis.stats.event_table` (computed or read from the cache).

        Examples
        --------
        >>> import mmme_analysis as mm
        >>> from mmme_analysis.dashboard import CorrelationExplorer
        >>> app = CorrelationExplorer.from_source(mm.demo.data_path(), n_permutations=100)
        >>> bool(app.data.counts()[0] > 0)
        True
        """
        from ..stats import event_table

        return cls(event_table(source, features=features, progress=False), **params)

    def _controls(self):
        d = self.data
        w = pn.widgets
        title = lambda text: pn.pane.Markdown(text, margin=(8, 5, 0, 5))  # noqa: E731
        return pn.Column(
            title("**Pair**"),
            w.Select.from_param(d.param.x, name="x"),
            w.Select.from_param(d.param.y, name="y"),
            w.RadioButtonGroup.from_param(d.param.method, name="Correlation"),
            title("**Events**"),
            w.Select.from_param(d.param.grouping, name="Grouping"),
            w.Select.from_param(d.param.group_au, name="AU (grouping 'au')"),
            w.Select.from_param(d.param.group_level, name="Group shown"),
            title("**Features**"),
            w.MultiChoice.from_param(d.param.features, name="Heat map"),
            w.MultiChoice.from_param(d.param.matrix_features, name=f"Scatter matrix (<= {MAX_MATRIX})",
                                     max_items=MAX_MATRIX),
            title("**Tests**"),
            w.FloatInput.from_param(d.param.alpha, name="alpha (FDR level)", step=0.01),
            w.IntInput.from_param(d.param.n_permutations, name="Permutations"),
            title("**Export**"),
            self.export,
            width=300, margin=(5, 5),
        )

    def _build_layout(self):
        head = [pn.pane.Markdown(f"## {self.title}", margin=(0, 5))] if self.title else []
        self._show_notes()
        top = pn.FlexBox(self.pair_view, pn.Column(self.brush, self.fit, self.contrast, width=480, margin=0),
                         flex_wrap="wrap", margin=0)
        middle = pn.FlexBox(self.heatmap, self.null, flex_wrap="wrap", margin=0)
        main = pn.Column(*head, self._header, self._notes, top, middle, self.matrix_view, margin=(5, 5))
        return pn.Row(self._controls(), main, margin=0, sizing_mode="stretch_width")

    def __panel__(self):
        return self._layout

    def _repr_mimebundle_(self, include=None, exclude=None):
        load_extension()  # a notebook shows nothing without Panel's extension
        return super()._repr_mimebundle_(include, exclude)
