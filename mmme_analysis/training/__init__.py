"""Training and evaluation: one LOSO validator, MEGC metrics, tasks.

See :mod:`.loso`, :mod:`.metrics`, :mod:`.tasks` and :mod:`.config`.
"""
from .config import TrainConfig, resolve_device
from .loso import LOSOResult, loso_validate, predict, results_table, train_model
from .metrics import confusion, megc_metrics, save_results, uar, uf1
from .tasks import TASKS, MERTask, me_task, task_samples

__all__ = [
    "LOSOResult", "MERTask", "TASKS", "TrainConfig", "confusion", "loso_validate",
    "me_task", "megc_metrics", "predict", "resolve_device", "results_table", "save_results",
    "task_samples", "train_model", "uar", "uf1",
]
