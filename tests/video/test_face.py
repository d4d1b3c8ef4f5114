import warnings

import numpy as np
import pytest
from skimage.data import astronaut

from mmme_analysis import MMMEWarning
from mmme_analysis.video import REGIONS, Face, available_face_methods, face_crop, face_detect, face_regions

# the astronaut's face, hair fringe to chin and cheek to cheek (see synth/face_geometry.py FACE_CROP)
TRUE_FACE = (58, 199, 163, 283)


def _overlap(a, b):
    ya, yb = max(a[0], b[0]), min(a[1], b[1])
    xa, xb = max(a[2], b[2]), min(a[3], b[3])
    inter = max(0, yb - ya) * max(0, xb - xa)
    return inter / ((a[1] - a[0]) * (a[3] - a[2]))


@pytest.mark.parametrize("method", ["cascade", "dlib", "auto"])
def test_detects_the_astronaut(method):
    if method not in available_face_methods():
        pytest.skip("dlib not installed")
    face = face_detect(astronaut(), method=method)
    assert face.method in ("cascade", "dlib")
    assert _overlap(face.box, TRUE_FACE) > 0.9  # detected box lies on the face
    regions = face_regions(face)
    assert list(regions) == list(REGIONS)
    centre = {k: ((b[0] + b[1]) / 2, (b[2] + b[3]) / 2) for k, b in regions.items()}
    assert centre["brows"][0] < centre["eyes"][0] < centre["nose"][0] < centre["mouth"][0]
    for b in regions.values():  # every region inside the face (with a little margin)
        assert _overlap(b, (TRUE_FACE[0] - 5, TRUE_FACE[1] + 5, TRUE_FACE[2] - 5, TRUE_FACE[3] + 5)) > 0.95


def test_dlib_landmarks_when_model_installed():
    if "dlib" not in available_face_methods():
        pytest.skip("dlib not installed")
    face = face_detect(astronaut(), method="dlib")
    if face.landmarks is None:
        pytest.skip("face_recognition_models not installed")
    assert face.landmarks.shape == (68, 2)
    nose_tip = face.landmarks[30]
    assert 200 < nose_tip[0] < 250 and 110 < nose_tip[1] < 145  # (x, y) near the nose


def test_fallback_to_whole_frame_warns():
    blank = np.full((120, 100, 3), 128, np.uint8)
    with pytest.warns(MMMEWarning, match="whole frame"):
        face = face_detect(blank)
    assert face.method == "frame" and face.box == (0, 120, 0, 100)
    regions = face_regions(face)
    assert regions["mouth"][0] > regions["eyes"][1] - 30
    with pytest.raises(ValueError, match="found no face"):
        face_detect(blank, method="cascade")


def test_crop_shape_and_grey():
    img = astronaut()
    face = face_detect(img, method="cascade")
    crop = face_crop(img, face, size=64)
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8
    grey = face_crop(img[..., 0], face, size=32)
    assert grey.shape == (32, 32)
    # a crop of the same face box adds no motion: identical frames give identical crops
    np.testing.assert_array_equal(face_crop(img, face, size=64), crop)


def test_crop_aligns_eyes():
    face = Face(box=(40, 100, 40, 100), landmarks=None, method="frame", frame_shape=(150, 150))
    lm = np.zeros((68, 2))
    lm[36:42] = (50, 60)
    lm[42:48] = (90, 80)  # tilted eyes
    tilted = Face(box=face.box, landmarks=lm, method="dlib", frame_shape=(150, 150))
    img = np.zeros((150, 150), np.uint8)
    img[58:63, 48:53] = 255
    img[78:83, 88:93] = 255
    out = face_crop(img, tilted, size=80, margin=0.0)
    ys = [np.argmax(out[:, :40].max(axis=1)), np.argmax(out[:, 40:].max(axis=1))]
    assert abs(ys[0] - ys[1]) <= 2  # eyes level after alignment


@pytest.mark.parametrize("call, exc, match", [
    (lambda: face_detect(np.zeros((4, 4, 4))), ValueError, "'frame'"),
    (lambda: face_detect(astronaut(), method="haar"), ValueError, "'method'"),
    (lambda: face_regions((0, 1, 0, 1)), TypeError, "'face'"),
    (lambda: face_crop(np.zeros((10, 10)), face_detect(astronaut(), method="frame")), ValueError, "'frame'"),
])
def test_bad_input(call, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MMMEWarning)
        with pytest.raises(exc, match=match):
            call()
