"""Exceptions raised on bad input data.

Messages always name the file and, where it applies, the row, channel or marker, and
what was expected.
"""
from __future__ import annotations


class DataFormatError(ValueError):
    """A raw file does not have the layout or content the reader expects."""


class AlignmentError(ValueError):
    """Trigger markers of the devices of one session cannot be matched consistently."""
