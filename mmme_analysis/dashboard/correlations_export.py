"""Export from the correlation explorer: the brushed events and the fitted tables as CSV, the
figure as PNG, SVG (Matplotlib, offline, no browser needed) or standalone HTML (Bokeh,
interactive, resources inline).

Bokeh's own PNG/SVG export drives a browser through Selenium, which the suite does not
install; the static figures are therefore drawn again by HoloViews' Matplotlib backend,
from the same elements the page shows (:mod:`.correlations_plots`).
"""
from __future__ import annotations

import io

import panel as pn
import param

from .correlations_data import CorrelationData
from .correlations_plots import brushed_element, counts_label, heatmap_element, null_element

__all__ = ["FIGURE_FORMATS", "ExportView", "figure_bytes", "fit_csv", "matrix_csv", "selection_csv"]

#: Figure formats of :func:`figure_bytes`.
FIGURE_FORMATS = ("png", "svg", "html")


def selection_csv(data: CorrelationData) -> str:
    """The brushed events (every event shown when nothing is brushed) as CSV text."""
    return data.selection_table().to_csv(index=False)


def fit_csv(data: CorrelationData) -> str:
    """What was fitted for the pair (:meth:`CorrelationData.fit_table`) as CSV text."""
    return data.fit_table().to_csv(index=False)


def matrix_csv(data: CorrelationData) -> str:
    """The heat map's pair table (r, p, FDR q, n events, n subjects per pair) as CSV text."""
    return data.matrix.to_csv(index=False)


def _elements(data: CorrelationData, backend: str):
    units = data.table.attrs.get("units", {})
    n, s = data.counts()
    heat, sig = heatmap_element(data.matrix, data.features, alpha=data.alpha, n_events=n, n_subjects=s, backend=backend)
    els = []
    if data.x and data.y and data.x != data.y:
        els.append(brushed_element(data.view, data.selected_mask(), data.x, data.y, units=units, backend=backend))
    els.append(heat * sig)
    if data.pair.get("null"):
        els.append(null_element(data.pair["null"], method=data.method, backend=backend))
    return els


def figure_bytes(data: CorrelationData, fmt: str = "png") -> bytes:
    r"""The figure (brushed pair, heat map, permutation null) as ``png``, ``svg`` or ``html``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from mmme_analysis.dashboard.correlations_data import CorrelationData
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"event_id": [f"e{i}" for i in range(40)], "trial": "sub-01_101", "kind": "micro",
    ...                   "subject": np.repeat(["sub-01", "sub-02"], 20), "apex": np.arange(40) / 10,
    ...                   "a": rng.normal(size=40), "b": rng.normal(size=40)})
    >>> figure_bytes(CorrelationData(t, n_permutations=50), "png")[:4]
    b'\x89PNG'
    """
    import holoviews as hv

    from .._validate import check_option

    check_option("fmt", fmt, FIGURE_FORMATS)
    if fmt == "html":
        from bokeh.embed import file_html
        from bokeh.resources import INLINE

        layout = hv.Layout(_elements(data, "bokeh")).cols(2)
        return file_html(hv.render(layout, backend="bokeh"), INLINE, "mmme-analysis correlations").encode("utf-8")
    hv.renderer("matplotlib")  # loads the backend; the page's stays current
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n, s = data.counts()
    layout = hv.Layout(_elements(data, "matplotlib")).cols(3).opts(
        backend="matplotlib", title=f"mmme-analysis correlations ({data.method}); {counts_label(n, s)} shown",
        fig_inches=5, sublabel_format="")
    fig = hv.render(layout, backend="matplotlib")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


class ExportView(pn.viewable.Viewer):
    """Download buttons: brushed events, fitted pair, correlation table (CSV); figure (PNG, SVG, HTML)."""

    data = param.ClassSelector(class_=CorrelationData, doc="The explorer's state.")

    def __init__(self, data, **params):
        super().__init__(data=data, **params)
        def text(fn):
            return lambda: io.StringIO(fn(self.data))

        def figure(fmt):
            return lambda: io.BytesIO(figure_bytes(self.data, fmt))

        self._buttons = [
            pn.widgets.FileDownload(callback=text(selection_csv), filename="correlations_selection.csv",
                                    label="Brushed events (CSV)", embed=False),
            pn.widgets.FileDownload(callback=text(fit_csv), filename="correlations_fit.csv",
                                    label="Fitted pair (CSV)", embed=False),
            pn.widgets.FileDownload(callback=text(matrix_csv), filename="correlations_matrix.csv",
                                    label="Correlation table (CSV)", embed=False),
            *[pn.widgets.FileDownload(callback=figure(f), filename=f"correlations.{f}", label=f"Figure ({f.upper()})",
                                      embed=False) for f in FIGURE_FORMATS],
        ]
        self._note = pn.pane.Markdown("PNG and SVG are drawn by Matplotlib (no browser needed); HTML is the "
                                      "interactive Bokeh figure, self-contained.", margin=(0, 5),
                                      styles={"font-size": "small"})

    def __panel__(self):
        return pn.Column(*self._buttons, self._note, margin=0)
