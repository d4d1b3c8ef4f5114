"""Matched controls without edge bias: cut windows flagged, excluded or kept, controls at the ME's edge distance."""
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmme_analysis import MMMEWarning
from mmme_analysis.physio import ecg_process, event_features
from mmme_analysis.physio.matching import EDGE_TOLERANCE, edge_distance
from mmme_analysis.synth import simulate_peri
from mmme_analysis.synth.events import edge_times


def _ramp(duration=30.0, sfreq=100.0):
    t = np.arange(0, duration, 1 / sfreq)
    return xr.Dataset({"SKT_Level": ("time", 33 + 0.01 * t)}, coords={"time": t})


def test_cut_windows_are_flagged_excluded_or_kept():
    physio = _ramp()
    ev = pd.DataFrame({"onset": [0.3, 14.0, 29.5], "apex": [0.4, 14.1, 29.6], "offset": [0.5, 14.2, 29.7]})
    with pytest.warns(MMMEWarning, match=r"subject 'sub-07' trial 3: of 3 ME\(s\), excluded 2 .* NaN the cut features of 0 more"):
        ex = event_features(physio, ev, rng=np.random.default_rng(0), subject="sub-07", trial=3, n_non_me=2)
    assert ex["event"].unique().tolist() == [1] and not ex["cut"].any() and len(ex) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error", MMMEWarning)
        kept = event_features(physio, ev, rng=np.random.default_rng(0), n_non_me=2, cut="keep")
    me = kept[kept["moment"] == "me"].set_index("event")
    assert me["cut"].tolist() == [True, False, True]
    assert me["cut_vars"].tolist() == ["SKT_Level", "", "SKT_Level"]
    assert kept["SKT_Level_onset"].notna().all()
    # honest value: the mean over the part of [onset - 1, onset + 1) inside the signal
    t = physio["time"].values
    inside = t < 0.3 + 1.0
    np.testing.assert_allclose(me.loc[0, "SKT_Level_onset"], physio["SKT_Level"].values[inside].mean())
    # the controls of a cut ME are at its edge distance (here near the end: free), so cut as well
    alone = event_features(physio, ev.iloc[:2], rng=np.random.default_rng(0), n_non_me=2, cut="keep")
    ctl = alone[(alone["moment"] == "non_me") & (alone["event"] == 0)]
    assert ctl["cut"].all() and (ctl["apex"] > 29.0).all()
    # with the ME at 29.6 s in the way, the nearest possible places are 3.6 s from an edge, uncut
    ctl = kept[(kept["moment"] == "non_me") & (kept["event"] == 0)]
    np.testing.assert_allclose(ctl["edge_distance"], 3.6, atol=0.02)


def test_exclude_sets_only_the_cut_features_to_nan():
    # SKT windows +-1 s; a second variable with a window of 0.1 s is whole at 0.4 s from the edge
    t = np.arange(0, 30.0, 0.01)
    physio = xr.Dataset({"SKT_Level": ("time", 33 + 0.01 * t), "EDA_Tonic": ("time", 2 + 0.001 * t)},
                        coords={"time": t})
    ev = pd.DataFrame({"onset": [0.3, 14.0], "apex": [0.4, 14.1], "offset": [0.5, 14.2]})
    windows = {"EDA": (0.0, 0.1)}
    with pytest.warns(MMMEWarning, match=r"excluded 0 .* NaN the cut features of 1 more"):
        ex = event_features(physio, ev, rng=np.random.default_rng(0), n_non_me=2, windows=windows)
    kept = event_features(physio, ev, rng=np.random.default_rng(0), n_non_me=2, windows=windows, cut="keep")
    stratum = ex[ex["event"] == 0]
    assert len(stratum) == 3 and stratum["cut_vars"].iloc[0] == "SKT_Level"
    assert stratum.filter(like="SKT_Level_").drop(columns="SKT_Level_trialmean").isna().all().all()
    np.testing.assert_array_equal(stratum.filter(like="EDA_Tonic_").to_numpy(),
                                  kept[kept["event"] == 0].filter(like="EDA_Tonic_").to_numpy())
    assert ex[ex["event"] == 1].drop(columns=["cut_vars"]).notna().all().all()


def test_controls_sit_at_the_me_edge_distance():
    physio = _ramp(60.0)
    ev = pd.DataFrame({"onset": [3.9, 30.0], "apex": [4.0, 30.1], "offset": [4.2, 30.3]})
    df = event_features(physio, ev, rng=np.random.default_rng(3), n_non_me=4, min_distance=2.0)
    ctl = df[df["moment"] == "non_me"]
    near = ctl[ctl["event"] == 0]
    np.testing.assert_array_less(np.abs(near["edge_distance"] - 4.0), EDGE_TOLERANCE + 1e-9)
    assert (near["apex"] > 30).all()  # the only free places at 4 s from an edge: near the end
    far = ctl[ctl["event"] == 1]
    assert (far["edge_distance"] >= 10.0 - EDGE_TOLERANCE).all()
    np.testing.assert_allclose(df["edge_distance"], edge_distance(df["apex"], (0.0, 60.0)))


def _edge_bias(cut, n_seeds, old=None):
    """ME-minus-control |HR slope| at the apex, per ME, on null data with MEs at the edges."""
    dur, sfreq = 20.0, 250.0
    out = {"start": [], "end": []}
    for seed in range(n_seeds):
        rng = np.random.default_rng(seed)
        ap = np.sort(np.concatenate([edge_times(rng, dur, 1, where="start"), edge_times(rng, dur, 1, where="end"),
                                     [rng.uniform(8.0, 12.0)]]))
        sig, _ = simulate_peri(dur, sfreq, rng=rng, me_apexes=ap, null=True)
        ecg = xr.DataArray(sig["ECG"].values, dims="time", coords={"time": np.arange(sig["ECG"].size) / sfreq},
                           attrs={"sfreq": sfreq})
        ev = pd.DataFrame({"onset": ap - 0.1, "apex": ap, "offset": ap + 0.15, "kind": "micro"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MMMEWarning)
            df = event_features(ecg_process(ecg), ev, rng=np.random.default_rng(1000 + seed), cut=cut,
                                variables=["ECG_Rate_AbsSlope"], anchors=("apex",), n_non_me=2)
        for e, g in df.groupby("event"):
            zone = "start" if ap[e] < 2.5 else "end" if ap[e] > dur - 5 else None
            ctl = g.loc[g["moment"] == "non_me", "ECG_Rate_AbsSlope_apex"]
            if zone and len(ctl):
                me = g.loc[g["moment"] == "me", "ECG_Rate_AbsSlope_apex"].iloc[0]
                out[zone].append(me - ctl.mean())
    return {k: np.asarray(v) for k, v in out.items()}


def _z(d):
    return d.mean() / (d.std(ddof=1) / np.sqrt(d.size))


@pytest.mark.parametrize("cut", ["keep", "exclude"])
def test_no_edge_bias_on_null_data(cut):
    """Null data, one ME in the first 2.5 s and one in the last 5 s of each 20 s trial (100 trials).

    The old matching (controls confined to [start + 2.5, end - 5] s, MEs' windows shortened
    silently) fails this test on the same signals: -0.71 bpm/s (z = -6.2) for the MEs at the
    start, -0.27 bpm/s (z = -2.2) at the end (measured with the HEAD version of
    ``event_features``; with the HEAD rates too, on 40 s trials, +0.46 bpm/s, z = 3.1, at
    the start).
    """
    d = _edge_bias(cut, 100)
    if cut == "exclude":  # MEs whose rate window starts before the first RR midpoint (or ends after the last) go
        assert 20 < d["start"].size < 100 and 20 < d["end"].size < 100, {k: v.size for k, v in d.items()}
    else:
        assert d["start"].size == 100 and d["end"].size == 100
    for zone, x in d.items():
        if x.size:
            assert abs(_z(x)) < 3.0, (zone, x.mean(), _z(x))
    pooled = np.concatenate(list(d.values()))
    assert abs(_z(pooled)) < 2.5 and abs(pooled.mean()) < 0.2
