"""Camera wall-clock stamps and XIMEA frame file names.

The MMME coding sheets write the camera time of a frame as ``hh-mm-ss-ms-us`` (5 parts,
e.g. ``16-00-31-433-685``) or, in some rows, ``hh-mm-ss-ms`` (4 parts). The XIMEA frame
files are named ``YYYY-MM-DD-hh-mm-ss-ms-us-marker[.tif]``
(e.g. ``2023-07-21-16-45-38-257-410-112``): the 8th field is the microsecond part (called
"Code" in the MMME documentation) and the 9th the trigger marker of the trial.

All times are seconds since midnight of the camera clock (float).
"""
from __future__ import annotations

import datetime as _dt
import math
import re
from pathlib import PurePath
from typing import NamedTuple

from .._validate import check_int, check_option
from ..errors import DataFormatError

__all__ = [
    "FrameName",
    "parse_stamp",
    "format_stamp",
    "parse_frame_name",
    "format_frame_name",
    "FRAME_SUFFIXES",
]

_EXPECTED_STAMP = "'hh-mm-ss-ms-us' (5 parts) or 'hh-mm-ss-ms' (4 parts) of digits"
_EXPECTED_FRAME = "'YYYY-MM-DD-hh-mm-ss-ms-us-marker[.tif]' (9 dash-separated numbers)"
_DIGITS = re.compile(r"^\d+$")
# hours, minutes, seconds, ms, us; the us field may read 1000: the real MMME sheets hold 3
# such stamps (e.g. '10-36-41-847-1000'), a rounding carry the camera software did not
# propagate. It is accepted and carried (847 ms + 1000 us = 848 ms).
_LIMITS = (23, 59, 59, 999, 1000)
#: Suffixes of XIMEA frame files (lower case).
FRAME_SUFFIXES = (".tif", ".tiff")


class FrameName(NamedTuple):
    """A parsed XIMEA frame file name."""

    date: _dt.date
    seconds: float
    marker: int


def _clock_seconds(parts: list[str], text, expected: str) -> float:
    if not all(_DIGITS.match(p) for p in parts):
        raise DataFormatError(f"Invalid stamp {text!r}: expected {expected}")
    vals = [int(p) for p in parts]
    for v, lim in zip(vals, _LIMITS):
        if v > lim:
            raise DataFormatError(
                f"Invalid stamp {text!r}: field value {v} out of range "
                f"(hh <= 23, mm <= 59, ss <= 59, ms <= 999, us <= 1000); expected {expected}"
            )
    seconds = vals[0] * 3600 + vals[1] * 60 + vals[2] + vals[3] / 1e3
    if len(vals) == 5:
        seconds += vals[4] / 1e6
    return seconds


def parse_stamp(text) -> float:
    """Parse a camera stamp ``hh-mm-ss-ms-us`` or ``hh-mm-ss-ms`` into seconds since midnight.

    Parameters
    ----------
    text : str
        The stamp (surrounding blanks are ignored).

    Returns
    -------
    float
        Seconds since midnight (microsecond resolution for 5-part stamps). A microsecond
        field of ``1000`` (a rounding carry seen in the real sheets) is accepted.

    Raises
    ------
    DataFormatError
        If ``text`` is not a string of 4 or 5 dash-separated numbers in range.
    """
    if not isinstance(text, str):
        raise DataFormatError(f"Invalid stamp {text!r}: expected {_EXPECTED_STAMP}")
    parts = text.strip().split("-")
    if len(parts) not in (4, 5):
        raise DataFormatError(
            f"Invalid stamp {text!r}: expected {_EXPECTED_STAMP}, got {len(parts)} part(s)"
        )
    return _clock_seconds(parts, text, _EXPECTED_STAMP)


def format_stamp(seconds: float, parts: int = 5) -> str:
    """Format seconds since midnight as ``hh-mm-ss-ms-us`` (``parts=5``) or ``hh-mm-ss-ms``.

    The value is rounded to the nearest microsecond (5 parts) or millisecond (4 parts).
    Inverse of :func:`parse_stamp`.
    """
    check_option("parts", parts, (4, 5))
    try:
        s = float(seconds)
    except (TypeError, ValueError):
        raise TypeError(
            f"Invalid value for 'seconds': expected a number of seconds, got {seconds!r}"
        ) from None
    if not math.isfinite(s) or s < 0 or s >= 86400:
        raise ValueError(
            f"Invalid value for 'seconds': expected seconds since midnight in [0, 86400), "
            f"got {seconds!r}"
        )
    unit = 1_000_000 if parts == 5 else 1000
    ticks = round(s * unit)
    if ticks >= 86400 * unit:
        raise ValueError(
            f"Invalid value for 'seconds': expected seconds since midnight in [0, 86400) "
            f"after rounding, got {seconds!r}"
        )
    whole, frac = divmod(ticks, unit)
    hh, rem = divmod(whole, 3600)
    mm, ss = divmod(rem, 60)
    if parts == 5:
        ms, us = divmod(frac, 1000)
        return f"{hh:02d}-{mm:02d}-{ss:02d}-{ms:03d}-{us:03d}"
    return f"{hh:02d}-{mm:02d}-{ss:02d}-{frac:03d}"


def parse_frame_name(name) -> FrameName:
    """Parse a XIMEA frame file name ``YYYY-MM-DD-hh-mm-ss-ms-us-marker[.tif]``.

    Parameters
    ----------
    name : str or os.PathLike
        A file name or path; a ``.tif``/``.tiff`` suffix is removed.

    Returns
    -------
    FrameName
        ``(date, seconds, marker)``: the calendar date, seconds since midnight of the
        camera clock (microsecond resolution) and the trigger marker.

    Raises
    ------
    DataFormatError
        If the name does not have 9 dash-separated numbers forming a valid date and time.
    """
    if not isinstance(name, (str, PurePath)) and not hasattr(name, "__fspath__"):
        raise DataFormatError(f"Invalid frame name {name!r}: expected {_EXPECTED_FRAME}")
    base = PurePath(name).name if not isinstance(name, str) else name.strip()
    base = base.replace("\\", "/").rsplit("/", 1)[-1]
    low = base.lower()
    for suffix in FRAME_SUFFIXES:
        if low.endswith(suffix):
            base = base[: -len(suffix)]
            break
    parts = base.split("-")
    if len(parts) != 9 or not all(_DIGITS.match(p) for p in parts):
        raise DataFormatError(f"Invalid frame name {name!r}: expected {_EXPECTED_FRAME}")
    try:
        date = _dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise DataFormatError(
            f"Invalid frame name {name!r}: {'-'.join(parts[:3])} is not a calendar date; "
            f"expected {_EXPECTED_FRAME}"
        ) from None
    seconds = _clock_seconds(parts[3:8], name, _EXPECTED_FRAME)
    return FrameName(date, seconds, int(parts[8]))


def format_frame_name(date, seconds: float, marker: int, *, ext: str = ".tif") -> str:
    """Build a XIMEA frame file name ``YYYY-MM-DD-hh-mm-ss-ms-us-marker`` + ``ext``.

    Parameters
    ----------
    date : datetime.date or str
        Calendar date (``"YYYY-MM-DD"`` strings are accepted).
    seconds : float
        Seconds since midnight (rounded to the microsecond).
    marker : int
        Trigger marker (>= 0).
    ext : str
        Suffix appended to the name (``".tif"`` as on the camera; ``""`` for none).
    """
    if isinstance(date, str):
        try:
            date = _dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ValueError(
                f"Invalid value for 'date': expected a datetime.date or 'YYYY-MM-DD', "
                f"got {date!r}"
            ) from None
    if not isinstance(date, _dt.date):
        raise TypeError(
            f"Invalid value for 'date': expected a datetime.date or 'YYYY-MM-DD', got {date!r}"
        )
    marker = check_int("marker", marker, min_value=0)
    if not isinstance(ext, str):
        raise TypeError(f"Invalid value for 'ext': expected a string, got {ext!r}")
    return f"{date:%Y-%m-%d}-{format_stamp(seconds, 5)}-{marker}{ext}"
