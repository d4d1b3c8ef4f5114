"""Tests of the synthetic recognition samples (mmme_analysis.synth.samples)."""
import collections

import numpy as np
import pytest

from mmme_analysis.synth import SYNTH_CLASS_AUS, synthetic_samples


def test_samples_are_balanced_reproducible_and_class_specific():
    samples = synthetic_samples(n_subjects=2, n_per_subject=6, task="3class", seed=4, noise_sd=0.0)
    assert len(samples) == 12
    assert {s["subject"] for s in samples} == {"sub-01", "sub-02"}
    counts = collections.Counter((s["subject"], s["label"]) for s in samples)
    assert set(counts.values()) == {2} and len(counts) == 6  # every class twice per subject
    for s in samples:
        assert s["onset"].dtype == np.uint8 and s["onset"].shape == s["apex"].shape and s["onset"].shape[2] == 3
        assert s["aus"] == ",".join(SYNTH_CLASS_AUS["3class"][s["label"]])
        assert (s["onset"] != s["apex"]).any()  # the planted motion shows
    again = synthetic_samples(n_subjects=2, n_per_subject=6, task="3class", seed=4, noise_sd=0.0)
    assert all((a["apex"] == b["apex"]).all() and a["label"] == b["label"] for a, b in zip(samples, again))
    seven = synthetic_samples(n_subjects=1, n_per_subject=7, task="7class", seed=0)
    assert sorted(s["label"] for s in seven) == sorted(SYNTH_CLASS_AUS["7class"])


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"task": "5class"}, ValueError, "'task'"),
        ({"n_subjects": 0}, ValueError, "'n_subjects'"),
        ({"n_per_subject": 1.5}, TypeError, "'n_per_subject'"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        synthetic_samples(**kwargs)
