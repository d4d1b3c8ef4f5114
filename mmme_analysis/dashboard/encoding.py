"""Images sent to the browser: JPEG/PNG encoding of frames and placeholder drawing."""
from __future__ import annotations

import numpy as np

from .._validate import check_option
from ..io.video import held as _held

__all__ = ["IMAGE_FORMATS", "encode_image", "mime_type", "placeholder_image", "scale_image", "scaled_size"]

#: Frame encodings the Explorer can send.
IMAGE_FORMATS = ("jpeg", "png")


def mime_type(image_format: str) -> str:
    """MIME type of an encoding of :data:`IMAGE_FORMATS` (``"image/jpeg"``, ``"image/png"``)."""
    return f"image/{check_option('image_format', image_format, IMAGE_FORMATS)}"


def scaled_size(height: int, width: int, max_width: int | None) -> tuple:
    """(height, width) of an image ``height x width`` scaled down to ``max_width``
    (:func:`mmme_analysis.io.video.held.scaled_size`: the rule of the readers' scaled reads).

    Examples
    --------
    >>> from mmme_analysis.dashboard.encoding import scaled_size
    >>> scaled_size(1088, 2048, 420), scaled_size(1088, 2048, 960), scaled_size(120, 224, 960)
    ((223, 420), (510, 960), (120, 224))
    """
    return _held.scaled_size(height, width, max_width)


def scale_image(rgb: np.ndarray, max_width: int | None) -> np.ndarray:
    """``rgb`` scaled down to ``max_width`` pixels wide, area-averaged: the readers' rule
    (:func:`mmme_analysis.io.video.scale_to_width`), so a frame the dataset scaled while
    reading it and one scaled here are the same pixels.

    Area interpolation (``cv2.INTER_AREA``) at a non-integer ratio costs about 15 ms on a
    2048 x 1088 frame; halving first, while the image stays at least twice as wide as
    wanted (an exact 2 x 2 mean, OpenCV's fast path), then one area step to the final size
    costs about 4 ms and differs from it by about a grey level on average.

    Parameters
    ----------
    rgb : ndarray, shape (y, x, 3), uint8
        The image.
    max_width : int or None
        Width to scale down to; None (or an image no wider) keeps the image as it is.

    Returns
    -------
    ndarray
        The scaled image (``rgb`` itself when it keeps its size).
    """
    return _held.scale_to_width(rgb, max_width or None)


def encode_image(rgb: np.ndarray, image_format: str = "jpeg", *, quality: int = 85,
                 max_width: int | None = None) -> bytes:
    """Encode an RGB image as JPEG or PNG bytes (OpenCV), scaled down to ``max_width``.

    Parameters
    ----------
    rgb : ndarray, shape (y, x, 3), uint8
        The image.
    image_format : str
        ``"jpeg"`` or ``"png"``.
    quality : int
        JPEG quality (10-100); ignored for PNG.
    max_width : int or None
        Images wider than this are scaled down to it, keeping the aspect ratio
        (:func:`scale_image`); None keeps the size.

    Returns
    -------
    bytes
        The encoded file.
    """
    import cv2

    check_option("image_format", image_format, IMAGE_FORMATS)
    rgb = scale_image(rgb, max_width)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    if image_format == "png":
        ok, buf = cv2.imencode(".png", bgr)
    else:
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("OpenCV could not encode the frame")
    return buf.tobytes()


def placeholder_image(height: int, width: int, message: str) -> np.ndarray:
    """A grey grid image of about ``height x width`` pixels with ``message`` written on it.

    Shown instead of a frame that cannot be read, or when a trial has no video; at least
    60 x 160 pixels so the message stays legible.
    """
    import cv2

    img = np.full((max(int(height), 60), max(int(width), 160), 3), 60, np.uint8)
    img[::8, :] = 80
    img[:, ::8] = 80
    y = img.shape[0] // 2
    for k, line in enumerate(_wrap(message, max(10, img.shape[1] // 9))):
        cv2.putText(img, line, (8, y + 18 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 220, 120), 1, cv2.LINE_AA)
    return img


def _wrap(text: str, n: int) -> list:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if len(cur) + len(w) + 1 > n and cur:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    return lines + [cur] if cur else lines
