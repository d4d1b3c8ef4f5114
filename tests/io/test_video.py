"""Tests of video and XIMEA frame-folder I/O."""
import re

import cv2
import dask.array as da
import numpy as np
import pytest

from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.stamps import format_frame_name
from mmme_analysis.io.video import (
    LazyFrames,
    chunk_len,
    dask_frames,
    read_frame,
    read_frames,
    read_video,
    write_frames,
    write_video,
)
from mmme_analysis.io.video import decode as decode_io
from mmme_analysis.io.video import ximea as ximea_io

FPS = 150.0


@pytest.fixture(autouse=True)
def cache_env(tmp_path_factory, monkeypatch):
    """A private video-index cache folder (never the user's ~/.cache), outside the test's folder."""
    monkeypatch.setenv("MMME_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    fr = rng.integers(0, 256, size=(40, 32, 48, 3), dtype=np.uint8)
    fr[:, :16] = np.arange(48, dtype=np.uint8)[None, None, :, None] * 5  # some smooth content too
    return fr


@pytest.fixture
def avi(tmp_path, frames):
    path = tmp_path.resolve() / "happy_1_101_sub-01_20230721.avi"
    write_video(path, frames, FPS)
    return path


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------------------------
# videos


def test_video_round_trip_bit_exact(avi, frames):
    arr = read_video(avi)
    assert arr.dims == ("time", "y", "x", "rgb")
    assert arr.dtype == np.uint8 and arr.shape == frames.shape
    assert arr.attrs["fps"] == FPS and arr.attrs["source"] == str(avi)
    np.testing.assert_array_equal(arr["frame"].values, np.arange(40))
    np.testing.assert_allclose(arr["time"].values, np.arange(40) / FPS)
    np.testing.assert_array_equal(arr.values, frames)
    # arbitrary slices seek to the right frames
    np.testing.assert_array_equal(arr[7:33:5, 3:9, ::2].values, frames[7:33:5, 3:9, ::2])
    np.testing.assert_array_equal(arr.isel(time=-1).values, frames[-1])
    np.testing.assert_array_equal(read_frame(avi, 17), frames[17])
    np.testing.assert_array_equal(read_frame(avi, -1), frames[-1])
    with pytest.raises(IndexError, match="'index'"):
        read_frame(avi, 40)
    # nothing but the video in the folder: the temporary file was moved into place
    assert [p.name for p in avi.parent.iterdir()] == [avi.name]


def test_write_video_from_lazy_dataarray(avi, frames, tmp_path):
    copy = write_video(tmp_path / "copy.avi", read_video(avi, chunk_frames=7), FPS)
    np.testing.assert_array_equal(read_video(copy).values, frames)


def test_write_video_replaces_atomically(avi, frames):
    write_video(avi, frames[:5], 30.0)
    arr = read_video(avi)
    assert arr.shape[0] == 5 and arr.attrs["fps"] == 30.0
    np.testing.assert_array_equal(arr.values, frames[:5])
    assert len(list(avi.parent.iterdir())) == 1


def test_read_video_is_lazy(avi, frames, monkeypatch):
    decoded = []
    real = decode_io._decoded

    def counting(container, stream):
        """The decoder's output, recording every decoded frame."""
        for frame in real(container, stream):
            decoded.append(frame.pts)
            yield frame

    monkeypatch.setattr(decode_io, "_decoded", counting)
    arr = read_video(avi, chunk_frames=16)
    assert isinstance(arr.data, da.Array)
    assert arr.data.chunks[0] == (16, 16, 8)
    assert decoded == [0, 39]  # validation only: the first and the last frame
    sub = arr.isel(time=slice(20, 30)).mean("rgb")  # build a graph: nothing is decoded
    assert len(decoded) == 2
    out = sub.compute()
    assert len(decoded) == 2 + 16  # only the chunk holding frames 20-29 (frames 16-31)
    assert decoded[2:] == list(range(16, 32))  # seeking straight to frame 16 (intra-only: no lead-in)
    np.testing.assert_allclose(out.values, frames[20:30].mean(-1))


def test_read_video_default_chunks_are_one_second(tmp_path, frames):
    path = tmp_path / "a.avi"
    write_video(path, np.concatenate([frames] * 4), 50.0)
    assert read_video(path).data.chunks[0] == (50, 50, 50, 10)


@pytest.mark.parametrize(
    "frames_arg, fps, name, exc, match",
    [
        ("odd", FPS, "a.avi", ValueError, "even height and width"),
        ("float", FPS, "a.avi", TypeError, "uint8"),
        ("3d", FPS, "a.avi", ValueError, "shape"),
        ("ok", None, "a.avi", TypeError, "'fps'"),
        ("ok", FPS, "a.mp4", ValueError, r"\.avi"),
        ("ok", FPS, "missing/a.avi", FileNotFoundError, "existing folder"),
    ],
)
def test_write_video_bad_arguments(tmp_path, frames, frames_arg, fps, name, exc, match):
    arg = {
        "ok": frames,
        "odd": frames[:, :31],
        "float": frames.astype(float),
        "3d": frames[..., 0],
    }[frames_arg]
    with pytest.raises(exc, match=match):
        write_video(tmp_path / name, arg, fps)
    assert list(tmp_path.iterdir()) == []


def _garbage(folder, good):
    path = folder / "garbage.avi"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    return path


def _empty_file(folder, good):
    path = folder / "empty.avi"
    path.write_bytes(b"")
    return path


def _zero_frames(folder, good):
    path = folder / "zero.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), FPS, (48, 32))
    writer.release()
    return path


def _truncated(folder, good):
    path = folder / "truncated.avi"
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize(
    "make, match",
    [
        (_garbage, "Cannot decode video file"),
        (_empty_file, "Cannot decode video file"),
        (_zero_frames, "expected at least 1 frame"),
        (_truncated, r"declares 40 frames but frame 39 .*truncated"),
    ],
)
def test_read_video_bad_files(tmp_path, avi, make, match):
    bad_dir = tmp_path.resolve() / "bad"
    bad_dir.mkdir()
    path = make(bad_dir, avi)
    before = _snapshot(bad_dir)
    with pytest.raises(DataFormatError, match=re.escape(str(path))) as info:
        read_video(path)
    assert re.search(match, str(info.value))
    assert _snapshot(bad_dir) == before
    if make is not _zero_frames and make is not _truncated:
        with pytest.raises(DataFormatError, match=re.escape(str(path))):
            read_frame(path, 0)


def test_read_video_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="'path'"):
        read_video(tmp_path / "nope.avi")


# --------------------------------------------------------------------------------------------
# XIMEA frame folders


STAMP0 = 16 * 3600 + 45 * 60 + 38.257410  # 16:45:38.257410


def test_frame_name_format(tmp_path, frames):
    files = write_frames(tmp_path / "112", frames[:2], [STAMP0, STAMP0 + 1 / FPS], date="2023-07-21", marker=112)
    assert files[0].name == "2023-07-21-16-45-38-257-410-112.tif"
    assert files[1].name == "2023-07-21-16-45-38-264-077-112.tif"


def test_frame_folder_round_trip(tmp_path, frames, monkeypatch):
    stamps = STAMP0 + np.arange(len(frames)) / FPS
    folder = tmp_path.resolve() / "112"
    files = write_frames(folder, frames, stamps, date="2023-07-21", marker=112)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in files)  # no temp files

    reads = []
    real = ximea_io._read_tifs

    def counting(*args):
        reads.append(args[1:3])
        return real(*args)

    monkeypatch.setattr(ximea_io, "_read_tifs", counting)
    arr = read_frames(folder, chunk_frames=16)
    assert reads == []  # lazy: only the first file's header was read
    assert arr.dims == ("time", "y", "x", "rgb") and arr.shape == frames.shape
    assert arr.data.chunks[0] == (16, 16, 8)
    assert arr.attrs["marker"] == 112 and arr.attrs["date"] == "2023-07-21"
    assert arr.attrs["fps"] == pytest.approx(FPS, rel=1e-3)
    assert arr.attrs["source"] == str(folder)
    np.testing.assert_allclose(arr["stamp"].values, stamps, atol=1e-6)
    np.testing.assert_allclose(arr["time"].values, np.arange(len(frames)) / FPS, atol=1.5e-6)
    np.testing.assert_array_equal(arr["frame"].values, np.arange(len(frames)))
    np.testing.assert_array_equal(arr.values, frames)
    assert len(reads) == 3  # one call per chunk


def test_read_frames_with_nominal_fps(tmp_path, frames):
    folder = tmp_path / "101"
    write_frames(folder, frames[:1], [STAMP0], date="2023-07-21", marker=101)
    arr = read_frames(folder, fps=FPS)
    assert arr.attrs["fps"] == FPS and arr.shape == (1, 32, 48, 3)


def _name(i, marker=112):
    return format_frame_name("2023-07-21", STAMP0 + i / FPS, marker)


def _frame_folder(tmp_path, frames, n=10):
    folder = tmp_path.resolve() / "112"
    write_frames(folder, frames[:n], STAMP0 + np.arange(n) / FPS, date="2023-07-21", marker=112)
    return folder


def _case_empty(folder):
    for p in folder.iterdir():
        p.unlink()
    (folder / "notes.txt").write_text("no frames here")
    return str(folder), "No frame files"


def _case_missing(folder):
    (folder / _name(4)).unlink()
    (folder / _name(5)).unlink()
    return _name(6), "Missing frames.*expected a frame period of 6.667 ms"


def _case_bad_name(folder):
    (folder / _name(3)).rename(folder / "frame_0003.tif")
    return "frame_0003.tif", "Bad frame file name"


def _case_mixed_markers(folder):
    (folder / _name(7)).rename(folder / _name(7, marker=113))
    return _name(7, marker=113), r"Mixed trigger markers \[112, 113\]"


def _case_single_frame(folder):
    for i in range(1, 10):
        (folder / _name(i)).unlink()
    return _name(0), "at least 2 frames"


def _case_corrupt_tif(folder):
    (folder / _name(0)).write_bytes(b"not a tiff at all")
    return _name(0), "Cannot read frame file"


@pytest.mark.parametrize(
    "case",
    [_case_empty, _case_missing, _case_bad_name, _case_mixed_markers, _case_single_frame, _case_corrupt_tif],
)
def test_read_frames_bad_folders(tmp_path, frames, case):
    folder = _frame_folder(tmp_path, frames)
    named, match = case(folder)
    before = _snapshot(folder)
    with pytest.raises(DataFormatError, match=match) as info:
        read_frames(folder)
    assert named in str(info.value)
    assert str(folder) in str(info.value) or str(folder / named) in str(info.value)
    assert _snapshot(folder) == before


def test_read_frames_bad_frame_inside_fails_at_compute(tmp_path, frames):
    folder = _frame_folder(tmp_path, frames)
    (folder / _name(8)).write_bytes(b"broken")
    arr = read_frames(folder)  # lazy: opening does not decode frame 8
    with pytest.raises(DataFormatError, match=re.escape(_name(8))):
        arr.values  # noqa: B018 - computing is the point


@pytest.mark.parametrize(
    "stamps, match",
    [
        ([STAMP0, STAMP0], "strictly increasing"),
        ([STAMP0], "one per frame"),
        ([STAMP0, 90000.0], "86400"),
        ([STAMP0, np.nan], "finite"),
    ],
)
def test_write_frames_bad_stamps(tmp_path, frames, stamps, match):
    with pytest.raises(ValueError, match=match):
        write_frames(tmp_path / "f", frames[:2], stamps, date="2023-07-21", marker=112)
    assert not (tmp_path / "f").exists() or not any((tmp_path / "f").iterdir())


# --------------------------------------------------------------------------------------------
# the lazy machinery (shared with the image-sequence backend)


def test_chunk_len():
    assert chunk_len(1000, 100, 150) == 150
    assert chunk_len(40, 100, 150) == 40
    assert chunk_len(1000, 2**30, 150) == 1  # one frame over the byte cap: 1 frame per chunk
    assert chunk_len(1000, 64 * 2**20, 150) == 2  # 128 MiB of decoded data per chunk at most


def test_lazy_frames_decode_only_what_is_asked(frames):
    calls = []

    def decode(source, start, stop, shape):
        calls.append((start, stop))
        assert tuple(shape) == frames.shape[1:]
        return source[start:stop]

    lazy = LazyFrames(decode, frames, len(frames), frames.shape[1:])
    assert lazy.shape == frames.shape and lazy.dtype == np.uint8 and lazy.ndim == 4
    np.testing.assert_array_equal(lazy[5:9], frames[5:9])
    np.testing.assert_array_equal(lazy[-1], frames[-1])
    np.testing.assert_array_equal(lazy[2:10:3, :4], frames[2:10:3, :4])
    assert lazy[7:7].shape == (0,) + frames.shape[1:]
    assert calls == [(5, 9), (39, 40), (2, 9)]
    with pytest.raises(IndexError, match="frame index 40 out of range for 40 frames"):
        lazy[40]
    arr = dask_frames(lazy, 16, ("token", 1))
    assert isinstance(arr, da.Array) and arr.chunks[0] == (16, 16, 8)
    assert arr.name.startswith("decode-")
    assert dask_frames(lazy, 16, ("token", 1)).name == arr.name  # same source, same name
    calls.clear()
    np.testing.assert_array_equal(arr[20:30].compute(), frames[20:30])
    assert calls == [(16, 32)]



def test_avi_header_with_zero_frame_rate_is_an_error(tmp_path):
    from tests.faults.faultlib import avi_set_fps

    path = write_video(tmp_path / "zero.avi", np.zeros((4, 8, 8, 3), np.uint8), 150.0)
    avi_set_fps(path, 0)  # FFmpeg reads such a file as 25 fps
    with pytest.raises(DataFormatError, match=r"zero\.avi declares a frame rate of 0 frames per second in its header "
                                              r"\(FFmpeg would guess 25 fps\): expected the camera's frame rate"):
        read_video(path)
