"""The fast kernels of the flow pipeline give NumPy's results bit for bit."""
import numpy as np
import pytest

from mmme_analysis.flow import compute_flow_features, flow_compute, flow_strain
from mmme_analysis.flow.inputs import _median_rows, _normalize, _resized_maps
from mmme_analysis.flow.strain import _strain_uv

SHAPES = [(2, 2), (2, 7), (9, 2), (3, 3), (4, 5), (33, 17), (64, 56)]


def _numpy_strain(uv):
    (du_dy, du_dx), (dv_dy, dv_dx) = np.gradient(uv[0]), np.gradient(uv[1])
    exy = 0.5 * (du_dy + dv_dx)
    return np.sqrt(du_dx**2 + dv_dy**2 + 2.0 * exy**2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_strain_is_numpy_gradient_bit_for_bit(shape, dtype):
    uv = np.random.default_rng(0).normal(0, 0.7, (2,) + shape).astype(dtype)
    before = uv.copy()
    s = _strain_uv(uv)
    assert s.dtype == dtype
    assert np.array_equal(s, _numpy_strain(uv))
    np.testing.assert_array_equal(uv, before)


def test_flow_strain_of_interleaved_flow():
    flow = np.random.default_rng(1).normal(size=(20, 30, 2)).astype(np.float32)
    assert np.array_equal(flow_strain(flow), _numpy_strain(np.moveaxis(flow, -1, 0)))


@pytest.mark.parametrize("n", [4, 5, 100, 101, 4096, 4097])
def test_median_rows_is_numpy_median(n):
    rng = np.random.default_rng(n)
    cases = [
        rng.normal(size=(2, n)),
        np.round(rng.normal(size=(2, n)) * 2),  # many ties
        rng.choice([-1.0, 0.0, 1.0, np.inf, -np.inf], size=(2, n)),
    ]
    for a in cases:
        a = a.astype(np.float32)
        ref = np.median(a, axis=1)
        got = _median_rows(a.copy())
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, ref)


def test_median_rows_nan():
    a = np.random.default_rng(2).normal(size=(2, 50)).astype(np.float32)
    a[0, 7] = np.nan
    got = _median_rows(a.copy())
    assert np.isnan(got[0]) and got[1] == np.median(a[1])


def _reference_maxabs(a):
    a = np.array(a, dtype=np.float64)
    mag = np.sqrt(a[0] ** 2 + a[1] ** 2).max()
    a[:2] = np.where(mag > 1e-12, a[:2] / (mag if mag > 1e-12 else 1.0), 0.0)
    smax = np.abs(a[2]).max()
    a[2] = np.where(smax > 1e-12, a[2] / (smax if smax > 1e-12 else 1.0), 0.0)
    return a.astype(np.float32)


def test_maxabs_batch_bit_for_bit():
    x = np.random.default_rng(3).normal(size=(6, 3, 28, 28))
    x[2, :2] = 0.0  # a sample without motion
    x[4, 2] = 0.0  # and one without strain
    got = _normalize(x.copy(), "maxabs")
    for xi, gi in zip(x, got):
        np.testing.assert_array_equal(gi, _reference_maxabs(xi))
    assert not got[2, :2].any() and not np.signbit(got[2, :2]).any()


def test_pipeline_gives_the_maps_of_one_flow():
    rng = np.random.default_rng(4)
    face = rng.integers(0, 255, (60, 52, 3), dtype=np.uint8)
    samples = [dict(onset=face, apex=np.roll(face, k, axis=1), subject="s") for k in range(3)]
    ds = compute_flow_features(samples, method="dis", normalize="none", n_workers=1, progress=True)
    for s, x in zip(samples, ds["flow_inputs"].values):
        flow = flow_compute(s["onset"], s["apex"], method="dis")
        np.testing.assert_array_equal(x, _resized_maps(flow, 28, True))


def test_groups_of_shapes_give_the_maps_of_each_flow():
    """Consecutive flows of one shape share a workspace; shape changes and partial groups."""
    rng = np.random.default_rng(5)
    faces = {hw: rng.integers(0, 255, hw + (3,), dtype=np.uint8) for hw in [(40, 36), (48, 44)]}
    shapes = [(40, 36)] * 2 + [(48, 44)] + [(40, 36)] + [(48, 44)] * 6
    samples = [dict(onset=faces[hw], apex=np.roll(faces[hw], k % 3, axis=k % 2))
               for k, hw in enumerate(shapes)]
    for normalize in ("none", "maxabs"):
        ds = compute_flow_features(samples, method="dis", normalize=normalize, n_workers=2,
                                   progress=False)
        for s, x in zip(samples, ds["flow_inputs"].values):
            ref = _resized_maps(flow_compute(s["onset"], s["apex"], method="dis"), 28, True)
            np.testing.assert_array_equal(x, _normalize(ref.astype(np.float64), normalize))


def test_workspace_of_big_frames_is_not_kept():
    from mmme_analysis.flow import inputs

    small = inputs._workspace(20, 30, capacity=4)
    assert small.capacity == 4 and inputs._workspace(20, 30, capacity=4) is small
    big = inputs._workspace(600, 800, capacity=4)
    assert big.capacity == 1 and inputs._workspace(600, 800, capacity=4) is not big
