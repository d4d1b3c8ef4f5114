"""Where feature windows fit, and where matched non-ME moments go (used by ``event_features``).

A feature window ``[anchor + w0, anchor + w1)`` is *cut* when it runs past the part of
the signal where its variable is measured: the recording ``[time[0], time[-1] + dt]``, or,
for beat-based rates (attrs ``valid_from`` / ``valid_to``, see
:func:`~mmme_analysis.physio._base.mark_span`), the first and last interval midpoint,
outside which the rate is only held constant. A cut window's mean is taken on the part
inside (:func:`window_mean`); nothing is shortened silently: rows carry a ``cut`` flag.

Matched non-ME moments (:func:`match_times`) are drawn under the constraints of the ME
they match: in the same trial, away from every expression, with uncut windows when the
ME's are uncut, and at the same distance from the nearer trial edge as the ME where
possible (else the nearest possible), up to a horizon beyond which position is not
matched. Processing has edge effects (filter transients, rates held constant before the
first beat), so MEs near an edge compared with controls from the middle of the trial are
biased; the old scheme, which confined controls to the middle and shortened the MEs'
windows, gave a +0.14 bpm/s bias of |HR slope| on null data with MEs at the edges.
"""
from __future__ import annotations

import numpy as np

__all__ = ["EDGE_HORIZON", "EDGE_TOLERANCE", "signal_extent", "variable_span", "cut_mask", "edge_distance",
           "match_times", "window_mean"]

#: Distance (s) from a trial edge beyond which controls are not matched on edge distance.
EDGE_HORIZON = 10.0
#: Edge distances (s) closer than this to the ME's count as equal (controls drawn among them).
EDGE_TOLERANCE = 0.5

_EPS = 1e-9


def signal_extent(time: np.ndarray) -> tuple[float, float]:
    """``(start, end)`` (s) covered by the samples: ``[time[0], time[-1] + dt]``."""
    dt = float(np.median(np.diff(time))) if time.size > 1 else 0.0
    return float(time[0]), float(time[-1]) + dt


def variable_span(attrs: dict, extent: tuple[float, float]) -> tuple[float, float]:
    """Where a variable is measured: its ``valid_from`` / ``valid_to`` attrs within ``extent``."""
    lo, hi = extent
    vf, vt = attrs.get("valid_from"), attrs.get("valid_to")
    if vf is not None and np.isfinite(vf):
        lo = max(lo, float(vf))
    if vt is not None and np.isfinite(vt):
        hi = min(hi, float(vt))
    return lo, hi


def cut_mask(apex, windows) -> np.ndarray:
    """True where any window of a pattern placed at ``apex`` is cut.

    Parameters
    ----------
    apex : array of float
        Apex times (s) of the pattern.
    windows : sequence of (rel, w0, w1, lo, hi)
        One entry per feature window: anchor time relative to the apex (s), window
        (s, relative to the anchor) and the span (s) where its variable is measured.
    """
    apex = np.atleast_1d(np.asarray(apex, float))
    cut = np.zeros(apex.shape, bool)
    for rel, w0, w1, lo, hi in windows:
        cut |= (apex + rel + w0 < lo - _EPS) | (apex + rel + w1 > hi + _EPS)
    return cut


def edge_distance(t, extent: tuple[float, float]) -> np.ndarray:
    """Distance (s) of ``t`` to the nearer edge of ``extent``."""
    t = np.asarray(t, float)
    return np.minimum(t - extent[0], extent[1] - t)


def match_times(ev, all_events, extent, windows, n, min_distance, rng, step, *, horizon=EDGE_HORIZON,
                tolerance=EDGE_TOLERANCE) -> np.ndarray:
    """Apex times (sorted) of up to ``n`` matched non-ME moments for the expression ``ev``.

    Candidates (a grid of ``step`` s) keep the expression's onset-apex-offset pattern
    inside the recording ``extent`` and ``min_distance`` s away from every expression of
    ``all_events``; when the expression's own windows are uncut, so must theirs be
    (:func:`cut_mask` with ``windows``). Among them, those whose edge distance (capped at
    ``horizon``) is within ``tolerance`` of the expression's are drawn at random first,
    then the nearest others.
    """
    rel_on, rel_off = ev.onset - ev.apex, ev.offset - ev.apex
    lo, hi = extent[0] - rel_on, extent[1] - rel_off
    if hi <= lo:
        return np.zeros(0)
    grid = np.arange(lo, hi, step)
    ok = np.ones(grid.size, bool)
    for o, f in zip(all_events["onset"].to_numpy(float), all_events["offset"].to_numpy(float)):
        # pseudo interval [g + rel_on, g + rel_off] must be >= min_distance away from [o, f]
        ok &= (grid + rel_off <= o - min_distance) | (grid + rel_on >= f + min_distance)
    if not cut_mask([ev.apex], windows)[0]:
        ok &= ~cut_mask(grid, windows)
    cand = grid[ok]
    if cand.size == 0:
        return np.zeros(0)
    target = min(float(edge_distance(ev.apex, extent)), horizon)
    miss = np.abs(np.minimum(edge_distance(cand, extent), horizon) - target)
    key = np.where(miss <= tolerance, 0.0, miss)
    order = np.lexsort((rng.random(cand.size), key))
    return np.sort(cand[order[:n]])


def window_mean(values: np.ndarray, time: np.ndarray, t0: float, t1: float, span: tuple[float, float]) -> float:
    """Mean of the finite ``values`` at samples in ``[t0, t1)`` clipped to ``span``.

    A window entirely outside ``span`` takes the value of the sample nearest to it
    inside ``span`` (for a rate: the value held from the first / last measured interval).
    """
    c0, c1 = np.clip([t0, t1], span[0], span[1])
    i0, i1 = np.searchsorted(time, [c0, c1])
    if i1 <= i0:  # nothing inside: the nearest sample within the span
        i0 = min(int(np.searchsorted(time, c0 - _EPS)), time.size - 1)
        i1 = i0 + 1
    seg = values[i0:i1]
    seg = seg[np.isfinite(seg)]
    return float(seg.mean()) if seg.size else np.nan
