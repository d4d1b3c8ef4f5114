"""The generator at camera size: frames rendered one at a time, written frame by frame."""
import json
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest

from mmme_analysis.io.video import iter_frames, read_video
from mmme_analysis.synth import FaceConfig, face_template, render_frames, render_stream
from mmme_analysis.synth.generator import SynthConfig, synthesize
from mmme_analysis.synth.video_out import write_trial_media

pytestmark = pytest.mark.filterwarnings("ignore::mmme_analysis.MMMEWarning")

FPS = 150.0
EVENTS = [{"onset": 0.3, "apex": 0.4, "offset": 0.6, "aus": ("AU6", "AU12"), "amplitude": 2.0},
          {"onset": 1.0, "apex": 1.2, "offset": 1.5, "aus": ("AU1", "AU2"), "amplitude": 3.0}]


def test_stream_equals_render_frames():
    cfg = FaceConfig(blink_rate=2.0, head_shift_rate=1.0)
    frames, truth = render_frames(120, FPS, EVENTS, rng=np.random.default_rng(3), config=cfg)
    stream, truth2 = render_stream(120, FPS, EVENTS, rng=np.random.default_rng(3), config=cfg)
    assert stream.shape == frames.shape and len(stream) == 120
    assert truth2["distractors"] == truth["distractors"]
    n = 0
    for i, frame in enumerate(stream):
        assert (frame == frames[i]).all(), i
        n += 1
    assert n == 120
    with pytest.raises(StopIteration):
        next(stream)


def test_face_scales_with_the_frame():
    cfg = SynthConfig(size=(2048, 1088))
    face = cfg.face_config
    assert (face.width, face.height) == (2048, 1088)
    assert face.motion_scale == pytest.approx(1088 / 160)  # face crop rows 141 at both sizes
    img, regions = face_template(face)
    small_img, small = face_template(FaceConfig())
    assert img.shape == (1088, 2048, 3)
    k = 1088 / 160
    for r in small:  # same face, k times larger (the wider frame shows more of the photograph)
        (y0, y1, x0, x1), (s0, s1, t0, t1) = regions[r], small[r]
        assert abs((y1 - y0) - k * (s1 - s0)) < 2 * k and abs((x1 - x0) - k * (t1 - t0)) < 2 * k
    # the face is not stretched: the crop widens with the frame
    assert abs(regions["eyes"][3] - regions["eyes"][2] - k * (small["eyes"][3] - small["eyes"][2])) < 2 * k
    # planted motions grow with the face
    quiet = face.quiet()
    frames, truth = render_frames(70, FPS, EVENTS[:1], rng=np.random.default_rng(0), config=quiet)
    ev = truth["events"][0]
    moved = np.abs(frames[ev["apex_frame"]].astype(int) - frames[0].astype(int)).max(-1) > 0
    assert moved.sum() > 0.5 * k * k * (render_frames(70, FPS, EVENTS[:1], rng=np.random.default_rng(0),
                                                          config=FaceConfig().quiet())[1]["events"][0]["mask"].sum())
    assert SynthConfig().face_config == FaceConfig()  # default: the small frame, unchanged


@pytest.mark.slow
def test_two_seconds_at_camera_size_read_back_equal(tmp_path):
    """(a) 2 s at 2048 x 1088: the video reads back at that size, each frame the renderer's (lossless)."""
    cfg = SynthConfig(n_subjects=1, n_trials=1, duration=2.0, rest=0.5, lead_in=1.0, seed=1, size=(2048, 1088),
                      face=FaceConfig().quiet())
    raw = synthesize(tmp_path / "raw", cfg, progress=False)
    truth = json.loads((raw / "ground_truth.json").read_text())
    (sub,) = truth["subjects"].values()
    (trial,) = sub["trials"]
    path = raw / sub["name"] / "video" / trial["video"]
    video = read_video(path)
    assert video.shape == (300, 1088, 2048, 3)
    events = [{k: ev[k] for k in ("onset", "apex", "offset", "aus", "amplitude")} for ev in trial["events"]]
    again, _ = render_stream(300, FPS, events, rng=np.random.default_rng(0), config=cfg.face_config)
    n = 0
    for (i, got), want in zip(iter_frames(path), again):
        assert i == n and (got == want).all(), i
        n += 1
    assert n == 300
    ev = trial["events"][0]
    y0, y1, x0, x1 = ev["regions"]["box"]
    assert 0 <= y0 < y1 <= 1088 and 0 <= x0 < x1 <= 2048 and (y1 - y0) > 50


def _peak_bytes(tmp_path, seconds):
    cfg = replace(FaceConfig(), height=340, width=640, motion_scale=340 / 160)
    render_frames(2, FPS, EVENTS, rng=np.random.default_rng(0), config=cfg)  # warm the caches
    tracemalloc.start()
    try:
        frames, _ = render_stream(int(seconds * FPS), FPS, EVENTS, rng=np.random.default_rng(0), config=cfg)
        write_trial_media(frames, video=tmp_path / f"t{seconds}.avi", fps=FPS)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_trial_length(tmp_path):
    """(b) peak Python allocations of rendering + writing: an 8 s trial < 1.5 x a 2 s one."""
    short, long = _peak_bytes(tmp_path, 2.0), _peak_bytes(tmp_path, 8.0)
    assert long < 1.5 * short, (short, long)
    assert long < 40 * 640 * 340 * 3  # a few frames, not the 1200 of the trial
    n = sum(1 for _ in iter_frames(tmp_path / "t8.0.avi"))
    assert n == 1200


def test_written_frames_equal_the_stream_with_noise(tmp_path):
    cfg = replace(FaceConfig(blink_rate=1.0, head_shift_rate=1.0), height=170, width=320)
    frames, _ = render_stream(90, FPS, EVENTS, rng=np.random.default_rng(7), config=cfg)
    stamps = 36000.0 + np.arange(90) / FPS
    write_trial_media(frames, video=tmp_path / "a.avi", fps=FPS,
                      tif={"folder": tmp_path / "tif", "stamps": stamps, "date": "2023-07-10", "marker": 101})
    want = render_frames(90, FPS, EVENTS, rng=np.random.default_rng(7), config=cfg)[0]
    got = np.stack([f for _, f in iter_frames(tmp_path / "a.avi")])
    np.testing.assert_array_equal(got, want)
    from mmme_analysis.io.video import read_frames

    np.testing.assert_array_equal(read_frames(tmp_path / "tif", fps=FPS).values, want)


@pytest.mark.parametrize("codec, suffix", [("mjpeg", ".avi"), ("h264", ".mp4")])
def test_lossy_codec_passes_through(tmp_path, codec, suffix):
    cfg = SynthConfig(n_subjects=1, n_trials=1, duration=2.0, rest=0.5, seed=2, codec=codec)
    raw = synthesize(tmp_path / "raw", cfg, progress=False)
    (sub,) = json.loads((raw / "ground_truth.json").read_text())["subjects"].values()
    name = sub["trials"][0]["video"]
    assert name.endswith(suffix)
    video = read_video(raw / sub["name"] / "video" / name)
    assert video.shape == (300, 160, 136, 3)
    import pandas as pd

    assert pd.read_excel(raw / "coding_file.xlsx")["Filename"].iloc[0] == name


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"size": (2049, 1088)}, "'size'"),
        ({"size": (62, 64)}, "'size'"),
        ({"size": (640,)}, "'size'"),
        ({"size": (640.0, 340)}, "'size'"),
        ({"codec": "xvid"}, "'codec'"),
        ({"block": 5.0}, "'block'"),
    ],
)
def test_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SynthConfig(**kwargs)


def test_cli_size_and_codec(tmp_path, capsys):
    from mmme_analysis.cli import main

    assert main(["synth", str(tmp_path / "a"), "--subjects", "1", "--trials", "1", "--duration", "2",
                 "--size", "160x96", "--codec", "ffv1"]) == 0
    (sub,) = json.loads((tmp_path / "a" / "ground_truth.json").read_text())["subjects"].values()
    assert read_video(tmp_path / "a" / sub["name"] / "video" / sub["trials"][0]["video"]).shape == (300, 96, 160, 3)
    assert main(["synth", str(tmp_path / "b"), "--size", "161x96"]) == 2
    assert "'size'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["synth", str(tmp_path / "c"), "--size", "big"])
