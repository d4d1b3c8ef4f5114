"""Micro-expression recognition models (PyTorch) and their registry.

=============  ==========================  ===========================================
name           class                       input (see :mod:`mmme_analysis.flow.inputs`)
=============  ==========================  ===========================================
``ststnet``    :class:`.STSTNet`           (3, 28, 28) u, v, strain
``off_apexnet``:class:`.OffApexNet`        (3, 28, 28); reads u and v
``rcn_a``      :class:`.RCNA`              (3, 60, 60)
``fr``         :class:`.FR`                (3, 28, 28)
=============  ==========================  ===========================================
"""
from __future__ import annotations

from .._validate import check_int, check_option
from .fr import FR
from .off_apexnet import OffApexNet
from .rcn import RCNA
from .ststnet import STSTNet

__all__ = ["MODELS", "FR", "OffApexNet", "RCNA", "STSTNet", "get_model", "model_input_size"]

#: Registry: canonical model name -> class.
MODELS = {"ststnet": STSTNet, "off_apexnet": OffApexNet, "rcn_a": RCNA, "fr": FR}


def get_model(name: str, n_classes: int, **kwargs):
    """Return a freshly initialised model.

    Parameters
    ----------
    name : {"ststnet", "off_apexnet", "rcn_a", "fr"}
        Canonical model name.
    n_classes : int
        Number of output classes (>= 2).
    **kwargs
        Passed to the model class.

    Returns
    -------
    torch.nn.Module
        Outputs logits ``(batch, n_classes)`` for input ``(batch, 3, s, s)`` with
        ``s = model_input_size(name)``.
    """
    check_option("name", name, MODELS)
    n_classes = check_int("n_classes", n_classes, min_value=2)
    return MODELS[name](n_classes, **kwargs)


def model_input_size(name: str) -> int:
    """Side (pixels) of the square input the model expects."""
    check_option("name", name, MODELS)
    return MODELS[name].input_size
