"""Training and evaluation: one LOSO validator, MEGC metrics, tasks, inference on a clip.

See :mod:`.loso`, :mod:`.metrics`, :mod:`.tasks`, :mod:`.inference`, :mod:`.config` and
:mod:`.fusion` (LOSO of the multi-input fusion networks and the modality-ablation runner) and
:mod:`.class_export` (class probabilities in the Explorer's ``classes`` format).
"""
from .class_export import CLASS_COLUMNS, class_predictions
from .config import TrainConfig, resolve_device
from .fusion import FAST_FUSION, FusionConfig, fusion_loso, fusion_splits, modality_ablation
from .inference import infer_clip
from .loso import LOSOResult, class_weights, loso_validate, predict, results_table, train_model
from .metrics import confusion, megc_metrics, save_results, uar, uf1
from .tasks import TASKS, MERTask, me_task, task_samples

__all__ = [
    "CLASS_COLUMNS", "class_predictions",
    "FAST_FUSION", "FusionConfig", "LOSOResult", "MERTask", "TASKS", "TrainConfig", "class_weights", "confusion",
    "fusion_loso", "fusion_splits", "infer_clip", "loso_validate", "me_task", "megc_metrics", "modality_ablation",
    "predict", "resolve_device", "results_table", "save_results", "task_samples", "train_model", "uar", "uf1",
]
