"""Event-locked features at MEs and matched non-ME moments."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmme_analysis.physio import (
    dataset_event_features,
    ecg_process,
    event_features,
    physio_process,
    trial_event_features,
)

from .conftest import APEXES, DURATION, SFREQ


@pytest.fixture(scope="module")
def events():
    a = np.asarray(APEXES)
    me = pd.DataFrame({"onset": a - 0.1, "apex": a, "offset": a + 0.2, "kind": "micro", "event": [0, 1, 2]})
    mae = pd.DataFrame({"onset": [25.0], "apex": [25.6], "offset": [26.5], "kind": ["macro"], "event": [3]})
    return pd.concat([me, mae], ignore_index=True)


@pytest.fixture(scope="module")
def physio(peri):
    return physio_process(xr.Dataset({k: v for k, v in peri[0].items() if k in ("ECG", "PPG", "EDA", "RSP", "SKT")},
                                     attrs={"sfreq": SFREQ}))


def test_table_layout_and_matching(physio, events):
    df = event_features(physio, events, rng=np.random.default_rng(1), subject="sub-03", trial=112, n_non_me=2,
                        min_distance=1.5, cut="keep")
    assert set(df["moment"]) == {"me", "non_me"}
    assert (df["moment"] == "me").sum() == 3  # MEs only; the macro is avoided, not featured
    assert (df["moment"] == "non_me").sum() == 6
    assert (df["subject"] == "sub-03").all() and (df["trial"] == 112).all()
    assert df["cut"].dtype == bool and "edge_distance" in df
    for col in ("ECG_Rate_Slope_apex", "ECG_Rate_onset", "EDA_Phasic_apex", "RSP_Rate_offset", "SKT_Level_apex",
                "PPG_Rate_apex", "HRV_RMSSD_apex", "ECG_Rate_AbsSlope_trialmean"):
        assert col in df and df[col].notna().all(), col
    # matched moments keep the ME's onset-apex-offset pattern, far from every expression
    for _, r in df[df["moment"] == "non_me"].iterrows():
        me = df[(df["moment"] == "me") & (df["event"] == r["event"])].iloc[0]
        np.testing.assert_allclose(r["offset"] - r["onset"], me["offset"] - me["onset"])
        gaps = np.minimum(np.abs(r["onset"] - events["offset"]), np.abs(events["onset"] - r["offset"]))
        inside = (r["offset"] >= events["onset"]) & (r["onset"] <= events["offset"])
        assert not inside.any() and gaps.min() >= 1.5 - 1e-9
        assert 0 <= r["onset"] and r["offset"] <= DURATION


def test_window_mean_is_what_it_says(physio, events):
    df = event_features(physio, events, rng=np.random.default_rng(0), variables=["ECG_Rate"], anchors=("apex",),
                        windows={"ECG": (-0.2, 0.3)}, n_non_me=0)
    t = physio["time"].values
    for _, r in df.iterrows():
        sel = (t >= r["apex"] - 0.2) & (t < r["apex"] + 0.3)
        np.testing.assert_allclose(r["ECG_Rate_apex"], physio["ECG_Rate"].values[sel].mean())


def test_same_seed_same_moments(physio, events):
    a = event_features(physio, events, rng=np.random.default_rng(5))
    b = event_features(physio, events, rng=np.random.default_rng(5))
    c = event_features(physio, events, rng=np.random.default_rng(6))
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["apex"], c["apex"])


def test_planted_response_visible_in_one_trial(peri, events):
    ds = ecg_process(peri[0]["ECG"])
    df = event_features(ds, events, rng=np.random.default_rng(2), n_non_me=3)
    m = df.groupby("moment")["ECG_Rate_Slope_apex"].mean()
    assert m["me"] > m["non_me"] + 2.0  # planted: ~+5 bpm/s around the apex


def test_trial_tree(peri, events):
    das, _ = peri
    tree = xr.DataTree.from_dict({
        "/": xr.Dataset(attrs={"trial": "sub-02_101", "subject": "sub-02", "marker": 101}),
        "/peri": xr.Dataset({"ECG": das["ECG"]}, attrs={"sfreq": SFREQ}),
        "/events": xr.Dataset.from_dataframe(events.drop(columns="event").rename_axis("event")),
    })
    df = trial_event_features(tree, rng=np.random.default_rng(0))
    assert (df["subject"] == "sub-02").all() and (df["trial"] == "sub-02_101").all()
    assert "ECG_Rate_Slope_apex" in df


def test_warns_when_no_room(physio):
    from mmme_analysis import MMMEWarning

    ev = pd.DataFrame({"onset": np.arange(1.0, 39.0, 2.0), "apex": np.arange(1.1, 39.0, 2.0),
                       "offset": np.arange(1.2, 39.0, 2.0), "kind": "micro"})
    with pytest.warns(MMMEWarning, match="non-ME moments"):
        df = event_features(physio, ev.iloc[:18], rng=np.random.default_rng(0), min_distance=2.0, cut="keep")
    assert (df["moment"] == "me").sum() == 18


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"rng": 0}, TypeError, "Invalid value for 'rng'"),
        ({"anchors": ("peak",)}, ValueError, "Invalid value for 'anchors'"),
        ({"variables": ["ECG_Foo"]}, ValueError, "Invalid value for 'variables'"),
        ({"n_non_me": -1}, ValueError, "Invalid value for 'n_non_me'"),
        ({"min_distance": -1.0}, ValueError, "Invalid value for 'min_distance'"),
        ({"cut": "drop"}, ValueError, "Invalid value for 'cut'"),
        ({"edge_horizon": -1.0}, ValueError, "Invalid value for 'edge_horizon'"),
    ],
)
def test_bad_arguments(physio, events, kwargs, exc, match):
    kw = {"rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(exc, match=match):
        event_features(physio, events, **kw)


def test_event_without_apex_is_skipped(physio, events):
    from mmme_analysis import MMMEWarning

    ev = events.copy()
    ev.loc[0, "apex"] = np.nan
    with pytest.warns(MMMEWarning, match="without a coded apex"):
        df = event_features(physio, ev, rng=np.random.default_rng(0), cut="keep")
    assert sorted(df.loc[df.moment == "me", "event"]) == [1, 2]
    assert (df["moment"] == "non_me").sum() == 2


def test_bad_events(physio):
    with pytest.raises(ValueError, match="Invalid value for 'events'"):
        event_features(physio, pd.DataFrame({"apex": [1.0]}), rng=np.random.default_rng(0))


class _FakeDataset:
    """The two members of the dataset API that dataset_event_features uses."""

    def __init__(self, trees):
        self._trees = trees
        self.trials = pd.DataFrame({
            "trial": [t.attrs["trial"] for t in trees],
            "subject": [t.attrs["subject"] for t in trees],
            "has_peri": [True, False],
            "n_events": [3, 3],
        })

    def trial(self, trial):
        return next(t for t in self._trees if t.attrs["trial"] == trial)


def test_dataset_event_features(peri, events):
    das, _ = peri
    ev = xr.Dataset.from_dataframe(events.drop(columns="event").rename_axis("event"))
    trees = [
        xr.DataTree.from_dict({"/": xr.Dataset(attrs={"trial": "sub-01_101", "subject": "sub-01", "marker": 101}),
                               "/peri": xr.Dataset({"ECG": das["ECG"]}, attrs={"sfreq": SFREQ}), "/events": ev}),
        xr.DataTree.from_dict({"/": xr.Dataset(attrs={"trial": "sub-02_102", "subject": "sub-02", "marker": 102}),
                               "/events": ev}),
    ]
    df = dataset_event_features(_FakeDataset(trees), rng=np.random.default_rng(0), n_non_me=2)
    assert set(df["subject"]) == {"sub-01"}  # the trial without /peri is skipped
    assert (df["moment"] == "non_me").sum() == 6


def test_physio_process_needs_peri():
    with pytest.raises(ValueError, match="/peri"):
        physio_process(xr.DataTree.from_dict({"/events": xr.Dataset()}))
    with pytest.raises(TypeError, match="sfreq"):
        physio_process(xr.Dataset({"ECG": ("time", np.zeros(100))}))
