"""Tests of the seek index, frame-exact verified reads, lossy codecs and iter_frames."""
import os
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest

from mmme_analysis._warnings import MMMEWarning
from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.video import decode as decode_io
from mmme_analysis.io.video import iter_frames, read_frame, read_video, video_index, write_video
from mmme_analysis.io.video import seek as seek_io

FPS = 150.0
N, H, W = 90, 64, 96
GOP = 30
# stated tolerances of the lossy codecs on smooth content (see mmme_analysis/io/video/encode.py)
MAX_MAE = 3.0  # grey levels
MIN_PSNR = 35.0  # dB


def _smooth(n=N, h=H, w=W):
    """Smooth moving content: drifting sinusoidal gratings in each channel."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    t = np.arange(n, dtype=np.float64)[:, None, None]
    r = 128 + 90 * np.sin((x + 1.5 * t) / 22.0)
    g = 128 + 90 * np.cos((y - 1.0 * t) / 18.0)
    b = 128 + 60 * np.sin((x + y + 2.0 * t) / 34.0)
    return np.rint(np.stack([r, g, b], -1)).astype(np.uint8)


@pytest.fixture(autouse=True)
def cache_env(tmp_path, monkeypatch):
    """A private index cache folder; nothing of the memory cache survives a test."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MMME_CACHE_DIR", str(cache))
    seek_io.clear_memory_cache()
    yield cache / "video-index"
    seek_io.clear_memory_cache()


@pytest.fixture(scope="module")
def frames():
    return _smooth()


@pytest.fixture
def raw(tmp_path):
    folder = tmp_path.resolve() / "raw"
    folder.mkdir()
    return folder


@pytest.fixture
def h264(raw, frames):
    return write_video(raw / "trial.mp4", frames, FPS, codec="h264", gop=GOP)


def _count_decodes(monkeypatch):
    decoded = []
    real = decode_io._decoded

    def counting(container, stream):
        for frame in real(container, stream):
            decoded.append(frame.pts)
            yield frame

    monkeypatch.setattr(decode_io, "_decoded", counting)
    return decoded


def _psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return 10 * np.log10(255.0**2 / mse)


# --------------------------------------------------------------------------------------------
# codecs


@pytest.mark.parametrize("codec, name", [("huffyuv", "a.avi"), ("ffv1", "a.avi"), ("ffv1", "a.mkv")])
def test_lossless_codecs_are_bit_exact(raw, frames, codec, name):
    path = write_video(raw / name, frames, FPS, codec=codec)
    assert [p.name for p in raw.iterdir()] == [name]  # the temporary file was moved into place
    arr = read_video(path, chunk_frames=16)
    assert arr.attrs["fps"] == FPS and arr.shape == frames.shape
    np.testing.assert_array_equal(arr.values, frames)
    np.testing.assert_array_equal(np.stack([f for _, f in iter_frames(path)]), frames)
    assert video_index(path).intra_only


@pytest.mark.parametrize("codec, name", [("h264", "a.mp4"), ("h264", "a.mkv"), ("mjpeg", "a.avi")])
def test_lossy_codecs_within_tolerance(raw, frames, codec, name):
    path = write_video(raw / name, frames, FPS, codec=codec)
    arr = read_video(path)
    assert arr.shape == frames.shape
    assert arr.attrs["fps"] == pytest.approx(FPS)
    back = arr.values
    assert np.abs(back.astype(np.float64) - frames).mean() <= MAX_MAE
    assert _psnr(back, frames) >= MIN_PSNR
    assert video_index(path).intra_only == (codec == "mjpeg")


def test_h264_has_gop_and_b_frames(h264):
    idx = video_index(h264)
    assert idx.source == "demux" and idx.codec == "h264" and not idx.intra_only
    assert idx.n_frames == N and idx.declared == N
    np.testing.assert_array_equal(np.flatnonzero(idx.key), np.arange(0, N, GOP))
    assert (np.diff(idx.pts) > 0).all()
    assert (idx.dts != idx.pts).any()  # B-frames: decode order differs from presentation order
    assert [idx.keyframe_before(k) for k in (0, 29, 30, 31, 89)] == [0, 0, 30, 30, 60]


def test_random_reads_are_frame_exact(h264):
    sequential = np.stack([f for _, f in iter_frames(h264)])
    seek_io.clear_memory_cache()
    order = np.random.default_rng(7).choice(N, size=50, replace=False)
    for k in order:
        np.testing.assert_array_equal(read_frame(h264, int(k)), sequential[k], err_msg=f"frame {k}")
    np.testing.assert_array_equal(read_frame(h264, -1), sequential[-1])
    # dask chunks that start between keyframes decode forward to the exact frame
    arr = read_video(h264, chunk_frames=13)
    np.testing.assert_array_equal(arr.values, sequential)
    np.testing.assert_array_equal(arr[41:77:5].values, sequential[41:77:5])
    np.testing.assert_array_equal(np.stack([f for _, f in iter_frames(h264, 47, 62)]), sequential[47:62])


def test_decoder_threads_caps_and_restores(h264, monkeypatch):
    counts = []
    real = decode_io._decoded

    def spy(container, stream):
        counts.append(stream.thread_count)
        return real(container, stream)

    monkeypatch.setattr(decode_io, "_decoded", spy)
    sequential = np.stack([f for _, f in iter_frames(h264)])
    with decode_io.decoder_threads(1):
        one = np.stack([f for _, f in iter_frames(h264)])
        assert decode_io._MAX_THREADS == 1
    assert decode_io._MAX_THREADS == 0
    np.testing.assert_array_equal(one, sequential)  # same frames on one thread
    assert counts[-1] == 1 and counts[0] != 1
    with pytest.raises(ValueError, match="Invalid value for 'n'"):
        with decode_io.decoder_threads(0):
            pass


def test_intra_only_takes_the_fast_path(raw, frames, monkeypatch):
    path = write_video(raw / "a.avi", frames, FPS, codec="mjpeg")
    idx = video_index(path)
    decoded = _count_decodes(monkeypatch)
    read_frame(path, 57)
    assert decoded == [int(idx.pts[57])]  # seeks straight to the frame, decodes only it


def test_gop_video_seeks_to_the_keyframe_before(h264, monkeypatch):
    idx = video_index(h264)
    decoded = _count_decodes(monkeypatch)
    read_frame(h264, 57)
    assert decoded[0] == idx.pts[30]  # from the keyframe at or before frame 57 ...
    assert decoded[-1] == idx.pts[57]  # ... forward to the frame, and no further
    assert len(decoded) == 57 - 30 + 1


# --------------------------------------------------------------------------------------------
# the frame-number check


def _drop_frame(monkeypatch, pts):
    real = decode_io._decoded

    def dropping(container, stream):
        return (f for f in real(container, stream) if f.pts != pts)

    monkeypatch.setattr(decode_io, "_decoded", dropping)


def _missing_row(idx, k):
    """An index without frame ``k``: frames from ``k`` on are numbered one too low."""
    keep = np.arange(idx.n_frames) != k
    return seek_io.VideoIndex(**{**idx.__dict__, "pts": idx.pts[keep], "dts": idx.dts[keep],
                                 "key": idx.key[keep]})


def _shifted(idx, k):
    """An index whose timestamps are one frame late (a stale index of another file)."""
    step = int(np.diff(idx.pts).min())
    return seek_io.VideoIndex(**{**idx.__dict__, "pts": idx.pts + step})


@pytest.mark.parametrize("break_it", ["drop", "missing_row", "shifted"])
@pytest.mark.parametrize("codec, name", [("h264", "a.mp4"), ("huffyuv", "a.avi")])
def test_frame_number_check_fires(raw, frames, monkeypatch, codec, name, break_it):
    path = write_video(raw / name, frames, FPS, codec=codec, **({"gop": GOP} if codec == "h264" else {}))
    idx = video_index(path)
    k = 23 if break_it != "shifted" else 0
    if break_it == "drop":
        _drop_frame(monkeypatch, int(idx.pts[k]))
    else:
        wrong = (_missing_row if break_it == "missing_row" else _shifted)(idx, k)
        monkeypatch.setattr(seek_io, "_memory", OrderedDict({(str(path), idx.size, idx.mtime_ns): wrong}))
    msg = rf"Frame {k} of video file {re.escape(str(path))} could not be read exactly"
    if codec == "h264" or break_it != "missing_row":
        # (an intra-only read seeks straight to the row's timestamp: a missing row is only seen
        # by a read that decodes through the gap, as below)
        with pytest.raises(DataFormatError, match=msg):
            read_frame(path, k)
    with pytest.raises(DataFormatError, match=msg):
        list(iter_frames(path))
    # read_video also compares the index with the frame count the container declares
    opened = msg if break_it != "missing_row" else rf"{re.escape(str(path))} declares {N} frames but .* holds {N - 1}"
    with pytest.raises(DataFormatError, match=opened):
        read_video(path, chunk_frames=N).values  # noqa: B018 - computing is the point


# --------------------------------------------------------------------------------------------
# the index and its caches


def test_container_table_equals_demux(raw, frames):
    path = write_video(raw / "a.avi", frames, FPS)
    fast = video_index(path)
    full = video_index(path, demux=True, disk_cache=False)
    assert (fast.source, full.source) == ("container", "demux")
    for name in ("pts", "dts", "key"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(full, name))
    assert video_index(path) is full  # the demuxed index replaced the other in memory


def test_index_cached_in_memory_and_on_disk(h264, raw, cache_env, monkeypatch):
    before = h264.read_bytes()
    idx = video_index(h264)
    assert video_index(h264) is idx
    files = list(cache_env.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz" and len(files[0].stem) == 32
    assert [p.name for p in raw.iterdir()] == [h264.name]  # nothing beside the raw file
    assert h264.read_bytes() == before
    seek_io.clear_memory_cache()

    def no_demux(*args):
        raise AssertionError("demuxed again")

    monkeypatch.setattr(seek_io, "_demux", no_demux)
    again = video_index(h264)  # from the disk cache
    assert again is not idx and again.source == "demux"
    for name in ("pts", "dts", "key"):
        np.testing.assert_array_equal(getattr(again, name), getattr(idx, name))
    assert (again.fps, again.time_base, again.declared) == (idx.fps, idx.time_base, idx.declared)
    # a modified file (new mtime) is indexed anew
    st = h264.stat()
    os.utime(h264, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="demuxed again"):
        video_index(h264)
    monkeypatch.undo()


def test_corrupt_cache_file_is_rebuilt(h264, cache_env):
    idx = video_index(h264)
    (file,) = cache_env.iterdir()
    file.write_bytes(b"not an npz")
    seek_io.clear_memory_cache()
    again = video_index(h264)
    np.testing.assert_array_equal(again.pts, idx.pts)
    container, stream = seek_io._open_input(h264)
    info = seek_io._stream_info(stream)
    container.close()
    assert seek_io._load((str(h264), idx.size, idx.mtime_ns), info) is not None  # rewritten


def test_disk_cache_off_and_unwritable(h264, cache_env, tmp_path, monkeypatch):
    video_index(h264, disk_cache=False)
    assert not cache_env.exists()
    seek_io.clear_memory_cache()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("MMME_CACHE_DIR", str(blocker))
    with pytest.warns(MMMEWarning, match="Cannot write the video index cache"):
        idx = video_index(h264)
    assert idx.n_frames == N


def test_intra_avi_writes_no_cache(raw, frames, cache_env):
    video_index(write_video(raw / "a.avi", frames, FPS))
    assert not cache_env.exists()  # the container's table is read at once: nothing to keep


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("MMME_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert seek_io.cache_dir() == tmp_path / ".cache" / "mmme-analysis" / "video-index"


# --------------------------------------------------------------------------------------------
# iter_frames


def test_iter_frames_streams(h264, monkeypatch):
    decoded = _count_decodes(monkeypatch)
    it = iter_frames(h264, start=31)
    assert decoded == []  # nothing decoded before the first next()
    got = [next(it) for _ in range(3)]
    it.close()
    assert [n for n, _ in got] == [31, 32, 33]
    assert all(f.shape == (H, W, 3) and f.dtype == np.uint8 for _, f in got)
    assert len(decoded) <= 3 + 1  # the keyframe (30) and the frames taken: bounded, not the whole video
    assert [n for n, _ in iter_frames(h264, 88)] == [88, 89]
    assert list(iter_frames(h264, 5, 5)) == []


# --------------------------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize(
    "name, kwargs, exc, match",
    [
        ("a.avi", {"codec": "x265"}, ValueError, "Invalid value for 'codec'"),
        ("a.avi", {"codec": "h264"}, ValueError, r"Invalid value for 'path': expected .*'\.mp4' or '\.mkv'"),
        ("a.mp4", {"codec": "mjpeg"}, ValueError, r"Invalid value for 'path': expected .*'\.avi'"),
        ("a.avi", {"crf": 20}, ValueError, "Invalid value for 'crf': expected None for codec='huffyuv'"),
        ("a.avi", {"codec": "mjpeg", "gop": 10}, ValueError, "Invalid value for 'gop': expected None"),
        ("a.mp4", {"codec": "h264", "crf": 52}, ValueError, r"'crf': expected an integer in \[0, 51\]"),
        ("a.mp4", {"codec": "h264", "crf": 18.5}, TypeError, "Invalid value for 'crf': expected an integer"),
        ("a.mp4", {"codec": "h264", "gop": 0}, ValueError, "Invalid value for 'gop': expected an integer >= 1"),
    ],
)
def test_write_video_bad_codec_arguments(raw, frames, name, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        write_video(raw / name, frames[:4], FPS, **kwargs)
    assert list(raw.iterdir()) == []


@pytest.mark.parametrize(
    "start, stop, exc, match",
    [
        (-1, None, ValueError, "Invalid value for 'start': expected an integer >= 0"),
        (1.5, None, TypeError, "Invalid value for 'start': expected an integer"),
        (0, N + 1, ValueError, f"Invalid value for 'stop': expected an integer <= {N}"),
        (10, 5, ValueError, r"Invalid value for 'start': expected an integer <= stop \(5\)"),
        (0, "9", TypeError, "Invalid value for 'stop': expected an integer"),
    ],
)
def test_iter_frames_bad_arguments(h264, start, stop, exc, match):
    with pytest.raises(exc, match=match):
        iter_frames(h264, start, stop)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"disk_cache": "yes"}, TypeError, "Invalid value for 'disk_cache'"),
        ({"demux": 1}, TypeError, "Invalid value for 'demux'"),
    ],
)
def test_video_index_bad_arguments(h264, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        video_index(h264, **kwargs)


def test_video_index_bad_files(raw):
    missing = raw / "nope.mp4"
    with pytest.raises(FileNotFoundError, match="'path'"):
        video_index(missing)
    garbage = raw / "garbage.mp4"
    garbage.write_bytes(b"\x00" * 3000)
    with pytest.raises(DataFormatError, match=re.escape(str(garbage))), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        video_index(garbage)
    assert not any(p.name != "garbage.mp4" for p in raw.iterdir())
