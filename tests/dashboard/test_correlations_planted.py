"""The correlation explorer's ME vs matched non-ME contrast of the heart-rate slope: significant
on synthetic data with a planted heart-rate response, not on the null dataset, and the same
numbers as the statistics module (``stats.compare_moments`` on ``stats.event_table_moments``,
as in ``tests/stats/test_event_table.py``; the estimate also by hand, stratum by stratum).

Synthetic raw folders without video, 3 subjects x 3 trials of 20 s (``mmme synth``, with and
without ``null=True``), ECG features only: about 10 s per dataset.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis.dashboard import CorrelationExplorer
from mmme_analysis.dashboard.correlations_export import fit_csv
from mmme_analysis.stats import compare_moments, event_table, event_table_moments
from mmme_analysis.synth.generator import SynthConfig, synthesize

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")]

_CFG = dict(n_subjects=3, n_trials=3, duration=20.0, rest=2.0, seed=21, mes_per_trial=(2, 3), maes_per_trial=(0, 1),
            write_video=False)
FEATURE = "ecg_slope_apex"
N_PERM = 1000


@pytest.fixture(scope="module", params=[False, True], ids=["planted", "null"])
def case(request, tmp_path_factory):
    null = request.param
    raw = synthesize(tmp_path_factory.mktemp("corr") / "raw", SynthConfig(**_CFG, null=null), progress=False)
    table = event_table(mm.open_dataset(raw), features="ecg", cache=False)
    app = CorrelationExplorer(table, x="ecg_hr_apex", y=FEATURE, grouping="kind", n_permutations=N_PERM, seed=3,
                              explorer_url="")
    return null, table, app


def _stratum_means(df, feature):
    """Hand contrast: each ME minus the mean of its controls, averaged over strata."""
    me = df[df["kind"] == "micro"].set_index("event_id")[feature]
    ctrl = df[df["kind"] == "control"].groupby("matched_to")[feature].mean()
    return float((me - ctrl.reindex(me.index)).dropna().mean())


def test_contrast_is_the_statistics_modules(case):
    null, table, app = case
    ct = app.data.contrast
    assert "error" not in ct, ct
    ref = compare_moments(event_table_moments(table), [FEATURE], rng=np.random.default_rng(3), n_permutations=N_PERM,
                          effect_size=False).iloc[0]
    assert ct["feature"] == FEATURE and ct["method"] == ref["method"] == "trial_permutation"
    assert ct["estimate"] == pytest.approx(ref["estimate"], rel=1e-12)
    assert ct["estimate"] == pytest.approx(_stratum_means(table, FEATURE), rel=1e-12)
    assert (ct["p"], ct["n_me"], ct["n_trials"], ct["n_subjects"]) == (ref["p"], ref["n_me"], ref["n_trials"],
                                                                        ref["n_subjects"])
    # the page and the CSV export say the same
    text = app.contrast._pane.object
    assert f"estimate {ct['estimate']:.3g}" in text and f"p = {ct['p']:.3g}" in text
    assert f"{ct['n_me']} MEs with controls, {ct['n_subjects']} subjects" in text
    fit = pd.read_csv(io.StringIO(fit_csv(app.data)))
    row = fit[fit["quantity"] == "ME minus matched non-ME"].iloc[0]
    assert row["estimate"] == pytest.approx(ct["estimate"]) and row["p"] == pytest.approx(ct["p"])
    # a published reference is shown beside it, labelled, never as a computed value
    assert "*published*" in text and "published" in ct and set(fit.loc[fit["p_published"].notna(), "source"]) == {"published"}


def test_planted_is_significant_and_null_is_not(case):
    null, table, app = case
    ct = app.data.contrast
    assert ct["n_me"] >= 15 and ct["n_subjects"] == 3
    if null:
        assert ct["p"] > 0.05 and abs(ct["estimate"]) < 1.0, ct
    else:
        assert ct["p"] < 0.01 and ct["estimate"] > 1.0, ct


def test_kind_grouping_counts_the_events_behind_it(case):
    null, table, app = case
    by = app.data.pair["by_group"].set_index("group")
    kinds = table["kind"].astype(str).value_counts()
    assert {"micro", "control"} <= set(by.index)
    ok = table[["ecg_hr_apex", FEATURE]].notna().all(axis=1)
    for kind in ("micro", "control"):
        part = table[ok & (table["kind"] == kind)]
        assert by.loc[kind, "n"] == len(part) <= kinds[kind] and by.loc[kind, "n_subjects"] == part["subject"].nunique()
    app.data.group_level = "control"
    assert app.data.counts() == (int(kinds["control"]), int(table.loc[table["kind"] == "control", "subject"].nunique()))
