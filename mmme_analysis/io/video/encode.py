"""Video encoders: the codec table of :func:`~.avi.write_video` and the PyAV writer.

=========  ============  =========  ==============================================
codec      containers    keyframes  quality
=========  ============  =========  ==============================================
huffyuv    .avi          every      lossless (RGB), OpenCV's FFmpeg writer
ffv1       .avi, .mkv    every      lossless (RGB), PyAV
mjpeg      .avi          every      lossy, JPEG q-scale 2 (full-range 4:2:0), PyAV
h264       .mp4, .mkv    every gop  lossy, libx264 CRF (default 18), 4:2:0, B-frames
=========  ============  =========  ==============================================

H.264 frames are converted from RGB to BT.601 limited-range YUV 4:2:0 (tagged so in the
stream) and back by FFmpeg's swscale; on smooth content the round trip stays within about
1-2 grey levels at CRF 18 (PSNR above 40 dB), see the tests.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .frames import iter_blocks

__all__ = ["CODECS", "CRF", "GOP", "write_pyav"]

#: codec -> (allowed file endings, keyframe interval is free, lossless)
CODECS = {
    "huffyuv": ((".avi",), False, True),
    "ffv1": ((".avi", ".mkv"), False, True),
    "mjpeg": ((".avi",), False, False),
    "h264": ((".mp4", ".mkv"), True, False),
}
#: default constant rate factor of the H.264 encoder (0 lossless ... 51 worst; 18 ~ visually lossless)
CRF = 18
#: default keyframe interval (frames) of the H.264 encoder
GOP = 30
_MJPEG_QSCALE = 2


def write_pyav(tmp, arr, fps: float, codec: str, *, crf: int, gop: int) -> None:
    """Encode ``arr`` (n, H, W, 3) uint8 RGB into the file ``tmp`` with PyAV."""
    import av

    n, h, w = (int(s) for s in arr.shape[:3])
    container = av.open(str(tmp), mode="w")
    try:
        rate = Fraction(fps).limit_denominator(1001 * 1000)
        if codec == "h264":
            stream = container.add_stream("libx264", rate=rate)
            stream.pix_fmt = "yuv420p"
            stream.options = {"crf": str(crf), "preset": "veryfast", "bf": "2"}
            stream.codec_context.gop_size = gop
            stream.codec_context.colorspace = 6  # SMPTE 170M (BT.601), the matrix swscale uses
            stream.codec_context.color_range = 1  # limited (MPEG) range
        elif codec == "mjpeg":
            stream = container.add_stream("mjpeg", rate=rate)
            stream.pix_fmt = "yuvj420p"
            ctx = stream.codec_context
            ctx.qmin = ctx.qmax = _MJPEG_QSCALE
            if hasattr(ctx, "qscale"):  # PyAV >= 14; qmin = qmax pins the scale anyway
                ctx.qscale = True
            ctx.global_quality = _MJPEG_QSCALE * 118  # FF_QP2LAMBDA
        else:  # ffv1: lossless, intra-only
            stream = container.add_stream("ffv1", rate=rate)
            stream.pix_fmt = "bgr0"
            stream.codec_context.gop_size = 1
        stream.width, stream.height = w, h
        stream.thread_type = "AUTO"
        for block in iter_blocks(arr):
            for rgb in block:
                # the encoder converts to its pixel format (swscale; BT.601 for YUV)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")))
        container.mux(stream.encode(None))
    finally:
        container.close()
