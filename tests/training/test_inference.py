import numpy as np
import pytest
import torch

from mmme_analysis.flow import sample_features
from mmme_analysis.models import STSTNet
from mmme_analysis.synth import FaceConfig, render_frames
from mmme_analysis.training import infer_clip

FPS = 150.0


@pytest.fixture(scope="module")
def clip():
    """30 frames: expression onset at frame 5, apex at frame 15, back to neutral at 25."""
    config = FaceConfig(height=96, width=82).quiet()
    event = dict(onset=5 / FPS, apex=15 / FPS, offset=25 / FPS, aus=("AU6", "AU12"), amplitude=3.0)
    frames, _ = render_frames(30, FPS, [event], rng=np.random.default_rng(0), config=config)
    return frames


def test_infer_clip(clip):
    torch.manual_seed(0)
    model = STSTNet(3).eval()
    out = infer_clip(clip, 5, 15, model, labels=["negative", "positive", "surprise"],
                     flow_method="dis", crop_face=False)
    assert out["label"] in ("negative", "positive", "surprise")
    assert sum(out["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert out["inputs"].shape == (3, 28, 28) and not out["apex_estimated"]
    sec = infer_clip(clip, 5 / FPS, None, model, fps=FPS, flow_method="dis", crop_face=False)
    assert sec["apex_estimated"] and abs(sec["apex_index"] - 15) <= 1 and sec["onset_index"] == 5
    assert set(sec["probabilities"]) == {"0", "1", "2"}


@pytest.mark.parametrize("crop_face", [False, True])
def test_infer_clip_input_is_the_training_input(clip, crop_face):
    """infer_clip builds its input exactly as flow.sample_features builds training inputs."""
    model = STSTNet(3)
    out = infer_clip(clip, 5, 15, model, flow_method="dis", crop_face=crop_face, crop_size=64,
                     face_method="frame")
    ref = sample_features(dict(onset=clip[5], apex=clip[15]), method="dis", size=28,
                          crop_face=crop_face, crop_size=64, face_method="frame")
    np.testing.assert_array_equal(out["inputs"], ref)


@pytest.mark.parametrize("call, exc, match", [
    (lambda c: infer_clip(c, 5, 15, None), TypeError, "'model'"),
    (lambda c: infer_clip(c, 5, 2, STSTNet(3), crop_face=False), ValueError, "'apex'"),
    (lambda c: infer_clip(c, 29, None, STSTNet(3)), ValueError, "'onset'"),
    (lambda c: infer_clip(c, 0, 4, STSTNet(3), labels=["a"], crop_face=False, flow_method="dis"),
     ValueError, "'labels'"),
    (lambda c: infer_clip(c[:1], 0, 1, STSTNet(3)), ValueError, "at least 2 frames"),
    (lambda c: infer_clip(c, 5, 15, STSTNet(3), fps=-1.0), ValueError, "'fps'"),
])
def test_bad_input(clip, call, exc, match):
    with pytest.raises(exc, match=match):
        call(clip)
