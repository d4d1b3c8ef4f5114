import numpy as np
import pytest
import xarray as xr

from mmme_analysis.video import as_clip, frame_index, to_uint8

FPS = 150.0


def _video(n=30, t0=2.0):
    frames = np.zeros((n, 12, 10, 3), dtype=np.uint8)
    t = t0 + np.arange(n) / FPS
    return xr.DataArray(frames, dims=("time", "y", "x", "rgb"),
                        coords={"time": t, "frame": ("time", np.arange(n) + 300)})


def test_frame_index():
    video = _video()
    assert frame_index(video, 2.0 + 7.2 / FPS) == 7
    assert frame_index(video, 2.0) == 0 and frame_index(video, 2.0 + 29 / FPS) == 29


def test_as_clip_keeps_values():
    video = _video()
    a = as_clip(video)
    assert isinstance(a, np.ndarray) and a.shape == (30, 12, 10, 3) and a.dtype == np.uint8
    assert as_clip(np.zeros((2, 8, 8))).shape == (2, 8, 8)


def test_to_uint8():
    np.testing.assert_array_equal(to_uint8(np.array([0.0, 0.5, 1.0])), [0, 128, 255])
    np.testing.assert_array_equal(to_uint8(np.array([[-3.0, 12.4], [200.6, 300.0]])),
                                  [[0, 12], [201, 255]])
    assert to_uint8(np.ones((4, 5, 3))).dtype == np.uint8


@pytest.mark.parametrize("call, exc, match", [
    (lambda v: frame_index(v, 99.0), ValueError, "'t'"),
    (lambda v: frame_index(v, float("nan")), ValueError, "finite time"),
    (lambda v: as_clip(np.zeros((1, 8, 8, 3))), ValueError, "at least 2 frames"),
    (lambda v: as_clip(np.zeros((8, 8))), ValueError, r"'frames'.*\(time, y, x\)"),
    (lambda v: as_clip(np.zeros((3, 8, 8, 2))), ValueError, "'frames'"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call(_video())
