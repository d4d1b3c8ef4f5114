"""Min/max downsampling of traces to the width of a plot (what the browser is sent)."""
from __future__ import annotations

import numpy as np

from .._validate import check_int

__all__ = ["downsample_trace"]


def downsample_trace(x: np.ndarray, y: np.ndarray, t0: float, t1: float, width: int) -> tuple:
    """Samples of ``y`` to draw ``[t0, t1]`` on a plot ``width`` pixels wide.

    Keeps at most ``2 * width`` points: the minimum and the maximum of each pixel column
    (``MinMaxDownsampler`` of :mod:`tsdownsample`), so the drawn envelope, R peaks and
    artefacts included, is the same as with every sample. The sample just before ``t0`` and
    just after ``t1`` are always kept, so lines reach the plot edges.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Sample times (s), increasing.
    y : ndarray, shape (n,)
        Values.
    t0, t1 : float
        Visible time range (s).
    width : int
        Plot width (pixels), at least 2.

    Returns
    -------
    x, y : ndarray
        Times and values of the kept samples, float32 (half the bytes sent to the browser;
        float32 resolves 4 us at 60 s, far below a pixel).

    Examples
    --------
    >>> import numpy as np
    >>> from mmme_analysis.dashboard.downsample import downsample_trace
    >>> t = np.arange(60_000) / 1000.0
    >>> x, y = downsample_trace(t, np.sin(t), 0.0, 60.0, 500)
    >>> x.size
    1000
    """
    from tsdownsample import MinMaxDownsampler

    width = check_int("width", width, min_value=2)
    x = np.asarray(x)
    lo = max(int(np.searchsorted(x, t0, side="left")) - 1, 0)
    hi = min(int(np.searchsorted(x, t1, side="right")) + 1, x.size)
    xs, ys = x[lo:hi], np.asarray(y[lo:hi])
    n_out = 2 * width
    if xs.size > n_out:
        ys_f = np.nan_to_num(np.asarray(ys, dtype=np.float64))
        # the first and last samples are always kept (lines reach the edges), min/max of the rest
        inner = MinMaxDownsampler().downsample(xs[1:-1].astype(np.float64), ys_f[1:-1], n_out=n_out - 2)
        idx = np.concatenate([[0], np.asarray(inner, dtype=np.int64) + 1, [xs.size - 1]])
        xs, ys = xs[idx], ys[idx]
    return np.asarray(xs, np.float32), np.asarray(ys, np.float32)
