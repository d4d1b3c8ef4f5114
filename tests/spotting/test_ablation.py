"""CMCL-Net ablation (fast mode, tiny synthetic dataset): TP + FN invariant, a leak-free LOSO split, the
shuffled-label control, and the training / inference pieces it rests on."""
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from mmme_analysis.spotting import ablation as abl
from mmme_analysis.spotting.baseline import BaselineSpotter, SpotConfig
from mmme_analysis.spotting.cmcl_pairs import CMCLSamples
from mmme_analysis.spotting.cmcl_signals import CMCLSampleConfig
from mmme_analysis.spotting.cmcl_train import CMCLSpotConfig, CMCLSpotter

torch.set_num_threads(1)

FAST = CMCLSpotConfig.fast(epochs=4, pretrain_epochs=1, num_threads=1, device="cpu")
BASE = SpotConfig(width=64)  # the baseline at half its default resolution: fast enough for a test


@pytest.fixture(scope="module")
def synth_ds(tmp_path_factory):
    import mmme_analysis as mm
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    root = synthesize(tmp_path_factory.mktemp("ablation") / "raw", SynthConfig(n_subjects=3, n_trials=1, seed=5),
                      progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mm.open_dataset(root)


@pytest.fixture(scope="module")
def run(synth_ds):
    """The ablation with spies on every fit and every prediction (what each fold trained on and scored)."""
    calls = {"fit": [], "spot": [], "base_fit": [], "base_predict": []}
    mp = pytest.MonkeyPatch()
    fit, spot = CMCLSpotter.fit_samples, CMCLSpotter.spot
    base_fit, base_predict = BaselineSpotter.fit, BaselineSpotter.predict
    subject_of = dict(zip(synth_ds.trials["trial"], synth_ds.trials["subject"]))

    def fit_spy(self, samples, annotations, *, shuffle_labels=False):
        self._spy = (set(samples.meta["subject"]), set(annotations["trial"].map(subject_of)))
        calls["fit"].append((self.config.modalities, shuffle_labels, samples.label.copy()))
        return fit(self, samples, annotations, shuffle_labels=shuffle_labels)

    def spot_spy(self, signals, centres, prob):
        calls["spot"].append((self._spy, subject_of[signals.trial]))
        return spot(self, signals, centres, prob)

    def base_fit_spy(self, annotations):
        self._spy = set(annotations["trial"].map(subject_of))
        calls["base_fit"].append(self._spy)
        return base_fit(self, annotations)

    def base_predict_spy(self, dataset, trials=None, **kw):
        calls["base_predict"].append((self._spy, {subject_of[t] for t in trials}))
        return base_predict(self, dataset, trials, **kw)

    mp.setattr(CMCLSpotter, "fit_samples", fit_spy)
    mp.setattr(CMCLSpotter, "spot", spot_spy)
    mp.setattr(BaselineSpotter, "fit", base_fit_spy)
    mp.setattr(BaselineSpotter, "predict", base_predict_spy)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = abl.spot_ablation(synth_ds, config=FAST, baseline=BASE, seeds=(0,), n_workers=1)
    finally:
        mp.undo()
    return res, calls


def test_table_rows_and_tp_plus_fn_invariant(run, synth_ds):
    res, _ = run
    t = res.table
    assert t["setting"].tolist() == list(abl.ABLATION_SETTINGS)
    n_me = int((synth_ds.annotations["kind"] == "micro").sum())  # every ME of the dataset, counted independently
    assert n_me > 0 and (t["tp"] + t["fn"] == n_me).all() and (t["n_truth"] == n_me).all()
    assert t[["precision", "recall", "f1"]].apply(lambda c: c.dropna().between(0, 1).all()).all()
    assert (t["source"] == "computed").all() and t.loc[t["setting"] == "baseline", "seed"].isna().all()
    filt = res.predictions[("video + ECG + filter", 0)]
    assert len(filt) == len(res.predictions[("video + ECG", 0)]) and filt["kept"].sum() == t.loc[3, "tp"] + t.loc[3, "fp"]


def test_published_table_is_labelled_and_separate(run):
    res, _ = run
    pub = res.published
    assert pub["setting"].tolist() == ["video", "ECG", "video + ECG", "video + ECG + filter"]
    assert pub["f1"].tolist() == [0.2426, 0.0679, 0.2806, 0.2995] and pub["tp"].tolist() == [538, 173, 744, 709]
    assert pub["source"].str.startswith("published").all()
    summary = res.summary()
    assert set(summary["source"]) == {"computed", pub["source"].iloc[0]}


def test_loso_never_puts_a_subject_on_both_sides(run, synth_ds):
    res, calls = run
    subjects = set(synth_ds.trials["subject"])
    assert len(calls["spot"]) == 4 * len(synth_ds.trials)  # 4 CMCL settings, every trial predicted once each
    for (sample_subjects, k_subjects), test_subject in calls["spot"]:
        assert test_subject not in sample_subjects and test_subject not in k_subjects
        assert sample_subjects == k_subjects == subjects - {test_subject}
    assert len(calls["base_predict"]) == len(subjects)
    for k_subjects, test_subjects in calls["base_predict"]:
        assert not k_subjects & test_subjects and k_subjects | test_subjects == subjects
    f = res.folds
    assert all(row.test_subject not in row.train_subjects for row in f[f["setting"] != "baseline"].itertuples())
    assert all(row.test_subject not in row.k_subjects for row in f.itertuples())
    assert f["seconds"].gt(0).all()


def test_shuffled_row_trains_on_the_same_samples_with_shuffling_on(run):
    _, calls = run
    real = [c for c in calls["fit"] if c[0] == ("video", "ecg") and not c[1]]
    shuffled = [c for c in calls["fit"] if c[1]]
    assert len(real) == len(shuffled) == 3 and all(c[0] == ("video", "ecg") for c in shuffled)
    for (_, _, y_real), (_, _, y_shuf) in zip(real, shuffled):
        assert np.array_equal(y_real, y_shuf)  # the same samples go in; fit_samples permutes them


def _planted(n=120, seed=0):
    """Samples whose ECG window carries the label (a step of +-1), random video: a linearly separable task."""
    rng = np.random.default_rng(seed)
    cfg = FAST.samples
    y = (np.arange(n) % 3 == 0).astype(np.int64)
    ecg = rng.normal(0, 1, (n, *cfg.ecg_shape)).astype(np.float32) + (2 * y - 1)[:, None, None] * 1.5
    video = rng.normal(0, 1, (n, *cfg.video_shape)).astype(np.float32)
    meta = pd.DataFrame({"trial": "t", "subject": np.where(np.arange(n) < n // 2, "a", "b"), "time": 0.0, "label": y,
                         "event": np.where(y == 1, np.arange(n), -1), "source": "me"})
    return CMCLSamples(video, ecg, y, meta)


def test_shuffled_labels_remove_a_planted_effect():
    from sklearn.metrics import roc_auc_score

    s = _planted()
    train, test = s.subset(s.meta["subject"] == "a"), s.subset(s.meta["subject"] == "b")
    ann = pd.DataFrame({"kind": ["micro"], "onset": [1.0], "offset": [1.3]})
    cfg = CMCLSpotConfig.fast(modalities=("ecg",), epochs=20, pretrain_epochs=0, num_threads=1, device="cpu")
    auc = {}
    for shuffle in (False, True):
        net = CMCLSpotter(cfg).fit_samples(train, ann, shuffle_labels=shuffle)
        auc[shuffle] = roc_auc_score(test.label, net.score_windows(test.video, test.ecg))
    assert auc[False] > 0.95
    assert abs(auc[True] - 0.5) < 0.25


def test_normalisation_comes_from_the_training_samples_only():
    s = _planted()
    train = s.subset(s.meta["subject"] == "a")
    ann = pd.DataFrame({"kind": ["micro"], "onset": [1.0], "offset": [1.3]})
    sp = CMCLSpotter(CMCLSpotConfig.fast(epochs=1, pretrain_epochs=0, num_threads=1, device="cpu")).fit_samples(train, ann)
    mean, std = sp.norm_["ecg"]
    assert np.allclose(mean, train.ecg.mean(axis=(0, 2)), atol=1e-5) and np.allclose(std, train.ecg.std(axis=(0, 2)), atol=1e-5)
    assert sp.half_length_["micro"] == pytest.approx(0.15) and sp.train_subjects_ == ("a",)


def test_settings_subset_trains_only_what_it_needs(synth_ds):
    fits = []
    mp = pytest.MonkeyPatch()
    fit = CMCLSpotter.fit_samples

    def fit_spy(self, samples, annotations, *, shuffle_labels=False):
        fits.append(self.config.modalities)
        return fit(self, samples, annotations, shuffle_labels=shuffle_labels)

    mp.setattr(CMCLSpotter, "fit_samples", fit_spy)
    cfg = CMCLSpotConfig.fast(epochs=1, pretrain_epochs=0, num_threads=1, device="cpu")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = abl.spot_ablation(synth_ds, config=cfg, seeds=(0, 1), settings=("video + ECG + filter",))
    finally:
        mp.undo()
    assert res.table["setting"].tolist() == ["video + ECG + filter"] * 2
    assert fits == [("video", "ecg")] * 6  # 2 seeds x 3 folds, the video + ECG network only
    n_me = int((synth_ds.annotations["kind"] == "micro").sum())
    assert (res.table["tp"] + res.table["fn"] == n_me).all()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(seeds=()), ValueError, "Invalid value for 'seeds'"),
    (dict(seeds=(-1,)), ValueError, "Invalid value for 'seeds'"),
    (dict(eta=0), ValueError, "Invalid value for 'eta'"),
    (dict(config=SpotConfig()), TypeError, "Invalid value for 'config'"),
    (dict(trials=["only-one"]), ValueError, "expected trials of at least 2 subjects"),
    (dict(settings=("video", "EEG")), ValueError, "Invalid value for 'settings'"),
    (dict(settings=()), ValueError, "Invalid value for 'settings'"),
    (dict(settings="video"), TypeError, "Invalid value for 'settings'"),
])
def test_bad_input(kwargs, exc, match):
    class _DS:
        trials = pd.DataFrame({"trial": ["only-one", "other"], "subject": ["s1", "s2"], "has_video": True})
        annotations = pd.DataFrame({"trial": [], "kind": [], "onset": [], "apex": [], "offset": []})

    with pytest.raises(exc, match=match):
        abl.spot_ablation(_DS(), **kwargs)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(step=0), ValueError, "Invalid value for 'step'"),
    (dict(p=1.0), ValueError, "Invalid value for 'p'"),
    (dict(min_score=-0.1), ValueError, "Invalid value for 'min_score'"),
    (dict(modalities=("eeg",)), ValueError, "Invalid value for 'modalities'"),
    (dict(batch_size=1), ValueError, "Invalid value for 'batch_size'"),
    (dict(augment=1), TypeError, "Invalid value for 'augment'"),
    (dict(samples=CMCLSampleConfig(ecg_sfreq=21.0)), ValueError, "Invalid value for 'ecg_patch'"),
])
def test_bad_spot_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        CMCLSpotConfig(**kwargs)


def test_predict_before_fit():
    with pytest.raises(RuntimeError, match="call fit"):
        CMCLSpotter(FAST).score_windows(np.zeros((1, *FAST.samples.video_shape), np.float32),
                                        np.zeros((1, *FAST.samples.ecg_shape), np.float32))
