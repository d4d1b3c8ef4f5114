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
    # -- EEG reader -------------------------------------------------------------------------------
    "eeg-truncated-65pct": (EEG, "a truncated .eeg is not detected: trial 2 is 0.5 s instead of 2 s and the only "
                                 "warning is the BIOPAC fit's 'marker 100 not on the EEG'"),
    "eeg-partial-sample": (EEG, "2 bytes short of a whole sample leave the whole session out; expected a warning and "
                                "the complete samples loaded"),
    "vhdr-missing": (EEG, "an EEG folder with .eeg/.vmrk but no .vhdr is silently taken as 'no EEG' (and the BIOPAC "
                          "signals are lost with it)"),
    "vmrk-garbage": (EEG, "an unreadable marker file makes the EEG unreadable (session left out), although the markers "
                          "come from the Trigger channel"),
    "trigger-glitch": (EEG, "an unknown trigger code 255 inside trial 1 silently ends the trial there (1 s instead of "
                            "2 s); only the BIOPAC fit warns that 255 is not on the device"),
    "eeg-two-recordings": (EEG, "a second recording in EEG/ is silently ignored"),
    "eeg-nan-samples": (EEG, "0.5 s of NaN in one trial leave the whole session out ('implausible samples'); "
                             "expected a warning and the other trials loaded"),
    # -- BIOPAC reader ------------------------------------------------------------------------------
    "mat-column-missing-eda": (BIOPAC, "one missing signal column drops all peripheral signals of the session; "
                                       "expected the other signals loaded and a warning about EDA"),
    "mat-nan-ecg": (BIOPAC, "NaN samples in a signal column are interpolated into the trial without a warning"),
    "mat-two-files": (BIOPAC, "a second .mat export in PERI/ is silently ignored"),
    # -- video reader -------------------------------------------------------------------------------
    "video-fps-30": (VIDEO, "a header saying 30 fps for a 150 fps recording stretches the trial's video time axis "
                            "to 10 s without a warning"),
    "video-fps-zero": (VIDEO, "a header saying 0 fps is read as 25 fps (FFmpeg's default) without a warning"),
    "video-wrong-marker-in-name": (VIDEO, "a video named with a marker the session does not have is silently "
                                          "ignored; its trial has no video and no warning says why"),
    "video-missing": (VIDEO, "a trial video the coding sheet codes expressions on is missing without a warning"),
    # -- coding sheet reader --------------------------------------------------------------------------
    "sheet-onset-outside-trial": (SHEET, "an expression coded at 48.9 s of a 2 s trial is accepted"),
    "sheet-missing-subject": (SHEET, "a participant with no row in the sheet gets no warning (and no camera fit)"),
    "sheet-missing-file": (SHEET, "a raw folder without coding_file.xlsx opens with 0 annotations and no warning"),
    "sheet-marker-not-in-session": (SHEET, "a row for a marker the session does not have is only reported as a "
                                           "camera marker mismatch, naming neither the sheet nor the row"),
    # -- raw folder layout ----------------------------------------------------------------------------
    "folder-missing-eeg": (LAYOUT, "a participant without EEG/ silently loses its BIOPAC signals too"),
    "folder-missing-video": (LAYOUT, "a participant without video/ (its videos coded in the sheet) gets no warning"),
    "folder-empty-participant": (LAYOUT, "an empty participant folder takes the first pseudonym: every other "
                                         "participant's pseudonym and trial id shift, without a warning"),
    "video-symlink": (LAYOUT, "a symbolically linked trial video fails with pathlib's 'is not in the subpath' "
                              "ValueError (full path, participant name)"),
    "folder-symlinked-participant": (LAYOUT, "a symbolically linked participant folder fails with pathlib's 'is not "
                                             "in the subpath' ValueError (full path, participant name)"),
    # -- dataset-level isolation ------------------------------------------------------------------------
    "trigger-duplicate-marker": (ISOLATION, "a marker code repeated in one session makes ds.trials raise 'expected "
                                            "unique trial ids' for the whole dataset"),
    "vhdr-binary-format-int16": (ISOLATION, "misread EEG samples (wrong BinaryFormat) give repeated trigger codes and "
                                            "ds.trials raises 'expected unique trial ids' for the whole dataset"),
    # -- store reads -------------------------------------------------------------------------------------
    "store-eeg-chunk-random": (STORE, "random bytes in an EEG chunk raise zstd's bare 'OSError: Unknown frame "
                                      "descriptor', naming no store, trial or array"),
    "store-face-shard-random": (STORE, "random bytes in a face shard raise a bare 'RuntimeError: the checksum is "
                                       "invalid', naming no store, trial or array"),
    "store-eeg-chunk-truncated": (STORE, "a truncated EEG chunk raises a bare 'OSError: incomplete frame'"),
    "store-root-json-garbage": (STORE, "a garbage root zarr.json raises UnicodeDecodeError"),
    "store-root-json-empty": (STORE, "an empty root zarr.json raises JSONDecodeError"),
    "store-root-json-deleted": (STORE, "a store without its root zarr.json is taken for a raw folder: 'no participant "
                                       "folder found', nothing about the store"),
    "store-trial-json-garbage": (STORE, "a garbage trial zarr.json makes ds.trials raise UnicodeDecodeError for "
                                        "the whole store"),
    "store-trial-json-empty": (STORE, "an empty trial zarr.json makes ds.trials raise JSONDecodeError for the whole "
                                      "store"),
    "store-trial-json-deleted": (STORE, "a trial group without zarr.json silently disappears from ds.trials"),
    "store-group-json-deleted": (STORE, "a group without zarr.json is silently missing (has_peri still True)"),
    "store-array-json-deleted": (STORE, "an array without zarr.json is silently missing from its group"),
    "store-events-deleted": (STORE, "a missing events group gives no events while n_events still says 1"),
    "store-n-events-edited": (STORE, "n_events disagreeing with the stored events is not noticed"),
    "store-has-video-edited": (STORE, "has_video disagreeing with the stored frames is not noticed"),
    "store-annotations-deleted": (STORE, "a missing annotations group gives an empty table without a warning"),
    "store-raw-video-changed": (STORE, "a referenced raw video replaced by another with the same frame count is "
                                       "read silently (no size/hash recorded at conversion)"),
}

#: fault id -> (component to fix, what is wrong today) for messages naming a participant
NAMES = {
    "mat-column-extra": (BIOPAC, "the 'ignoring unknown column(s)' warning names the .mat file, i.e. the "
                                 "participant"),
    "video-truncated-half": (VIDEO, "video errors quote the full path (participant folder and file name)"),
    "video-empty": (VIDEO, "video errors quote the full path (participant folder and file name)"),
    "video-random-bytes": (VIDEO, "video errors quote the full path (participant folder and file name)"),
    "video-symlink": (LAYOUT, "pathlib's error quotes the full path"),
    "folder-symlinked-participant": (LAYOUT, "pathlib's error quotes the full path"),
}


def reason(entry) -> str | None:
    return None if entry is None else f"issue 10: [{entry[0]}] {entry[1]}"
