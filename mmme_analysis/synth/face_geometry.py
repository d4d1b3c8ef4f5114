"""Geometry of the synthetic face: photograph crop, facial regions and AU motion tables.

The face is the astronaut portrait shipped with scikit-image
(:func:`skimage.data.astronaut`, public domain, 512 x 512 RGB). This module holds only
data; :mod:`.face_fields` turns it into displacement fields and :mod:`.face_render`
into video.

Geometry (all in pixels of the 512 x 512 photograph, ``(y, x)`` with ``y`` down):

* face crop ``FACE_CROP = (58, 199, 163, 283)`` (``y0, y1, x0, x1``, half-open), found by
  hand: hair fringe to below the chin, cheek to cheek. 141 x 120 px, so the default
  output 160 x 136 is an isotropic 1.134x enlargement.
* region boxes (``REGION_BOXES_PHOTO``): brows ``y 78-96``, eyes (with the upper cheeks)
  ``y 96-117``, nose (lower dorsum, wings and the skin above the upper lip) ``y 117-140``,
  mouth (lips, corners and chin) ``y 131-180``; the nose and mouth boxes overlap at the
  upper lip (``y 131-140``).
* landmarks (eye centres ``(100.5, 203.5)`` and ``(101, 245.5)``, brow ends, lip corners
  ``(138.6, 203.5)`` and ``(138, 244.2)``, chin ``(164, 224.5)``) are given in each AU's
  components in :data:`AU_MOTIONS`.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FACE_CROP", "REGIONS", "REGION_BOXES_PHOTO", "AU_MOTIONS", "BLINK_COMPONENTS",
           "AUComponent", "AUMotion"]

#: Face crop in the 512 x 512 astronaut photograph, ``(y0, y1, x0, x1)`` half-open pixels.
FACE_CROP = (58, 199, 163, 283)

#: Region names, in the order used everywhere.
REGIONS = ("brows", "eyes", "nose", "mouth")

#: Region boxes in photograph pixels ``(y0, y1, x0, x1)`` (half-open), placed by eye.
REGION_BOXES_PHOTO = {
    "brows": (78.0, 96.0, 184.0, 270.0),
    "eyes": (96.0, 117.0, 184.0, 268.0),
    "nose": (117.0, 140.0, 205.0, 244.0),
    "mouth": (131.0, 180.0, 188.0, 262.0),
}



@dataclass(frozen=True)
class AUComponent:
    """One windowed motion of an AU (photograph pixels).

    Parameters
    ----------
    center : tuple of float
        ``(y, x)`` centre of the window in photograph pixels.
    radii : tuple of float
        ``(ry, rx)`` semi-axes of the elliptical biweight window in photograph pixels;
        the window is ``(1 - r**2)**2`` for ``r < 1`` and exactly 0 beyond.
    direction : tuple of float
        ``(dy, dx)`` unit-ish direction of a ``"translate"`` motion (ignored otherwise).
    kind : str
        ``"translate"`` (uniform direction), ``"converge"`` (towards the horizontal line
        through the centre: lids closing) or ``"pinch"`` (towards the centre point).
    """

    center: tuple
    radii: tuple
    direction: tuple = (0.0, 0.0)
    kind: str = "translate"


@dataclass(frozen=True)
class AUMotion:
    """A facial action unit: its region, a description, and its windowed components."""

    region: str
    description: str
    components: tuple


def _pair(center_l, center_r, radii, dir_l, dir_r=None, kind="translate"):
    """Left/right components; ``dir_r`` defaults to ``dir_l`` mirrored in x."""
    if dir_r is None:
        dir_r = (dir_l[0], -dir_l[1])
    return (AUComponent(center_l, radii, dir_l, kind), AUComponent(center_r, radii, dir_r, kind))


_S = 0.7071067811865476  # 1/sqrt(2)

#: The AUs the synthetic face can show. "Left"/"right" are image left/right.
AU_MOTIONS: dict[str, AUMotion] = {
    "AU1": AUMotion("brows", "inner brow raiser: inner brow ends move up",
                    _pair((89.5, 210.0), (89.5, 239.0), (6.0, 8.0), (-1.0, 0.0))),
    "AU2": AUMotion("brows", "outer brow raiser: outer brow ends move up",
                    _pair((89.0, 194.0), (89.0, 256.0), (6.0, 8.0), (-1.0, 0.0))),
    "AU4": AUMotion("brows", "brow lowerer: brows move down and towards the midline",
                    _pair((90.0, 205.0), (90.0, 243.0), (5.5, 12.0), (_S, _S))),
    "AU6": AUMotion("eyes", "cheek raiser: upper cheeks and lower lids move up",
                    _pair((110.0, 201.0), (110.0, 248.0), (7.0, 13.0), (-1.0, 0.0))),
    "AU7": AUMotion("eyes", "lid tightener: lids converge towards the eye centre line",
                    _pair((101.0, 203.5), (101.0, 245.5), (4.8, 11.0), (0.0, 0.0), (0.0, 0.0),
                          kind="converge")),
    "AU9": AUMotion("nose", "nose wrinkler: nose dorsum and wings move up",
                    (AUComponent((124.0, 224.5), (6.0, 13.0), (-1.0, 0.0)),)),
    "AU10": AUMotion("nose", "upper lip raiser: skin above the upper lip and the lip move up",
                     (AUComponent((134.0, 224.5), (5.5, 15.0), (-1.0, 0.0)),)),
    "AU12": AUMotion("mouth", "lip corner puller: lip corners move up and outwards",
                     _pair((138.6, 203.5), (138.0, 244.2), (5.0, 7.0), (-_S, -_S))),
    "AU14": AUMotion("mouth", "dimpler: skin is pulled into the lip corners",
                     _pair((138.6, 203.5), (138.0, 244.2), (4.0, 5.5), (0.0, 0.0), (0.0, 0.0),
                           kind="pinch")),
    "AU15": AUMotion("mouth", "lip corner depressor: lip corners move down",
                     _pair((140.0, 203.5), (139.5, 244.2), (5.0, 7.0), (0.96, -0.28))),
    "AU17": AUMotion("mouth", "chin raiser: chin boss and lower lip move up",
                     (AUComponent((164.0, 224.5), (10.0, 16.0), (-1.0, 0.0)),)),
    "AU20": AUMotion("mouth", "lip stretcher: lip corners move sideways (and slightly down)",
                     _pair((139.0, 202.0), (138.5, 246.0), (6.0, 9.5), (0.15, -0.99))),
}

# Eyelid closing of a blink (distractor): upper lids move down (photograph pixels).
#: Eyelid closing of a blink (distractor, not an AU): upper lids move down (photograph pixels).
BLINK_COMPONENTS = _pair((100.0, 203.5), (100.5, 245.5), (3.8, 11.0), (1.0, 0.0))
