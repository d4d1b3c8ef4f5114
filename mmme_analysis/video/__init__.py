"""Face detection and regions, face crops, frames of a clip.

See :mod:`.face` (offline detectors: dlib HOG + bundled landmarks, scikit-image LBP
cascade, whole-frame fallback), :mod:`.frames` and :mod:`.image`. Apex estimation, which
needs optical flow, lives in :mod:`mmme_analysis.flow`; inference on a clip in
:mod:`mmme_analysis.training`.
"""
from .face import (
                   FACE_METHODS,
                   REGION_TEMPLATE,
                   REGIONS,
                   Face,
                   available_face_methods,
                   face_crop,
                   face_detect,
                   face_regions,
)
from .frames import as_clip, frame_index
from .image import to_uint8
from .track import face_crops, face_track

__all__ = [
    "FACE_METHODS", "REGIONS", "REGION_TEMPLATE", "Face", "as_clip", "available_face_methods",
    "face_crop", "face_crops", "face_detect", "face_regions", "face_track", "frame_index", "to_uint8",
]
