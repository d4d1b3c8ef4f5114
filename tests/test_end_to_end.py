"""The whole chain recovers the planted heart-rate response, and finds none in null data.

synth (raw layout on disk) -> open_dataset (readers + trigger alignment) -> physio
(NeuroKit2) -> event-locked features -> linear mixed model (statsmodels).
"""
import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.physio import dataset_event_features
from mmme_analysis.stats import moment_mixedlm
from mmme_analysis.synth.generator import SynthConfig, synthesize

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


@pytest.mark.parametrize("null", [False, True], ids=["planted", "null"])
def test_hr_slope_at_me_apexes_through_the_raw_layout(tmp_path, null):
    cfg = SynthConfig(n_subjects=4, n_trials=3, duration=16.0, rest=2.0, seed=21, null=null,
                      mes_per_trial=(2, 3), maes_per_trial=(0, 0), write_video=False)
    ds = mm.open_dataset(synthesize(tmp_path / "raw", cfg, progress=False))
    assert not ds.trials["has_video"].any() and ds.trials["has_peri"].all()
    feats = dataset_event_features(ds, rng=np.random.default_rng(0), variables=["ECG_Rate_Slope"],
                                   anchors=("apex",), min_distance=3.0)
    res = moment_mixedlm(feats, "ECG_Rate_Slope_apex")
    assert res["n_me"] >= 20 and res["n_subjects"] == 4
    if null:
        assert res["p"] > 0.05, res
    else:
        assert res["p"] < 0.01 and res["estimate"] > 0, res
