"""What a coding-sheet flavour is: its columns, how it is detected, how a row is read."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ColumnSpec", "Flavour"]


@dataclass(frozen=True)
class ColumnSpec:
    """Column roles of a flavour with a header row: role -> accepted header spellings.

    Parameters
    ----------
    required : tuple of (str, tuple of str)
        ``(role, spellings)`` pairs the header must have (one spelling of each).
    optional : tuple of (str, tuple of str)
        Pairs used when present.
    """

    required: tuple[tuple[str, tuple[str, ...]], ...]
    optional: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def spellings(self) -> dict[str, tuple[str, ...]]:
        """``role -> spellings`` of every column, required and optional."""
        return dict(self.required + self.optional)

    def describe(self) -> str:
        """The expected columns, for error messages."""
        req = ", ".join(names[0] for _, names in self.required)
        opt = ", ".join(names[0] for _, names in self.optional)
        return req + (f" [optional: {opt}]" if opt else "")


@dataclass(frozen=True)
class Flavour:
    """One coding-sheet layout.

    Parameters
    ----------
    name : str
        The flavour name (``"mmme"``, ``"casme2"`` ...).
    fps : float
        Frame rate of the flavour's videos (frames/s).
    read_row : callable
        ``read_row(row, fps) -> dict``: the flavour's own fields of one
        :class:`~mmme_analysis.io.coding.cells.Row` (times, frames, marker, and the
        ``subject_raw`` / ``filename`` as in the sheet).
    ids : callable
        ``ids(record, pseudonym) -> (trial, clip)``.
    columns : ColumnSpec | None
        The header's columns; ``None`` for a flavour without a header row.
    positions : tuple of str
        Headerless flavours: the role of each column position.
    layout : str
        Headerless flavours: the expected layout, for error messages.
    identifies : frozenset of str
        Normalised header names (see :func:`~mmme_analysis.io.coding.cells.norm`) any of
        which identifies the flavour.
    sniff : callable | None
        Headerless flavours: ``sniff(cells) -> bool`` recognises a first data row.
    frame_coded : bool
        True where times come from frame numbers (errors show frames, not seconds).
    personal_ids : bool
        True where the subject ids are personal names (pseudonyms by sorted name; else by
        the number in the id).
    """

    name: str
    fps: float
    read_row: Callable
    ids: Callable
    columns: ColumnSpec | None = None
    positions: tuple[str, ...] = ()
    layout: str = ""
    identifies: frozenset = frozenset()
    sniff: Callable | None = None
    frame_coded: bool = True
    personal_ids: bool = False

    def expected(self) -> str:
        """The expected layout, for error messages."""
        return self.layout if self.columns is None else self.columns.describe()
