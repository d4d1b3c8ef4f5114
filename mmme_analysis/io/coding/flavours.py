"""The registry of coding-sheet flavours."""
from __future__ import annotations

from .casme2 import CASME2
from .casme3 import CASME3
from .casme_sq import CASME_SQ
from .mmme import MMME
from .samm import SAMM
from .spec import Flavour

__all__ = ["FLAVOURS", "DEFAULT_FPS", "REGISTRY", "DETECT_ORDER", "get_flavour"]

#: name -> :class:`~mmme_analysis.io.coding.spec.Flavour`.
REGISTRY: dict[str, Flavour] = {f.name: f for f in (MMME, CASME2, SAMM, CASME_SQ, CASME3)}
FLAVOURS: tuple[str, ...] = tuple(REGISTRY)
#: Frame rate of each flavour's video (frames/s), used when ``fps`` is not given.
DEFAULT_FPS: dict[str, float] = {name: f.fps for name, f in REGISTRY.items()}
#: Flavours with a header, in the order their identifying columns are tried.
DETECT_ORDER: tuple[str, ...] = ("samm", "mmme", "casme2", "casme3")


def get_flavour(name: str) -> Flavour:
    """The :class:`~mmme_analysis.io.coding.spec.Flavour` called ``name``."""
    return REGISTRY[name]
