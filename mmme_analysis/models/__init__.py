"""Micro-expression recognition models (PyTorch) and their registry.

=============  ==========================  ===========================================
name           class                       input (see :mod:`mmme_analysis.flow.inputs`)
=============  ==========================  ===========================================
``ststnet``    :class:`.STSTNet`           (3, 28, 28) u, v, strain
``off_apexnet``:class:`.OffApexNet`        (3, 28, 28); reads u and v
``rcn_a``      :class:`.RCNA`              (3, 60, 60)
``fr``         :class:`.FR`                (3, 28, 28)
=============  ==========================  ===========================================

Fusion models (:data:`FUSION_MODELS`) take a dict of modality tensors instead:
:class:`.MEsEEG` (``video`` flow map + ``eeg`` band features, cross-transformer) and
:class:`.MEPS` (``video`` onset-apex clip + ``eeg`` + ``peri`` sequences), with their
losses in :mod:`.fusion_losses`.
"""
from __future__ import annotations

from .._validate import check_int, check_option
from .cmcl import CMCL_MODALITIES, CMCLConfig, CMCLNet
from .fr import FR
from .fusion_losses import batch_hard_triplet_loss, consistency_loss, contrastive_loss, diversity_loss, focal_loss, triplet_loss
from .me_eeg import FACE_REGIONS, MEsEEG, MEsEEGConfig
from .me_ps import MEPS, PERI_CHANNELS, MEPSConfig
from .off_apexnet import OffApexNet
from .rcn import RCNA
from .ststnet import STSTNet

__all__ = ["MODELS", "FR", "OffApexNet", "RCNA", "STSTNet", "get_model", "model_input_size",
           "FUSION_MODELS", "MEsEEG", "MEsEEGConfig", "FACE_REGIONS", "MEPS", "MEPSConfig", "PERI_CHANNELS",
           "focal_loss", "triplet_loss", "batch_hard_triplet_loss", "diversity_loss", "consistency_loss",
           "contrastive_loss"]
__all__ += ["CMCLNet", "CMCLConfig", "CMCL_MODALITIES"]

#: Registry: canonical model name -> class.
MODELS = {"ststnet": STSTNet, "off_apexnet": OffApexNet, "rcn_a": RCNA, "fr": FR}
#: Fusion models: canonical name -> class (a dict of modality tensors in, see each class).
FUSION_MODELS = {"mes_eeg": MEsEEG, "me_ps": MEPS}


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
