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
(as :func:`~mmme_analysis.flow.flow_compute` returns) and in float64 otherwise.
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


def _strain_uv(uv: np.ndarray) -> np.ndarray:
    """Strain magnitude of ``uv`` (2, y, x) = (u, v) planes, in their float dtype.

    One :func:`numpy.gradient` call over both planes (fastest on a contiguous ``uv``);
    the same arithmetic as :func:`strain_components`, in place on its temporaries.
    """
    (du_dy, dv_dy), (du_dx, dv_dx) = np.gradient(uv, axis=(1, 2))
    exy = du_dy
    exy += dv_dx
    exy *= 0.5  # exy = (du/dy + dv/dx) / 2, as in strain_components
    out = np.square(du_dx)
    out += np.square(dv_dy, out=dv_dx)
    out += np.multiply(np.square(exy, out=exy), 2.0, out=exy)
    return np.sqrt(out, out=out)
