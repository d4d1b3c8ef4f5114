"""The optimised flow pipeline against a straightforward reference computation.

The reference is the pipeline as first written: a new OpenCV solver per pair, strain in
float64 with ``numpy.gradient`` on the full-resolution flow, one ``cv2.resize`` per map and
the normalisation per sample in float64.
"""
import cv2
import numpy as np
import pytest
from skimage.data import astronaut

from mmme_analysis.flow import (
    NORMALIZE_METHODS,
    compute_flow_features,
    flow_compute,
    flow_inputs,
    flow_normalize,
    flow_strain,
    sample_features,
)

EPS = 1e-12


def _ref_flow(a, b, method):
    g1, g2 = (cv2.cvtColor(np.ascontiguousarray(x), cv2.COLOR_RGB2GRAY) for x in (a, b))
    if method == "dis":
        algo = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    else:
        algo = cv2.optflow.DualTVL1OpticalFlow_create()
    return algo.calc(g1, g2, None)


def _ref_normalize(x, method):
    a = np.array(x, dtype=np.float64)
    if method == "maxabs":
        mag = np.sqrt(a[0] ** 2 + a[1] ** 2).max()
        a[:2] = a[:2] / mag if mag > EPS else 0.0
        smax = np.abs(a[2]).max()
        a[2] = a[2] / smax if smax > EPS else 0.0
    elif method in ("minmax", "zscore"):
        for c in range(3):
            lo, sc = (a[c].min(), np.ptp(a[c])) if method == "minmax" else (a[c].mean(), a[c].std())
            a[c] = (a[c] - lo) / sc if sc > EPS else 0.0
    return a.astype(np.float32)


def _ref_inputs(flow, size, normalize, subtract_global):
    f = np.asarray(flow, dtype=np.float32)
    h, w = f.shape[:2]
    if subtract_global:
        f = f - np.median(f.reshape(-1, 2), axis=0)
    f64 = f.astype(np.float64)
    du_dy, du_dx = np.gradient(f64[..., 0])
    dv_dy, dv_dx = np.gradient(f64[..., 1])
    strain = np.sqrt(du_dx**2 + dv_dy**2 + 2.0 * (0.5 * (du_dy + dv_dx)) ** 2).astype(np.float32)
    maps = [cv2.resize(np.ascontiguousarray(c), (size, size), interpolation=cv2.INTER_AREA)
            for c in (f[..., 0], f[..., 1], strain)]
    maps[0] *= size / w
    maps[1] *= size / h
    return _ref_normalize(np.stack(maps), normalize)


def _assert_close(x, ref):
    """max |x - ref| <= 1e-5 of the value range, per channel."""
    for c in range(ref.shape[-3]):
        r, o = ref[..., c, :, :], x[..., c, :, :]
        scale = max(float(np.ptp(r)), 1e-12)
        assert float(np.abs(o - r).max()) <= 1e-5 * scale, (c, np.abs(o - r).max(), scale)


@pytest.fixture(scope="module")
def pairs():
    """Five onset/apex pairs of two sizes: local motions of a face patch, and a head shift."""
    img = astronaut()
    out = []
    for i, (dy, dx) in enumerate([(1, 0), (0, 1), (-2, 1), (1, -1), (0, 0)]):
        y0, x0 = (40, 150) if i % 2 else (30, 140)
        h, w = (160, 136) if i % 2 else (176, 150)
        face = img[y0:y0 + h, x0:x0 + w]
        apex = face.copy()
        apex[90:120, 30:90] = np.roll(face, (dy, dx), axis=(0, 1))[90:120, 30:90]
        if i == 4:  # global translation plus a local motion
            apex = np.roll(apex, 1, axis=1)
            apex[20:40, 20:50] = np.roll(face, (1, 2), axis=(0, 1))[20:40, 20:50]
        out.append(dict(onset=face, apex=apex, subject=f"s{i % 2}"))
    return out


@pytest.mark.parametrize("method", ["dis", "tvl1"])
def test_solver_reuse_gives_the_same_flow(pairs, method):
    sub = pairs if method == "dis" else pairs[:2]
    for _ in range(2):  # the second pass runs on the cached solver
        for s in sub:
            np.testing.assert_array_equal(flow_compute(s["onset"], s["apex"], method=method),
                                          _ref_flow(s["onset"], s["apex"], method))


@pytest.mark.parametrize("size", [28, 60])
@pytest.mark.parametrize("normalize", NORMALIZE_METHODS)
@pytest.mark.parametrize("subtract_global", [True, False])
def test_flow_inputs_match_reference(pairs, size, normalize, subtract_global):
    for s in pairs:
        flow = _ref_flow(s["onset"], s["apex"], "dis")
        x = flow_inputs(flow, size=size, normalize=normalize, subtract_global=subtract_global)
        ref = _ref_inputs(flow, size, normalize, subtract_global)
        assert x.shape == ref.shape and x.dtype == np.float32
        if normalize == "none":  # u and v: the same float32 operations as the reference
            np.testing.assert_array_equal(x[:2], ref[:2])
        _assert_close(x, ref)


@pytest.mark.parametrize("n_workers", [1, 2])
def test_pipeline_matches_reference(pairs, n_workers):
    ds = compute_flow_features(pairs, method="dis", n_workers=n_workers, progress=False)
    ref = np.stack([_ref_inputs(_ref_flow(s["onset"], s["apex"], "dis"), 28, "maxabs", True)
                    for s in pairs])
    _assert_close(ds["flow_inputs"].values, ref)
    for i, s in enumerate(pairs):  # a chunk gives what one sample gives
        np.testing.assert_allclose(ds["flow_inputs"].values[i], sample_features(s, method="dis"),
                                   atol=1e-6)


@pytest.mark.parametrize("normalize", NORMALIZE_METHODS)
def test_normalize_batch_is_per_sample(pairs, normalize):
    x = np.stack([flow_inputs(_ref_flow(s["onset"], s["apex"], "dis"), normalize="none")
                  for s in pairs])
    x[2, 2] = 0.0  # a constant channel
    ds = [flow_normalize(xi, method=normalize) for xi in x]
    for xi, d in zip(x, ds):
        np.testing.assert_allclose(d, _ref_normalize(xi, normalize), atol=1e-6)


def test_flow_strain_float32_matches_float64(pairs):
    flow = _ref_flow(pairs[0]["onset"], pairs[0]["apex"], "dis")
    s32, s64 = flow_strain(flow), flow_strain(flow.astype(np.float64))
    assert s32.dtype == s64.dtype == np.float32
    assert np.abs(s32 - s64).max() <= 1e-5 * np.ptp(s64)


def test_flow_inputs_leave_the_flow_unchanged(pairs):
    flow = _ref_flow(pairs[4]["onset"], pairs[4]["apex"], "dis")
    planar = np.moveaxis(np.ascontiguousarray(np.moveaxis(flow, -1, 0)), 0, -1)  # (u, v) planes
    before = planar.copy()
    flow_inputs(planar)
    np.testing.assert_array_equal(planar, before)


def test_solver_reuse_across_frame_sizes():
    """Small frames of two sizes in turn: each flow is that of a new solver."""
    rng = np.random.default_rng(5)
    faces = [rng.integers(0, 255, hw + (3,), dtype=np.uint8) for hw in [(40, 36), (48, 44)]]
    for k, i in enumerate([0, 0, 1, 0, 1, 1, 1, 1, 1]):
        a, b = faces[i], np.roll(faces[i], k % 3, axis=k % 2)
        np.testing.assert_array_equal(flow_compute(a, b, method="dis"), _ref_flow(a, b, "dis"))


def test_non_contiguous_grey_frames():
    g = cv2.cvtColor(astronaut(), cv2.COLOR_RGB2GRAY)
    a, b = g[40:200, 150:300], np.roll(g, 1, axis=1)[40:200, 150:300]  # views, not contiguous
    np.testing.assert_array_equal(flow_compute(a, b, method="dis"),
                                  flow_compute(a.copy(), b.copy(), method="dis"))
