"""Normalisation and the standard model inputs built from an onset->apex flow field.

Every recognition model of :mod:`mmme_analysis.models` reads a channels-first float32 array
``(channel, y, x)`` built here from the flow ``(u, v)`` (pixels) and its optical strain:

============  =====================  =====================================================
model         input                  source
============  =====================  =====================================================
STSTNet       3 x 28 x 28 (u,v,e)    Liong et al. 2019: horizontal, vertical flow and strain
OFF-ApexNet   3 x 28 x 28 (u,v,e)    Gan et al. 2019 use u and v (two streams); the model
                                     reads channels 0 and 1 and ignores the strain
RCN-A         3 x 60 x 60 (u,v,e)    Xia et al. 2020 feed flow images at a reduced size
                                     (data shrinking); 60 x 60 here
FR            3 x 28 x 28 (u,v,e)    Zhou et al. 2022; the re-implementation here reads the
                                     three maps as one image
============  =====================  =====================================================

(``e`` is the optical strain magnitude, :func:`~mmme_analysis.flow.flow_strain`.)
:data:`MODEL_INPUTS` holds the size per model name.

Processing order in :func:`flow_inputs`: optional removal of global (head) motion by
subtracting the median flow, strain on the full-resolution flow, area resize to
``size x size`` (u and v rescaled to pixels of the resized image), then normalisation
(:func:`flow_normalize`). The strain and the removal of the median run in float32 on the
float32 flow, and the three maps are resized in one call; :func:`compute_flow_features`
normalises a whole chunk of samples at once (the same per-sample arithmetic).

The kernels are faster forms of the plain NumPy computation with bit-identical results:
the median is that of :func:`numpy.median`, selected among the values of a bracket around
it estimated from a sample (:func:`_median_rows`), the strain that of :func:`numpy.gradient`
on flattened planes (:func:`~mmme_analysis.flow.strain._strain_uv`), and ``maxabs`` takes
one square root per sample
(``sqrt(max(u^2 + v^2))`` equals ``max(sqrt(u^2 + v^2))``).
"""
from __future__ import annotations

import threading

import cv2
import numpy as np

from .._validate import check_int, check_option
from .strain import _check_flow, _strain_uv

__all__ = ["MODEL_INPUTS", "CHANNELS", "NORMALIZE_METHODS", "flow_inputs", "flow_normalize"]

#: Channel names of every model input, in order.
CHANNELS: tuple[str, ...] = ("u", "v", "strain")
#: Input side length (pixels) per model name.
MODEL_INPUTS: dict[str, int] = {"ststnet": 28, "off_apexnet": 28, "rcn_a": 60, "fr": 28}
#: Canonical ``method=`` spellings of :func:`flow_normalize`.
NORMALIZE_METHODS: tuple[str, ...] = ("maxabs", "minmax", "zscore", "none")


def flow_normalize(x, *, method: str = "maxabs") -> np.ndarray:
    """Normalise a model input ``(3, y, x)`` of u, v, strain, per sample.

    Parameters
    ----------
    x : array-like, shape (3, y, x)
        Channels u, v (pixels) and strain (dimensionless).
    method : {"maxabs", "minmax", "zscore", "none"}
        ``"maxabs"`` (default) divides u and v by the largest flow magnitude of the sample
        and the strain by its maximum, which keeps signs and the u/v ratio (values in
        [-1, 1]; the strain in [0, 1]); ``"minmax"`` maps each channel to [0, 1] (the
        image-style scaling of the original STSTNet code); ``"zscore"`` centres each
        channel and divides by its standard deviation; ``"none"`` returns a copy.

    Returns
    -------
    numpy.ndarray, float32, same shape. Constant channels become zeros (no division by 0).
    """
    check_option("method", method, NORMALIZE_METHODS)
    a = np.array(x, dtype=np.float64)
    if a.ndim != 3 or a.shape[0] != 3:
        raise ValueError(
            f"Invalid value for 'x': expected an array of shape (3, y, x), got shape {a.shape}"
        )
    return _normalize(a, method)


def _divide_by_peak(x: np.ndarray, peak: np.ndarray, eps: float) -> None:
    """``x[:] = x / peak`` where ``peak > eps``, else 0 (``peak`` broadcasts over ``x``)."""
    ok = peak > eps
    x /= np.where(ok, peak, 1.0)
    if not ok.all():
        np.copyto(x, 0.0, where=~ok)


def _normalize(a: np.ndarray, method: str) -> np.ndarray:
    """:func:`flow_normalize` of a float64 ``a`` (..., 3, y, x), each sample on its own.

    Works in place on ``a``; the leading axes are samples (vectorised over a batch).
    """
    eps = 1e-12
    sp = (-2, -1)
    if method == "maxabs":
        # max |(u, v)| as sqrt(max(u^2 + v^2)): the same number (sqrt is monotone and
        # correctly rounded), one square root per sample instead of one per pixel
        sq = np.square(a[..., 0, :, :])
        sq += np.square(a[..., 1, :, :])
        _divide_by_peak(a[..., :2, :, :], np.sqrt(sq.max(axis=sp))[..., None, None, None], eps)
        _divide_by_peak(a[..., 2:, :, :], np.abs(a[..., 2, :, :]).max(axis=sp)[..., None, None, None],
                        eps)
    elif method == "minmax":
        lo = a.min(axis=sp, keepdims=True)
        rng = a.max(axis=sp, keepdims=True) - lo
        a = np.where(rng > eps, (a - lo) / np.where(rng > eps, rng, 1.0), 0.0)
    elif method == "zscore":
        mu = a.mean(axis=sp, keepdims=True)
        sd = a.std(axis=sp, keepdims=True)
        a = np.where(sd > eps, (a - mu) / np.where(sd > eps, sd, 1.0), 0.0)
    return a.astype(np.float32)


def flow_inputs(flow, *, size: int = 28, normalize: str = "maxabs",
                subtract_global: bool = True) -> np.ndarray:
    """Build the ``(3, size, size)`` model input (u, v, strain) from one flow field.

    Parameters
    ----------
    flow : array-like, shape (y, x, 2)
        Onset->apex flow ``(u, v)`` in pixels (:func:`~mmme_analysis.flow.flow_compute`).
    size : int
        Output side in pixels: 28 for STSTNet, OFF-ApexNet and FR, 60 for RCN-A
        (:data:`MODEL_INPUTS`).
    normalize : {"maxabs", "minmax", "zscore", "none"}
        See :func:`flow_normalize`.
    subtract_global : bool
        Subtract the median u and v (global head translation) before anything else.

    Returns
    -------
    numpy.ndarray, shape (3, size, size), float32
    """
    size = check_int("size", size, min_value=4)
    check_option("normalize", normalize, NORMALIZE_METHODS)
    x = _resized_maps(flow, size, subtract_global)
    return _normalize(x.astype(np.float64), normalize)


def _select_rows(a: np.ndarray) -> np.ndarray:
    """``numpy.median(a, axis=1)`` of a float32 ``a`` (rows, n), bit for bit; ``a`` is reordered.

    :func:`numpy.median` partitions a copy at ``n // 2 - 1``, ``n // 2`` and the last index
    (its NaN check); a partition at several indices takes NumPy's general selection, slower
    than its SIMD selection of one index. Here ``a`` itself (a scratch copy) is partitioned
    at ``k = n // 2`` alone, which gives the upper middle value; the lower one (even ``n``)
    is the maximum of the ``k`` values left of it, and the two are averaged as
    :func:`numpy.mean` does (their float32 sum halved). A NaN sorts after every number,
    into the part right of ``k``, whose maximum is then NaN: that row's median is NaN, as
    NumPy's.
    """
    n = a.shape[1]
    k = n // 2
    a.partition(k, axis=1)
    med = a[:, k].copy()
    if n % 2 == 0:
        med += a[:, :k].max(axis=1)
        med /= 2
    med[np.isnan(a[:, k:].max(axis=1))] = np.nan
    return med


_BRACKET_MIN = 2048  # rows shorter than this take the full selection
_BRACKET_SAMPLE = 512  # at most this many values of a row estimate where its median lies
_BRACKET_Z = 2.5  # half-width of the bracket, in standard deviations of the estimate's rank


def _median_rows(a: np.ndarray) -> np.ndarray:
    """``numpy.median(a, axis=1)`` of a float32 ``a`` (rows, n), exactly; ``a`` is left unchanged.

    The two middle order statistics (``k - 1`` and ``k = n // 2``) are selected among the
    few values of a bracket ``[lo, hi]`` around the median instead of among all ``n``
    (a selection costs several ns per value, the bracket's comparisons a fraction of one):
    ``lo`` and ``hi`` are order statistics of a sorted strided sample of at most
    ``_BRACKET_SAMPLE`` values (NumPy sorts up to 512 float32 values with a sorting
    network, much faster per value than more), ``_BRACKET_Z`` standard deviations of the
    sample median's rank on either side of it. With ``c`` values below ``lo``, the order
    statistic ``k`` of the row is the order statistic ``k - c`` of the values in the
    bracket (those below ``lo`` are smaller than all of them, those above ``hi`` larger),
    when the bracket holds both middle ones; otherwise (rarely: an unlucky sample) the row
    takes the full selection (:func:`_select_rows`). The bracket's values are selected as
    there (one partition at the upper middle one, the lower one the maximum left of it). A
    NaN fails both comparisons, so it lands in the bracket's values, and its row's median
    is NaN, as NumPy's. The middle values are averaged as :func:`numpy.mean` does (their
    float32 sum halved); the result is NumPy's value (a zero may differ in sign only, which
    compares equal).
    """
    rows, n = a.shape
    if n < _BRACKET_MIN:
        return _select_rows(a.copy())
    k = n // 2
    smp = np.sort(a[:, ::-(-n // _BRACKET_SAMPLE)], axis=1)
    m = smp.shape[1]
    margin = int(_BRACKET_Z * 0.5 * np.sqrt(m)) + 1
    i_lo, i_hi = max((m - 1) // 2 - margin, 0), min(m // 2 + margin, m - 1)
    below = np.less(a, smp[:, i_lo:i_lo + 1])
    out = np.greater(a, smp[:, i_hi:i_hi + 1])
    # per row (a count of one row takes NumPy's fast path, one along an axis does not)
    c_lo = [np.count_nonzero(r) for r in below]
    c_in = [n - c - np.count_nonzero(r) for c, r in zip(c_lo, out)]
    np.logical_or(out, below, out=out)
    inside = a[np.logical_not(out, out=out)]  # the bracket's values, row after row
    med = np.empty(rows, np.float32)
    start = 0
    for r in range(rows):
        kk, vals = k - c_lo[r], inside[start:start + c_in[r]]
        start += c_in[r]
        if not 1 <= kk < c_in[r]:
            med[r] = _select_rows(a[r:r + 1].copy())[0]
            continue
        vals.partition(kk)
        v = vals[kk:kk + 1].copy()
        if n % 2 == 0:
            v += vals[:kk].max()
            v /= 2
        med[r] = np.nan if np.isnan(vals[kk:].max()) else v[0]
    return med


def _resized_maps(flow, size: int, subtract_global: bool) -> np.ndarray:
    """:func:`flow_inputs` before normalisation: float32 (3, size, size) u, v, strain."""
    f = _check_flow(flow, np.float32)
    ws = _Workspace(*f.shape[:2], capacity=1)
    ws.put(0, f)
    out = np.empty((1, 3, size, size), np.float32)
    ws.maps(1, size, subtract_global, out)
    return out[0]


class _Workspace:
    """Buffers for the maps of up to ``capacity`` flows of one shape (y, x), reused.

    :meth:`put` copies a flow into contiguous planes, ``(3, capacity, y, x)``: the u planes,
    the v planes, then the strain planes; :meth:`maps` then runs every NumPy step (median,
    its subtraction, strain, scaling) once for all the flows put, with the arithmetic of
    one flow at a time (bit-identical); only the merge of each flow's three maps and their
    resize are calls per flow. Reusing the buffers matters: on a virtual machine a page of
    new memory costs about 10 us the first time it is touched.
    """

    def __init__(self, h: int, w: int, capacity: int = 4):
        self.capacity = capacity
        self.planes = np.empty((3, capacity, h, w), np.float32)
        self._grad = np.empty(2 * capacity * h * w, np.float32)
        self._merged = np.empty((h, w, 3), np.float32)

    def put(self, j: int, flow: np.ndarray) -> None:
        """Copy ``flow`` (y, x, 2), float32, into slot ``j`` (OpenCV's split, in place)."""
        u, v = self.planes[0, j], self.planes[1, j]
        got = cv2.split(flow, [u, v])  # returns the arrays given when it wrote into them
        if got[0] is not u or got[1] is not v:
            np.copyto(self.planes[:2, j], flow.transpose(2, 0, 1))

    def maps(self, m: int, size: int, subtract_global: bool, out: np.ndarray) -> None:
        """The (3, size, size) maps of slots ``0..m-1`` into ``out`` (m, 3, size, size).

        ``out`` may be float64: the values are float32 ones.
        """
        _, _, h, w = self.planes.shape
        n = h * w
        uv = self.planes[:2, :m]  # two contiguous blocks (m, y, x)
        if subtract_global:
            uv -= _median_rows(uv.reshape(2 * m, n)).reshape(2, m, 1, 1)
        # twice the strain: its halving is folded into the scaling below (exact: a resize
        # of 2 s is 2 resize(s), bit for bit, as is any scaling by a power of two)
        _strain_uv(uv, out=self.planes[2, :m], scratch=self._grad[:2 * m * n].reshape(2, m, h, w),
                   halve=False)
        interp = cv2.INTER_AREA if (h >= size and w >= size) else cv2.INTER_LINEAR
        r = np.empty((m, size, size, 3), np.float32)
        for j in range(m):
            cv2.merge([self.planes[0, j], self.planes[1, j], self.planes[2, j]], dst=self._merged)
            cv2.resize(self._merged, (size, size), dst=r[j], interpolation=interp)
        # u, v in pixels of the resized image (the strain is dimensionless), the strain halved
        np.multiply(r.transpose(0, 3, 1, 2), np.float32([size / w, size / h, 0.5])[:, None, None],
                    out=out, dtype=np.float32)


_WORKSPACES = threading.local()
_MAX_WORKSPACES = 4  # shapes per thread
_WORKSPACE_BYTES = 8 << 20  # largest workspace kept (5 float32 planes per flow slot)


def _workspace(h: int, w: int, capacity: int) -> _Workspace:
    """The calling thread's :class:`_Workspace` for flows of (h, w), created on first use.

    Its capacity is at most ``capacity`` and fits in ``_WORKSPACE_BYTES`` (at least one
    flow); a workspace larger than that (big frames) is not kept.
    """
    per_flow = 5 * 4 * h * w
    capacity = max(1, min(capacity, _WORKSPACE_BYTES // per_flow))
    if capacity * per_flow > _WORKSPACE_BYTES:
        return _Workspace(h, w, capacity)
    cache = getattr(_WORKSPACES, "cache", None)
    if cache is None:
        cache = _WORKSPACES.cache = {}
    key = (h, w, capacity)
    ws = cache.pop(key, None)
    if ws is None:
        ws = _Workspace(h, w, capacity)
        if len(cache) >= _MAX_WORKSPACES:
            cache.pop(next(iter(cache)))  # the least recently used
    cache[key] = ws
    return ws
