"""ME spotting in long videos: interval metrics (MEGC), the baseline spotter, CMCL-Net, the heart-rate-slope filter.

Modules: ``metrics`` and ``truth`` (MEGC interval scoring, ground-truth tables),
``features`` and ``baseline`` (the optical-flow spotter), ``cmcl_signals`` (one trial's
face clips and aligned ECG windows), ``cmcl_pairs`` (ME / non-ME samples, pairs and
triplets), ``cmcl_train`` (CMCL-Net training and sliding-window inference), ``hrs_filter``
(the heart-rate-slope candidate filter and its eta sweep) and ``ablation`` (the
leave-one-subject-out ablation beside the published table).
"""
from .ablation import ABLATION_SETTINGS, PUBLISHED, AblationResult, spot_ablation
from .baseline import PREDICTION_COLUMNS, BaselineSpotter, SpotConfig, spot_baseline, spot_peaks
from .cmcl_pairs import CMCLSamples, cmcl_pairs, cmcl_samples, cmcl_triplets
from .cmcl_signals import CLIP_METHODS, ECG_CHANNELS, CMCLSampleConfig, TrialSignals
from .cmcl_train import CMCLSpotConfig, CMCLSpotter, cmcl_windows, spot_cmcl
from .features import ROI_METHODS, face_rois, feature_difference, gray_frames, region_motion, roi_regions, trial_frames
from .hrs_filter import ETA_SWEEP, hrs_filter, hrs_sweep, hrs_trial
from .metrics import KINDS, interval_iou, spot_match, spot_metrics, strs
from .truth import UNCODED_RULES, spot_truth

__all__ = [
    "KINDS", "interval_iou", "spot_match", "spot_metrics", "strs",
    "PREDICTION_COLUMNS", "BaselineSpotter", "SpotConfig", "spot_baseline", "spot_peaks",
    "ROI_METHODS", "face_rois", "feature_difference", "gray_frames", "region_motion", "roi_regions", "trial_frames",
    "ETA_SWEEP", "hrs_filter", "hrs_sweep", "hrs_trial",
    "UNCODED_RULES", "spot_truth",
]
__all__ += [
    "CLIP_METHODS", "ECG_CHANNELS", "CMCLSampleConfig", "CMCLSamples", "TrialSignals", "cmcl_samples",
    "cmcl_triplets", "cmcl_pairs",
    "CMCLSpotConfig", "CMCLSpotter", "cmcl_windows", "spot_cmcl",
    "ABLATION_SETTINGS", "PUBLISHED", "AblationResult", "spot_ablation",
]
