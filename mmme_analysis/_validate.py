"""Shared validators.

Every error raised here reads ``Invalid value for 'x': expected ..., got ...`` so that
users see the argument name, what was expected and what they passed.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _invalid(name: str, expected: str, got: Any) -> str:
    return f"Invalid value for {name!r}: expected {expected}, got {got!r}"


def check_type(name: str, value: Any, types, type_name: str | None = None) -> Any:
    """Return ``value`` if it is an instance of ``types``, else raise TypeError.

    ``types`` is a type or a tuple of types; ``None`` in it allows ``None``;
    ``"path-like"`` allows ``str`` and :class:`os.PathLike`; ``"int-like"`` anything with
    ``__index__`` except ``bool`` (as MNE's ``_validate_type``).
    ``type_name`` replaces the generated list of type names in the message.
    """
    if not isinstance(types, tuple):
        types = (types,)
    accepted, names = [], []
    for t in types:
        if t is None:
            accepted.append(type(None))
            names.append("None")
        elif t == "path-like":
            accepted.extend([str, os.PathLike])
            names.append("path-like")
        elif t == "int-like":
            names.append("int")
        else:
            accepted.append(t)
            names.append(t.__name__)
    ok = isinstance(value, tuple(accepted))
    if not ok and "int-like" in types:
        ok = hasattr(value, "__index__") and not isinstance(value, bool)
    if not ok:
        expected = type_name or (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1])
        raise TypeError(f"Invalid value for {name!r}: expected an instance of {expected}, "
                        f"got {value!r} of type {type(value).__name__}")
    return value


def check_option(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ValueError."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(_invalid(name, "one of " + ", ".join(map(repr, allowed)), value))
    return value


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float if it is a finite positive number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(_invalid(name, "a number", value)) from None
    ok = v >= 0 if allow_zero else v > 0
    if not ok or v != v or v in (float("inf"), float("-inf")):
        raise ValueError(_invalid(name, "a finite number " + (">= 0" if allow_zero else "> 0"), value))
    return v


def check_sfreq(sfreq: Any, name: str = "sfreq") -> float:
    """Validate a sampling frequency in Hz (required, never defaulted)."""
    if sfreq is None:
        raise TypeError(_invalid(name, "a sampling frequency in Hz (required)", sfreq))
    return check_positive(name, sfreq)


def check_int(name: str, value: Any, *, min_value: int | None = None) -> int:
    """Return ``value`` as int if it is an integer (>= min_value when given)."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(_invalid(name, "an integer", value))
    v = int(value)
    if min_value is not None and v < min_value:
        raise ValueError(_invalid(name, f"an integer >= {min_value}", value))
    return v


def check_path(name: str, value: Any, *, must_exist: bool = True, kind: str = "any") -> Path:
    """Return ``value`` as a Path; check it exists (as a file/dir when ``kind`` says)."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(_invalid(name, "a path (str or os.PathLike)", value))
    p = Path(value).expanduser()
    if must_exist:
        if not p.exists():
            raise FileNotFoundError(_invalid(name, "an existing path", str(p)))
        if kind == "file" and not p.is_file():
            raise ValueError(_invalid(name, "a file", str(p)))
        if kind == "dir" and not p.is_dir():
            raise ValueError(_invalid(name, "a directory", str(p)))
    return p


def check_rng(rng: Any, name: str = "rng"):
    """Return ``rng`` if it is a :class:`numpy.random.Generator` (seeded draws are required)."""
    import numpy as np

    if not isinstance(rng, np.random.Generator):
        raise TypeError(_invalid(name, "a numpy.random.Generator (np.random.default_rng(seed))", rng))
    return rng
