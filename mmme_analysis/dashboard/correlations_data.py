"""State of the correlation explorer: the event table, what is chosen, what is selected and
what was fitted (no views here; :mod:`.correlations_views` draws it).

:class:`CorrelationData` holds an event table (:func:`mmme_analysis.stats.event_table`)
and, as parameters, the features of the heat map and of the scatter matrix, the feature
pair, the correlation method, the grouping and the group shown, and the brushed selection
(a HoloViews ``dim`` expression from ``link_selections``). Its results are plain tables and
dicts: :attr:`CorrelationData.matrix` (every pair, FDR), :attr:`CorrelationData.pair`
(the chosen pair: correlation, mixed model, permutation null, leave-one-subject-out,
per-group correlations) and :attr:`CorrelationData.contrast` (ME vs matched non-ME of the
pair's ``y``, by :func:`mmme_analysis.stats.compare_moments`, with a *published* reference
value where a paper reports one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import param

from ..stats.pair_correlations import METHODS, correlation_matrix, loso_influence, pair_correlation, pair_mixedlm, permutation_null

__all__ = ["CorrelationData", "GROUPINGS", "ID_COLUMNS", "PUBLISHED", "ROW", "counts"]

#: Columns of an event table that are not features.
ID_COLUMNS = ("event_id", "trial", "subject", "kind", "matched_to", "emotion7", "emotion3", "category",
              "onset", "apex", "offset")
#: Groupings: name -> label shown.
GROUPINGS = {"none": "none", "emotion7": "emotion (7 classes)", "emotion3": "emotion (3 classes)",
             "kind": "ME vs non-ME (kind)", "subject": "subject", "au": "AU present"}
#: Published reference values beside a computed contrast, by feature (labelled *published* wherever shown).
PUBLISHED = {"ecg_slope_apex": {"source": "CMCL-Net", "quantity": "HR slope at ME apex vs non-ME moments",
                                "key": "hr_slope_apex_vs_non_me_p"}}
#: Column of a row's position in :attr:`CorrelationData.view`, for selections by row (``hv.dim(ROW).isin(rows)``).
ROW = "event_row"
#: At most this many features in the scatter matrix, and by default in the heat map.
MAX_MATRIX, MAX_HEATMAP = 5, 24


def counts(df: pd.DataFrame, columns=()) -> tuple:
    """``(n events, n subjects)`` of the rows of ``df`` where every one of ``columns`` is finite.

    Examples
    --------
    >>> import pandas as pd
    >>> counts(pd.DataFrame({"subject": ["a", "a", "b"], "x": [1.0, None, 2.0]}), ["x"])
    (2, 2)
    """
    ok = np.ones(len(df), bool)
    for c in columns:
        ok &= np.isfinite(pd.to_numeric(df[c], errors="coerce").to_numpy(float))
    return int(ok.sum()), int(df.loc[ok, "subject"].nunique())


def _features(table: pd.DataFrame) -> list:
    """Feature columns: ``attrs["features"]`` when given, else the numeric non-id columns."""
    listed = table.attrs.get("features")
    cols = list(listed) if listed else [c for c in table.columns if c not in ID_COLUMNS]
    return [c for c in cols if c in table and pd.api.types.is_numeric_dtype(table[c])
            and not pd.api.types.is_bool_dtype(table[c])]


def _informative(table, features) -> list:
    """Features with at least 3 finite values that vary: the non-AU ones, then AUs by frequency."""
    keep = []
    for c in features:
        v = pd.to_numeric(table[c], errors="coerce").to_numpy(float)
        v = v[np.isfinite(v)]
        if v.size >= 3 and np.ptp(v) > 0:
            keep.append(c)
    aus = sorted((c for c in keep if c.startswith("au_")), key=lambda c: -float(table[c].sum()))
    return [c for c in keep if not c.startswith("au_")] + aus


class CorrelationData(param.Parameterized):
    """The event table, the choices made on it and the statistics fitted.

    Parameters
    ----------
    table : pandas.DataFrame
        Event table (:func:`mmme_analysis.stats.event_table`): ``event_id``, ``trial``,
        ``subject``, ``kind``, ``apex`` ... and numeric feature columns
        (``table.attrs["features"]`` when set; units in ``table.attrs["units"]``).
    **params
        ``x``, ``y``, ``features``, ``matrix_features``, ``method``, ``grouping``, ...

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"event_id": [f"e{i}" for i in range(60)], "trial": "sub-01_101",
    ...                   "subject": np.repeat(["sub-01", "sub-02", "sub-03"], 20), "kind": "micro",
    ...                   "apex": np.arange(60) / 10, "a": rng.normal(size=60), "b": rng.normal(size=60)})
    >>> data = CorrelationData(t)
    >>> data.x, data.y, data.counts()
    ('a', 'b', (60, 3))
    >>> data.pair["correlation"]["n"], data.pair["mixedlm"]["n_subjects"], data.pair["loso_warning"]
    (60, 3, None)
    """

    table = param.DataFrame(default=None, allow_None=True, doc="The event table.")
    features = param.ListSelector(default=[], objects=[], doc="Features of the heat map.")
    matrix_features = param.ListSelector(default=[], objects=[], doc=f"Features of the scatter matrix (<= {MAX_MATRIX}).")
    x = param.Selector(default=None, objects=[], allow_None=True, doc="Feature on the horizontal axis of the pair.")
    y = param.Selector(default=None, objects=[], allow_None=True, doc="Feature on the vertical axis of the pair.")
    method = param.Selector(default="pearson", objects=list(METHODS), doc="Correlation: pearson, spearman, rmcorr.")
    grouping = param.Selector(default="none", objects=list(GROUPINGS), doc="Grouping of the events.")
    group_au = param.Selector(default=None, objects=[], allow_None=True, doc="AU of the 'au' grouping.")
    group_level = param.Selector(default="all", objects=["all"], doc="Group shown ('all': every event).")
    alpha = param.Number(default=0.05, bounds=(1e-6, 0.5), doc="Significance / FDR level.")
    n_permutations = param.Integer(default=1000, bounds=(10, 100_000), doc="Permutations of the null and contrast.")
    seed = param.Integer(default=0, bounds=(0, None), doc="Seed of the permutations.")
    selection_expr = param.Parameter(default=None, doc="Brushed selection (HoloViews dim expression) or None.")
    version = param.Integer(default=0, constant=True, doc="Bumped once the events shown (view) changed.")
    matrix_version = param.Integer(default=0, constant=True, doc="Bumped once matrix was recomputed.")
    pair_version = param.Integer(default=0, constant=True, doc="Bumped once pair and contrast were recomputed.")
    defer_pair = param.Callable(default=None, allow_None=True, precedence=-1,
                                doc="Runs the pair's statistics when x, y or the method change, given the function "
                                    "(the app passes one that runs it after the scatter redrew); None: at once.")

    def __init__(self, table=None, **params):
        super().__init__()
        self.view = pd.DataFrame()  # rows of the group shown
        self.matrix = pd.DataFrame()
        self.pair: dict = {}
        self.contrast: dict = {}
        self._mask = None  # cached selection mask of view
        with param.parameterized.discard_events(self):
            self.table = table
        self._on_table()
        params = self._checked(params)
        level = params.pop("group_level", None)
        self.param.update(**params)
        if level is not None:  # its levels follow the grouping
            levels = list(self.param.group_level.objects)
            if level not in levels:
                raise ValueError(f"Invalid value for 'group_level': expected one of the groups of grouping "
                                 f"{self.grouping!r} ({', '.join(map(repr, levels))}), got {level!r}")
            self.group_level = level

    def _checked(self, params: dict) -> dict:
        """``params`` if each names a parameter and a value it takes, else a TypeError or ValueError naming it."""
        names = [n for n in self.param if n not in ("name", "table", "version", "matrix_version", "pair_version")]
        for name, value in params.items():
            if name not in names:
                raise TypeError(f"Invalid value for 'params': expected parameters among {', '.join(names)}, got {name!r}")
            p = self.param[name]
            if isinstance(p, (param.Number, param.Integer)) and p.bounds is not None:
                lo, hi = p.bounds
                ok = isinstance(value, (int, float)) and not isinstance(value, bool)
                if not ok or (lo is not None and value < lo) or (hi is not None and value > hi):
                    kind = "an integer" if isinstance(p, param.Integer) else "a number"
                    raise ValueError(f"Invalid value for {name!r}: expected {kind} in [{lo}, {hi if hi is not None else 'inf'}], "
                                     f"got {value!r}")
            objects = list(p.objects) if hasattr(p, "objects") and name != "group_level" else None
            if objects is None:
                continue
            shown = ", ".join(map(repr, objects[:8])) + (f", ... ({len(objects)} in all)" if len(objects) > 8 else "")
            what = "features of the table" if name in ("x", "y", "features", "matrix_features", "group_au") else "options"
            if isinstance(p, param.ListSelector):
                if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                    raise TypeError(f"Invalid value for {name!r}: expected a list of feature names, got {value!r}")
                bad = [v for v in value if v not in objects]
                if bad:
                    raise ValueError(f"Invalid value for {name!r}: expected {what} ({shown}), got {bad[0]!r}")
            elif value not in objects and not (value is None and p.allow_None):
                raise ValueError(f"Invalid value for {name!r}: expected one of the {what} ({shown}), got {value!r}")
        if len(params.get("matrix_features", ())) > MAX_MATRIX:
            raise ValueError(f"Invalid value for 'matrix_features': expected at most {MAX_MATRIX} features, "
                             f"got {len(params['matrix_features'])}")
        return params

    # -- table and choices -----------------------------------------------------------------
    @param.depends("table", watch=True)
    def _on_table(self):
        t = self.table
        if t is None:
            t = self.table = pd.DataFrame(columns=["event_id", "trial", "subject", "kind", "apex"])
        missing = [c for c in ("event_id", "trial", "subject", "kind", "apex") if c not in t]
        if missing:
            raise ValueError(f"Invalid value for 'table': expected the columns of stats.event_table, missing {missing!r}")
        feats = _features(t)
        useful = _informative(t, feats)
        aus = [c for c in feats if c.startswith("au_")]
        with param.parameterized.discard_events(self):
            for name in ("features", "matrix_features", "x", "y"):
                self.param[name].objects = feats
            self.param.group_au.objects = aus
            self.param.update(features=useful[:MAX_HEATMAP], matrix_features=useful[:3],
                              x=useful[0] if useful else None, y=useful[1] if len(useful) > 1 else None,
                              group_au=aus[0] if aus else None, group_level="all")
        self._on_grouping()

    @param.depends("grouping", "group_au", watch=True)
    def _on_grouping(self):
        labels = self.group_labels()
        levels = ["all"] + (sorted(pd.unique(labels.dropna()), key=str) if labels is not None else [])
        self.param.group_level.objects = levels
        if self.group_level not in levels:
            with param.parameterized.discard_events(self):
                self.group_level = "all"
        self._on_level()

    def group_labels(self) -> pd.Series | None:
        """The group of each row of ``table`` under ``grouping`` (None for ``"none"``)."""
        t = self.table
        if self.grouping == "none":
            return None
        if self.grouping == "au":
            if self.group_au is None:
                return None
            au = self.group_au.replace("au_", "AU")
            return pd.Series(np.where(t[self.group_au].fillna(0).to_numpy(float) > 0, f"{au} present", f"no {au}"),
                             index=t.index)
        col = self.grouping
        return t[col].astype("string") if col in t else pd.Series(pd.NA, index=t.index, dtype="string")

    @param.depends("group_level", watch=True)
    def _on_level(self):
        labels = self.group_labels()
        view = self.table if labels is None or self.group_level == "all" else self.table[labels == self.group_level]
        self.view = view.reset_index(drop=True)
        self._mask = None
        with param.parameterized.discard_events(self):
            self.selection_expr = None
        self.compute_matrix()
        self.compute_pair()
        with param.edit_constant(self):
            self.version += 1

    @param.depends("x", "y", "method", "alpha", "n_permutations", "seed", watch=True)
    def _on_pair(self):
        if self.defer_pair is not None:
            self.defer_pair(self.compute_pair)  # e.g. after the scatter redrew (set by the app)
        else:
            self.compute_pair()

    @param.depends("features", "method", "alpha", watch=True)
    def compute_matrix(self):
        """Fill :attr:`matrix` (:func:`correlation_matrix` of ``features`` on the rows shown)."""
        feats = [f for f in self.features if f in self.view]
        try:
            self.matrix = correlation_matrix(self.view, feats, method=self.method, alpha=self.alpha)
        except ValueError:  # fewer than two features
            self.matrix = pd.DataFrame(columns=["x", "y", "method", "r", "p", "q", "reject", "n", "n_subjects"])
        with param.edit_constant(self):
            self.matrix_version += 1

    @param.depends("selection_expr", watch=True)
    def _on_selection(self):
        self._mask = None

    # -- selection -------------------------------------------------------------------------
    def selected_mask(self) -> np.ndarray:
        """Boolean mask over :attr:`view`: the brushed events (every event when nothing is brushed).

        The selection is a HoloViews ``dim`` expression on the feature columns and on
        :data:`ROW` (the row's position in :attr:`view`).
        """
        expr, view = self.selection_expr, self.view
        if self._mask is None or self._mask[0] is not expr or self._mask[1] is not view:
            if expr is None or view.empty:
                mask = np.ones(len(view), bool)
            else:
                import holoviews as hv

                rows = view.assign(**{ROW: np.arange(len(view))})
                mask = np.asarray(expr.apply(hv.Dataset(rows), expanded=True, compute=True), bool).reshape(-1)
            self._mask = (expr, view, mask)
        return self._mask[2]

    def counts(self, columns=(), selected: bool = False) -> tuple:
        """``(n events, n subjects)`` shown (brushed only when ``selected``), with finite ``columns``."""
        view = self.view[self.selected_mask()] if selected else self.view
        return counts(view, columns)

    def selection_table(self) -> pd.DataFrame:
        """The brushed events (every event shown when nothing is brushed): ids, times, the pair and the matrix features."""
        cols = [c for c in ID_COLUMNS if c in self.view]
        feats = list(dict.fromkeys([f for f in (self.x, self.y, *self.matrix_features) if f is not None]))
        return self.view.loc[self.selected_mask(), cols + feats].reset_index(drop=True)

    # -- the pair --------------------------------------------------------------------------
    def compute_pair(self):
        """Fill :attr:`pair` and :attr:`contrast` for ``x``, ``y`` on the rows shown.

        Keys of :attr:`pair`: ``correlation`` (:func:`pair_correlation`), ``mixedlm``
        (:func:`pair_mixedlm`), ``null`` (:func:`permutation_null`), ``loso`` (table) and
        ``loso_warning``, ``by_group`` (per-group correlations), ``errors`` (what could not
        be computed and why).
        """
        x, y, view = self.x, self.y, self.view
        pair, errors = {}, {}
        if x is None or y is None or x == y or view.empty:
            self.pair, self.contrast = {"errors": {"pair": "Choose two different features."}}, {}
            with param.edit_constant(self):
                self.pair_version += 1
            return
        steps = {
            "correlation": lambda: pair_correlation(view, x, y, method=self.method),
            "mixedlm": lambda: pair_mixedlm(view, x, y),
            "null": lambda: permutation_null(view, x, y, method=self.method, rng=np.random.default_rng(self.seed),
                                             n_permutations=self.n_permutations),
            "loso": lambda: loso_influence(view, x, y, method=self.method, alpha=self.alpha),
            "by_group": self._by_group,
        }
        for key, step in steps.items():
            try:
                pair[key] = step()
            except (ValueError, np.linalg.LinAlgError) as err:
                errors[key] = str(err)
        if "loso" in pair:
            pair["loso"], pair["loso_warning"] = pair["loso"]
        pair["errors"] = errors
        self.pair = pair
        self.contrast = self._contrast(y)
        with param.edit_constant(self):
            self.pair_version += 1

    def _by_group(self) -> pd.DataFrame:
        labels = self.group_labels()
        cols = ["group", "r", "p", "n", "n_subjects"]
        if labels is None:
            return pd.DataFrame(columns=cols)
        rows = []
        for level in sorted(pd.unique(labels.dropna()), key=str):
            part = self.table[(labels == level).fillna(False).to_numpy(bool)]
            rows.append({"group": level, **pair_correlation(part, self.x, self.y, method=self.method)})
        return pd.DataFrame(rows)[cols] if rows else pd.DataFrame(columns=cols)

    def _contrast(self, feature) -> dict:
        """ME vs matched non-ME of ``feature`` over the whole table (stats.compare_moments)."""
        from ..stats import compare_moments, event_table_moments

        if "matched_to" not in self.table or not (self.table["kind"] == "control").any():
            return {"error": "No matched non-ME moments in this table (a coding sheet has none)."}
        try:
            moments = event_table_moments(self.table)
            res = compare_moments(moments, [feature], rng=np.random.default_rng(self.seed),
                                  n_permutations=self.n_permutations, effect_size=False)
        except (ValueError, np.linalg.LinAlgError) as err:
            return {"error": str(err)}
        out = {k: (v.item() if hasattr(v, "item") else v) for k, v in res.iloc[0].to_dict().items()}
        ref = PUBLISHED.get(feature)
        if ref is not None:
            from ..stats.published import CMCL_NET

            out["published"] = {"source": ref["source"], "quantity": ref["quantity"], "p": CMCL_NET[ref["key"]]}
        return out

    def fit_table(self) -> pd.DataFrame:
        """What was fitted for the pair, one row per quantity (the CSV export).

        Columns ``quantity``, ``x``, ``y``, ``method``, ``estimate``, ``ci_low``,
        ``ci_high``, ``p``, ``n_events``, ``n_subjects``, ``source`` (``"computed"``, or
        ``"published"`` for reference values from papers, which carry no estimate).
        """
        rows = []
        base = {"x": self.x, "y": self.y}
        c = self.pair.get("correlation")
        if c:
            rows.append({**base, "quantity": f"correlation ({c['method']})", "method": c["method"], "estimate": c["r"],
                         "p": c["p"], "n_events": c["n"], "n_subjects": c["n_subjects"]})
        m = self.pair.get("mixedlm")
        if m:
            rows.append({**base, "quantity": "mixed-model slope (y per x unit, subject intercepts)", "method": "MixedLM REML",
                         "estimate": m["estimate"], "ci_low": m["ci_low"], "ci_high": m["ci_high"], "p": m["p"],
                         "n_events": m["n"], "n_subjects": m["n_subjects"]})
        nl = self.pair.get("null")
        if nl:
            rows.append({**base, "quantity": f"permutation p (x shuffled within subject, {nl['n_permutations']})",
                         "method": self.method, "estimate": nl["observed"], "p": nl["p"], "n_events": nl["n"],
                         "n_subjects": nl["n_subjects"]})
        ct = self.contrast
        if ct and "error" not in ct:
            rows.append({"x": "kind (ME vs matched non-ME)", "y": self.y, "quantity": "ME minus matched non-ME",
                         "method": ct.get("method"), "estimate": ct.get("estimate"), "ci_low": ct.get("ci_low"),
                         "ci_high": ct.get("ci_high"), "p": ct.get("p"), "n_events": ct.get("n_me"),
                         "n_subjects": ct.get("n_subjects")})
            if "published" in ct:
                pub = ct["published"]
                rows.append({"x": "kind (ME vs matched non-ME)", "y": self.y, "quantity": f"{pub['quantity']} (published)",
                             "method": pub["source"], "p_published": pub["p"], "source": "published"})
        cols = ["quantity", "x", "y", "method", "estimate", "ci_low", "ci_high", "p", "p_published", "n_events",
                "n_subjects", "source"]
        out = pd.DataFrame(rows, columns=cols)
        out["source"] = out["source"].fillna("computed")
        return out
