"""event_table: one tidy row per expression and matched control; the statistics module's numbers.

Synthetic raw datasets (no video, 3 subjects x 3 trials of 20 s) with and without a planted
heart-rate response; a two-trial store for the cache; the real coding sheets when present.
"""
import os
import re
import zlib

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis.errors import DataFormatError
from mmme_analysis.physio import trial_event_features
from mmme_analysis.stats import compare_moments, event_table, event_table_moments
from mmme_analysis.synth.generator import SynthConfig, synthesize
from tests.conftest import tree_digest

from ._sheets import au_set, read_sheet

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")

_CFG = dict(n_subjects=3, n_trials=3, duration=20.0, rest=2.0, seed=21, mes_per_trial=(2, 3), maes_per_trial=(0, 1),
            write_video=False)


# the planted and null tables process 9 trials of 20 s each (NeuroKit2 on five signals): ~10 s apiece
@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("et") / "raw", SynthConfig(**_CFG), progress=False)


@pytest.fixture(scope="module")
def planted_table(planted):
    before = tree_digest(planted)
    df = event_table(mm.open_dataset(planted), features=["ann", "ecg"])
    assert tree_digest(planted) == before  # nothing written into the raw folder: the cache is the user's
    assert df.attrs["cache"]["location"].startswith(os.environ["MMME_CACHE_DIR"])
    return df


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from mmme_analysis.convert import convert

    base = tmp_path_factory.mktemp("et_store")
    cfg = SynthConfig(**{**_CFG, "n_subjects": 1, "n_trials": 2, "maes_per_trial": (0, 0), "seed": 5})
    return convert(synthesize(base / "raw", cfg, progress=False), base / "s.zarr", progress=False)


def _reference(path):
    """compare_moments' input, built by physio.trial_event_features with the documented per-trial generator."""
    ds = mm.open_dataset(path)
    frames = [trial_event_features(ds.trial(t), rng=np.random.default_rng([0, zlib.crc32(t.encode())]))
              for t in ds.trials["trial"]]
    return pd.concat([f for f in frames if len(f)], ignore_index=True)


def _stratum_means(df, feature):
    """Hand contrast: each ME minus the mean of its controls, averaged over strata."""
    me = df[df["kind"] == "micro"].set_index("event_id")[feature]
    ctrl = df[df["kind"] == "control"].groupby("matched_to")[feature].mean()
    return float((me - ctrl.reindex(me.index)).dropna().mean())


@pytest.mark.slow
def test_layout_ids_and_units(planted_table):
    df = planted_table
    assert list(df.columns[:11]) == ["event_id", "trial", "subject", "kind", "matched_to", "emotion7", "emotion3",
                                     "category", "onset", "apex", "offset"]
    assert df["event_id"].is_unique
    assert set(df["kind"]) == {"micro", "macro", "control"}
    ctrl = df[df["kind"] == "control"]
    assert ctrl["matched_to"].isin(df.loc[df["kind"] == "micro", "event_id"]).all()
    assert df.loc[df["kind"] != "control", "matched_to"].isna().all()
    assert ctrl["emotion7"].isna().all() and ctrl["ann_duration"].isna().all()
    au = [c for c in df if c.startswith("au_")]
    assert au and (ctrl[au] == 0).all().all()
    assert df["subject"].str.fullmatch(r"sub-\d\d").all()
    feats = df.attrs["features"]
    assert feats == list(df.columns[11:]) and all(pd.api.types.is_numeric_dtype(df[c]) for c in feats)
    assert df.attrs["units"]["ecg_slope_apex"] == "bpm/s" and df.attrs["units"]["ecg_hrv_rmssd"] == "ms"
    assert not any(c.startswith(("eda_", "eeg_")) for c in df)  # only the asked groups
    # a control copies its ME's onset-apex-offset pattern, elsewhere in the trial
    me = df.set_index("event_id").loc[ctrl["matched_to"]]
    np.testing.assert_allclose(ctrl["apex"].to_numpy() - ctrl["onset"].to_numpy(),
                               me["apex"].to_numpy() - me["onset"].to_numpy(), atol=1e-9)


@pytest.mark.slow
def test_planted_contrast(planted_table):
    res = compare_moments(event_table_moments(planted_table), ["ecg_slope_apex"], rng=np.random.default_rng(3),
                          effect_size=False).iloc[0]
    assert _stratum_means(planted_table, "ecg_slope_apex") == pytest.approx(res["estimate"], rel=1e-12)
    assert res["n_me"] >= 15 and res["estimate"] > 1.0 and res["p"] < 0.01, res.to_dict()


def test_same_numbers_as_compare_moments(store):
    """The table's contrast is compare_moments' on physio.trial_event_features of the same trials."""
    ref = _reference(store)
    df = event_table(mm.open_dataset(store), features="ecg", cache=False)
    for f_ref, f_tab in (("ECG_Rate_Slope_apex", "ecg_slope_apex"), ("ECG_Rate_onset", "ecg_hr_onset"),
                         ("HRV_RMSSD_apex", "ecg_hrv_rmssd")):
        kw = dict(rng=np.random.default_rng(3), effect_size=False)
        r_ref = compare_moments(ref, [f_ref], **kw).iloc[0]
        r_tab = compare_moments(event_table_moments(df), [f_tab], **kw).iloc[0]
        assert r_tab["estimate"] == pytest.approx(r_ref["estimate"], rel=1e-12), f_tab
        assert (r_tab["p"], r_tab["n_me"], r_tab["n_trials"]) == (r_ref["p"], r_ref["n_me"], r_ref["n_trials"])
        assert r_tab["n_me"] >= 2
        assert _stratum_means(df, f_tab) == pytest.approx(r_tab["estimate"], rel=1e-12)
    # the same rows, value for value (MEs and controls, in order)
    np.testing.assert_allclose(df.loc[df["kind"].isin(["micro", "control"]), "ecg_slope_apex"].dropna(),
                               ref["ECG_Rate_Slope_apex"].dropna(), rtol=1e-12)


@pytest.mark.slow
def test_null_contrast_is_not_significant(tmp_path):
    raw = synthesize(tmp_path / "raw", SynthConfig(**{**_CFG, "null": True}), progress=False)
    df = event_table(mm.open_dataset(raw), features="ecg", cache=False)
    res = compare_moments(event_table_moments(df), ["ecg_slope_apex"], rng=np.random.default_rng(3),
                          effect_size=False).iloc[0]
    assert res["n_me"] >= 15 and res["p"] > 0.05 and abs(res["estimate"]) < 1.0, res.to_dict()


def test_cache_hit_and_invalidation(store):
    ds = mm.open_dataset(store)
    first = event_table(ds, features=["ann", "ecg"])
    assert first.attrs["cache"]["computed"] == 2 and first.attrs["cache"]["location"] == str(store)
    assert any(p.name.startswith("event_table-") for p in (store / "features").iterdir())
    again = event_table(mm.open_dataset(store), features=["ann", "ecg"])
    assert again.attrs["cache"] == {"location": str(store), "computed": 0, "reused": 2}
    pd.testing.assert_frame_equal(again, first)
    other = event_table(ds, features="annotation")  # other parameters: another key, computed
    assert other.attrs["cache"]["computed"] == 2
    # change one annotation (an AU of the first expression): only its trial is recomputed
    from mmme_analysis.io.store import write_annotations

    ann = ds.annotations.copy()
    i = ann.index[0]
    ann.at[i, "au_codes"], ann.at[i, "aus"] = (99,), ("AU99",)
    write_annotations(ann, store)
    changed = event_table(mm.open_dataset(store), features=["ann", "ecg"])
    assert changed.attrs["cache"]["computed"] == 1 and changed.attrs["cache"]["reused"] == 1
    row = (changed["event_id"] == f"{ann.at[i, 'trial']}:e0").to_numpy()
    au = [c for c in first if c.startswith("au_")]
    assert changed.loc[row, "au_99"].tolist() == [1] and "au_99" not in first
    assert changed.loc[row, au].sum(axis=1).tolist() == [0]
    pd.testing.assert_frame_equal(changed.drop(columns="au_99").loc[~row], first.loc[~row])
    pd.testing.assert_frame_equal(changed.drop(columns=["au_99", *au]), first.drop(columns=au))
    # an annotation row without an event in the store's trial is a data error naming the trial
    write_annotations(pd.concat([ann, ann.iloc[[0]]], ignore_index=True), store)
    n = int((ann["trial"] == ann.at[i, "trial"]).sum())
    with pytest.raises(DataFormatError, match=rf"trial {ann.at[i, 'trial']}: {n} event\(s\) in its /events node but {n + 1} row"):
        event_table(mm.open_dataset(store), features="annotation", cache=False)
    write_annotations(ds.annotations, store)  # as it was


def test_annotation_table_hand_worked():
    ann = pd.DataFrame({
        "trial": ["s1_101", "s1_101", "s2_102"], "subject": ["sub-01", "sub-01", "sub-02"],
        "kind": ["micro", "macro", "micro"], "onset": [1.0, 5.0, 2.0], "apex": [1.1, 5.5, 2.2],
        "offset": [1.3, 5.5, 2.4], "emotion": ["fear", "happiness", "disgust"],
        "emotion3": ["negative", "positive", "negative"], "category": pd.array([4, 4, 2], dtype="Int64"),
        "au_codes": [(4, 7), (12,), ()],
    })
    df = event_table(ann)
    assert df["event_id"].tolist() == ["s1_101:e0", "s1_101:e1", "s2_102:e0"]
    np.testing.assert_allclose(df["ann_duration"], [0.3, np.nan, 0.4])  # offset == apex: not coded
    np.testing.assert_allclose(df["ann_onset_apex"], [0.1, 0.5, 0.2])
    assert df[["au_4", "au_7", "au_12"]].values.tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert df.attrs["features"] == ["ann_duration", "ann_onset_apex", "au_4", "au_7", "au_12"]
    assert df.attrs["units"]["au_12"] == "1" and df.attrs["cache"]["location"] is None
    assert df["category"].tolist() == [4, 4, 2] and df["matched_to"].isna().all()
    assert event_table_moments(df)["moment"].tolist() == ["me", "me"]  # no controls from a sheet


def test_real_coding_sheet(shared_data):
    path = shared_data / "mes_eeg_coding_file_combined.xlsx"
    rows = read_sheet(path)
    df = event_table(path)
    assert len(df) == len(rows) == 944
    assert df["kind"].value_counts().to_dict() == {"macro": 645, "micro": 299}
    assert df["subject"].str.fullmatch(r"sub-\d\d").all()
    names = {str(r["Subject"]).strip() for r in rows}
    text = " ".join(df.select_dtypes(exclude="number").astype(str).to_numpy().ravel()) + repr(df.attrs)
    assert not [n for n in names if n and n in text]
    for au, kind in ((4, "micro"), (14, "micro"), (4, "macro")):  # AU counts as the sheet has them
        expect = sum(au in au_set(r["Action Units"]) and str(r["Macro/Micro"]).strip().lower() == kind for r in rows)
        assert int(df.loc[df["kind"] == kind, f"au_{au}"].sum()) == expect
    not_coded = sum(float(r["OffsetTime"]) == float(r["ApexTime"]) for r in rows)
    assert int(df["ann_duration"].isna().sum()) == not_coded
    assert re.fullmatch(r"sub-\d\d_\d{3}:e\d+", df["event_id"].iloc[0])


@pytest.mark.parametrize("source, kwargs, exc, match", [
    (42, {}, TypeError, "expected a Dataset"),
    ("no/such/sheet.xlsx", {}, FileNotFoundError, "expected an existing dataset folder"),
    ("TXT", {}, ValueError, r"expected a coding sheet \(.xlsx"),
    ("ANN-apex", {}, ValueError, r"missing \['apex'\]"),
    ("ANN-kind", {}, ValueError, "kind 'micro' or 'macro' in every row, got 'mega' in row 0"),
    ("ANN", {"features": "ecg"}, ValueError, r"no data for \['ecg'\]"),
    ("ANN", {"features": "bogus"}, ValueError, "expected names among"),
    ("ANN", {"features": []}, TypeError, "expected 'all', a group name or a list"),
    ("ANN", {"window": {"XYZ": (0, 1)}}, ValueError, "expected keys among"),
    ("ANN", {"window": {"ECG": (1.0, 0.0)}}, ValueError, "finite start < stop"),
    ("ANN", {"window": [(0, 1)]}, TypeError, "expected a mapping"),
    ("ANN", {"n_non_me": -1}, ValueError, "'n_non_me': expected an integer >= 0"),
    ("ANN", {"seed": "a"}, TypeError, "'seed': expected an integer"),
    ("ANN", {"cache": 1}, TypeError, "'cache'"),
])
def test_bad_input(tmp_path, source, kwargs, exc, match):
    ann = pd.DataFrame({"trial": ["t"], "subject": ["sub-01"], "kind": ["micro"], "onset": [1.0], "apex": [1.1],
                        "offset": [1.2]})
    if source == "TXT":
        source = tmp_path / "notes.txt"
        source.write_text("x")
    elif source == "ANN-apex":
        source = ann.drop(columns="apex")
    elif source == "ANN-kind":
        source = ann.assign(kind="mega")
    elif source == "ANN":
        source = ann
    with pytest.raises(exc, match=match):
        event_table(source, **kwargs)


@pytest.mark.parametrize("df, exc, match", [
    (5, TypeError, "expected the DataFrame of event_table"),
    (pd.DataFrame({"event_id": ["a"]}), ValueError, r"missing \['trial', 'subject', 'kind', 'matched_to'\]"),
])
def test_bad_moments_input(df, exc, match):
    with pytest.raises(exc, match=match):
        event_table_moments(df)
