"""ME durations and the comparison with published datasets."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mmme_analysis.io.coding import read_coding_file
from mmme_analysis.stats import duration_comparison, duration_samples, duration_summary, duration_test
from mmme_analysis.stats.published import ME_DURATIONS_MS

from ._sheets import read_sheet


def _ann():
    return pd.DataFrame({
        "onset": [0.0, 1.0, 2.0, 3.0, 4.0],
        "apex": [0.1, 1.2, 2.1, 3.5, 4.2],
        "offset": [0.3, 1.4, 2.1, 4.0, 4.2],
        "offset_coded": [True, True, False, True, False],
        "kind": ["micro", "micro", "micro", "macro", "micro"],
    })


def test_samples_and_summary():
    ann = _ann()
    np.testing.assert_allclose(duration_samples(ann), [300, 400])
    np.testing.assert_allclose(duration_samples(ann, uncoded="as_apex"), [300, 400, 100, 200])
    np.testing.assert_allclose(duration_samples(ann, measure="onset_apex"), [100, 200, 100, 200])
    np.testing.assert_allclose(duration_samples(ann, kind=None), [300, 400, 1000])
    s = duration_summary(ann).set_index(["measure", "uncoded"])
    assert s.loc[("onset_offset", "exclude"), "n"] == 2
    assert s.loc[("onset_offset", "exclude"), "mean_ms"] == pytest.approx(350)
    assert s.loc[("onset_offset", "exclude"), "sd_ms"] == pytest.approx(np.std([300, 400], ddof=1))


def test_comparison_labels_published_and_tests_mmme():
    ann = _ann()
    t = duration_comparison(ann, uncoded="as_apex", label="fixture")
    assert set(t.loc[t.source == "published", "dataset"]) == set(ME_DURATIONS_MS)
    assert t.iloc[-1]["source"] == "computed" and t.iloc[-1]["dataset"] == "fixture"
    mmme = t.set_index("dataset").loc["MMME"]
    x = np.array([300, 400, 100, 200.0])
    ref = stats.ttest_ind_from_stats(x.mean(), x.std(ddof=1), 4, 381.7, 100.5, 634, equal_var=False)
    np.testing.assert_allclose([mmme["t"], mmme["p"]], [ref.statistic, ref.pvalue])
    assert t.set_index("dataset").loc["SAMM", ["t", "p"]].isna().all()  # n not published


def test_welch_on_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(300, 50, 40), rng.normal(400, 80, 30)
    res = duration_test(a, b)
    ref = stats.ttest_ind(a, b, equal_var=False)
    np.testing.assert_allclose([res["t"], res["p"]], [ref.statistic, ref.pvalue])
    assert res["mean_diff"] < 0


def test_real_sheet_durations_match_independent_computation(shared_data):
    path = shared_data / "mes_eeg_coding_file_combined.xlsx"
    rows = [r for r in read_sheet(path) if str(r["Macro/Micro"]).lower() == "micro"]
    coded = [1000 * (r["OffsetTime"] - r["OnsetTime"]) for r in rows if r["OffsetTime"] != r["ApexTime"]]
    s = duration_summary(read_coding_file(path)).set_index(["measure", "uncoded"])
    assert s.loc[("onset_offset", "exclude"), "n"] == len(coded)
    np.testing.assert_allclose(s.loc[("onset_offset", "exclude"), "mean_ms"], np.mean(coded), atol=1e-6)
    onset_apex = [1000 * (r["ApexTime"] - r["OnsetTime"]) for r in rows]
    np.testing.assert_allclose(s.loc[("onset_apex", "n/a"), "mean_ms"], np.mean(onset_apex), atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"measure": "apex_offset"}, "Invalid value for 'measure'"), ({"uncoded": "drop"}, "Invalid value for 'uncoded'"),
     ({"kind": "mega"}, "Invalid value for 'kind'")],
)
def test_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        duration_samples(_ann(), **kwargs)


def test_too_few_samples():
    with pytest.raises(ValueError, match="at least 2"):
        duration_test([1.0], [1.0, 2.0])
