r"""Optical strain from the spatial gradients of a flow field.

For a displacement field ``(u, v)`` the infinitesimal strain tensor is

.. math::

    \\varepsilon = \\begin{pmatrix} \\partial u/\\partial x &
    \\tfrac12(\\partial u/\\partial y + \\partial v/\\partial x) \\\\
    \\tfrac12(\\partial v/\\partial x + \\partial u/\\partial y) & \\partial v/\\partial y
    \\end{pmatrix}

and the optical strain magnitude used by STSTNet (Liong et al. 2019; Shreve et al. 2011) is
``sqrt(exx**2 + eyy**2 + exy**2 + eyx**2)`` with ``exy == eyx``. A pure translation has
zero strain; rotations contribute nothing either (the antisymmetric part is dropped).
Gradients are central differences (``numpy.gradient``), one pixel spacing, so the strain is
dimensionless (pixels per pixel). :func:`flow_strain` computes in float32 for a float32 flow
(as :func:`~mmme_analysis.flow.flow_compute` returns) and in float64 otherwise; its gradients
are those of :func:`numpy.gradient`, bit for bit, computed in a few contiguous passes.
"""
from __future__ import annotations

import numpy as np

__all__ = ["flow_strain", "strain_components"]


def _check_flow(flow, dtype=np.float64) -> np.ndarray:
    f = np.asarray(flow, dtype=dtype)
    if f.ndim != 3 or f.shape[-1] != 2:
        raise ValueError(
            f"Invalid value for 'flow': expected an array of shape (y, x, 2), got shape {f.shape}"
        )
    if min(f.shape[:2]) < 2:
        raise ValueError(f"Invalid value for 'flow': expected at least 2x2 pixels, got {f.shape}")
    return f


def strain_components(flow) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(exx, eyy, exy)`` of the strain tensor of ``flow`` (dimensionless).

    Parameters
    ----------
    flow : array-like, shape (y, x, 2)
        ``(u, v)`` displacement in pixels.
    """
    f = _check_flow(flow)
    du_dy, du_dx = np.gradient(f[..., 0])
    dv_dy, dv_dx = np.gradient(f[..., 1])
    return du_dx, dv_dy, 0.5 * (du_dy + dv_dx)


def flow_strain(flow) -> np.ndarray:
    """Optical strain magnitude of a flow field.

    Parameters
    ----------
    flow : array-like, shape (y, x, 2)
        ``(u, v)`` displacement in pixels (e.g. from :func:`~mmme_analysis.flow.flow_compute`).

    Returns
    -------
    numpy.ndarray, shape (y, x), float32
        ``sqrt(exx**2 + eyy**2 + 2 * exy**2)``, dimensionless, >= 0.
    """
    f = np.asarray(flow)
    dtype = np.float32 if f.dtype == np.float32 else np.float64
    f = _check_flow(f, dtype)
    return _strain_uv(np.ascontiguousarray(np.moveaxis(f, -1, 0))).astype(np.float32, copy=False)


def _gradients(p: np.ndarray, axis: int, out: np.ndarray) -> np.ndarray:
    """:func:`numpy.gradient` along ``axis`` (-2: y, -1: x) of C-contiguous planes, into ``out``.

    ``p`` is one plane (y, x) or a stack of them (..., y, x), each on its own. The
    arithmetic is that of :func:`numpy.gradient` (bit-identical): central differences
    ``(f[i+1] - f[i-1]) / 2`` inside (``* 0.5``, exact like its ``/ 2``) and one-sided
    differences ``f[1] - f[0]``, ``f[-1] - f[-2]`` at the borders. The inner differences
    run over the flattened planes in one contiguous pass (offset one row, or one pixel);
    the values this gives on the border rows or columns, across the planes' edges, are then
    overwritten by the one-sided differences, both borders of every plane in one strided
    operation.
    """
    n = p.shape[axis]
    step = p.shape[-1] if axis == -2 else 1
    flat = p.reshape(-1)
    inner = out.reshape(-1)[step:-step]
    np.subtract(flat[2 * step:], flat[:-2 * step], out=inner)
    inner *= 0.5
    d = max(n - 2, 1)  # rows 1, n-1 minus rows 0, n-2, into rows 0, n-1 (n == 2: both 1 - 0)
    if axis == -2:
        np.subtract(p[..., 1:n:d, :], p[..., 0:n - 1:d, :], out=out[..., ::n - 1, :])
    else:
        np.subtract(p[..., 1:n:d], p[..., 0:n - 1:d], out=out[..., ::n - 1])
    return out


def _strain_uv(uv: np.ndarray, out: np.ndarray | None = None,
               scratch: np.ndarray | None = None) -> np.ndarray:
    """Strain magnitude of ``uv`` (2, ..., y, x) = (u, v) planes, in their float dtype.

    ``uv[0]`` and ``uv[1]`` must each be C-contiguous; they are left unchanged. The axes
    between the first and the last two hold independent flows (the strain of each,
    computed all at once). The gradients are those of :func:`numpy.gradient`
    (:func:`_gradients`) and the arithmetic that of :func:`strain_components`, in the same
    order and precision (bit-identical results), in place on two scratch blocks of the
    shape of ``uv`` (``scratch``, allocated if None: a small working set, as the flow is
    large next to the caches). ``out`` (..., y, x), optional, receives the result.
    """
    u, v = uv
    a, b = np.empty(uv.shape, uv.dtype) if scratch is None else scratch
    out = np.square(_gradients(u, -1, a), out=out)  # (du/dx)^2
    out += np.square(_gradients(v, -2, a), out=a)  # + (dv/dy)^2
    exy = np.add(_gradients(u, -2, a), _gradients(v, -1, b), out=a)  # du/dy + dv/dx
    exy *= 0.5  # exy, as in strain_components
    np.square(exy, out=exy)
    exy *= 2.0
    out += exy
    return np.sqrt(out, out=out)
