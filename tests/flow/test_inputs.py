import numpy as np
import pytest

from mmme_analysis.flow import MODEL_INPUTS, flow_inputs, flow_normalize


@pytest.fixture
def flow():
    rng = np.random.default_rng(0)
    f = rng.normal(0, 0.5, (64, 56, 2)).astype(np.float32)
    f[20:30, 10:20, 1] -= 2.0  # a local upward motion
    return f


@pytest.mark.parametrize("size", sorted(set(MODEL_INPUTS.values())))
def test_shape_and_dtype(flow, size):
    x = flow_inputs(flow, size=size)
    assert x.shape == (3, size, size) and x.dtype == np.float32


def test_maxabs_keeps_sign_and_range(flow):
    x = flow_inputs(flow, normalize="maxabs")
    assert np.hypot(x[0], x[1]).max() == pytest.approx(1.0, abs=1e-5)
    assert x[2].min() >= 0 and x[2].max() == pytest.approx(1.0, abs=1e-5)
    assert x[1, 5:8, 3:6].mean() < 0  # the upward (negative v) patch stays negative


def test_minmax_and_zscore():
    a = np.random.default_rng(1).normal(size=(3, 8, 8))
    m = flow_normalize(a, method="minmax")
    np.testing.assert_allclose(m.min(axis=(1, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(m.max(axis=(1, 2)), 1, atol=1e-6)
    z = flow_normalize(a, method="zscore")
    np.testing.assert_allclose(z.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(flow_normalize(a, method="none"), a.astype(np.float32))


def test_constant_input_gives_zeros():
    for method in ("minmax", "zscore"):
        np.testing.assert_array_equal(flow_normalize(np.ones((3, 4, 4)), method=method), 0)
    np.testing.assert_array_equal(flow_normalize(np.zeros((3, 4, 4))), 0)


def test_global_translation_removed():
    f = np.zeros((40, 40, 2), np.float32)
    f[..., 0] = 3.0
    f[10:14, 10:14, 0] += 1.0
    x = flow_inputs(f, size=20, normalize="none")
    assert abs(np.median(x[0])) < 1e-6
    y = flow_inputs(f, size=20, normalize="none", subtract_global=False)
    assert np.median(y[0]) == pytest.approx(3.0 * 20 / 40)  # pixels of the resized image


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(size=2), ValueError, "'size'"),
    (dict(size=2.5), TypeError, "'size'"),
    (dict(normalize="l2"), ValueError, "'normalize'"),
])
def test_bad_args(flow, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        flow_inputs(flow, **kwargs)


def test_bad_normalize_shape():
    with pytest.raises(ValueError, match=r"shape \(3, y, x\)"):
        flow_normalize(np.zeros((2, 4, 4)))
