"""mmme convert: on a dask.distributed cluster, the one-decode face/proxy pipeline, segment-wise tracking,
fault isolation (the problems table)."""
import numpy as np
import pytest

import mmme_analysis as mm
from mmme_analysis.convert import convert

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")


def _arrays(store):
    """{path: zarr array} of every array below a store's ``trials`` group."""
    import zarr

    out = {}

    def walk(group, prefix):
        for name, member in group.members():
            if isinstance(member, zarr.Array):
                out[prefix + name] = member
            else:
                walk(member, prefix + name + "/")

    walk(zarr.open_group(str(store / "trials"), mode="r"), "")
    return out


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory):
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    cfg = SynthConfig(n_subjects=1, n_trials=2, duration=2.0, rest=1.0, seed=5)
    return synthesize(tmp_path_factory.mktemp("conv") / "raw", cfg, progress=False)


@pytest.fixture(scope="module")
def small_store(small_raw, tmp_path_factory):
    return convert(small_raw, tmp_path_factory.mktemp("conv") / "plain.zarr", progress=False)


def test_store_face_is_face_track_applied_frame_by_frame(small_raw, small_store):
    """The stored boxes are face_track's on the raw video, the crops those boxes applied to every
    decoded frame, and the referenced full frames are the raw video's (lossless synth)."""
    from mmme_analysis.convert import read_problems
    from mmme_analysis.dataset.raw import resolve_shown
    from mmme_analysis.io.video import iter_frames
    from mmme_analysis.video import face_crops, face_track

    st = mm.open_dataset(small_store)
    assert len(st.trials) == 2 and read_problems(small_store).empty
    for trial in st.trials["trial"]:
        tree = st.trial(trial)
        path = resolve_shown(small_raw, tree.attrs["video_source"])
        frames = np.stack([f for _, f in iter_frames(path)])
        face = tree["face"].to_dataset()
        boxes = face_track(frames.__getitem__, len(frames), float(face.attrs["fps"]), method=face.attrs["method"])
        np.testing.assert_array_equal(face["box"].values, boxes)
        np.testing.assert_array_equal(face["frames"].values, face_crops(frames, boxes, size=128))
        np.testing.assert_array_equal(tree["video"].to_dataset()["frames"].values, frames)
        assert tree["proxy"].sizes["time"] == len(frames)


@pytest.mark.parametrize("processes", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_convert_on_a_cluster_equals_a_plain_convert(small_raw, small_store, tmp_path, processes):
    from dask.distributed import LocalCluster

    plain = small_store
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=processes, dashboard_address=None) as cluster:
        on_cluster = convert(small_raw, tmp_path / "cluster.zarr", scheduler=cluster.scheduler_address,
                             progress=False)
    a, b = mm.open_dataset(plain), mm.open_dataset(on_cluster)
    assert list(a.trials["trial"]) == list(b.trials["trial"]) and len(a.trials) == 2
    pa, pb = _arrays(plain), _arrays(on_cluster)
    assert set(pa) == set(pb) and any(k.endswith("face/frames") for k in pa)
    for key in pa:
        x, y = pa[key], pb[key]
        assert (x.shape, x.dtype, x.chunks, x.attrs.asdict()) == (y.shape, y.dtype, y.chunks, y.attrs.asdict()), key
        np.testing.assert_array_equal(x[...], y[...], err_msg=key)
    import zarr

    for t in a.trials["trial"]:
        assert zarr.open_group(str(plain / "trials" / t)).attrs.asdict() == \
            zarr.open_group(str(on_cluster / "trials" / t)).attrs.asdict()


@pytest.mark.parametrize("kw, err, match", [
    ({"threads": 0}, ValueError, "Invalid value for 'threads'"),
    ({"workers": 1, "scheduler": "tcp://127.0.0.1:1"}, TypeError, "Invalid value for 'workers, scheduler'"),
    ({"errors": "ignore"}, ValueError, "Invalid value for 'errors': expected one of 'report', 'raise'"),
])
def test_convert_checks_its_arguments(small_raw, tmp_path, kw, err, match):
    with pytest.raises(err, match=match):
        convert(small_raw, tmp_path / "s.zarr", progress=False, **kw)


def test_a_trial_that_fails_is_reported_and_the_others_convert(small_raw, tmp_path, monkeypatch):
    """A decoder error in one trial's video: that trial is left out and in the problems table (pseudonyms
    only), the other is converted; errors="raise" raises it."""
    import json

    from mmme_analysis import convert_frames
    from mmme_analysis.convert import read_problems
    from mmme_analysis.errors import DataFormatError

    names = json.loads((small_raw / "ground_truth.json").read_text())["subjects"]
    bad = mm.open_dataset(small_raw).trials["trial"].iloc[1]
    marker = bad.split("_")[1]
    real = convert_frames._stream

    def broken(path, *args, **kw):
        if f"_{marker}_" in path.name:
            raise DataFormatError(f"Video file {path}: frame 3 does not decode")
        return real(path, *args, **kw)

    monkeypatch.setattr(convert_frames, "_stream", broken)
    with pytest.warns(mm.MMMEWarning, match=r"convert: 1 of 2 trials not converted, 0 problems in the source"):
        store = convert(small_raw, tmp_path / "s.zarr", progress=False)
    assert list(mm.open_dataset(store).trials["trial"]) == [t for t in mm.open_dataset(small_raw).trials["trial"]
                                                            if t != bad]
    table = read_problems(store)
    assert list(table.columns) == list(mm.dataset.PROBLEM_COLUMNS) and len(table) == 1
    row = table.iloc[0]
    assert (row.subject, row.trial, row.modality) == ("sub-01", bad, "video")
    assert row.file.startswith("sub-01/video/") and row.file.endswith(".avi")
    assert row.error.startswith(f"DataFormatError: Video file {row.file}: frame 3")
    files = [f for f in store.rglob("*") if f.is_file()]
    assert not [n for n in names if n in table.to_string() or any(n.encode() in f.read_bytes() for f in files)]
    with pytest.raises(DataFormatError, match="frame 3 does not decode"):
        convert(small_raw, tmp_path / "s2.zarr", progress=False, errors="raise")
    # once the video decodes again, a rerun converts the trial and empties the table
    monkeypatch.setattr(convert_frames, "_stream", real)
    convert(small_raw, store, progress=False)
    assert len(mm.open_dataset(store).trials) == 2 and read_problems(store).empty


def test_tracking_by_segments_equals_face_track():
    from mmme_analysis.video.track import face_track, track_boxes, track_needs, track_plan

    rng = np.random.default_rng(0)
    for n, fps, smooth in [(1, 150.0, 5), (2, 150.0, 5), (449, 150.0, 5), (1500, 150.0, 3), (333, 30.0, 1),
                           (1000, 7.5, 6)]:
        at = track_plan(n, fps)
        found = {int(i): np.sort(rng.uniform(0, 400, 4)) for i in at}
        whole = track_boxes([found[int(i)] for i in at], at, 0, n, smooth=smooth)
        cuts = np.unique(np.r_[0, rng.integers(1, max(2, n), 4), n])
        for a, b in zip(cuts[:-1], cuts[1:]):
            need = track_needs(at, a, b, smooth)
            part = track_boxes({k: found[int(at[k])] for k in need}, at, int(a), int(b), smooth=smooth)
            np.testing.assert_array_equal(part, whole[a:b])
    # face_track is those steps: a still face gives one box for every frame
    from skimage import data

    face = data.astronaut()[:300, 100:400]
    boxes = face_track(lambda i: face, 400, 150.0, method="cascade")
    assert boxes.shape == (400, 4) and (boxes == boxes[0]).all()


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A moving scene (240 x 320, 150 fps, 70 frames) in each codec."""
    from mmme_analysis.io.video import write_video

    rng = np.random.default_rng(3)
    import cv2
    from skimage import data

    scene = cv2.resize(data.astronaut(), (420, 300), interpolation=cv2.INTER_AREA)  # natural colours, fine detail
    scene = cv2.add(scene, rng.integers(0, 6, scene.shape, dtype=np.uint8))  # and sensor-like noise
    frames = np.stack([scene[i // 2:i // 2 + 240, i:i + 320] for i in range(70)])
    folder = tmp_path_factory.mktemp("videos")
    return {codec: write_video(folder / f"{codec}.{ext}", frames, 150.0, codec=codec, **kw)
            for codec, ext, kw in [("huffyuv", "avi", {}), ("mjpeg", "avi", {}), ("h264", "mp4", {"gop": 16})]}


@pytest.mark.parametrize("codec", ["huffyuv", "mjpeg", "h264"])
def test_streamed_face_crops_equal_crops_of_the_decoded_frames(videos, codec, monkeypatch):
    """The face region converted alone (4:2:0) or the whole frame: the crop is that of iter_frames' frame,
    also for boxes at the frame's edges; a converter that disagrees with the reader falls back to it."""
    from mmme_analysis import convert_frames
    from mmme_analysis.io.video import decode as dec
    from mmme_analysis.io.video import iter_frames
    from mmme_analysis.video import face_crops

    path = videos[codec].resolve()
    rng = np.random.default_rng(1)
    y0 = rng.integers(-20, 200, 40)
    x0 = rng.integers(-20, 280, 40)
    side = rng.integers(8, 120, 40)
    boxes = np.stack([np.clip(y0, 0, 240), np.clip(y0 + side, 1, 240), np.clip(x0, 0, 320),
                      np.clip(x0 + side, 1, 320)], axis=1).astype(np.int32)
    boxes[0], boxes[1] = (0, 240, 0, 320), (200, 240, 300, 320)
    rgb = np.stack([f for _, f in iter_frames(path, 20, 60)])
    want = face_crops(rgb, boxes, size=32)
    got = list(convert_frames._stream(path, 20, 60, boxes, (240, 320), 32, (24, 32)))
    np.testing.assert_array_equal(np.stack([f for f, _ in got]), want)
    proxy = np.stack([p for _, p in got])
    assert proxy.shape == (40, 24, 32, 3)
    import cv2

    area = np.stack([cv2.resize(f, (32, 24), interpolation=cv2.INTER_AREA) for f in rgb]).astype(int)
    assert np.corrcoef(proxy.ravel(), area.ravel())[0, 1] > 0.9  # an area-filtered thumbnail

    real = dec.decode_range

    def off_by_one(*args, **kw):
        out = real(*args, **kw)
        out[0, 0, 0, 0] ^= 1
        return out

    monkeypatch.setattr(dec, "decode_range", off_by_one)
    again = list(convert_frames._stream(path, 20, 60, boxes, (240, 320), 32, (24, 32)))
    np.testing.assert_array_equal(np.stack([f for f, _ in again]), want)


def test_trial_frames_decode_once_per_segment_and_match_the_chunked_path(videos):
    """Streamed segments (keyframe starts) and dask-chunk segments give the same face and boxes;
    detections decode only their own frame."""
    import dask

    from mmme_analysis.convert_frames import TrialFrames, segments
    from mmme_analysis.io.video import read_frame, read_video, video_index

    path = videos["h264"].resolve()
    index = video_index(path)
    segs = segments(70, 150.0, index)
    assert all(index.key[a] for a, _ in segs) and segs[-1][1] == 70
    reads = []

    def sample(i):
        reads.append(i)
        return read_frame(path, i)

    kw = dict(face_size=48, proxy_side=64, face_method="auto")
    streamed = TrialFrames(70, 150.0, (240, 320), path=path, sample=sample, **kw)
    chunked = TrialFrames(70, 150.0, (240, 320), path=None, sample=sample, **kw)
    import warnings

    filters = list(warnings.filters)
    with dask.config.set(scheduler="threads", num_workers=2):
        a = dask.compute(*streamed.arrays(None))
        b = dask.compute(*chunked.arrays(read_video(path, chunk_frames=25).data))
    assert warnings.filters == filters  # detections on threads leave the process's warning filters alone
    assert sorted(reads) == sorted(list(streamed.at) * 2)  # one frame per detection, nothing else
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[2], b[2])
    assert a[1].shape == b[1].shape == (70, 48, 64, 3)
    assert np.corrcoef(a[1].ravel(), b[1].ravel())[0, 1] > 0.95  # from YUV there, from RGB here: the same thumbnail
    assert streamed.missed == chunked.missed  # noise has no face: counted, the whole frame stands for it
