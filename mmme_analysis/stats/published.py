"""Published reference figures, for labelled display beside computed values only.

Sources: the MMME, CMCL-Net and MEs-EEG papers as summarised in
``shared/data/README.md``. Nothing in the package computes or returns these as results;
tables put them in columns whose names say ``published``.
"""
from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "MMME_COUNTS",
    "MMME_ME_EMOTIONS",
    "MMME_AU_COUNTS_ME",
    "ME_DURATIONS_MS",
    "ME_DURATION_N",
    "CMCL_NET",
    "MMME_MER_LOSO",
    "MES_EEG_ACCURACY",
]

#: MMME: number of micro-expressions, macro-expressions and trials (published).
MMME_COUNTS = MappingProxyType({"micro": 634, "macro": 2841, "trials": 2890})

#: MMME: ME count per emotion (published; the papers' class list includes "contempt").
MMME_ME_EMOTIONS = MappingProxyType(
    {"disgust": 163, "fear": 124, "surprise": 105, "happiness": 92, "anger": 50, "sadness": 55, "contempt": 45}
)

#: MMME Table 1: AU counts in MEs (published), AU number -> count.
MMME_AU_COUNTS_ME = MappingProxyType(
    {1: 54, 2: 24, 4: 357, 5: 12, 6: 17, 7: 54, 9: 12, 10: 33, 11: 6, 12: 48, 13: 12, 14: 165, 15: 23,
     16: 16, 17: 39, 18: 8, 20: 15, 25: 12, 26: 10, 41: 11, 42: 8}
)

#: Mean +- sd of ME duration (ms) per dataset (published, as compiled by the MMME paper).
ME_DURATIONS_MS = MappingProxyType(
    {
        "CASME": (321.4, 91.6),
        "CASME II": (318.9, 94.8),
        "CAS(ME)^2": (419.1, 58.9),
        "CAS(ME)^3": (370.5, 89.2),
        "SAMM": (370.7, 94.8),
        "MMEW": (377.7, 87.8),
        "MMME": (381.7, 100.5),
    }
)

#: Number of MEs behind a published duration where the source states it (MMME: 634).
ME_DURATION_N = MappingProxyType({"MMME": 634})

#: CMCL-Net (MECG) published results.
CMCL_NET = MappingProxyType(
    {
        "spotting_f1": MappingProxyType({"video": 0.2426, "ecg": 0.0679, "video+ecg": 0.2806, "video+ecg+ccf": 0.2995}),
        "best_eta": 2.0,
        "hr_slope_apex_vs_non_me_p": "< 0.001",
        "example_trial": MappingProxyType(
            {"mean_hr_bpm": 76.36, "mean_abs_hr_slope": 3.73, "me_apexes_s": (14.35, 37.19, 41.18)}
        ),
    }
)

#: MER on MMME (LOSO), mean over STSTNet, RCN-A and FR (published).
MMME_MER_LOSO = MappingProxyType(
    {"7-class": MappingProxyType({"UAR": 0.3918, "UF1": 0.3863}), "3-class": MappingProxyType({"UAR": 0.8150, "UF1": 0.8137})}
)

#: MEs-EEG classification accuracy (%) (published).
MES_EEG_ACCURACY = MappingProxyType(
    {
        "3-class": MappingProxyType({"ME": 77.63, "EEG": 83.05, "ME+EEG": 89.71}),
        "7-class": MappingProxyType({"ME": 34.17, "EEG": 27.40, "ME+EEG": 40.22}),
        "5-class (earlier version)": MappingProxyType({"ME+EEG": 80.46}),
    }
)
