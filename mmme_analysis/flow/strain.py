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
(as :func:`~mmme_analysis.flow.flow_compute` returns) and in float64 otherwise; its result is
that of :func:`numpy.gradient` and :func:`strain_components`, bit for bit, computed in a few
contiguous passes.
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


def _differences(p: np.ndarray, axis: int, out: np.ndarray) -> np.ndarray:
    """Twice :func:`numpy.gradient` along ``axis`` (-2: y, -1: x) of C-contiguous planes, into ``out``.

    ``p`` is one plane (y, x) or a stack of them (..., y, x), each on its own. Inside, the
    central differences ``f[i+1] - f[i-1]`` (:func:`numpy.gradient` halves them; the
    halving is exact, so these are twice its values bit for bit), at the borders twice the
    one-sided differences ``f[1] - f[0]``, ``f[-1] - f[-2]``. The inner differences run
    over the flattened planes in one contiguous pass (offset one row, or one pixel); the
    values this gives on the border rows or columns, across the planes' edges, are then
    overwritten by the one-sided differences, both borders of every plane in one strided
    operation.
    """
    n = p.shape[axis]
    step = p.shape[-1] if axis == -2 else 1
    flat = p.reshape(-1)
    np.subtract(flat[2 * step:], flat[:-2 * step], out=out.reshape(-1)[step:-step])
    d = max(n - 2, 1)  # rows 1, n-1 minus rows 0, n-2, into rows 0, n-1 (n == 2: both 1 - 0)
    if axis == -2:
        border = out[..., ::n - 1, :]
        np.subtract(p[..., 1:n:d, :], p[..., 0:n - 1:d, :], out=border)
    else:
        border = out[..., ::n - 1]
        np.subtract(p[..., 1:n:d], p[..., 0:n - 1:d], out=border)
    border *= 2
    return out


def _strain_uv(uv: np.ndarray, out: np.ndarray | None = None,
               scratch: np.ndarray | None = None, halve: bool = True) -> np.ndarray:
    """Strain magnitude of ``uv`` (2, ..., y, x) = (u, v) planes, in their float dtype.

    ``uv[0]`` and ``uv[1]`` must each be C-contiguous; they are left unchanged. The axes
    between the first and the last two hold independent flows (the strain of each,
    computed all at once), in place on two scratch blocks of the shape of ``uv``
    (``scratch``, allocated if None: a small working set, as the flow is large next to the
    caches). ``out`` (..., y, x), optional, receives the result; with ``halve=False`` it is
    twice the strain (exactly: the last step below, left to the caller, e.g. folded into a
    later scaling).

    The result is that of :func:`strain_components` and :func:`numpy.gradient` bit for bit,
    with fewer passes: from the doubled gradients ``D`` (:func:`_differences`, no halving
    pass), ``sqrt(Dux^2 + Dvy^2 + (Duy + Dvx)^2 / 2) / 2``. Each float operation of the
    plain form (``ux^2 + vy^2 + 2 * (0.5 * (uy + vx))^2``, then the square root) is the one
    here scaled by a power of two, which changes no rounding (as long as no square falls
    below the smallest normal number, about 1e-38 in float32: differences below 1e-19).
    """
    u, v = uv
    a, b = np.empty(uv.shape, uv.dtype) if scratch is None else scratch
    out = np.square(_differences(u, -1, a), out=out)  # Dux^2
    out += np.square(_differences(v, -2, a), out=a)  # + Dvy^2
    s = np.add(_differences(u, -2, a), _differences(v, -1, b), out=a)  # Duy + Dvx = 4 exy
    np.square(s, out=s)
    s *= 0.5  # 2 * (2 exy)^2, i.e. 4 * (2 exy^2)
    out += s
    np.sqrt(out, out=out)
    if halve:
        out *= 0.5
    return out
