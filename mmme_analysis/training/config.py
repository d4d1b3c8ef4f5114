"""Training configuration (frozen dataclass) and device resolution."""
from __future__ import annotations

from dataclasses import dataclass

from .._validate import check_int, check_option, check_positive

__all__ = ["TrainConfig", "resolve_device"]


@dataclass(frozen=True)
class TrainConfig:
    """Hyper-parameters of one LOSO run (the same for every fold).

    Parameters
    ----------
    epochs : int
        Passes over the training folds' samples.
    lr : float
        Adam learning rate.
    batch_size : int
        Mini-batch size.
    weight_decay : float
        Adam L2 penalty.
    seed : int
        Base seed; fold ``k`` is initialised and shuffled with ``seed + k``, so every fold
        starts from fresh, reproducible weights.
    class_weight : {"balanced", "none"}
        ``"balanced"`` weights the cross-entropy by ``n / (n_classes * count_c)`` computed
        on each fold's training labels (scikit-learn's convention).
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` is resolved at run time: CUDA when available, else CPU.
    num_threads : int or None
        ``torch.set_num_threads`` during training (None leaves torch's setting).
    """

    epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 32
    weight_decay: float = 1e-4
    seed: int = 0
    class_weight: str = "balanced"
    device: str = "auto"
    num_threads: int | None = None

    def __post_init__(self):
        check_int("epochs", self.epochs, min_value=1)
        check_positive("lr", self.lr)
        check_int("batch_size", self.batch_size, min_value=1)
        check_positive("weight_decay", self.weight_decay, allow_zero=True)
        check_int("seed", self.seed, min_value=0)
        check_option("class_weight", self.class_weight, ("balanced", "none"))
        check_option("device", self.device, ("auto", "cpu", "cuda"))
        if self.num_threads is not None:
            check_int("num_threads", self.num_threads, min_value=1)


def resolve_device(device: str = "auto") -> str:
    """Return ``"cuda"`` or ``"cpu"``; ``"auto"`` picks CUDA when torch sees a GPU."""
    import torch

    check_option("device", device, ("auto", "cpu", "cuda"))
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
