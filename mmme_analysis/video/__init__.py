"""Face detection and regions, onset/apex frames, inference on a user's clip.

See :mod:`.face` (offline detectors: dlib HOG + bundled landmarks, scikit-image LBP
cascade, whole-frame fallback) and :mod:`.frames`.
"""
from .face import (FACE_METHODS, REGION_TEMPLATE, REGIONS, Face, available_face_methods,
                   face_crop, face_detect, face_regions)
from .frames import APEX_METHODS, estimate_apex, frame_index, infer_clip, select_frames

__all__ = [
    "APEX_METHODS", "FACE_METHODS", "REGIONS", "REGION_TEMPLATE", "Face",
    "available_face_methods", "estimate_apex", "face_crop", "face_detect", "face_regions",
    "frame_index", "infer_clip", "select_frames",
]
