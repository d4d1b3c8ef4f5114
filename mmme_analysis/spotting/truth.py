"""Ground-truth interval tables for :func:`~mmme_analysis.spotting.spot_metrics` from annotations."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._validate import check_option, check_type
from .metrics import KINDS

__all__ = ["UNCODED_RULES", "spot_truth"]

#: ``uncoded=`` spellings of :func:`spot_truth`.
UNCODED_RULES: tuple[str, ...] = ("mirror", "apex", "drop")
_NEEDED = ("trial", "kind", "onset_frame", "apex_frame", "offset_frame")


def spot_truth(annotations: pd.DataFrame, trials=None, *, uncoded: str = "mirror") -> pd.DataFrame:
    """The truth table of spotting (one row per expression, frames inclusive) from ``ds.annotations``.

    Parameters
    ----------
    annotations : pandas.DataFrame
        :attr:`Dataset.annotations <mmme_analysis.dataset.Dataset.annotations>`: ``trial``,
        ``kind``, ``onset_frame``, ``apex_frame``, ``offset_frame`` (frames of the trial
        video) and, when present, ``offset_coded``.
    trials : iterable of str, optional
        Every evaluated trial (e.g. ``ds.trials["trial"]``); those without an expression get
        a row with NaN onset and offset, so that predictions on them count as false
        positives. Default: the trials of ``annotations``.
    uncoded : {"mirror", "apex", "drop"}
        What to do with an expression whose offset was not coded (the sheets then give the
        apex as offset): ``"mirror"`` (default) sets ``offset = apex + (apex - onset)``,
        the apex taken as the middle of the expression; ``"apex"`` keeps the offset at the
        apex (intervals often too short to be matched); ``"drop"`` leaves them out.

    Returns
    -------
    pandas.DataFrame
        ``video`` (the trial id), ``onset``, ``offset`` (Int64 frames, inclusive),
        ``kind``, ``apex``.

    Examples
    --------
    >>> import pandas as pd
    >>> ann = pd.DataFrame({"trial": ["t1", "t1"], "kind": ["micro", "macro"], "onset_frame": [10, 100],
    ...                     "apex_frame": [20, 150], "offset_frame": [40, 150], "offset_coded": [True, False]})
    >>> spot_truth(ann, ["t1", "t2"])[["video", "onset", "offset"]].values.tolist()
    [['t1', 10, 40], ['t1', 100, 200], ['t2', <NA>, <NA>]]
    """
    check_type("annotations", annotations, pd.DataFrame, "a pandas DataFrame")
    check_option("uncoded", uncoded, UNCODED_RULES)
    missing = [c for c in _NEEDED if c not in annotations]
    if missing:
        raise ValueError(f"Invalid value for 'annotations': expected columns {', '.join(_NEEDED)}, missing {missing!r}")
    a = annotations[annotations["kind"].isin(KINDS)].reset_index(drop=True)
    onset = a["onset_frame"].to_numpy(float)
    apex = a["apex_frame"].to_numpy(float)
    offset = a["offset_frame"].to_numpy(float)
    coded = a["offset_coded"].to_numpy(bool) if "offset_coded" in a else np.ones(len(a), bool)
    keep = np.isfinite(onset) & np.isfinite(offset)
    if uncoded == "mirror":
        offset = np.where(coded, offset, apex + (apex - onset))
    elif uncoded == "drop":
        keep &= coded
    out = pd.DataFrame({"video": a["trial"].astype(str).to_numpy(), "onset": onset, "offset": offset,
                        "kind": a["kind"].to_numpy(object), "apex": apex})[keep]
    listed = pd.unique(pd.Series(list(trials), dtype=str)) if trials is not None else pd.unique(a["trial"].astype(str))
    empty = [t for t in listed if t not in set(out["video"])]
    if empty:
        out = pd.concat([out, pd.DataFrame({"video": empty, "onset": np.nan, "offset": np.nan, "kind": None,
                                            "apex": np.nan})], ignore_index=True)
    for col in ("onset", "offset", "apex"):
        out[col] = pd.array(np.round(out[col].to_numpy(float)), dtype="Int64")
    return out.reset_index(drop=True)
