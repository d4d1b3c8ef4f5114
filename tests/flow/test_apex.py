import numpy as np
import pytest
import xarray as xr

from mmme_analysis.flow import APEX_METHODS, estimate_apex, select_frames
from mmme_analysis.synth import FaceConfig, render_frames
from mmme_analysis.video import frame_index

FPS = 150.0


@pytest.fixture(scope="module")
def clip():
    """30 frames: expression onset at frame 5, apex at frame 15, back to neutral at 25."""
    config = FaceConfig(height=96, width=82).quiet()
    event = dict(onset=5 / FPS, apex=15 / FPS, offset=25 / FPS, aus=("AU6", "AU12"), amplitude=3.0)
    frames, _ = render_frames(30, FPS, [event], rng=np.random.default_rng(0), config=config)
    return frames


def _video(frames, t0=2.0):
    t = t0 + np.arange(len(frames)) / FPS
    return xr.DataArray(frames, dims=("time", "y", "x", "rgb"),
                        coords={"time": t, "frame": ("time", np.arange(len(frames)) + 300)})


@pytest.mark.parametrize("method", APEX_METHODS)
def test_estimate_apex(clip, method):
    apex = estimate_apex(clip, onset=5, method=method)
    assert abs(apex - 15) <= 1
    assert estimate_apex(clip, onset=5, offset=10, method=method) == 10  # rising part only


def test_select_frames_coded_and_estimated(clip):
    video = _video(clip)
    coded = select_frames(video, 2.0 + 5 / FPS, 2.0 + 15 / FPS)
    assert (coded["onset_index"], coded["apex_index"], coded["apex_estimated"]) == (5, 15, False)
    np.testing.assert_array_equal(coded["apex"], clip[15])
    est = select_frames(video, 2.0 + 5 / FPS, None)
    assert est["apex_estimated"] and abs(est["apex_index"] - 15) <= 1
    same = select_frames(video, 2.0 + 5 / FPS, 2.0 + 5 / FPS, offset=2.0 + 20 / FPS)
    assert same["apex_estimated"] and abs(same["apex_index"] - 15) <= 1
    assert frame_index(video, 2.0 + 7.2 / FPS) == 7


@pytest.mark.parametrize("call, exc, match", [
    (lambda c, v: estimate_apex(c[:1]), ValueError, "at least 2 frames"),
    (lambda c, v: estimate_apex(c, onset=10, offset=5), ValueError, "'offset'"),
    (lambda c, v: estimate_apex(c, method="peak"), ValueError, "'method'"),
    (lambda c, v: estimate_apex(c, method="flow", flow_method="lk"), ValueError, "'flow_method'"),
    (lambda c, v: estimate_apex(c, onset=1.5), TypeError, "'onset'"),
    (lambda c, v: select_frames(v, 2.1, 2.0), ValueError, "'apex'"),
    (lambda c, v: select_frames(v, 99.0, None), ValueError, "'t'"),
    (lambda c, v: select_frames(v, 2.0 + 29 / FPS, None), ValueError, "'onset'"),
])
def test_bad_input(clip, call, exc, match):
    with pytest.raises(exc, match=match):
        call(clip, _video(clip))
