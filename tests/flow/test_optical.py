import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from mmme_analysis.flow import FLOW_METHODS, flow_compute, to_gray


def _shifted_pair(dx, dy):
    face = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2GRAY)[40:200, 150:300].astype(np.float32)
    M = np.float32([[1, 0, dx], [0, 1, dy]])
    moved = cv2.warpAffine(face, M, face.shape[::-1], flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REFLECT)
    return (np.clip(np.rint(face), 0, 255).astype(np.uint8),
            np.clip(np.rint(moved), 0, 255).astype(np.uint8))


@pytest.mark.parametrize("method", FLOW_METHODS)
@pytest.mark.parametrize("dx, dy", [(0.3, -0.2), (-0.45, 0.6)])
def test_subpixel_shift_recovered(method, dx, dy):
    a, b = _shifted_pair(dx, dy)
    flow = flow_compute(a, b, method=method)
    assert flow.shape == a.shape + (2,) and flow.dtype == np.float32
    inner = flow[10:-10, 10:-10]
    assert np.median(np.abs(inner[..., 0] - dx)) < 0.1
    assert np.median(np.abs(inner[..., 1] - dy)) < 0.1


def test_rgb_and_gray_give_same_flow():
    rgb = astronaut()[40:200, 150:300]
    moved = np.roll(rgb, 1, axis=1)
    f1 = flow_compute(rgb, moved, method="dis")
    f2 = flow_compute(to_gray(rgb), to_gray(moved), method="dis")
    np.testing.assert_allclose(f1, f2)
    assert np.median(f1[10:-10, 10:-10, 0]) == pytest.approx(1.0, abs=0.1)


def test_to_gray_float_input():
    g = to_gray(np.full((10, 12), 0.5))
    assert g.dtype == np.uint8 and g[0, 0] == 128


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(frame1=np.zeros((20, 20)), frame2=np.zeros((20, 20)), method="lk"), ValueError, "'method'"),
    (dict(frame1=np.zeros((20, 20)), frame2=np.zeros((20, 21))), ValueError, "'frame2'"),
    (dict(frame1=np.zeros((4, 4)), frame2=np.zeros((4, 4))), ValueError, "at least 8x8"),
    (dict(frame1=np.zeros((2, 20, 20)), frame2=np.zeros((2, 20, 20))), ValueError, "'frame'"),
])
def test_bad_input(kwargs, exc, match):
    f1, f2 = kwargs.pop("frame1"), kwargs.pop("frame2")
    with pytest.raises(exc, match=match):
        flow_compute(f1, f2, **kwargs)
