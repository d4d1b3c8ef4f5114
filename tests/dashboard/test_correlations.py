"""The correlation explorer without a browser: the real coding sheets (pseudonyms, duration-AU
relations, no real name in the page), brushing and its count, CSV export, the
leave-one-subject-out warning, the served script and bad input.

The planted / null heart-rate contrast is in ``test_correlations_planted.py``.
"""
from __future__ import annotations

import asyncio
import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mmme_analysis.dashboard import CorrelationData, CorrelationExplorer
from mmme_analysis.dashboard.correlations_export import figure_bytes, fit_csv, matrix_csv, selection_csv
from mmme_analysis.stats.pair_correlations import correlation_matrix, pair_correlation

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")

REPO = Path(__file__).resolve().parents[2]
SHEET = "mes_eeg_coding_file_combined.xlsx"


def _script():
    """``dashboards/correlations.py`` as a module (its ``build`` and ``resolve_data``)."""
    spec = importlib.util.spec_from_file_location("mmme_serve_correlations", REPO / "dashboards" / "correlations.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _page_text(viewable) -> str:
    """Everything a browser receives for ``viewable``: its Bokeh document, serialised."""
    import panel as pn
    from bokeh.core.json_encoder import serialize_json
    from bokeh.document import Document

    doc = Document()
    doc.add_root(pn.panel(viewable).get_root(doc))
    return serialize_json(doc.to_json())


def _table(n_per_subject=30, subjects=("sub-01", "sub-02", "sub-03"), seed=0):
    rng = np.random.default_rng(seed)
    n = n_per_subject * len(subjects)
    return pd.DataFrame({"event_id": [f"sub-0{1 + i // n_per_subject}_101:e{i}" for i in range(n)],
                         "trial": np.repeat([f"{s}_101" for s in subjects], n_per_subject),
                         "subject": np.repeat(list(subjects), n_per_subject), "kind": "micro",
                         "apex": np.tile(np.arange(n_per_subject) / 2.0 + 1.0, len(subjects)),
                         "x": rng.normal(size=n), "y": rng.normal(size=n), "z": rng.normal(size=n)})


# -- the real coding sheets ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sheet_page(shared_data):
    """The served page on the real coding sheet (data root: the shared folder), its app and its text."""
    import os

    from tests.stats._sheets import read_sheet

    old = os.environ.get("MMME_DATA_ROOT")
    os.environ["MMME_DATA_ROOT"] = str(shared_data)
    try:
        page = _script().build(["--data", SHEET, "--n-permutations", "100"])
    finally:
        os.environ.pop("MMME_DATA_ROOT") if old is None else os.environ.__setitem__("MMME_DATA_ROOT", old)
    app = page
    assert isinstance(app, CorrelationExplorer), page
    names = {str(r["Subject"]).strip() for r in read_sheet(shared_data / SHEET)} - {"", "None"}
    return app, _page_text(page), names


def test_real_sheet_has_pseudonymous_subjects_and_no_real_name_in_the_page(sheet_page):
    app, text, names = sheet_page
    table = app.data.table
    assert len(table) == 944 and table["subject"].str.fullmatch(r"sub-\d\d").all()
    assert len(names) >= 10  # the sheet names its participants: the check below can fail
    assert not [n for n in names if n in text]
    app.data.grouping = "subject"  # every subject is then named in the page (as a group to show)
    text = _page_text(app)
    assert not [n for n in names if n in text]
    assert sorted(table["subject"].unique())[0] in text
    assert app.pair_view.explorer_url == ""  # a sheet: nothing to open in the Explorer


def test_real_sheet_shows_duration_au_relations(sheet_page):
    app, text, _ = sheet_page
    d = app.data
    assert d.x == "ann_duration" and "au_4" in d.features
    m = d.matrix.set_index(["x", "y"])
    aus = [f for f in d.features if f.startswith("au_")]
    assert len(aus) >= 5
    for au in aus[:5]:  # the heat map's r is scipy's on the events with a coded duration
        row = m.loc[("ann_duration", au)]
        ok = d.table["ann_duration"].notna()
        ref = stats.pearsonr(d.table.loc[ok, "ann_duration"], d.table.loc[ok, au].astype(float))
        assert row["r"] == pytest.approx(ref.statistic, rel=1e-9) and row["p"] == pytest.approx(ref.pvalue, rel=1e-6)
        assert row["n"] == ok.sum() and row["n_subjects"] == d.table.loc[ok, "subject"].nunique()
    assert m.loc[[("ann_duration", au) for au in aus], "reject"].any()  # some AU goes with duration (FDR)
    assert "over " in text and f"n = {len(d.table)} events" in text  # counts behind the heat map
    assert "coding sheet has none" in app.contrast._pane.object  # no matched moments in a sheet


# -- brushing, export, influence ------------------------------------------------------------------------
def test_brush_changes_count_and_exports_the_selection(tmp_path):
    import holoviews as hv

    t = _table()
    t.loc[:9, "x"] = np.nan  # missing and repeated values, as in real tables
    t.loc[10:19, "x"] = 1.0
    app = CorrelationExplorer(t, n_permutations=50, explorer_url="")
    d = app.data
    assert app.brush._pane.object.startswith("**Brushed:** none") and "90 events, 3 subjects" in app.brush._pane.object
    app.data.selection_expr = (hv.dim("x") > 0.5) & (hv.dim("y") < 1.0)  # a selection as an expression
    expected = d.view[(d.view["x"] > 0.5) & (d.view["y"] < 1.0)]
    assert 10 < len(expected) < 80
    assert d.counts(selected=True) == (len(expected), expected["subject"].nunique())
    assert f"**Brushed:** {len(expected)} of 90 events" in app.brush._pane.object
    sel = pd.read_csv(io.StringIO(selection_csv(d)))
    assert sel["event_id"].tolist() == expected["event_id"].tolist()
    np.testing.assert_allclose(sel[["x", "y"]], expected[["x", "y"]])
    fit = pd.read_csv(io.StringIO(fit_csv(d)))
    c = pair_correlation(d.view, "x", "y")
    row = fit[fit["quantity"] == "correlation (pearson)"].iloc[0]
    assert row["estimate"] == pytest.approx(c["r"]) and row["n_events"] == c["n"] == 80 and row["n_subjects"] == 3
    assert set(fit["source"]) == {"computed"}
    mat = pd.read_csv(io.StringIO(matrix_csv(d)))
    pd.testing.assert_frame_equal(mat[["x", "y"]], correlation_matrix(d.view, d.features)[["x", "y"]])
    assert figure_bytes(d, "svg").lstrip().startswith(b"<?xml")
    d.group_level = "all"  # a new set of events clears the brush
    d.grouping = "subject"
    d.group_level = "sub-02"
    assert d.selection_expr is None and app.selection.index() == [] and d.counts() == (30, 1)


def _scatter_sources(doc):
    """The Bokeh sources of the scatters in ``doc``: the pair's (renderer of the tap that opens the Explorer) first."""
    from bokeh.models import GlyphRenderer, Scatter, TapTool

    tools = [t for t in doc.select({"type": TapTool}) if "mmme-open-explorer" in t.tags]
    assert len(tools) == 1
    pair = tools[0].renderers[0].data_source
    others = [r.data_source for r in doc.select({"type": GlyphRenderer})
              if isinstance(r.glyph, Scatter) and r.data_source is not pair]
    return pair, others


def test_pair_brush_and_matrix_brush_are_one_selection():
    asyncio.run(_one_selection())  # as on a server or in a notebook: Bokeh's callbacks need a running loop


async def _one_selection():
    import panel as pn
    from bokeh.document import Document

    t = _table()
    t.loc[:4, "y"] = np.nan  # a point not drawn keeps its row: indices are rows of the events shown
    app = CorrelationExplorer(t, n_permutations=20, explorer_url="", matrix_features=["x", "y", "z"])
    doc = Document()
    doc.add_root(pn.panel(app).get_root(doc))
    pair, matrix = _scatter_sources(doc)
    assert len(pair.data["x"]) == len(t) and set(pair.data) == {"x", "y"}  # the two columns only
    assert len(matrix) == 3
    pair_stream, *matrix_streams = app.selection._streams  # Selection1D of the pair, then of each matrix scatter
    # a box on the pair (what the browser sends: the indices inside it) brushes those events everywhere
    rows = [5, 6, 40, 41, 89]
    pair_stream.event(index=rows)
    d = app.data
    assert np.flatnonzero(d.selected_mask()).tolist() == rows and d.counts(selected=True) == (5, 3)
    assert "**Brushed:** 5 of 90 events (3 of 3 subjects)" in app.brush._pane.object
    assert all(list(m.selected.indices) == rows for m in matrix)
    assert pd.read_csv(io.StringIO(selection_csv(d)))["event_id"].tolist() == t["event_id"].iloc[rows].tolist()
    await asyncio.sleep(0.2)  # the changes of the sources' selections come back through Selection1D: no loop
    assert app.selection.index() == rows and all(list(m.selected.indices) == rows for m in [pair, *matrix])
    # a box on a matrix scatter reaches the pair and the other scatters
    other = [2, 3, 50]
    matrix_streams[1].event(index=other)
    await asyncio.sleep(0.2)
    assert all(list(m.selected.indices) == other for m in [pair, *matrix]) and d.counts(selected=True)[0] == 3
    d.y = "z"  # another pair: the brush stays, on the same events
    assert list(_scatter_sources(doc)[0].selected.indices) == other and app.selection.index() == other
    pair_stream.event(index=[])  # a click beside the points clears it
    assert d.selection_expr is None and d.counts(selected=True) == (90, 3)
    assert all(list(m.selected.indices) == [] for m in [_scatter_sources(doc)[0], *matrix])


def test_loso_warning_fires_when_one_subject_drives_the_correlation():
    t = _table()
    drive = (t["subject"] == "sub-03").to_numpy()
    t.loc[drive, ["x", "y"]] += np.linspace(0, 6, drive.sum())[:, None]  # one subject's trend
    app = CorrelationExplorer(t, n_permutations=50, explorer_url="")
    d = app.data
    assert d.pair["correlation"]["p"] < 0.05
    assert d.pair["loso_warning"].startswith("Driven by one subject: without sub-03 (30 events)")
    assert app.fit._warning.visible and "without sub-03" in app.fit._warning.object
    assert d.pair["loso"]["subject"].iloc[0] == "sub-03"
    # every subject's own trend: significant without any one of them, no warning
    t2 = _table(seed=1)
    t2["y"] = t2["x"] + 0.5 * t2["y"]
    d.table = t2
    assert d.pair["correlation"]["p"] < 1e-6 and d.pair["loso_warning"] is None and not app.fit._warning.visible


# -- the served script and bad input ---------------------------------------------------------------------
def test_served_script_refuses_paths_outside_the_data_root(tmp_path, monkeypatch):
    mod = _script()
    monkeypatch.setenv("MMME_DATA_ROOT", str(tmp_path))
    for data, match in (("/etc", "Refusing to open '/etc': it is outside the data root"),
                        ("missing.xlsx", "No dataset or coding sheet at")):
        page = mod.build(["--data", data])
        alerts = [o for o in page.objects if type(o).__name__ == "Alert"]
        assert alerts and match in alerts[0].object, page


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"x": "ecg_bogus"}, ValueError, r"Invalid value for 'x': expected one of the features of the table \('x', 'y', 'z'\), "
                                     r"got 'ecg_bogus'"),
    ({"y": 3}, ValueError, "Invalid value for 'y': expected one of the features"),
    ({"features": ["x", "nope"]}, ValueError, r"Invalid value for 'features': expected features of the table .*got 'nope'"),
    ({"features": "x"}, TypeError, "Invalid value for 'features': expected a list of feature names"),
    ({"matrix_features": ["x", "q"]}, ValueError, "Invalid value for 'matrix_features'.*got 'q'"),
    ({"method": "kendall"}, ValueError, r"Invalid value for 'method': expected one of the options \('pearson'"),
    ({"grouping": "age"}, ValueError, "Invalid value for 'grouping'"),
    ({"group_level": "sub-09"}, ValueError, "Invalid value for 'group_level': expected one of the groups"),
    ({"grouping": "subject", "group_level": "sub-09"}, ValueError, r"groups of grouping 'subject' \('all', 'sub-01'"),
    ({"alpha": 0.9}, ValueError, r"Invalid value for 'alpha': expected a number in \[1e-06, 0.5\], got 0.9"),
    ({"n_permutations": 2}, ValueError, "Invalid value for 'n_permutations': expected an integer"),
    ({"bogus": 1}, TypeError, "Invalid value for 'params': expected parameters .* got 'bogus'"),
])
def test_bad_choices(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        CorrelationData(_table(), **kwargs)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: CorrelationExplorer(_table(), bogus=1), TypeError, "Invalid value for 'params'.*got 'bogus'"),
    (lambda: CorrelationData(_table().drop(columns="apex")), ValueError, r"Invalid value for 'table'.*missing \['apex'\]"),
    (lambda: CorrelationExplorer.from_source("no/such/folder"), FileNotFoundError, "expected an existing dataset folder"),
    (lambda: pair_correlation(_table(), "x", "nope"), ValueError, r"Invalid value for 'df'.*missing \['nope'\]"),
    (lambda: pair_correlation(_table(), "x", "y", method="kendall"), ValueError, "Invalid value for 'method'"),
    (lambda: correlation_matrix(_table(), ["x"]), ValueError, "expected at least two distinct columns"),
    (lambda: figure_bytes(CorrelationData(_table(), n_permutations=10), "gif"), ValueError, "Invalid value for 'fmt'"),
    (lambda: _script().resolve_data("/etc", root="/tmp"), PermissionError, "outside the data root"),
    (lambda: _script().resolve_data("nothing-here", root="/tmp"), FileNotFoundError, "No dataset or coding sheet"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
