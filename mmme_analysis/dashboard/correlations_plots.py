"""HoloViews elements of the correlation explorer, built from :class:`.CorrelationData` results.

Each builder returns a plain HoloViews element whose title says how many events and
subjects are behind it, styled for ``backend``: ``"bokeh"`` for the page, ``"matplotlib"``
for the figure export (:mod:`.correlations_export`; that backend must be loaded, e.g. by
``hv.renderer("matplotlib")``, which leaves the page's backend as it is).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["counts_label", "axis_label", "heatmap_element", "pair_element", "null_element", "brushed_element"]

#: Colour of brushed points in exported figures (the page uses link_selections' own).
BRUSHED = "#e6550d"


def counts_label(n_events: int, n_subjects: int) -> str:
    """``"n = 412 events, 12 subjects"`` (singulars where they apply).

    Examples
    --------
    >>> counts_label(1, 2)
    'n = 1 event, 2 subjects'
    """
    return f"n = {n_events} event{'s' if n_events != 1 else ''}, {n_subjects} subject{'s' if n_subjects != 1 else ''}"


def axis_label(feature: str, units: dict) -> str:
    """A feature's name with its unit, ``"ecg_hr_apex (bpm)"`` (no unit for indicators)."""
    unit = (units or {}).get(feature)
    return f"{feature} ({unit})" if unit and unit != "1" else feature


def _symmetric(matrix: pd.DataFrame, features) -> pd.DataFrame:
    """Both triangles of a pair table, and the diagonal (r = 1, no test)."""
    if matrix.empty:
        return pd.DataFrame(columns=["x", "y", "r", "p", "q", "reject", "n", "star"])
    flipped = matrix.rename(columns={"x": "y", "y": "x"})
    n_diag = [int(pd.to_numeric(matrix.loc[(matrix.x == f) | (matrix.y == f), "n"]).max()) for f in features]
    diag = pd.DataFrame({"x": features, "y": features, "r": 1.0, "p": np.nan, "q": np.nan, "reject": False, "n": n_diag})
    full = pd.concat([matrix, flipped, diag], ignore_index=True)
    full["star"] = np.where(full["reject"].astype(bool), "*", "")
    full["r"] = full["r"].astype(float)
    return full[["x", "y", "r", "p", "q", "reject", "n", "star"]]


def heatmap_element(matrix: pd.DataFrame, features, *, alpha: float, n_events: int, n_subjects: int,
                    backend: str = "bokeh"):
    """Heat map of the pair table (:func:`.correlation_matrix`) with ``*`` on FDR-significant cells.

    Returns ``(heatmap, labels)``; ``heatmap * labels`` is the figure.
    """
    import holoviews as hv

    features = [f for f in features if f in set(matrix.get("x", [])) | set(matrix.get("y", []))]
    full = _symmetric(matrix, features)
    method = matrix["method"].iloc[0] if len(matrix) else ""
    title = (f"{method} r, * FDR q < {alpha:g} over {len(matrix)} pairs; {counts_label(n_events, n_subjects)}"
             if len(matrix) else "Choose two or more features")
    heat = hv.HeatMap(full, kdims=["x", "y"], vdims=["r", "p", "q", "n"]).redim.range(r=(-1, 1))
    heat = heat.opts(backend=backend, title=title, cmap="RdBu_r", clim=(-1, 1), xrotation=60, colorbar=True)
    sig = hv.Labels(full[full["star"] != ""], kdims=["x", "y"], vdims=["star"])
    if backend == "bokeh":
        heat = heat.opts(backend=backend, tools=["hover", "tap"], width=560, height=500, framewise=True)
        sig = sig.opts(backend=backend, text_font_size="14pt", text_color="black")
    else:  # Matplotlib places text at numbers, not categories: the stars are drawn by a hook, at the ticks
        stars = list(zip(full.loc[full["star"] != "", "x"], full.loc[full["star"] != "", "y"]))
        heat = heat.opts(backend=backend, fig_size=150, fontsize={"title": 8, "xticks": 6, "yticks": 6},
                         hooks=[_star_hook(stars)])
        sig = hv.Labels([], kdims=["x", "y"], vdims=["star"])
    return heat, sig


def _star_hook(cells):
    """Matplotlib hook writing ``*`` on the heat-map cells ``(x, y)``, found by their tick labels."""
    def hook(plot, element):
        ax = plot.handles["axis"]
        xs = {t.get_text(): v for t, v in zip(ax.get_xticklabels(), ax.get_xticks())}
        ys = {t.get_text(): v for t, v in zip(ax.get_yticklabels(), ax.get_yticks())}
        for x, y in cells:
            if x in xs and y in ys:
                ax.text(xs[x], ys[y], "*", ha="center", va="center", fontsize=12, color="black")
    return hook


def pair_element(dataset, x: str, y: str, *, units: dict, n_events: int, n_subjects: int, backend: str = "bokeh"):
    """Scatter of ``y`` against ``x`` from ``dataset`` (a ``hv.Dataset`` of the events shown).

    The element keeps ``dataset`` as its source, so that ``link_selections`` filters every
    element of the same events; the Bokeh source it becomes holds the two columns only.
    """
    import holoviews as hv

    el = hv.Scatter(dataset, x, y).opts(backend=backend, title=f"{y} vs {x}; {counts_label(n_events, n_subjects)}",
                                        xlabel=axis_label(x, units), ylabel=axis_label(y, units))
    if backend != "bokeh":
        return el
    return el.opts(backend=backend, framewise=True, size=5, tools=["box_select", "lasso_select"],
                   active_tools=["box_select"], width=520, height=440)


def brushed_element(view: pd.DataFrame, mask, x: str, y: str, *, units: dict, backend: str = "matplotlib"):
    """The pair with brushed events highlighted, for a static figure (two layers, no link)."""
    import holoviews as hv

    mask = np.asarray(mask, bool)
    base = hv.Scatter(view[~mask], x, y, label="not brushed").opts(backend=backend, color="#9e9e9e")
    sel = hv.Scatter(view[mask], x, y, label="brushed" if not mask.all() else "events").opts(backend=backend, color=BRUSHED)
    n_sel = int(view.loc[mask, "subject"].nunique()) if mask.any() else 0
    return (base * sel).opts(backend=backend, title=f"{y} vs {x}; brushed {counts_label(int(mask.sum()), n_sel)} of "
                             f"{len(view)}", xlabel=axis_label(x, units), ylabel=axis_label(y, units))


def null_element(result: dict, *, method: str, backend: str = "bokeh"):
    """Histogram of the within-subject permutation null with the observed correlation as a line."""
    import holoviews as hv

    null = np.asarray(result.get("null", []), float)
    null = null[np.isfinite(null)]
    title = (f"Null: x shuffled within subject ({result.get('n_permutations', 0)}x); p = {result.get('p', np.nan):.3g}; "
             f"{counts_label(result.get('n', 0), result.get('n_subjects', 0))}")
    lo, hi = (float(null.min()), float(null.max())) if null.size else (-1.0, 1.0)
    observed = float(result.get("observed", np.nan))
    if np.isfinite(observed):
        lo, hi = min(lo, observed), max(hi, observed)
    edges = np.linspace(lo - 1e-9, hi + 1e-9, 41)
    counts, edges = np.histogram(null, bins=edges)
    hist = hv.Histogram((edges, counts), kdims=[hv.Dimension("r", label=f"{method} r")], vdims=["permutations"])
    line = hv.VLine(observed if np.isfinite(observed) else 0.0).opts(backend=backend, color="red")
    out = (hist * line).opts(backend=backend, title=title)
    return out.opts(backend=backend, width=520, height=260, framewise=True) if backend == "bokeh" else out
