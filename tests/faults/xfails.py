"""Where today's code does not meet the expected outcome (issue 10), by the component to fix.

Each entry marks the fault's test ``xfail(strict=True)``: when a fix lands, the test
XPASSes, which fails the run until the entry is removed here. ``OUTCOME`` is about the
expected outcome (``test_outcome``), ``NAMES`` about messages that name a participant
(``test_no_real_names``). ``python -m tests.faults.report`` lists what is marked and what
is met.
"""
from __future__ import annotations

EEG = "EEG reader"
BIOPAC = "BIOPAC reader"
VIDEO = "video reader"
SHEET = "coding sheet reader"
ALIGN = "alignment"
LAYOUT = "raw folder layout"
ISOLATION = "dataset-level isolation"
STORE = "store reads"
PERSONAL = "personal data in messages"

#: fault id -> (component to fix, what is wrong today)
OUTCOME = {
    # -- store reads -------------------------------------------------------------------------------------
}

#: fault id -> (component to fix, what is wrong today) for messages naming a participant
NAMES: dict = {
}


def reason(entry) -> str | None:
    return None if entry is None else f"issue 10: [{entry[0]}] {entry[1]}"
