"""ME spotting in long videos: interval metrics (MEGC), spotters, the heart-rate-slope filter."""
from .metrics import KINDS, interval_iou, spot_match, spot_metrics, strs

__all__ = ["KINDS", "interval_iou", "spot_match", "spot_metrics", "strs"]
