"""Checks shared by the statistics tables."""
from __future__ import annotations

import pandas as pd


def check_annotations(ann, columns) -> pd.DataFrame:
    """Return ``ann`` if it is a DataFrame holding ``columns``, else raise."""
    if not isinstance(ann, pd.DataFrame):
        raise TypeError(
            f"Invalid value for 'annotations': expected the DataFrame of read_coding_file, got {type(ann).__name__}"
        )
    missing = [c for c in columns if c not in ann]
    if missing:
        raise ValueError(
            f"Invalid value for 'annotations': expected columns {list(columns)!r} "
            f"(see docs/data_model.md), missing {missing!r}"
        )
    return ann
