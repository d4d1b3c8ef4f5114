"""Single-frame reads on kept-open videos, scaled to a width (read_frame(width=), io/video/held.py)."""
import itertools
import threading

import cv2
import numpy as np
import pytest

from mmme_analysis.errors import DataFormatError
from mmme_analysis.io.video import decode as decode_io
from mmme_analysis.io.video import held, read_frame, scale_to_width, video_index, write_video

CODECS = [("huffyuv", "v.avi"), ("ffv1", "v.mkv"), ("h264", "v.mp4")]
N, H, W = 12, 96, 160


def _smooth(seed=0):
    """Frames with smooth random content (camera-like): (N, H, W, 3) uint8."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (N, H // 8, W // 8, 3), np.uint8)
    return np.stack([cv2.resize(f, (W, H), interpolation=cv2.INTER_CUBIC) for f in small])


def _colours(n, shift=0):
    """One constant colour per frame, so a frame names its index."""
    k = np.arange(n) + shift
    return np.stack([(k * 37) % 256, (k * 91 + 40) % 256, (k * 53 + 200) % 256], 1).astype(np.uint8)


def _coloured(n=N, shift=0):
    return np.broadcast_to(_colours(n, shift)[:, None, None, :], (n, H, W, 3)).copy()


def _which(rgb, n=N, shift=0):
    """The frame index whose colour ``rgb`` carries (nearest colour: lossy codecs allowed)."""
    mean = rgb.reshape(-1, 3).mean(0)
    return int(np.argmin(np.abs(_colours(n, shift) - mean).sum(1)))


@pytest.fixture(autouse=True)
def _fresh_cache():
    held.close_held()
    yield
    held.close_held()


def _held_paths():
    return [k[0] for k in held._held()]


@pytest.mark.parametrize("codec,name", CODECS)
@pytest.mark.parametrize("width", [W // 2, W // 4, 100, 33, 7, 1])
def test_scaled_read_is_the_area_scaled_frame(tmp_path, codec, name, width):
    path = write_video(tmp_path / name, _smooth(), 150.0, codec=codec)
    for i in (5, 0, N - 1, 3):
        full = read_frame(path, i)
        got = read_frame(path, i, width=width)
        h = max(1, round(H * width / W))
        assert got.shape == (h, width, 3) and got.dtype == np.uint8
        # exactly the shared rule: 2x2 area halvings, then one INTER_AREA step
        np.testing.assert_array_equal(got, scale_to_width(full, width))
        direct = cv2.resize(full, (width, h), interpolation=cv2.INTER_AREA).astype(int)
        diff = np.abs(got.astype(int) - direct)
        if width in (W // 2, 100):  # one halving (INTER_AREA's own 2x path), or one area step: exact
            assert diff.max() == 0
        elif width in (W // 4, 1):  # halvings round at each step: within a grey level (measured)
            assert diff.max() <= 1
        # widths 33 and 7 (halvings, then a non-integer area step): exactly scale_to_width, but on this
        # high-contrast content (8-px features) up to ~35 grey levels (mean ~5-8) from one INTER_AREA step


def test_scale_rule_is_close_to_one_area_step_on_camera_sized_frames():
    rng = np.random.default_rng(0)
    big = cv2.resize(rng.integers(0, 256, (34, 64, 3), np.uint8), (2048, 1088), interpolation=cv2.INTER_CUBIC)
    diff = np.abs(scale_to_width(big, 420).astype(int) - cv2.resize(big, (420, 223), interpolation=cv2.INTER_AREA))
    assert diff.mean() < 1 and diff.max() <= 6  # measured: mean 0.76, max 5


@pytest.mark.parametrize("codec,name", CODECS)
def test_wider_or_no_width_is_the_full_frame(tmp_path, codec, name):
    frames = _smooth(1)
    path = write_video(tmp_path / name, frames, 150.0, codec=codec)
    full = read_frame(path, 4)
    for width in (W, W + 1, 4096):
        np.testing.assert_array_equal(read_frame(path, 4, width=width), full)
    if codec != "h264":
        np.testing.assert_array_equal(full, frames[4])


@pytest.mark.parametrize("codec,name", CODECS)
def test_random_order_reads_return_the_right_frame(tmp_path, codec, name, monkeypatch):
    path = write_video(tmp_path / name, _coloured(30), 150.0, codec=codec)
    opens = []
    real_open = held._open_input
    monkeypatch.setattr(held, "_open_input", lambda p: opens.append(p) or real_open(p))
    order = np.random.default_rng(3).permutation(np.r_[np.arange(30), np.arange(30)])
    for i in order:
        assert _which(read_frame(path, int(i)), 30) == i
        assert _which(read_frame(path, int(i), width=50), 30) == i
        assert _which(read_frame(path, int(i) - 30), 30) == i  # negative indices
    if codec == "h264":  # not intra-only: every read goes the verified way, nothing is kept open
        assert opens == [] and _held_paths() == []
        assert held.read_held(video_index(path), 7, 50) is None
    else:  # one container, kept open for all 180 reads
        assert len(opens) == 1 and _held_paths() == [str(path.resolve())]


def test_a_frame_that_is_not_the_one_asked_for_falls_back(tmp_path, monkeypatch):
    path = write_video(tmp_path / "v.avi", _coloured(), 150.0)
    read_frame(path, 0)
    assert _held_paths() == [str(path.resolve())]
    vi = video_index(path)
    real = decode_io._decoded
    calls = []

    def next_frame_once(container, stream):  # the first decode returns the next frame in place of the wanted one
        calls.append(1)
        return itertools.islice(real(container, stream), 1 if len(calls) == 1 else 0, None)

    monkeypatch.setattr(decode_io, "_decoded", next_frame_once)
    assert held.read_held(vi, 4, 50) is None and _held_paths() == []  # dropped: reopened next time
    calls.clear()
    assert _which(read_frame(path, 4, width=50)) == 4  # the held read is refused, the verified read is right
    assert len(calls) == 2
    # a decoder that always drops the frame it seeks to: the verified path seeks one frame earlier
    # (an overshot seek) and still returns frame 4; frame 0 cannot be reached and raises
    monkeypatch.setattr(decode_io, "_decoded", lambda c, s: itertools.islice(real(c, s), 1, None))
    for width in (None, 50):
        assert _which(read_frame(path, 4, width=width)) == 4
        with pytest.raises(DataFormatError, match=r"Frame 0 of video file .* could not be read exactly"):
            read_frame(path, 0, width=width)
    monkeypatch.setattr(decode_io, "_decoded", real)
    for i in (4, 0, N - 1, 7):
        assert _which(read_frame(path, i)) == i
        assert _which(read_frame(path, i, width=50)) == i


def test_a_replaced_file_is_reopened(tmp_path):
    path = write_video(tmp_path / "v.avi", _coloured(), 150.0)
    assert _which(read_frame(path, 3, width=40)) == 3
    write_video(path, _coloured(shift=5), 150.0)  # os.replace: a new file under the same name
    assert _which(read_frame(path, 3, width=40), shift=5) == 3
    assert _which(read_frame(path, 3), shift=5) == 3
    assert _held_paths() == [str(path.resolve())]  # the old container was closed, not kept beside


def test_cache_is_small_lru_and_per_thread(tmp_path):
    paths = [write_video(tmp_path / f"v{k}.avi", _coloured(4, shift=k), 150.0) for k in range(held.MAX_HELD + 2)]
    for k, p in enumerate(paths):
        assert _which(read_frame(p, 1), 4, shift=k) == 1
    assert _held_paths() == [str(p.resolve()) for p in paths[-held.MAX_HELD:]]
    read_frame(paths[2], 0)  # most recently used moves last
    assert _held_paths()[-1] == str(paths[2].resolve())
    seen = {}

    def worker():
        seen["before"] = _held_paths()
        seen["frame"] = _which(read_frame(paths[0], 2), 4)
        seen["after"] = _held_paths()
        held.close_held()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen == {"before": [], "frame": 2, "after": [str(paths[0].resolve())]}
    assert str(paths[0].resolve()) not in _held_paths()  # the other thread's cache is its own


def test_errors_stay_the_verified_ones(tmp_path):
    path = write_video(tmp_path / "v.avi", _coloured(), 150.0)
    with pytest.raises(IndexError, match=r"Invalid value for 'index': expected a frame index in \[-12, 12\)"):
        read_frame(path, N, width=40)


BAD_WIDTHS = [
    (0, ValueError, r"^Invalid value for 'width': expected an integer >= 1, got 0$"),
    (-3, ValueError, r"^Invalid value for 'width': expected an integer >= 1, got -3$"),
    (2.5, TypeError, r"^Invalid value for 'width': expected an integer, got 2\.5$"),
    ("420", TypeError, r"^Invalid value for 'width': expected an integer, got '420'$"),
    (True, TypeError, r"^Invalid value for 'width': expected an integer, got True$"),
]


@pytest.mark.parametrize("width,exc,match", BAD_WIDTHS)
def test_bad_width(tmp_path, width, exc, match):
    path = write_video(tmp_path / "v.avi", _coloured(2), 150.0)
    with pytest.raises(exc, match=match):
        read_frame(path, 0, width=width)
    with pytest.raises(exc, match=match):
        scale_to_width(np.zeros((8, 8, 3), np.uint8), width)


def test_scale_to_width_shape_rule():
    img = np.zeros((1088, 2048, 3), np.uint8)
    assert scale_to_width(img, 420).shape == (223, 420, 3)
    assert scale_to_width(img, 960).shape == (510, 960, 3)
    assert scale_to_width(img, 1).shape == (1, 1, 3)
    assert scale_to_width(img, 2048) is img and scale_to_width(img, None) is img
    assert held.scaled_size(3, 3000, 10) == (1, 10)
