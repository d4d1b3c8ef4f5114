"""Class probabilities of a LOSO run written in the Explorer's ``classes`` format."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mmme_analysis as mm
from mmme_analysis.dashboard import read_predictions
from mmme_analysis.flow import dataset_fusion_samples
from mmme_analysis.training import CLASS_COLUMNS, class_predictions, save_results


@pytest.fixture(scope="module")
def demo():
    ds = mm.open_dataset(mm.demo.data_path())
    s = dataset_fusion_samples(ds, modalities=("eeg",), window=(-1.0, 1.0), cache=False)
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), s.sizes["sample"])
    pred = pd.DataFrame({"sample": np.arange(s.sizes["sample"]), "fold": 0,
                         "y_true": np.asarray(s["label"].values).astype(str)})
    for i, c in enumerate(("negative", "positive", "surprise")):
        pred[f"prob_{c}"] = p[:, i]
    return ds, s, pred


def test_rows_point_at_the_sample_event_and_explorer_reads_them(demo, tmp_path):
    ds, s, pred = demo
    table = class_predictions(pred, s, ds)
    assert list(table.columns) == list(CLASS_COLUMNS) and len(table) == 3 * len(pred)
    for (trial, event), rows in table.groupby(["trial", "event"]):
        onset = float(ds.trial(trial)["/events"]["onset"].values[event])
        sample_onsets = np.asarray(s["onset"].values)[np.asarray(s["trial"].values).astype(str) == trial]
        assert np.min(np.abs(sample_onsets - onset)) < 0.003
        assert rows["probability"].sum() == pytest.approx(1.0)
    path = save_results(table, tmp_path / "classes.csv")
    back = read_predictions(path)
    assert back.kind == "classes"
    first = table.iloc[0]
    rows = back.for_trial(first["trial"])
    assert set(rows["event"]) == set(table.loc[table["trial"] == first["trial"], "event"])


def _drop(df, col):
    return df.drop(columns=[col])


@pytest.mark.parametrize("change, match", [
    (lambda p, s: (_drop(p, "sample"), s), "expected columns 'sample'"),
    (lambda p, s: (p[["sample", "y_true", "fold"]], s), r"prob_<class>"),
    (lambda p, s: (p.assign(sample=p["sample"] + 10_000), s), r"expected 'sample' in \[0"),
    (lambda p, s: (p.assign(prob_negative=1.5), s), r"probabilities in \[0, 1\]"),
    (lambda p, s: (p, s.drop_vars("trial")), "expected 'trial' and 'onset'"),
    (lambda p, s: (p, s.assign_coords(onset=("sample", np.asarray(s["onset"].values) + 0.5))),
     "expected an event of trial"),
])
def test_bad_input(demo, change, match):
    ds, s, pred = demo
    p2, s2 = change(pred.copy(), s)
    with pytest.raises(ValueError, match=match):
        class_predictions(p2, s2, ds)


def test_bad_types(demo):
    ds, s, pred = demo
    with pytest.raises(TypeError, match="Invalid value for 'predictions'"):
        class_predictions(pred.to_numpy(), s, ds)
    with pytest.raises(ValueError, match="Invalid value for 'tolerance'"):
        class_predictions(pred, s, ds, tolerance=-1)
