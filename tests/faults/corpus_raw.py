"""Raw-folder faults: EEG, BIOPAC, video, coding sheet and folder layout.

The pristine session of each participant (EEG clock, s): marker of trial 1 at 3.0, rest
marker 100 at 5.0, marker of trial 2 at 6.0, 100 at 8.0, end at 10.0; 1000 Hz EEG (68
channels + Trigger) and BIOPAC; one 2 s, 150 fps video and one coded micro-expression per
trial. ``A`` is the participant with pseudonym sub-01, ``B`` sub-02.

Expected outcomes are what a careful researcher would expect, not what the code does today:
a session-level defect (a damaged EEG or BIOPAC file) should fail only that participant's
trials (an error naming the file and what was expected, or the trials left out / loaded
partially with a warning that says so), never the whole dataset; a defect the rest can live
with is a warning; harmless variations are tolerated and give the pristine result.
"""
from __future__ import annotations

import os
import shutil

import numpy as np

from mmme_analysis.errors import AlignmentError, DataFormatError

from .faultlib import (
    DIGITAL,
    Fault,
    avi_set_fps,
    edit_mat,
    edit_sheet,
    edit_text,
    eeg_samples,
    error,
    load_mat,
    randomize,
    rename_participant_in_sheet,
    rewrite,
    save_mat,
    tolerated,
    trigger_runs,
    truncate,
    warning,
    write_eeg_samples,
)
from .verdict import all_equal, modified, without_node

EEG = ("Acquisition 01", "/EEG")
PERI = (".mat", "/PERI")
VIDEO = (".avi", "/video")
SHEET = ("coding_file",)
BAD = (DataFormatError, AlignmentError)  # what a damaged recording should raise
#: what an error (or warning) about an unreadable file says: what was expected, or that it cannot be read / is truncated
FILE_BAD = r"expected|cannot be read|truncat|corrupt"
SFREQ = 1000  # EEG and BIOPAC samples per second in the pristine data


def same_all(p, o, layout):
    """The whole result equals the pristine one (e.g. after a warning about something harmless)."""
    return all_equal(p, o)


def same_ids(p, o, layout):
    """The trial ids (and so the pseudonyms) are the pristine ones."""
    return [] if p["order"] == o["order"] else [f"trial ids {o['order']} != pristine {p['order']}"]


RAW: list[Fault] = []


def fault(id, component, what, expect, *, affects=("A",), context=None, **kw):
    """Register a raw fault (the decorated function is its ``apply``)."""
    ctx = context if context is not None else {"eeg": EEG, "biopac": PERI, "video": VIDEO, "coding": SHEET}.get(component, ())

    def deco(fn):
        RAW.append(Fault(id, "raw", component, what, fn, expect, affects=tuple(affects), context=tuple(ctx), **kw))
        return fn
    return deco


def _is_root():
    return "running as root: file permissions do not stop reads" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


# =============================================================================================
# EEG (BrainVision .vhdr/.eeg/.vmrk of participant A; the Trigger channel carries the markers)
# =============================================================================================
def _keep_seconds(seconds):
    def apply(ctx):
        arr = eeg_samples(ctx, "A")
        write_eeg_samples(ctx, "A", arr[: int(seconds * SFREQ)])
    return apply


TRUNCATED = r"truncat|cut short|ends (at|before)|shorter|fewer samples|missing|expected"
fault("eeg-truncated-65pct", "eeg", ".eeg cut at 6.5 s: the second trial loses 1.5 of its 2 s",
      warning(TRUNCATED), affects=("A2", "A"))(_keep_seconds(6.5))
fault("eeg-truncated-tail", "eeg", ".eeg cut at 9.9 s, after the last marker: no trial touched",
      tolerated(), affects=())(_keep_seconds(9.9))


@fault("eeg-partial-sample", "eeg", ".eeg 2 bytes short of a whole sample",
       warning(r"partial|incomplete|not a (whole )?multiple|truncat|cut short|trailing", same=same_all))
def _(ctx):
    truncate(ctx.eeg("A", ".eeg"), drop=2)


@fault("eeg-empty", "eeg", ".eeg is 0 bytes", error(BAD, r"empty|no (data|samples)|0 samples|expected"))
def _(ctx):
    rewrite(ctx.eeg("A", ".eeg"), b"")


@fault("eeg-random-bytes", "eeg", ".eeg replaced by random bytes (same size)", error(BAD, FILE_BAD))
def _(ctx):
    randomize(ctx.eeg("A", ".eeg"), ctx.rng)






@fault("eeg-nan-samples", "eeg", "0.5 s of NaN in every EEG channel of trial 1 (the rest of the session intact)",
       warning(r"NaN|non-finite|not finite|missing (values|samples)"), affects=("A1",))
def _(ctx):
    arr = eeg_samples(ctx, "A")
    arr[3500:4000, :-1] = np.nan
    write_eeg_samples(ctx, "A", arr)


@fault("vhdr-sampling-interval-doubled", "eeg", "SamplingInterval=2000 (500 Hz) for a 1000 Hz recording",
       error(BAD, r"ppm|drift|sampl|rate|clock|interval"))
def _(ctx):
    edit_text(ctx.eeg("A"), r"^SamplingInterval=.*$", "SamplingInterval=2000.0")


@fault("vhdr-sampling-interval-zero", "eeg", "SamplingInterval=0", error(BAD, r"sampl|interval|rate|expected"))
def _(ctx):
    edit_text(ctx.eeg("A"), r"^SamplingInterval=.*$", "SamplingInterval=0")






@fault("vhdr-channel-count-fewer", "eeg", "NumberOfChannels=68 for 69 channels", error(BAD, r"channel|expected"))
def _(ctx):
    edit_text(ctx.eeg("A"), r"^NumberOfChannels=.*$", "NumberOfChannels=68")


@fault("vhdr-datafile-wrong", "eeg", "DataFile= names a file that does not exist",
       error(BAD + (FileNotFoundError,), r"Acquisition 02|data file|not found|no such|expected"))
def _(ctx):
    edit_text(ctx.eeg("A"), r"^DataFile=.*$", "DataFile=Acquisition 02.eeg")


@fault("vhdr-binary-format-int16", "eeg", "BinaryFormat=INT_16 for float32 data", error(BAD, FILE_BAD))
def _(ctx):
    edit_text(ctx.eeg("A"), r"^BinaryFormat=.*$", "BinaryFormat=INT_16")


@fault("vhdr-garbage", "eeg", ".vhdr replaced by random bytes", error(BAD, FILE_BAD))
def _(ctx):
    randomize(ctx.eeg("A"), ctx.rng)




@fault("vhdr-missing", "eeg", "the .vhdr header is gone (.eeg and .vmrk remain)",
       warning(r"header|\.vhdr|no EEG|not read|ignor|cannot"))
def _(ctx):
    ctx.eeg("A").unlink()


@fault("vmrk-missing", "eeg", "the .vmrk marker file is gone (markers are in the Trigger channel)",
       tolerated(allow_warning=True), affects=())
def _(ctx):
    ctx.eeg("A", ".vmrk").unlink()


@fault("vmrk-garbage", "eeg", "the .vmrk marker file is random bytes", tolerated(allow_warning=True), affects=())
def _(ctx):
    randomize(ctx.eeg("A", ".vmrk"), ctx.rng)




@fault("vmrk-duplicated-markers", "eeg", ".vmrk lists the trial markers twice (the Trigger channel is the source)",
       tolerated(allow_warning=True), affects=())
def _(ctx):
    lines = "".join(f"Mk{k}=Stimulus,S{ctx.marker('A1')},3000,1,0\n" for k in (1, 2))
    rewrite(ctx.eeg("A", ".vmrk"), ctx.eeg("A", ".vmrk").read_bytes() + lines.encode())


def _edit_trigger(fn):
    def apply(ctx):
        arr = eeg_samples(ctx, "A")
        fn(ctx, arr, arr[:, -1])
        write_eeg_samples(ctx, "A", arr)
    return apply


def _zero_code(code_of, nth=0):
    def fn(ctx, arr, trig):
        a, b = trigger_runs(trig, code_of(ctx))[nth]
        trig[a:b] = 0
    return fn


fault("trigger-marker-missing", "eeg", "trial 2's onset code is missing from the Trigger channel",
      warning(r"<M:A2>.*(not (found )?(on|in) the EEG|missing|left out|not found)"), affects=("A2", "A"),
      context=EEG + ("EEG",))(_edit_trigger(_zero_code(lambda c: c.marker("A2"))))
fault("trigger-rest-marker-missing", "eeg", "the rest marker 100 after trial 1 is missing: trial 1 runs into trial 2",
      warning(r"\b100\b.*(not (found )?(on|in) the EEG|missing|left out)"), affects=("A1", "A"),
      context=EEG + ("EEG",))(_edit_trigger(_zero_code(lambda c: 100, 0)))


@fault("trigger-duplicate-marker", "eeg", "trial 1's code appears again at 9 s",
       warning(r"<M:A1>.*(twice|more than once|repeat|duplicate|2 onsets)"), affects=("A1", "A"), context=EEG + ("EEG",))
@_edit_trigger
def _(ctx, arr, trig):
    a, b = trigger_runs(trig, ctx.marker("A1"))[0]
    trig[9000:9000 + (b - a)] = ctx.marker("A1")


@fault("trigger-glitch", "eeg", "a one-sample code 255 at 4 s, inside trial 1",
       warning(r"255.*(unknown|not a (stimulus |trigger )?(marker|code)|unexpected|ignor)"), affects=("A1", "A"),
       context=EEG + ("EEG",))
@_edit_trigger
def _(ctx, arr, trig):
    trig[4000] = 255


@fault("trigger-all-zero", "eeg", "the Trigger channel holds no code", error(BAD, r"trigger|marker|code"))
@_edit_trigger
def _(ctx, arr, trig):
    trig[:] = 0




@fault("eeg-two-recordings", "eeg", "a second recording 'Acquisition 02' beside 'Acquisition 01'",
       warning(r"Acquisition 02|two|more than one|several|2 (EEG|recordings|files)", same=same_all))
def _(ctx):
    for ext in (".vhdr", ".vmrk", ".eeg"):
        shutil.copyfile(ctx.eeg("A", ext), ctx.eeg("A", ext).with_name(f"Acquisition 02{ext}"))
    two = ctx.eeg("A").with_name("Acquisition 02.vhdr")
    edit_text(two, r"^DataFile=.*$", "DataFile=Acquisition 02.eeg")
    edit_text(two, r"^MarkerFile=.*$", "MarkerFile=Acquisition 02.vmrk")


# =============================================================================================
# BIOPAC (.mat export of participant A: 17 columns, trigger bits on the eight digital lines)
# =============================================================================================
@fault("mat-truncated-half", "biopac", ".mat cut at half its size", error(BAD, FILE_BAD))
def _(ctx):
    truncate(ctx.mat("A"), 0.5)




@fault("mat-empty", "biopac", ".mat is 0 bytes", error(BAD, FILE_BAD))
def _(ctx):
    rewrite(ctx.mat("A"), b"")


@fault("mat-random-bytes", "biopac", ".mat replaced by random bytes", error(BAD, FILE_BAD))
def _(ctx):
    randomize(ctx.mat("A"), ctx.rng)


@fault("mat-isi-2ms", "biopac", "isi = 2 ms for a 1000 Hz recording", error(BAD, r"ppm|drift|sampl|rate|clock|isi"))
def _(ctx):
    edit_mat(ctx, "A", lambda m: m.update(isi=2.0))


@fault("mat-isi-zero", "biopac", "isi = 0", error(BAD, r"isi|sampl|interval"))
def _(ctx):
    edit_mat(ctx, "A", lambda m: m.update(isi=0.0))




def _drop_column(label):
    def fn(m):
        j = m["labels"].index(label)
        m["data"] = np.delete(m["data"], j, axis=1)
        del m["labels"][j], m["units"][j]
    return fn


def _without_peri_var(var, *syms):
    def fn(s, layout):
        from .runner import resolve

        for tid in resolve(layout, syms):
            for part in ("trial", "window"):
                node = s[part][tid]["nodes"]["peri"]
                node["vars"].pop(var, None)
                node["units"].pop(var, None)
    return modified(fn)


fault("mat-column-missing-eda", "biopac", "the EDA column is missing (16 columns)",
      warning(r"EDA.*(missing|absent|without|not found)", same=_without_peri_var("EDA", "A")))(
    lambda ctx: edit_mat(ctx, "A", _drop_column("EDA")))
fault("mat-column-missing-digital", "biopac", "digital line 3 is missing (trigger bit 3 unknown)",
      error(BAD, r"Digital|trigger|expected"))(lambda ctx: edit_mat(ctx, "A", _drop_column(DIGITAL[3])))


@fault("mat-columns-reordered", "biopac", "ECG and PPG columns (data, label, unit) in swapped positions",
       tolerated(), affects=())
def _(ctx):
    def fn(m):
        i, j = m["labels"].index("ECG"), m["labels"].index("PPG")
        m["data"][:, [i, j]] = m["data"][:, [j, i]]
        for k in ("labels", "units"):
            m[k][i], m[k][j] = m[k][j], m[k][i]
    edit_mat(ctx, "A", fn)


@fault("mat-column-extra", "biopac", "an 18th, unknown column", warning(r"unknown|ignor|extra", same=same_all))
def _(ctx):
    def fn(m):
        m["data"] = np.column_stack([m["data"], np.zeros(m["data"].shape[0])])
        m["labels"].append("Respiration rate")
        m["units"].append("BPM")
    edit_mat(ctx, "A", fn)


@fault("mat-unit-eda-volts", "biopac", "EDA's unit is 'Volts'", error(BAD, r"unit|EDA|expected"))
def _(ctx):
    edit_mat(ctx, "A", lambda m: m["units"].__setitem__(m["labels"].index("EDA"), "Volts"))




@fault("mat-nan-ecg", "biopac", "0.5 s of NaN in the ECG column during trial 1",
       warning(r"ECG.*(NaN|non-finite|not finite|missing)"), affects=("A1", "A"))
def _(ctx):
    def fn(m):
        bits = np.column_stack([m["data"][:, m["labels"].index(d)] > 2.5 for d in DIGITAL])
        code = bits.astype(int) @ (1 << np.arange(8))
        start = int(np.flatnonzero(code == ctx.marker("A1"))[0]) + 300  # 0.3 s into trial 1
        m["data"][start:start + 500, m["labels"].index("ECG")] = np.nan
    edit_mat(ctx, "A", fn)




def _digital(line, value):
    def fn(m):
        m["data"][:, m["labels"].index(DIGITAL[line])] = value
    return fn


STUCK = r"Digital|stuck|trigger|marker|code"
fault("mat-digital-stuck-high", "biopac", "digital line 0 stuck at 5 V", error(BAD, STUCK))(
    lambda ctx: edit_mat(ctx, "A", _digital(0, 5.0)))


@fault("mat-digital-all-zero", "biopac", "no trigger on any digital line", error(BAD, STUCK))
def _(ctx):
    def fn(m):
        for d in DIGITAL:
            m["data"][:, m["labels"].index(d)] = 0.0
    edit_mat(ctx, "A", fn)


@fault("mat-digital-1v", "biopac", "digital lines at 0 / 1 V instead of 0 / 5 V", tolerated(), affects=())
def _(ctx):
    def fn(m):
        for d in DIGITAL:
            m["data"][:, m["labels"].index(d)] /= 5.0
    edit_mat(ctx, "A", fn)




@fault("mat-compressed", "biopac", "the export saved compressed (not memory-mappable)", tolerated(), affects=())
def _(ctx):
    save_mat(ctx.mat("A"), load_mat(ctx.mat("A")), compress=True)


def _biopac_offset(seconds, *syms):
    def fn(s, layout):
        from .runner import resolve

        for tid in resolve(layout, syms):
            for part in ("trial", "window"):
                s[part][tid]["alignment"]["biopac"]["offset_s"] += seconds
    return modified(fn)


@fault("mat-start-sample", "biopac", "start_sample = 5000 (the device clock starts 5 s later)",
       tolerated(same=_biopac_offset(5.0, "A")), affects=())
def _(ctx):
    edit_mat(ctx, "A", lambda m: m.update(start_sample=5000.0))


@fault("mat-two-files", "biopac", "a second .mat export beside the first",
       warning(r"two|more than one|several|2 (files|exports|\.mat)", same=same_all))
def _(ctx):
    shutil.copyfile(ctx.mat("A"), ctx.mat("A").with_name("export2.mat"))


# =============================================================================================
# Video (participant A's trial videos)
# =============================================================================================
@fault("video-truncated-half", "video", "trial 1's .avi cut at half its size",
       error(BAD, r"frame|truncat|expected"), affects=("A1",))
def _(ctx):
    truncate(ctx.video("A1"), 0.5)


@fault("video-index-cut", "video", "the .avi loses its last 1000 bytes (part of the idx1 index; all frames intact)",
       tolerated(allow_warning=True), affects=("A1",))
def _(ctx):
    truncate(ctx.video("A1"), drop=1000)


@fault("video-empty", "video", "trial 1's .avi is 0 bytes", error(BAD, r"frame|expected"), affects=("A1",))
def _(ctx):
    rewrite(ctx.video("A1"), b"")


@fault("video-random-bytes", "video", "trial 1's .avi replaced by random bytes", error(BAD, r"frame|decod|expected"),
       affects=("A1",))
def _(ctx):
    randomize(ctx.video("A1"), ctx.rng)


@fault("video-fps-30", "video", "trial 1's .avi header says 30 fps for a 150 fps recording",
       error(BAD, r"fps|frame rate|frames per second"), affects=("A1",))
def _(ctx):
    avi_set_fps(ctx.video("A1"), 30)


@fault("video-fps-zero", "video", "trial 1's .avi header says 0 fps", error(BAD, r"fps|frame rate"), affects=("A1",))
def _(ctx):
    avi_set_fps(ctx.video("A1"), 0)


@fault("video-duplicate-marker", "video", "a second video for trial 1's marker (another date)",
       warning(r"<M:A1>.*(two|second|more than one|duplicate)|(two|second|more than one|duplicate).*<M:A1>"),
       affects=("A1",))
def _(ctx):
    src = ctx.video("A1")
    shutil.copyfile(src, src.with_name(src.name.replace("_2023", "_2024")))




@fault("video-extra-unrelated-avi", "video", "calibration.avi (no trial name) in the video folder",
       tolerated(allow_warning=True), affects=())
def _(ctx):
    shutil.copyfile(ctx.video("A2"), ctx.folder("A") / "video" / "calibration.avi")


@fault("video-wrong-marker-in-name", "video", "trial 1's video named with a marker the session does not have",
       warning(r"<M:A1>|105|no (EEG )?marker|not (a|in the) trial"), affects=("A1",))
def _(ctx):
    src = ctx.video("A1")
    src.rename(src.with_name(src.name.replace(f"_{ctx.marker('A1')}_", "_105_")))




@fault("video-missing", "video", "trial 1's video is gone (the coding sheet codes expressions on it)",
       warning(r"video|not found|missing", same=without_node("video", "has_video", "A1")), affects=("A1",),
       context=VIDEO + SHEET + ("<A1>",))
def _(ctx):
    ctx.video("A1").unlink()


@fault("video-uppercase-extension", "video", "trial 1's video ends in .AVI", tolerated(), affects=())
def _(ctx):
    ctx.video("A1").rename(ctx.video("A1").with_suffix(".AVI"))


@fault("video-symlink", "video", "trial 1's video is a symbolic link to a file outside the raw folder",
       tolerated(), affects=())
def _(ctx):
    outside = ctx.workdir / "elsewhere" / ctx.video("A1").name
    outside.parent.mkdir()
    shutil.copyfile(ctx.video("A1"), outside)
    ctx.video("A1").unlink()
    ctx.video("A1").symlink_to(outside)


# =============================================================================================
# Coding sheet (coding_file.xlsx at the root)
# =============================================================================================
OPEN_SHEET = r"coding_file.*expected|expected.*coding_file"


@fault("sheet-empty", "coding", "coding_file.xlsx is 0 bytes", error(DataFormatError, OPEN_SHEET, at="open"), affects=())
def _(ctx):
    rewrite(ctx.sheet, b"")


@fault("sheet-garbage", "coding", "coding_file.xlsx is random bytes", error(DataFormatError, OPEN_SHEET, at="open"),
       affects=())
def _(ctx):
    randomize(ctx.sheet, ctx.rng, 4096)




@fault("sheet-missing-column-onset", "coding", "the OnsetTime column is missing",
       error(DataFormatError, r"OnsetTime", at="open"), affects=())
def _(ctx):
    edit_sheet(ctx, lambda df: df.drop(columns=["OnsetTime"]))


@fault("sheet-missing-column-subject", "coding", "the Subject column is missing",
       error(DataFormatError, r"Subject", at="open"), affects=())
def _(ctx):
    edit_sheet(ctx, lambda df: df.drop(columns=["Subject"]))


def _row_of(df, ctx, sym):
    sub = df["Subject"].astype(str) == ctx.name(sym[0])
    return df.index[sub & (df["Marker"].astype(int) == ctx.marker(sym))][0]


@fault("sheet-duplicated-row", "coding", "trial B1's expression coded twice (identical rows)",
       warning(r"row \d+.*(duplicate|same as|identical|twice|repeat)|(duplicate|identical|repeat).*row \d+"), affects=("B1",))
def _(ctx):
    import pandas as pd

    edit_sheet(ctx, lambda df: pd.concat([df, df.loc[[_row_of(df, ctx, "B1")]]], ignore_index=True))


@fault("sheet-onset-after-offset", "coding", "trial A1's onset after its apex and offset",
       error(DataFormatError, r"row \d+.*onset", at="open"), affects=())
def _(ctx):
    def fn(df):
        i = _row_of(df, ctx, "A1")
        df.loc[i, "OnsetTime"] = float(df.loc[i, "OffsetTime"]) + 0.1
    edit_sheet(ctx, fn)


def _shift_stamp(stamp: str, seconds: float) -> str:
    h, m, s, ms, *us = (int(x) for x in str(stamp).split("-"))
    t = h * 3600 + m * 60 + s + ms / 1e3 + (us[0] / 1e6 if us else 0.0) + seconds
    us_total = int(round(t * 1e6))
    h, rem = divmod(us_total, 3600 * 10**6)
    m, rem = divmod(rem, 60 * 10**6)
    s, rem = divmod(rem, 10**6)
    return f"{h:02d}-{m:02d}-{s:02d}-{rem // 1000:03d}-{rem % 1000:03d}"


@fault("sheet-onset-outside-trial", "coding", "trial A1's expression coded at 48.9 s of a 2 s trial",
       warning(r"(row \d+|<A1>).*(outside|beyond|after the end|longer|exceed|past)"), affects=("A1",))
def _(ctx):
    def fn(df):
        i = _row_of(df, ctx, "A1")
        shift = 48.9 - float(df.loc[i, "OnsetTime"])
        for col in ("OnsetTime", "ApexTime", "OffsetTime"):
            df.loc[i, col] = float(df.loc[i, col]) + shift
        for col in ("OnsetFrame", "ApexFrame", "OffsetFrame"):
            df.loc[i, col] = _shift_stamp(df.loc[i, col], shift)
    edit_sheet(ctx, fn)


@fault("sheet-unknown-emotion", "coding", "an Estimated Emotion outside the vocabulary",
       error(DataFormatError, r"Estimated Emotion|emotion", at="open"), affects=())
def _(ctx):
    edit_sheet(ctx, lambda df: df.__setitem__("Estimated Emotion", ["confusedness"] + list(df["Estimated Emotion"][1:])))


@fault("sheet-unknown-au", "coding", "Action Units 'AU99'", error(DataFormatError, r"Action Units|AU", at="open"),
       affects=())
def _(ctx):
    edit_sheet(ctx, lambda df: df.__setitem__("Action Units", ["AU99"] + list(df["Action Units"][1:])))




NO_FOLDER = r"no participant folder|match(es)? no|not found|unknown (subject|participant)|without (a )?folder|no folder"


@fault("sheet-subjects-match-no-folder", "coding", "the sheet's subjects are two names with no folder",
       warning(NO_FOLDER, same=same_ids), affects=("*",), extra_names=("zzanbo", "zzbodu"))
def _(ctx):
    def fn(df):
        rename_participant_in_sheet(df, ctx.name("A"), "zzanbo")
        rename_participant_in_sheet(df, ctx.name("B"), "zzbodu")
    edit_sheet(ctx, fn)


@fault("sheet-extra-subject", "coding", "rows of a third subject (sorting first) who has no folder",
       warning(NO_FOLDER), affects=(), extra_names=("aaxi",))
def _(ctx):
    import pandas as pd

    def fn(df):
        extra = df.loc[[_row_of(df, ctx, "B1")]].copy()
        rename_participant_in_sheet(extra, ctx.name("B"), "aaxi")
        return pd.concat([df, extra], ignore_index=True)
    edit_sheet(ctx, fn)


@fault("sheet-missing-subject", "coding", "participant B has no row in the sheet",
       warning(r"no (coded )?rows|not in|missing|no (coded )?expressions|without"), affects=("B",),
       context=SHEET + ("<B>",))
def _(ctx):
    edit_sheet(ctx, lambda df: df[df["Subject"].astype(str) != ctx.name("B")])


@fault("sheet-missing-file", "coding", "no coding_file.xlsx at the root",
       warning(r"coding_file|coding sheet|annotation", same=same_ids), affects=("*",), context=SHEET + ("coding sheet",))
def _(ctx):
    ctx.sheet.unlink()


@fault("sheet-marker-not-in-session", "coding", "trial A1's row names marker 148, which the session does not have",
       warning(r"148"), affects=("A1", "A"))
def _(ctx):
    def fn(df):
        i = _row_of(df, ctx, "A1")
        df.loc[i, "Filename"] = str(df.loc[i, "Filename"]).replace(f"_{ctx.marker('A1')}_", "_148_")
        df.loc[i, "Marker"] = 148
    edit_sheet(ctx, fn)


@fault("sheet-extra-column", "coding", "an unknown 'Notes' column", tolerated(), affects=())
def _(ctx):
    edit_sheet(ctx, lambda df: df.assign(Notes="checked"))




@fault("sheet-header-lowercase", "coding", "every header in lower case ('subject', 'onsettime', ...)",
       tolerated(), affects=())
def _(ctx):
    edit_sheet(ctx, lambda df: df.rename(columns=str.lower))






# =============================================================================================
# Folder layout
# =============================================================================================
@fault("folder-missing-eeg", "folder", "participant A has no EEG folder (its BIOPAC file stays)",
       warning(r"EEG"), context=("<A>", "/EEG", "EEG/"))
def _(ctx):
    shutil.rmtree(ctx.folder("A") / "EEG")


@fault("folder-missing-peri", "folder", "participant A has no PERI folder",
       tolerated(same=without_node("peri", "has_peri", "A")), context=("<A>", "/PERI"))
def _(ctx):
    shutil.rmtree(ctx.folder("A") / "PERI")


@fault("folder-missing-video", "folder", "participant A has no video folder (the sheet codes its videos)",
       warning(r"video", same=without_node("video", "has_video", "A")), context=("<A>", "/video", "coding_file"))
def _(ctx):
    shutil.rmtree(ctx.folder("A") / "video")


@fault("folder-empty-participant", "folder", "a participant folder (sorting first) with empty EEG/, PERI/, video/",
       warning(r"empty|no (data|recording|files)|holds nothing|nothing"), affects=(), context=("folder",),
       extra_names=("aaempty",))
def _(ctx):
    for d in ("EEG", "PERI", "video"):
        (ctx.raw / "aaempty" / d).mkdir(parents=True)




@fault("folder-stray-files", "folder", "README.txt, .DS_Store at the root and notes in a participant folder",
       tolerated(), affects=())
def _(ctx):
    (ctx.raw / "README.txt").write_text("MMME raw release\n")
    (ctx.raw / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (ctx.folder("A") / "notes.txt").write_text("session ok\n")


@fault("folder-hidden-participant", "folder", "a hidden '.trash' folder holding a copy of an EEG folder",
       tolerated(), affects=())
def _(ctx):
    shutil.copytree(ctx.folder("A") / "EEG", ctx.raw / ".trash" / "EEG")


@fault("folder-symlinked-root", "folder", "the raw folder opened through a symbolic link", tolerated(), affects=())
def _(ctx):
    link = ctx.workdir / "link"
    link.symlink_to(ctx.raw, target_is_directory=True)
    return {"open": link}


@fault("folder-relative-path", "folder", "the raw folder opened by a relative path", tolerated(), affects=())
def _(ctx):
    return {"cwd": ctx.workdir, "open": "raw"}


@fault("folder-symlinked-participant", "folder", "participant A's folder is a symbolic link to a folder elsewhere",
       tolerated(), affects=())
def _(ctx):
    outside = ctx.workdir / "elsewhere" / ctx.name("A")
    outside.parent.mkdir()
    shutil.move(str(ctx.folder("A")), str(outside))
    ctx.folder("A").symlink_to(outside, target_is_directory=True)


@fault("folder-unreadable-peri", "folder", "participant A's BIOPAC file cannot be read (mode 000)",
       error((PermissionError, DataFormatError), r"permission|cannot be read|not readable"), context=PERI, skip=_is_root)
def _(ctx):
    ctx.mat("A").chmod(0)
