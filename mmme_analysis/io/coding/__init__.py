"""Read micro-expression coding files into the canonical annotation table.

:func:`read_coding_file` returns one row per coded expression with the columns of
``docs/data_model.md`` (see :data:`COLUMNS`), pseudonymous subjects and validated times.

Flavours (``flavour="auto"`` detects them from the header / first row), one module each:

=========  ==================================================================  =========
flavour    layout                                                              fps
=========  ==================================================================  =========
mmme       MMME / MECG / MEs-EEG ``coding_file.xlsx``: header row ``Subject,     150
           Filename, Marker, OnsetTime, ApexTime, OffsetTime, OnsetFrame,
           ApexFrame, OffsetFrame, Action Units, Estimated Emotion,
           [Macro/Micro,] Date, dif``. Times are seconds from the trial start;
           ``*Frame`` are camera stamps ``hh-mm-ss-ms[-us]``.
casme2     CASME II ``CASME2-coding-*.xlsx``: ``Subject, Filename, OnsetFrame,   200
           ApexFrame, OffsetFrame, Action Units, Estimated Emotion`` (extra
           columns ignored); ``ApexFrame`` may be ``/`` (not coded).
samm       SAMM ``SAMM_Micro_FACS_Codes_v2.xlsx``: a title block, then the       200
           header row (row 13 in the public file; searched in the first 30
           rows) ``Subject, Filename, Inducement Code, Onset Frame, Apex Frame,
           Offset Frame, Duration, Type, Action Units, Notes, Estimated
           Emotion`` (``Objective Classes`` kept when present); ``-1`` in
           Apex/Offset Frame means not coded.
casme_sq   CAS(ME)^2 ``CAS(ME)^2code_final.xlsx``: **no header**; columns        30
           subject number, ``<video>_<expression no.>`` (``anger1_1``), onset,
           apex, offset frame, AUs, emotion, type (``macro-expression`` /
           ``micro-expression``) [, self-reported emotion, ignored]; offset
           ``0`` means not coded.
casme3     CAS(ME)^3 part A ME annotation: ``Subject, Filename, Onset, Apex,     30
           Offset, AU, Objective class, Emotion``; offset ``0`` means not
           coded.
=========  ==================================================================  =========

The layouts of the public CASME II, SAMM, CAS(ME)^2 and CAS(ME)^3 files were taken from
public code that reads them (header names, SAMM header on row 13/14, CAS(ME)^2 without a
header and with offset 0 for "not coded"); they were not checked against the files
themselves, so the readers match columns by name (case, blanks and punctuation ignored) and
ignore unknown extra columns. Old ``.xls`` versions need ``xlrd``; ``.csv`` exports work too.

Modules: :mod:`.sheet` (reading rows, header and flavour detection, column mapping),
:mod:`.cells` (cell parsing), one module per flavour (:mod:`.mmme`, :mod:`.casme2`,
:mod:`.samm`, :mod:`.casme_sq`, :mod:`.casme3`; :mod:`.framecoded` holds what the
frame-coded ones share), :mod:`.personal` (pseudonyms, :class:`PersonalMap`),
:mod:`.kinds` (the micro/macro rule) and :mod:`.assemble` (the table).

Conventions
-----------
* ``onset``, ``apex``, ``offset`` are seconds. MMME: seconds from the trial start as coded
  (``*Time`` columns); ``*_frame = round(time * fps)`` is the frame index in the trial
  video. Frame-coded flavours: ``*_frame`` is the frame number as coded (the dataset's own
  image numbering) and times are ``frame / fps``.
* An offset that was not coded (MMME: ``OffsetTime == ApexTime``, 433 of 944 real rows;
  other flavours: their "not coded" value, or an offset equal to the apex) gives
  ``offset == apex``, ``offset_coded = False`` and ``duration = NaN`` (a duration is never
  invented). An apex that was not coded (CASME II ``/``, SAMM ``-1``) gives ``apex = NaN``.
* ``kind_rule`` (the papers' rule): ``micro`` if ``offset - onset <= 0.5 s`` (offset coded) or
  ``apex - onset <= 0.25 s``; times are rounded to the microsecond before the comparison.
  ``kind`` comes from the ``Macro/Micro`` / ``Type`` column where there is one
  (``kind_source = "column"``), else from the rule (``kind_source = "duration_rule"``).
* Subjects are pseudonymised: ``sub-01``, ``sub-02`` ... in sorted order of the real names
  (MMME), or ``"sub-" + zero-padded number`` for numeric ids (CASME II ``1`` -> ``sub-01``,
  SAMM ``006`` -> ``sub-06``, CAS(ME)^3 ``spNO.1`` -> ``sub-01``). ``names={raw: pseudonym}``
  overrides this.
* ``trial`` is the dataset-wide trial id (the one of ``Dataset.trials``). MMME:
  ``<subject>_<marker>`` (pseudonym and stimulus marker, ``sub-01_101``), one per subject
  and marker (two different video files for one subject and marker are an error).
  Video-only flavours: the clip id, CASME II / CAS(ME)^3 ``<subject>_<Filename>``, SAMM
  ``Filename``, CAS(ME)^2 ``<subject>_<video>``.
* ``clip`` is the pseudonymous clip id. MMME: the video file stem with the participant's
  name replaced by the pseudonym (``angry_1_146_sub-01_20240515``); video-only flavours:
  the same as ``trial``.
* Extra columns: ``source_row`` (1-based spreadsheet row) for every flavour;
  ``onset_stamp, apex_stamp, offset_stamp`` (MMME: seconds since midnight on the camera
  clock; ``stamp - time`` is the camera time of the trial start); ``objective_class`` where
  the file has one. MMME's ``Date`` (annotation time) and ``dif`` are not kept.
* The agreement of the labelled kind with the rule is
  :func:`mmme_analysis.stats.agreement.kind_agreement`.

Personal data
-------------
No real name reaches a column, ``repr``, warning or error message (errors name the file,
the spreadsheet row and the column, never a name). The personal data the loaders need
(``files``: trial -> video file name as in the sheet, MMME file names contain the
participant's name; ``subjects``: pseudonym -> subject id as in the sheet, i.e. the
participant folder name) is returned only on request, ``read_coding_file(path,
personal=True) -> (df, PersonalData)``, and never put in the table or its ``attrs``: copying,
pickling or saving the table cannot carry a name. :class:`PersonalMap` objects hide their
content in ``repr`` and refuse JSON and pickling.

Files are opened read-only and never written.
"""
from .assemble import COLUMNS, read_coding_file
from .flavours import DEFAULT_FPS, FLAVOURS
from .kinds import MICRO_MAX_DURATION_S, MICRO_MAX_ONSET_APEX_S, kind_by_rule
from .personal import PersonalData, PersonalMap

__all__ = [
    "PersonalMap",
    "PersonalData",
    "COLUMNS",
    "FLAVOURS",
    "DEFAULT_FPS",
    "MICRO_MAX_DURATION_S",
    "MICRO_MAX_ONSET_APEX_S",
    "read_coding_file",
    "kind_by_rule",
]
