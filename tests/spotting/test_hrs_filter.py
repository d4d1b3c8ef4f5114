"""HRS candidate filter: bad inputs, and precision on planted vs null ECG coupling (synthetic raw data)."""
import warnings

import numpy as np
import pandas as pd
import pytest

from mmme_analysis.spotting.hrs_filter import hrs_filter, hrs_sweep
from mmme_analysis.spotting.truth import spot_truth

FPS = 150.0


def _dataset(tmp_path_factory, null: bool):
    import mmme_analysis as mm
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    cfg = SynthConfig(n_subjects=2, n_trials=3, duration=15.0, seed=3, null=null, write_video=False)
    root = synthesize(tmp_path_factory.mktemp("hrs") / ("null" if null else "coupled"), cfg, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mm.open_dataset(root)


def _candidates(ds, seed=0, decoys=10, span=(1.5, 13.5)):
    """True ME intervals plus ``decoys`` random intervals per trial, apexes within ``span`` s
    (the decoys are false positives)."""
    truth = spot_truth(ds.annotations, ds.trials["trial"])
    me = truth[truth["kind"] == "micro"].dropna()
    me = me[["video", "onset", "offset", "apex", "kind"]].astype({"onset": int, "offset": int, "apex": int})
    rng = np.random.default_rng(seed)
    apex = rng.integers(int(span[0] * FPS), int(span[1] * FPS), size=(len(ds.trials), decoys))
    dec = pd.DataFrame([dict(video=t, onset=a - 24, offset=a + 24, apex=a, kind="micro")
                        for t, row in zip(ds.trials["trial"], apex) for a in row])
    return pd.concat([me, dec], ignore_index=True), truth


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    out = {}
    for null in (False,):  # null physiology: test_rise_raises_precision_on_default_trials_and_not_on_null
        ds = _dataset(tmp_path_factory, null)
        pred, truth = _candidates(ds)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[null] = (hrs_sweep(pred, truth, ds, etas=(2.0,), fps=FPS).xs("micro", level="kind"), pred, ds)
    return out


def test_filter_raises_precision_with_planted_coupling(sweeps):
    table = sweeps[False][0]
    before, after = table["precision"].iloc[0], table.loc[2.0, "precision"]
    assert after > before + 0.15
    assert table["n_truth"].nunique() == 1  # tp + fn stays the ground-truth count


def test_output_keeps_dropped_candidates(sweeps):
    _, pred, ds = sweeps[False]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = hrs_filter(pred.head(12), ds, eta=2.0, fps=FPS)
        mag = hrs_filter(pred.head(12), ds, eta=2.0, fps=FPS, method="abs")
    assert len(out) == 12 and out["kept"].dtype == bool
    assert np.isfinite(out["hrs"]).all() and (out["hrs"] < 0).any()  # "rise": signed, decelerations negative
    assert out["kept"].equals(out["hrs"] > 2.0 * out["hrs_mean"])
    np.testing.assert_allclose(mag["hrs"], out["hrs"].abs())  # "abs": the magnitude of the same slope
    assert mag["kept"].equals(mag["hrs"] > 2.0 * mag["hrs_mean"]) and mag["hrs_mean"].equals(out["hrs_mean"])


def _default_trials(tmp_path, seed: int, null: bool):
    """Candidates on the generator's default trials (6 s, one or two MEs each): the true MEs
    plus five random moments a trial, and the sweep of both methods at eta 2."""
    import mmme_analysis as mm
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    cfg = SynthConfig(n_subjects=3, n_trials=8, seed=seed, null=null, write_video=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = mm.open_dataset(synthesize(tmp_path / f"{seed}-{null}", cfg, progress=False))
        pred, truth = _candidates(ds, seed, decoys=5, span=(0.5, 5.5))
        gain = {}
        for method in ("rise", "abs"):
            t = hrs_sweep(pred, truth, ds, etas=(2.0,), fps=FPS, method=method).xs("micro", level="kind")
            gain[method] = t.loc[2.0, "precision"] - t["precision"].iloc[0]
    return gain


def test_rise_raises_precision_on_default_trials_and_not_on_null(tmp_path):
    """On 6-s trials the MEs' heart-rate responses overlap and the trial's mean |slope| counts
    them: the signed slope (an acceleration) still tells MEs from random moments, on planted
    physiology only (3 seeds; per seed the null gain is noisy, a handful of candidates kept)."""
    gains = {null: [_default_trials(tmp_path, seed, null) for seed in range(3)] for null in (False, True)}
    rise = {null: np.mean([g["rise"] for g in gains[null]]) for null in gains}
    assert rise[False] > 0.08
    assert rise[True] < rise[False] - 0.08
    assert abs(rise[True]) < 0.06


_PRED = pd.DataFrame({"video": ["t"], "onset": [0], "offset": [9], "apex": [5], "kind": ["micro"]})


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(predictions=[1, 2]), TypeError, "Invalid value for 'predictions'"),
    (dict(eta=0), ValueError, "Invalid value for 'eta'"),
    (dict(eta="x"), TypeError, "Invalid value for 'eta'"),
    (dict(method="signed"), ValueError, "Invalid value for 'method'"),
    (dict(predictions=_PRED.drop(columns="apex")), ValueError, "expected a 'apex' column"),
    (dict(hrs=pd.DataFrame({"hrs": [1.0, 2.0], "hrs_mean": [1.0, 1.0]})), ValueError, "Invalid value for 'hrs'"),
    (dict(hrs=pd.DataFrame({"x": [1.0]})), ValueError, "Invalid value for 'hrs'"),
])
def test_bad_input(kwargs, exc, match):
    kw = dict(predictions=_PRED, dataset=None, eta=2.0, hrs=pd.DataFrame({"hrs": [1.0], "hrs_mean": [1.0]}))
    kw.update(kwargs)
    with pytest.raises(exc, match=match):
        hrs_filter(kw.pop("predictions"), kw.pop("dataset"), **kw)


def test_hrs_column_filters_without_dataset():
    out = hrs_filter(_PRED, None, eta=2.0, hrs=pd.DataFrame({"hrs": [2.5], "hrs_mean": [1.0]}))
    assert out["kept"].tolist() == [True]
    out = hrs_filter(_PRED, None, eta=3.0, hrs=pd.DataFrame({"hrs": [2.5], "hrs_mean": [1.0]}))
    assert out["kept"].tolist() == [False]


def test_slope_window_is_cut_at_the_trial_edges(sweeps):
    """A candidate at the first or last frame gets a finite one-sided slope, not NaN (which would keep it)."""
    from mmme_analysis.spotting.hrs_filter import hrs_trial

    _, _, ds = sweeps[False]
    peri = ds.trial(ds.trials["trial"].iloc[0])["peri"].to_dataset()
    t = np.asarray(peri["time"].values, float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h, mean = hrs_trial(peri, [t[0], t[0] + 0.2, t[-1], t[-1] + 5.0], window=1.0)
        first, _ = hrs_trial(peri, [t[0] + 0.25], window=0.5)  # [t0, t0 + 0.5], uncut
        second, _ = hrs_trial(peri, [t[0] + 0.35], window=0.7)  # [t0, t0 + 0.7], uncut
    assert np.isfinite(h[:3]).all() and np.isnan(h[3]) and mean > 0
    assert np.isclose(h[0], first[0]) and np.isclose(h[1], second[0])  # the cut windows
