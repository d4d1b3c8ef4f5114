"""Matched strata of ME and non-ME moments: per-stratum contrasts and design counts.

:func:`mmme_analysis.physio.event_features` gives, for each ME, rows for the ME and for
its matched non-ME moments, all carrying the ME's ``event`` id. ``(subject, trial,
event)`` is thus a *stratum*: one ME and the controls drawn for it in the same trial.
Strata are nested in trials, trials in subjects. The quantity every design-aware test
here works on is the stratum's contrast, ME value minus the mean of its matched
controls; offsets shared by the rows of one trial (a subject's resting heart rate, the
level of a slow drift) cancel in it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["STRATUM", "moment_contrasts", "design_counts", "kish_n_eff"]

#: Columns that name a matched stratum.
STRATUM = ("subject", "trial", "event")


def _check_df(df, feature) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Invalid value for 'df': expected a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(feature, str):
        raise TypeError(f"Invalid value for 'feature': expected a column name (str), got {feature!r}")
    need = [*STRATUM, "moment", feature]
    missing = [c for c in need if c not in df]
    if missing:
        raise ValueError(
            f"Invalid value for 'df': expected the columns of physio.event_features ({', '.join(need)}), "
            f"missing {missing!r} (without matched strata use method='rows')"
        )
    return df


def moment_contrasts(df: pd.DataFrame, feature: str) -> pd.DataFrame:
    """Per-stratum contrast of one feature: ME value minus the mean of its matched controls.

    A stratum is kept when its ME value is finite and at least one of its controls is;
    controls with a non-finite value are left out of the mean (``n_controls`` counts
    those used).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`mmme_analysis.physio.event_features` (columns ``subject``,
        ``trial``, ``event``, ``moment``, the feature).
    feature : str
        Column to contrast.

    Returns
    -------
    pandas.DataFrame
        One row per stratum, sorted by subject, trial and event: ``subject``, ``trial``,
        ``event``, ``me`` (the ME value), ``control`` (mean of the controls),
        ``contrast`` (``me - control``, feature units), ``n_controls`` and ``values``
        (array: the ME value first, then the controls used; what permutations relabel).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"subject": "s1", "trial": 1, "event": [0, 0, 0, 1, 1],
    ...                    "moment": ["me", "non_me", "non_me", "me", "non_me"],
    ...                    "x": [3.0, 1.0, 2.0, 5.0, 4.0]})
    >>> moment_contrasts(df, "x")[["event", "contrast", "n_controls"]].to_dict("records")
    [{'event': 0, 'contrast': 1.5, 'n_controls': 2}, {'event': 1, 'contrast': 1.0, 'n_controls': 1}]
    """
    _check_df(df, feature)
    cols = [*STRATUM, "me", "control", "contrast", "n_controls", "values"]
    d = df.loc[df["moment"].isin(("me", "non_me")), [*STRATUM, "moment", feature]]
    d = d[np.isfinite(pd.to_numeric(d[feature], errors="coerce").to_numpy(float))]
    d = d.assign(_ctrl=(d["moment"] != "me").astype(int)).sort_values([*STRATUM, "_ctrl"], kind="stable")
    g = d.groupby(list(STRATUM), sort=False)
    n_me = g["_ctrl"].transform("size") - g["_ctrl"].transform("sum")
    n_ctrl = g["_ctrl"].transform("sum")
    d = d[(n_me == 1) & (n_ctrl >= 1)]  # one ME value and at least one control
    if d.empty:
        return pd.DataFrame(columns=cols)
    y = d[feature].to_numpy(float)
    first = np.flatnonzero(d["_ctrl"].to_numpy() == 0)  # the ME row opens each stratum
    stops = np.r_[first[1:], y.size]
    values = np.split(y, first[1:])
    me = y[first]
    n_c = stops - first - 1
    control = (np.add.reduceat(y, first) - me) / n_c
    out = d.iloc[first][list(STRATUM)].reset_index(drop=True)
    out = out.assign(me=me, control=control, contrast=me - control, n_controls=n_c.astype(int))
    arr = np.empty(len(values), object)
    for i, v in enumerate(values):  # element by element: equal lengths must not become a 2-D array
        arr[i] = v
    out["values"] = arr
    return out[cols]


def design_counts(strata: pd.DataFrame) -> dict:
    """``n_subjects``, ``n_trials`` (distinct subject-trial pairs) and ``n_me`` (strata) of a contrast table.

    Examples
    --------
    >>> import pandas as pd
    >>> design_counts(pd.DataFrame({"subject": ["a", "a", "b"], "trial": [1, 2, 1]}))
    {'n_subjects': 2, 'n_trials': 3, 'n_me': 3}
    """
    return {
        "n_subjects": int(strata["subject"].nunique()),
        "n_trials": int(strata.groupby(["subject", "trial"]).ngroups) if len(strata) else 0,
        "n_me": int(len(strata)),
    }


def kish_n_eff(strata: pd.DataFrame, subject_var: float, trial_var: float, residual_var: float) -> float:
    """Effective number of strata for the mean contrast, from the Kish design effect.

    Two strata of one trial correlate by ``rho_t = (subject_var + trial_var) / total``,
    two of one subject in different trials by ``rho_s = subject_var / total``. The design
    effect of the equally weighted mean is ``1 + sum over ordered pairs of their
    correlation / n``, and ``n_eff = n / deff`` (``n`` when the variances are zero).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"subject": ["a"] * 4, "trial": [1, 1, 2, 2]})
    >>> kish_n_eff(s, 0.0, 1.0, 1.0)  # rho_t = 0.5, 2 strata per trial: deff = 1.5
    2.6666666666666665
    """
    n = len(strata)
    total = subject_var + trial_var + residual_var
    if n == 0:
        return 0.0
    if not np.isfinite(total) or total <= 0:
        return float(n)
    rho_t = (subject_var + trial_var) / total
    rho_s = subject_var / total
    per_trial = strata.groupby(["subject", "trial"]).size().to_numpy(float)
    per_subject = strata.groupby("subject").size().to_numpy(float)
    same_trial = float((per_trial * (per_trial - 1)).sum())
    same_subject = float((per_subject * (per_subject - 1)).sum()) - same_trial
    deff = 1.0 + (same_trial * rho_t + same_subject * rho_s) / n
    return float(n / deff)
