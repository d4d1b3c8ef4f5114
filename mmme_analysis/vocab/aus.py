"""FACS action units: the table of AUs and the parser of AU cells.

:data:`AU_TABLE` lists the FACS action units (Ekman, Friesen & Hager 2002) with their name
and facial region. :func:`parse_aus` reads AU cells such as ``"AU4, AU10, AU13, AU17"``
(MMME), ``"4+10"``, ``"R12"``, ``"L12+AU4"`` (CASME II), ``"R14A"`` or ``"B1"`` keeping the
tokens as coded (upper-cased): an optional side prefix ``L``/``R``/``B``/``U``/``T``, an
optional ``AU``, the number and an optional intensity letter ``A``-``E``.
"""
from __future__ import annotations

import re

import pandas as pd

from ..errors import DataFormatError
from .cells import _where, is_blank

__all__ = ["AU_TABLE", "AU_REGIONS", "parse_aus", "au_numbers"]

_AU_ROWS = (
    (1, "Inner Brow Raiser", "brows"),
    (2, "Outer Brow Raiser", "brows"),
    (4, "Brow Lowerer", "brows"),
    (5, "Upper Lid Raiser", "eyes"),
    (6, "Cheek Raiser", "eyes"),
    (7, "Lid Tightener", "eyes"),
    (8, "Lips Toward Each Other", "mouth"),
    (9, "Nose Wrinkler", "nose"),
    (10, "Upper Lip Raiser", "mouth"),
    (11, "Nasolabial Deepener", "mouth"),
    (12, "Lip Corner Puller", "mouth"),
    (13, "Sharp Lip Puller (Cheek Puffer)", "mouth"),
    (14, "Dimpler", "mouth"),
    (15, "Lip Corner Depressor", "mouth"),
    (16, "Lower Lip Depressor", "mouth"),
    (17, "Chin Raiser", "mouth"),
    (18, "Lip Pucker", "mouth"),
    (19, "Tongue Show", "mouth"),
    (20, "Lip Stretcher", "mouth"),
    (21, "Neck Tightener", "other"),
    (22, "Lip Funneler", "mouth"),
    (23, "Lip Tightener", "mouth"),
    (24, "Lip Pressor", "mouth"),
    (25, "Lips Part", "mouth"),
    (26, "Jaw Drop", "mouth"),
    (27, "Mouth Stretch", "mouth"),
    (28, "Lip Suck", "mouth"),
    (29, "Jaw Thrust", "mouth"),
    (30, "Jaw Sideways", "mouth"),
    (31, "Jaw Clencher", "mouth"),
    (32, "Lip Bite", "mouth"),
    (33, "Cheek Blow", "mouth"),
    (34, "Cheek Puff", "mouth"),
    (35, "Cheek Suck", "mouth"),
    (36, "Tongue Bulge", "mouth"),
    (37, "Lip Wipe", "mouth"),
    (38, "Nostril Dilator", "nose"),
    (39, "Nostril Compressor", "nose"),
    (41, "Lid Droop", "eyes"),
    (42, "Slit", "eyes"),
    (43, "Eyes Closed", "eyes"),
    (44, "Squint", "eyes"),
    (45, "Blink", "eyes"),
    (46, "Wink", "eyes"),
    (51, "Head Turn Left", "head"),
    (52, "Head Turn Right", "head"),
    (53, "Head Up", "head"),
    (54, "Head Down", "head"),
    (55, "Head Tilt Left", "head"),
    (56, "Head Tilt Right", "head"),
    (57, "Head Forward", "head"),
    (58, "Head Back", "head"),
    (61, "Eyes Turn Left", "eyes"),
    (62, "Eyes Turn Right", "eyes"),
    (63, "Eyes Up", "eyes"),
    (64, "Eyes Down", "eyes"),
)
#: FACS action units: index ``au`` (int), columns ``name`` and ``region``.
AU_TABLE: pd.DataFrame = pd.DataFrame(
    [(name, region) for _, name, region in _AU_ROWS],
    index=pd.Index([n for n, _, _ in _AU_ROWS], name="au"),
    columns=["name", "region"],
)
#: The region names used in :data:`AU_TABLE`.
AU_REGIONS: tuple[str, ...] = ("brows", "eyes", "nose", "mouth", "head", "other")
_AU_SET = frozenset(AU_TABLE.index)

_AU_TOKEN = re.compile(
    r"^(?P<side>[LRBUT])?\s*(?:AU)?\s*(?P<num>\d{1,2})(?P<intensity>[A-E])?$"
)
_AU_SEP = re.compile(r"[,+;/&]")


def parse_aus(text, *, where: str | None = None) -> tuple[str, ...]:
    """Split an action-unit cell into tokens, as coded (side prefixes kept).

    Parameters
    ----------
    text : str | int | float | None
        The cell: ``"AU4, AU10"``, ``"4+10"``, ``"R12"``, ``"L12+AU4"``, ``12`` ...
        Tokens are separated by ``,``, ``+``, ``;``, ``/`` or ``&``. Empty cells give ``()``.
    where : str | None
        Location for error messages (file, row and column).

    Returns
    -------
    tuple of str
        Upper-cased tokens without blanks, e.g. ``("AU4", "AU10")`` or ``("R12", "4")``.

    Raises
    ------
    DataFormatError
        If a token is not ``[side][AU]number[intensity]`` or its number is not a FACS
        action unit listed in :data:`AU_TABLE`.
    """
    if is_blank(text):
        return ()
    if isinstance(text, bool):
        raise DataFormatError(f"{_where(where)}invalid action-unit cell {text!r}")
    if isinstance(text, float) and text.is_integer():
        text = str(int(text))
    text = str(text)
    out = []
    for raw_token in _AU_SEP.split(text):
        token = re.sub(r"\s+", "", raw_token).upper()
        if not token:
            raise DataFormatError(
                f"{_where(where)}empty action unit in {text!r}: expected tokens such as "
                "'AU4', '4', 'L12', 'R14A' separated by ',' or '+'"
            )
        m = _AU_TOKEN.match(token)
        if m is None:
            raise DataFormatError(
                f"{_where(where)}cannot parse action unit {raw_token.strip()!r} in {text!r}: "
                "expected an optional side (L/R/B/U/T), optional 'AU', a number and an "
                "optional intensity A-E, e.g. 'AU4', 'L12', '4', 'R14A'"
            )
        if int(m["num"]) not in _AU_SET:
            raise DataFormatError(
                f"{_where(where)}unknown action unit {raw_token.strip()!r} in {text!r}: "
                "expected a FACS action unit number (1-46, 51-58, 61-64)"
            )
        out.append(token)
    return tuple(out)


def au_numbers(aus) -> tuple[int, ...]:
    """Return the AU numbers of parsed tokens (``("L12", "AU4")`` -> ``(12, 4)``).

    A string is parsed with :func:`parse_aus` first.
    """
    if isinstance(aus, str):
        aus = parse_aus(aus)
    out = []
    for token in aus:
        m = _AU_TOKEN.match(re.sub(r"\s+", "", str(token)).upper())
        if m is None:
            raise ValueError(
                f"Invalid value for 'aus': expected action-unit tokens such as 'AU4' or "
                f"'L12', got {token!r}"
            )
        out.append(int(m["num"]))
    return tuple(out)
