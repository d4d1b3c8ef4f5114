"""Tests of the synthetic face video (planted AU motions on the astronaut photograph)."""
import time
from dataclasses import replace

import cv2
import numpy as np
import pytest

from mmme_analysis.synth import (
    AU_MOTIONS,
    REGIONS,
    FaceConfig,
    au_displacement,
    expression_profile,
    face_template,
    poisson_times,
    render_frames,
    render_sample,
)

FPS = 150.0
QUIET = FaceConfig().quiet()
NOISY = replace(QUIET, noise_sd=1.5)  # noise on, distractors off


def _event(aus, amplitude=2.0, onset=0.02, apex=0.1, offset=0.2):
    return {"onset": onset, "apex": apex, "offset": offset, "aus": aus, "amplitude": amplitude}


def _in_box(box, shape):
    y0, y1, x0, x1 = box
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_template_and_regions():
    img, regions = face_template(QUIET)
    assert img.shape == (160, 136, 3) and img.dtype == np.uint8
    assert set(regions) == set(REGIONS)
    for y0, y1, x0, x1 in regions.values():
        assert 0 <= y0 < y1 <= 160 and 0 <= x0 < x1 <= 136
    # anatomical order top to bottom, and the face (not the background) in the boxes
    tops = [regions[r][0] for r in REGIONS]
    assert tops == sorted(tops)
    assert img.std() > 20
    # a larger frame scales the boxes (same crop)
    big_img, big = face_template(FaceConfig(height=320, width=272))
    assert big_img.shape == (320, 272, 3)
    for r in REGIONS:
        assert np.allclose(np.array(big[r]), 2 * np.array(regions[r]), atol=2)
    # the returned template is a copy
    img[:] = 0
    assert face_template(QUIET)[0].std() > 20


@pytest.mark.parametrize("au", sorted(AU_MOTIONS))
def test_au_field_is_local(au):
    field = au_displacement(au, QUIET)
    _, regions = face_template(QUIET)
    box = _in_box(regions[AU_MOTIONS[au].region], field.shape[1:])
    mag = np.hypot(field[0], field[1])
    assert mag.max() == pytest.approx(1.0, abs=1e-6)
    assert (mag[~box] == 0).all()
    assert (mag > 0.5).sum() >= 10


@pytest.mark.parametrize("au", sorted(AU_MOTIONS))
def test_each_au_moves_pixels_in_its_region_only(au):
    frames, truth = render_frames(40, FPS, [_event((au,))], rng=np.random.default_rng(0), config=QUIET)
    ev = truth["events"][0]
    onset, apex = frames[ev["onset_frame"]], frames[ev["apex_frame"]]
    changed = (onset != apex).any(-1)
    box = _in_box(truth["regions"][AU_MOTIONS[au].region], changed.shape)
    assert changed.sum() >= 10, "the AU must visibly move pixels"
    assert not changed[~box].any()
    assert not changed[~ev["mask"]].any()
    assert ev["regions"] == (AU_MOTIONS[au].region,)


def test_aus_of_different_classes_differ():
    # AU sets of different emotions move different pixels (what a recogniser must learn)
    _, t1 = render_sample(("AU6", "AU12"), rng=np.random.default_rng(0), config=QUIET)
    _, t2 = render_sample(("AU1", "AU2"), rng=np.random.default_rng(0), config=QUIET)
    m1, m2 = t1["events"][0]["mask"], t2["events"][0]["mask"]
    assert (m1 & m2).sum() == 0 and m1.sum() > 50 and m2.sum() > 50


def test_apex_differs_from_onset_only_in_planted_regions_without_noise():
    ev = _event(("AU4", "AU12", "AU17"), amplitude=2.5)
    frames, truth = render_frames(60, FPS, [ev], rng=np.random.default_rng(1), config=QUIET)
    te = truth["events"][0]
    diff = np.abs(frames[te["apex_frame"]].astype(int) - frames[te["onset_frame"]].astype(int)).max(-1)
    regions = np.zeros(diff.shape, bool)
    for r in te["regions"]:
        regions |= _in_box(truth["regions"][r], diff.shape)
    assert te["regions"] == ("brows", "mouth")
    assert (diff[~regions] == 0).all()
    assert (diff[~te["mask"]] == 0).all()
    assert diff[te["mask"]].max() > 20
    # before the onset and after the offset the face is the still template
    img, _ = face_template(QUIET)
    assert (frames[0] == img).all() and (frames[-1] == img).all()


def test_apex_differs_from_onset_only_at_noise_level_outside_with_noise():
    ev = _event(("AU1", "AU6", "AU12"), amplitude=2.0)
    frames, truth = render_frames(60, FPS, [ev], rng=np.random.default_rng(2), config=NOISY)
    te = truth["events"][0]
    diff = frames[te["apex_frame"]].astype(np.float32) - frames[te["onset_frame"]].astype(np.float32)
    # outside the regions the raw difference is pure noise: sd = sqrt(2) * noise_sd
    outside = ~te["mask"]
    assert diff[outside].std() == pytest.approx(np.sqrt(2) * 1.5, rel=0.1)
    # after a 5 x 5 blur, noise stays well below 2 grey levels; the motion is far above it
    blurred = np.abs(cv2.blur(diff.mean(-1), (5, 5)))
    near = cv2.dilate(te["mask"].astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert blurred[~near].max() < 2.0
    assert blurred[te["mask"]].max() > 2.0
    # the same threshold finds each planted region
    for r in te["regions"]:
        box = _in_box(truth["regions"][r], blurred.shape)
        assert blurred[box & te["mask"]].max() > 2.0


def test_expression_profile_shape():
    onset, apex, offset = 1.0, 1.2, 1.6
    t = np.linspace(0.0, 2.0, 2001)
    p = expression_profile(t, onset, apex, offset)
    assert p.min() == 0 and p.max() == 1
    assert (p[t < onset] == 0).all() and (p[t > offset] == 0).all()
    assert expression_profile(apex, onset, apex, offset) == 1.0
    assert expression_profile(1.1, onset, apex, offset) == pytest.approx(0.5)
    assert expression_profile(1.4, onset, apex, offset) == pytest.approx(0.5)
    rise, fall = p[(t >= onset) & (t <= apex)], p[(t >= apex) & (t <= offset)]
    assert (np.diff(rise) >= 0).all() and (np.diff(fall) <= 0).all()
    # smooth: no jump larger than a raised cosine's slope allows
    assert np.abs(np.diff(p)).max() < np.pi / 2 * 0.001 / 0.2 * 1.01
    # zero-length rise or fall are steps at the apex
    assert expression_profile(np.array([0.9, 1.0, 1.1]), 1.0, 1.0, 1.0).tolist() == [0, 1, 0]
    with pytest.raises(ValueError, match="onset <= apex <= offset"):
        expression_profile(0.0, 1.0, 0.5, 2.0)


def test_profile_drives_the_motion():
    ev = _event(("AU12",), onset=0.0, apex=0.1, offset=0.3)
    _, truth = render_frames(60, FPS, [ev], rng=np.random.default_rng(0), config=QUIET)
    t = np.arange(60) / FPS
    assert np.allclose(truth["intensity"][0], expression_profile(t, 0.0, 0.1, 0.3))
    assert truth["events"][0]["apex_frame"] == 15


def test_distractors_blinks_in_eyes_and_small_head_shifts():
    cfg = replace(QUIET, blink_rate=2.0)
    frames, truth = render_frames(300, FPS, [], rng=np.random.default_rng(3), config=cfg)
    blinks = truth["distractors"]["blinks"]
    assert blinks and not truth["distractors"]["head_shifts"]
    i = int(round(blinks[0]["apex"] * FPS))
    changed = (frames[i] != frames[0]).any(-1)
    assert changed.sum() > 20
    assert not changed[~_in_box(truth["regions"]["eyes"], changed.shape)].any()

    cfg = replace(QUIET, head_shift_rate=3.0)
    frames, truth = render_frames(900, FPS, [], rng=np.random.default_rng(4), config=cfg)
    shifts = truth["distractors"]["head_shifts"]
    assert len(shifts) >= 2
    assert np.hypot(*truth["head_offset"].T).max() <= 1.0 + 1e-9
    for a, b in zip(shifts[:-1], shifts[1:]):
        assert b["onset"] >= a["offset"]
    assert (frames[-1] != frames[0]).any(-1).mean() > 0.3  # a global motion


def test_distractor_times_are_the_shared_poisson_process():
    cfg = replace(QUIET, blink_rate=1.0)
    n = 60 * int(FPS)
    _, truth = render_frames(n, FPS, [], rng=np.random.default_rng(8), config=cfg)
    onsets = [b["onset"] for b in truth["distractors"]["blinks"]]
    np.testing.assert_array_equal(onsets, poisson_times(np.random.default_rng(8), 1.0, n / FPS))
    assert 40 <= len(onsets) <= 80  # 60 expected (Poisson sd 7.7)


def test_modules_hold_one_job_each():
    from mmme_analysis.synth import face_config, face_fields, face_geometry, face_render

    assert face_geometry.AU_MOTIONS is AU_MOTIONS and face_config.FaceConfig is FaceConfig
    assert face_fields.au_displacement is au_displacement and face_render.render_frames is render_frames


def test_render_is_reproducible_and_fast():
    ev = [_event(("AU6", "AU12"), onset=2.0, apex=2.1, offset=2.4),
          _event(("AU4", "AU15"), amplitude=4.0, onset=5.0, apex=5.5, offset=6.5)]
    t0 = time.perf_counter()
    frames, truth = render_frames(1500, FPS, ev, rng=np.random.default_rng(5), config=FaceConfig())
    elapsed = time.perf_counter() - t0
    assert frames.shape == (1500, 160, 136, 3) and frames.dtype == np.uint8
    assert elapsed < 15.0, f"10 s at 150 fps took {elapsed:.1f} s"
    again, _ = render_frames(200, FPS, ev, rng=np.random.default_rng(5), config=FaceConfig())
    first, _ = render_frames(200, FPS, ev, rng=np.random.default_rng(5), config=FaceConfig())
    assert (again == first).all()
    assert truth["intensity"].shape == (2, 1500) and truth["head_offset"].shape == (1500, 2)


def test_render_sample_onset_to_apex():
    frames, truth = render_sample("AU9,AU10", rng=np.random.default_rng(0), config=QUIET, n_frames=12)
    img, _ = face_template(QUIET)
    assert frames.shape == (12, 160, 136, 3)
    assert (frames[0] == img).all()
    assert truth["intensity"][0, 0] == 0 and truth["intensity"][0, -1] == 1
    assert truth["events"][0]["apex_frame"] == 11 and truth["events"][0]["aus"] == ("AU9", "AU10")
    changed = (frames[-1] != frames[0]).any(-1)
    assert changed.any() and not changed[~truth["events"][0]["mask"]].any()


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"events": [_event(("AU99",))]}, ValueError, "AU99"),
        ({"events": [_event(())]}, ValueError, "non-empty"),
        ({"events": [_event(("AU1",), onset=0.2, apex=0.1)]}, ValueError, "onset <= apex <= offset"),
        ({"events": [_event(("AU1",), amplitude=0)]}, ValueError, "amplitude"),
        ({"events": [{"onset": 0.0, "aus": ("AU1",)}]}, ValueError, "apex"),
        ({"fps": None}, TypeError, "'fps'"),
        ({"n_frames": 0}, ValueError, "'n_frames'"),
        ({"rng": None}, TypeError, "'rng'"),
    ],
)
def test_render_frames_bad_arguments(kwargs, exc, match):
    args = {"n_frames": 10, "fps": FPS, "events": [], "rng": np.random.default_rng(0), "config": QUIET}
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        render_frames(args.pop("n_frames"), args.pop("fps"), args.pop("events"), **args)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"height": 161}, "even"),
        ({"width": 16}, "'width'"),
        ({"noise_sd": -1}, "'noise_sd'"),
        ({"head_shift_max": 1.5}, "'head_shift_max'"),
        ({"blink_duration": 0}, "'blink_duration'"),
    ],
)
def test_face_config_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FaceConfig(**kwargs)
