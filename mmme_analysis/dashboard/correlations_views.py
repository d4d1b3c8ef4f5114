"""Views of the correlation explorer, one concern each, all drawing one :class:`.CorrelationData`.

* :class:`HeatmapView` -- the correlation heat map (a click on a cell chooses that pair).
* :class:`Brush` -- the brushed events, shared by every scatter (Bokeh's own selections, by row).
* :class:`PairView` -- the chosen pair's scatter, brushed together with the matrix;
  a click on a point opens that event in the Explorer at its apex
  (``<explorer_url>?trial=<trial>&t=<apex s>``). Changing the pair sends the two columns
  of the pair only: the scatter's Bokeh source holds ``x`` and ``y``; the trial and apex
  of each point travel once per set of events, in a source of their own.
* :class:`MatrixView` -- scatter matrix of the matrix features, brushed with the pair.
* :class:`BrushView` -- how many events and subjects are brushed.
* :class:`FitView` -- correlation, mixed model, leave-one-subject-out warning, per-group table.
* :class:`NullView` -- the permutation null histogram.
* :class:`ContrastView` -- ME vs matched non-ME of ``y``, with published reference values labelled.
"""
from __future__ import annotations

import itertools
import weakref

import numpy as np
import pandas as pd
import panel as pn
import param

from .correlations_data import ROW, CorrelationData
from .correlations_plots import counts_label, heatmap_element, null_element, pair_element

__all__ = ["Brush", "HeatmapView", "PairView", "MatrixView", "BrushView", "FitView", "NullView", "ContrastView"]

#: Opens the tapped event in the Explorer. Runs in the browser on a tap on the scatter.
_OPEN_JS = """
const idx = base.data_source.inspected.indices;
if (!idx.length || !url) return;
const d = base.data_source.data, xs = d[base.glyph.x.field], ys = d[base.glyph.y.field];
const g = cb_data.geometries, fx = (xr.end - xr.start) || 1, fy = (yr.end - yr.start) || 1;
let best = idx[0], bd = Infinity;
for (const i of idx) {
  const dd = ((xs[i] - g.x) / fx) ** 2 + ((ys[i] - g.y) / fy) ** 2;
  if (dd < bd) { bd = dd; best = i; }
}
const trial = events.data.trial[best], t = events.data.apex[best];
if (trial == null || !isFinite(t)) return;
const href = url + (url.includes('?') ? '&' : '?') + 'trial=' + encodeURIComponent(trial) + '&t=' + t;
document.body.dataset.mmmeOpened = href;
window.open(href, '_blank');
"""
_TAG = "mmme-open-explorer"


class _View(pn.viewable.Viewer):
    data = param.ClassSelector(class_=CorrelationData, doc="The explorer's state.")

    def __init__(self, data, **params):
        super().__init__(data=data, **params)


class HeatmapView(_View):
    """Correlation heat map of the heat-map features; clicking a cell makes it the pair."""

    def __init__(self, data, **params):
        super().__init__(data, **params)
        import holoviews as hv

        dmap = hv.DynamicMap(self._element, streams=[hv.streams.Params(data, ["matrix_version"])])
        self._watched: set[int] = set()
        self._pane = pn.pane.HoloViews(dmap, margin=5, name="mmme-heatmap")

    def _element(self, matrix_version=None):
        d = self.data
        n, s = d.counts()
        heat, sig = heatmap_element(d.matrix, d.features, alpha=d.alpha, n_events=n, n_subjects=s)
        # a click selects the cell in its Bokeh source (the tap tool); the hook reads the
        # selection back on the server (a Tap stream on categorical axes never reaches it)
        heat = heat.opts(backend="bokeh", hooks=[self._watch_cells], nonselection_alpha=1.0,
                         selection_line_color="black", selection_line_width=2)
        return heat * sig

    def _watch_cells(self, plot, element):
        src = plot.handles.get("source")
        if src is None or id(src) in self._watched:
            return
        self._watched.add(id(src))

        def on_select(attr, old, new):
            if new:
                i = int(new[0])
                src.selected.indices = []  # unselected again, so that a second click on the cell counts
                self.select_cell(str(src.data["x"][i]), str(src.data["y"][i]))

        src.selected.on_change("indices", on_select)

    def select_cell(self, x, y) -> None:
        """Make the pair ``(x, y)`` of a heat-map cell the chosen pair (the diagonal is ignored)."""
        feats = self.data.param.x.objects
        if x in feats and y in feats and x != y:
            self.data.param.update(x=x, y=y)

    def __panel__(self):
        return self._pane


class Brush(param.Parameterized):
    """The brushed events, shared by every scatter of the page (the pair and the matrix).

    Each scatter is brushed by Bokeh's own box or lasso selection, read back as the indices
    of the events it selects (``hv.streams.Selection1D``: ``O(brushed points)`` from the
    page); the brush becomes ``data.selection_expr = dim(ROW).isin(rows)`` and is pushed to
    the other scatters as the same indices. A selection set on ``data`` in another way (any
    ``dim`` expression; None clears it) is shown the same way.

    HoloViews' ``link_selections`` does the same by re-running each element's pipeline and
    drawing a second layer per element on every change: three to four times the redraw of a
    bare scatter when the pair changes at 5,000 events (``benchmarks/bench_correlations.py``).
    """

    data = param.ClassSelector(class_=CorrelationData, doc="The explorer's state.")

    def __init__(self, data, **params):
        super().__init__(data=data, **params)
        self._sources = weakref.WeakValueDictionary()  # Bokeh source of each scatter shown, by id
        self._shown = []  # the indices every scatter shows as selected
        self._streams = []
        data.param.watch(self._on_expr, ["selection_expr"])

    def stream(self, source):
        """Feed the brush with the selections made on ``source`` (an element or DynamicMap)."""
        import holoviews as hv

        stream = hv.streams.Selection1D(source=source)
        stream.add_subscriber(self.select)
        self._streams.append(stream)
        return stream

    def select(self, index=None):
        """Brush the events at ``index`` (rows of ``data.view``; empty or None: none)."""
        import holoviews as hv

        index = sorted(int(i) for i in (index or []))
        if index == self._shown and (self.data.selection_expr is None) == (not index):
            return  # what was pushed to the page coming back
        self._shown = index
        self.data.selection_expr = hv.dim(ROW).isin(index) if index else None
        self._push()

    def index(self) -> list:
        """Rows of ``data.view`` brushed now (empty when nothing is)."""
        return np.flatnonzero(self.data.selected_mask()).tolist() if self.data.selection_expr is not None else []

    def refresh(self):
        """Show ``data.selection_expr`` on every scatter (e.g. once it was cleared with the events)."""
        self._shown = self.index()
        self._push()

    def _on_expr(self, event):
        if self.index() != self._shown:
            self.refresh()

    def _push(self):
        """Show the brush on every scatter, on the server's next tick (under the document lock; HoloViews
        runs the callbacks of its streams without it) or at once outside a server."""
        pn.state.execute(self._push_now, schedule=True)

    def _push_now(self):
        for source in list(self._sources.values()):
            if list(source.selected.indices) != self._shown:
                source.selected.indices = list(self._shown)

    def hook(self, plot, element):
        """Bokeh hook of each scatter: keep its source, show the brush on it."""
        from bokeh.models import GlyphRenderer, Scatter

        fig = plot.state
        base = next((r for r in fig.renderers if isinstance(r, GlyphRenderer) and isinstance(r.glyph, Scatter)), None)
        if base is None:
            return None
        self._sources[id(base.data_source)] = base.data_source
        self._shown = self.index()  # the brush stays when the pair changes, goes with the events
        if list(base.data_source.selected.indices) != self._shown:
            base.data_source.selected.indices = list(self._shown)
        return base


class PairView(_View):
    """Scatter of the pair, brushed with the matrix through ``brush`` (a shared :class:`Brush`)."""

    explorer_url = param.String(default="explorer", doc="Address of the Explorer ('' or None: no links).")

    def __init__(self, data, brush, **params):
        super().__init__(data, **params)
        import holoviews as hv

        self._brush = brush
        self._dataset = None
        self._dataset_version = None
        dmap = hv.DynamicMap(self._element, streams=[hv.streams.Params(data, ["x", "y", "version"])])
        brush.stream(dmap)
        self._pane = pn.pane.HoloViews(dmap, margin=5)

    def dataset(self):
        """The ``hv.Dataset`` of the events shown: their feature columns and ``ROW`` (one per ``data.version``)."""
        import holoviews as hv

        if self._dataset_version != self.data.version or self._dataset is None:
            feats = [f for f in self.data.param.x.objects if f in self.data.view]
            frame = self.data.view[feats].astype(float)
            frame[ROW] = np.arange(len(frame))
            self._dataset = hv.Dataset(frame)
            self._dataset_version = self.data.version
        return self._dataset

    def _element(self, x=None, y=None, version=None):
        import holoviews as hv

        d = self.data
        if x is None or y is None:
            return hv.Scatter([], "x", "y").opts(title="Choose a feature pair")
        n, s = d.counts([x, y])
        el = pair_element(self.dataset(), x, y, units=d.table.attrs.get("units", {}), n_events=n, n_subjects=s)
        return el.opts(backend="bokeh", hooks=[self._hook], nonselection_alpha=0.15)

    def _hook(self, plot, element):
        """Show the brush; add (once per figure) the tap that opens the Explorer; refresh its events."""
        from bokeh.models import ColumnDataSource, CustomJS, TapTool

        base = self._brush.hook(plot, element)
        if base is None:
            return
        fig = plot.state
        tool = next((t for t in fig.tools if isinstance(t, TapTool) and _TAG in t.tags), None)
        if tool is None:
            events = ColumnDataSource(data={"trial": [], "apex": []}, tags=[-1])
            tool = TapTool(behavior="inspect", renderers=[base], tags=[_TAG], callback=CustomJS(
                args={"base": base, "events": events, "url": self.explorer_url or "", "xr": fig.x_range, "yr": fig.y_range},
                code=_OPEN_JS))
            fig.add_tools(tool)
        events = tool.callback.args["events"]
        if events.tags != [self.data.version]:  # the trial and apex of each point, once per set of events
            view = self.data.view
            events.data = {"trial": view["trial"].astype(str).tolist(), "apex": view["apex"].to_numpy(float)}
            events.tags = [self.data.version]
        if tool.callback.args["url"] != (self.explorer_url or ""):
            tool.callback.args = {**tool.callback.args, "url": self.explorer_url or ""}

    def __panel__(self):
        return self._pane


class MatrixView(_View):
    """Scatter matrix (lower triangle) of ``data.matrix_features``, brushed with the pair (one :class:`Brush`)."""

    def __init__(self, data, brush: Brush, pair: PairView, **params):
        super().__init__(data, **params)
        self._brush = brush
        self._pair = pair
        self._pane = pn.pane.HoloViews(None, margin=5)
        self._title = pn.pane.Markdown("", margin=(0, 5))
        data.param.watch(self._rebuild, ["matrix_features", "version"])
        self._rebuild()

    def _rebuild(self, *_):
        import holoviews as hv

        d = self.data
        feats = [f for f in d.matrix_features if f in d.view][:5]
        pairs = list(itertools.combinations(feats, 2))
        n, s = d.counts(feats)
        self._title.object = (f"**Scatter matrix** of {', '.join(feats)} &nbsp; ({counts_label(n, s)} with every value)"
                              if pairs else "**Scatter matrix**: choose two or more matrix features.")
        if not pairs:
            self._pane.object = None
            return
        ds = self._pair.dataset()
        size = 220 if len(pairs) <= 3 else 180
        els = [hv.Scatter(ds, a, b).opts(backend="bokeh", width=size, height=size, size=3, tools=["box_select", "lasso_select"],
                                          active_tools=["box_select"], title=f"{b} vs {a}", fontsize={"title": "8pt"},
                                          nonselection_alpha=0.15, hooks=[self._brush.hook]) for a, b in pairs]
        for el in els:
            self._brush.stream(el)
        self._pane.object = hv.Layout(els).cols(min(len(els), 4)).opts(shared_axes=False)

    def __panel__(self):
        return pn.Column(self._title, self._pane, margin=0)


class BrushView(_View):
    """How many events (and subjects) the brush selects, of those shown."""

    def __init__(self, data, **params):
        super().__init__(data, **params)
        self._pane = pn.pane.Markdown("", margin=(0, 5), css_classes=["mmme-brush-count"])
        data.param.watch(self._update, ["selection_expr", "version"])
        self._update()

    def _update(self, *_):
        d = self.data
        n, s = d.counts(selected=True)
        total, subjects = d.counts()
        brushed = d.selection_expr is not None
        self._pane.object = (f"**Brushed:** {n} of {total} events ({s} of {subjects} subjects)" if brushed
                             else f"**Brushed:** none (drag on a scatter; {total} events, {subjects} subjects shown)")

    def __panel__(self):
        return self._pane


def _fmt(v, digits=3):
    return "n/a" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{digits}g}"


class FitView(_View):
    """The pair's correlation and mixed model, the leave-one-subject-out warning, per-group correlations."""

    def __init__(self, data, **params):
        super().__init__(data, **params)
        self._text = pn.pane.Markdown("", margin=(0, 5), css_classes=["mmme-fit"])
        self._warning = pn.pane.Alert("", alert_type="warning", visible=False, margin=(2, 5), css_classes=["mmme-loso"])
        self._groups = pn.pane.DataFrame(pd.DataFrame(), index=False, margin=(0, 5), float_format="{:.3g}".format)
        data.param.watch(self._update, ["pair_version"])
        self._update()

    def _update(self, *_):
        d, pair = self.data, self.data.pair
        lines = [f"### {d.y} vs {d.x}"] if d.x and d.y else []
        c = pair.get("correlation")
        if c:
            lines.append(f"**{c['method']} r = {_fmt(c['r'])}**, p = {_fmt(c['p'])} ({counts_label(c['n'], c['n_subjects'])})")
        m = pair.get("mixedlm")
        if m:
            lines.append(f"**Mixed model** `y ~ x + (1 | subject)`: slope {_fmt(m['estimate'])} "
                         f"[95 % CI {_fmt(m['ci_low'])}, {_fmt(m['ci_high'])}], p = {_fmt(m['p'])}"
                         f"{'' if m['converged'] else ' (did not converge)'} ({counts_label(m['n'], m['n_subjects'])})")
        for key, err in pair.get("errors", {}).items():
            lines.append(f"*{key}: not computed ({err})*")
        self._text.object = "\n\n".join(lines)
        warning = pair.get("loso_warning")
        self._warning.object, self._warning.visible = (warning or ""), bool(warning)
        groups = pair.get("by_group")
        self._groups.object = groups if groups is not None and len(groups) else pd.DataFrame()
        self._groups.visible = groups is not None and len(groups) > 0

    def __panel__(self):
        return pn.Column(self._text, self._warning, self._groups, margin=0)


class NullView(_View):
    """Histogram of the pair's within-subject permutation null, the observed r as a line."""

    def __init__(self, data, **params):
        super().__init__(data, **params)
        import holoviews as hv

        self._pane = pn.pane.HoloViews(hv.DynamicMap(self._element, streams=[hv.streams.Params(data, ["pair_version"])]),
                                       margin=5)

    def _element(self, pair_version=None):
        return null_element(self.data.pair.get("null", {}), method=self.data.method)

    def __panel__(self):
        return self._pane


class ContrastView(_View):
    """ME vs matched non-ME moments of the pair's ``y`` (stats.compare_moments), published values labelled."""

    def __init__(self, data, **params):
        super().__init__(data, **params)
        self._pane = pn.pane.Markdown("", margin=(0, 5), css_classes=["mmme-contrast"])
        data.param.watch(self._update, ["pair_version"])
        self._update()

    def _update(self, *_):
        ct, y = self.data.contrast, self.data.y
        if not ct:
            self._pane.object = ""
            return
        if "error" in ct:
            self._pane.object = f"**ME vs non-ME of {y}:** not computed ({ct['error']})"
            return
        ci = (f" [95 % CI {_fmt(ct.get('ci_low'))}, {_fmt(ct.get('ci_high'))}]"
              if np.isfinite(ct.get("ci_low", np.nan)) else "")
        text = (f"**ME vs matched non-ME of {y}** ({ct['method']}): estimate {_fmt(ct.get('estimate'))}{ci}, "
                f"p = {_fmt(ct.get('p'))} ({ct.get('n_me', 0)} MEs with controls, {ct.get('n_subjects', 0)} subjects, "
                f"{ct.get('n_trials', 0)} trials)")
        pub = ct.get("published")
        if pub:
            text += f"\n\n*published* ({pub['source']}, {pub['quantity']}): p {pub['p']} &mdash; a reference, not computed here"
        self._pane.object = text

    def __panel__(self):
        return self._pane
