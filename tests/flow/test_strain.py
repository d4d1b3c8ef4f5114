import numpy as np
import pytest

from mmme_analysis.flow import flow_compute, flow_strain, strain_components


def _grid(n=32):
    return np.meshgrid(np.arange(n, dtype=float), np.arange(n, dtype=float))  # x, y


def test_pure_translation_has_zero_strain():
    flow = np.zeros((32, 40, 2), np.float32)
    flow[..., 0], flow[..., 1] = 0.7, -1.3
    np.testing.assert_allclose(flow_strain(flow), 0.0, atol=1e-7)


def test_pure_rotation_has_zero_strain():
    x, y = _grid()
    theta = 0.01  # small rigid rotation: u = -theta*y, v = theta*x
    flow = np.stack([-theta * y, theta * x], axis=-1)
    np.testing.assert_allclose(flow_strain(flow), 0.0, atol=1e-12)


def test_uniform_stretch_and_shear():
    x, y = _grid()
    flow = np.stack([0.02 * x, np.zeros_like(x)], axis=-1)
    np.testing.assert_allclose(flow_strain(flow), 0.02, atol=1e-7)
    exx, eyy, exy = strain_components(np.stack([0.03 * y, np.zeros_like(x)], axis=-1))
    np.testing.assert_allclose(exy, 0.015)
    np.testing.assert_allclose(exx, 0.0)


def test_measured_translation_strain_is_small():
    from skimage.data import astronaut

    img = astronaut()[40:200, 150:300]
    flow = flow_compute(img, np.roll(img, 1, axis=0), method="tvl1")
    assert np.median(flow_strain(flow)[10:-10, 10:-10]) < 0.02


@pytest.mark.parametrize("flow, match", [
    (np.zeros((10, 10)), r"shape \(y, x, 2\)"),
    (np.zeros((10, 10, 3)), r"shape \(y, x, 2\)"),
    (np.zeros((1, 10, 2)), "at least 2x2"),
])
def test_bad_flow(flow, match):
    with pytest.raises(ValueError, match=match):
        flow_strain(flow)
