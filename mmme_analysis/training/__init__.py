"""Training and evaluation: one LOSO validator, MEGC metrics, tasks, inference on a clip.

See :mod:`.loso`, :mod:`.metrics`, :mod:`.tasks`, :mod:`.inference` and :mod:`.config`.
"""
from .config import TrainConfig, resolve_device
from .inference import infer_clip
from .loso import LOSOResult, class_weights, loso_validate, predict, results_table, train_model
from .metrics import confusion, megc_metrics, save_results, uar, uf1
from .tasks import TASKS, MERTask, me_task, task_samples

__all__ = [
    "LOSOResult", "MERTask", "TASKS", "TrainConfig", "class_weights", "confusion",
    "infer_clip", "loso_validate", "me_task", "megc_metrics", "predict", "resolve_device",
    "results_table", "save_results", "task_samples", "train_model", "uar", "uf1",
]
