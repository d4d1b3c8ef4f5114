import numpy as np
import pytest
import xarray as xr
from skimage.data import astronaut

from mmme_analysis.flow import cache_flow, compute_flow_features, load_flow, sample_features


@pytest.fixture(scope="module")
def samples():
    face = astronaut()[60:200, 160:290]
    out = []
    for i, (dy, dx) in enumerate([(1, 0), (0, 1), (-1, 0), (0, -1)]):
        apex = face.copy()
        apex[100:120, 40:90] = np.roll(face, (dy, dx), axis=(0, 1))[100:120, 40:90]
        out.append(dict(onset=face, apex=apex, subject=f"sub-0{i // 2 + 1}", label="abcd"[i]))
    return out


def test_features_match_single_sample(samples):
    ds = compute_flow_features(samples, method="dis", size=28, progress=False, n_workers=2)
    assert ds["flow_inputs"].shape == (4, 3, 28, 28)
    assert list(ds["channel"].values) == ["u", "v", "strain"]
    assert list(ds["subject"].values) == ["sub-01", "sub-01", "sub-02", "sub-02"]
    assert ds.attrs["flow_method"] == "dis"
    one = sample_features(samples[2], method="dis", size=28)
    np.testing.assert_allclose(ds["flow_inputs"].values[2], one, atol=1e-6)
    # the patch moved up in sample 2 (negative v) and right in sample 1 (positive u)
    x = ds["flow_inputs"].values
    assert x[2, 1, 20:24, 8:20].mean() < 0 < x[1, 0, 20:24, 8:20].mean()


def test_distributed_client(samples):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        ds = compute_flow_features(samples[:2], method="farneback", client=client, progress=False)
    local = compute_flow_features(samples[:2], method="farneback", progress=False)
    np.testing.assert_allclose(ds["flow_inputs"].values, local["flow_inputs"].values, atol=1e-6)


def test_cache_roundtrip_and_replace(samples, tmp_path):
    ds = compute_flow_features(samples, method="dis", progress=False)
    store = tmp_path / "store.zarr"
    path = cache_flow(ds, store, "dis28")
    assert path == store / "features" / "dis28"
    back = load_flow(store, "dis28")
    xr.testing.assert_allclose(back["flow_inputs"], ds["flow_inputs"])
    assert list(back["label"].values) == list("abcd") and back.attrs["flow_method"] == "dis"
    cache_flow(ds.isel(sample=slice(0, 2)), store, "dis28")  # replaced atomically
    assert load_flow(store, "dis28").sizes["sample"] == 2
    leftovers = [p.name for p in (store / "features").iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.parametrize("call, exc, match", [
    (lambda s, p: compute_flow_features([], progress=False), ValueError, "'samples'"),
    (lambda s, p: compute_flow_features([{"onset": 1}], progress=False), ValueError, r"'samples\[0\]'"),
    (lambda s, p: compute_flow_features(s, method="lk", progress=False), ValueError, "'method'"),
    (lambda s, p: compute_flow_features(s, crop_face=True, face_method="haar", progress=False),
     ValueError, "'face_method'"),
    (lambda s, p: sample_features(s[0], crop_face=True, face_method="haar"), ValueError, "'method'"),
    (lambda s, p: cache_flow(np.zeros(3), p / "s.zarr", "x"), TypeError, "'features'"),
    (lambda s, p: cache_flow(xr.Dataset(), p / "s.zarr", "a/b"), ValueError, "'name'"),
    (lambda s, p: load_flow(p, "missing"), FileNotFoundError, "'name'"),
    (lambda s, p: load_flow(p / "nope.zarr", "x"), FileNotFoundError, "'store_path'"),
])
def test_bad_input(samples, tmp_path, call, exc, match):
    with pytest.raises(exc, match=match):
        call(samples, tmp_path)


def test_crop_face_before_flow():
    img = astronaut()
    apex = img.copy()
    apex[130:170, 190:260] = np.roll(img, -2, axis=0)[130:170, 190:260]  # mouth region moves up
    x = sample_features(dict(onset=img, apex=apex), method="dis", crop_face=True, crop_size=96)
    assert x.shape == (3, 28, 28)
    # the crop is centred on the face: the moving mouth lands in the lower half, v < 0 there
    assert x[1, 14:, :].min() < -0.5 and x[1, :10, :].min() > -0.5


def test_crop_face_method(samples):
    """face_method="frame" crops the whole frame; compute_flow_features passes it on."""
    s = samples[1]
    whole = sample_features(s, method="dis", crop_face=True, crop_size=64, face_method="frame")
    assert whole.shape == (3, 28, 28)
    ds = compute_flow_features([s], method="dis", crop_face=True, crop_size=64,
                               face_method="frame", progress=False)
    np.testing.assert_allclose(ds["flow_inputs"].values[0], whole, atol=1e-6)
    assert ds.attrs["face_method"] == "frame" and ds.attrs["crop_face"] == 1
