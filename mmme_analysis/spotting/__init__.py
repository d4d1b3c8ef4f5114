"""ME spotting in long videos: interval metrics (MEGC), the baseline spotter, the heart-rate-slope filter."""
from .baseline import PREDICTION_COLUMNS, BaselineSpotter, SpotConfig, spot_baseline, spot_peaks
from .features import ROI_METHODS, face_rois, feature_difference, region_motion, roi_regions, trial_frames
from .hrs_filter import ETA_SWEEP, hrs_filter, hrs_sweep, hrs_trial
from .metrics import KINDS, interval_iou, spot_match, spot_metrics, strs
from .truth import UNCODED_RULES, spot_truth

__all__ = [
    "KINDS", "interval_iou", "spot_match", "spot_metrics", "strs",
    "PREDICTION_COLUMNS", "BaselineSpotter", "SpotConfig", "spot_baseline", "spot_peaks",
    "ROI_METHODS", "face_rois", "feature_difference", "region_motion", "roi_regions", "trial_frames",
    "ETA_SWEEP", "hrs_filter", "hrs_sweep", "hrs_trial",
    "UNCODED_RULES", "spot_truth",
]
