"""Paper statistics: AU table, emotion distributions, durations, ME-physiology tests.

Published reference figures live in :mod:`mmme_analysis.stats.published` and are only
shown beside computed values, in columns labelled ``published``.
"""
from .agreement import cohen_kappa, kind_agreement
from .au import au_table
from .compare import compare_moments
from .contrast_tests import moment_contrast_bootstrap, moment_contrast_mixedlm, moment_contrast_permutation
from .contrasts import design_counts, kish_n_eff, moment_contrasts
from .correlate import correlate
from .distributions import emotion_counts, subject_counts, subject_emotion_counts
from .durations import duration_comparison, duration_samples, duration_summary, duration_test
from .event_table import event_table, event_table_moments
from .me_ecg import eta_curve, moment_effect_size, moment_mixedlm, moment_permutation_test
from .pair_correlations import correlation_matrix, loso_influence, pair_correlation, pair_mixedlm, permutation_null, rm_corr

__all__ = [
    "cohen_kappa",
    "kind_agreement",
    "au_table",
    "emotion_counts",
    "subject_counts",
    "subject_emotion_counts",
    "duration_samples",
    "duration_summary",
    "duration_comparison",
    "duration_test",
    "moment_mixedlm",
    "moment_permutation_test",
    "moment_effect_size",
    "moment_contrasts",
    "moment_contrast_mixedlm",
    "moment_contrast_permutation",
    "moment_contrast_bootstrap",
    "design_counts",
    "kish_n_eff",
    "compare_moments",
    "eta_curve",
    "correlate",
    "correlation_matrix",
    "pair_correlation",
    "pair_mixedlm",
    "permutation_null",
    "loso_influence",
    "rm_corr",
    "event_table",
    "event_table_moments",
]
