"""Personal data: the map type that hides it, and the pseudonyms of the subjects."""
from __future__ import annotations

import re
from collections.abc import Mapping

from ...errors import DataFormatError

__all__ = ["PersonalMap", "PersonalData", "pseudonyms"]


class PersonalMap(Mapping):
    """Read-only mapping that holds personal data (participants' names, file names).

    Its ``repr``/``str`` never show the content, and neither :mod:`json` nor :mod:`pickle`
    can serialise it, so nothing that saves an object holding one (``to_parquet``, a pickled
    table or backend) writes names into a file. Lookup, iteration, ``dict(m)``, equality
    with a dict and copying work as usual.

    Parameters
    ----------
    data : Mapping or iterable of pairs
        The content.
    """

    __slots__ = ("_data",)

    def __init__(self, data=()):
        self._data = dict(data)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        return f"<PersonalMap: {len(self._data)} entries, personal data not shown>"

    __str__ = __repr__

    def __copy__(self):
        return self  # immutable

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        raise TypeError("a PersonalMap holds personal data (participants' names) and cannot be pickled; "
                        "pass the pseudonymous table or dict(...) what you need explicitly")


class PersonalData(tuple):
    """The personal data of a coding sheet, kept out of the annotation table: ``files``, ``subjects``."""

    __slots__ = ()

    def __new__(cls, files: PersonalMap, subjects: PersonalMap):
        return super().__new__(cls, (files, subjects))

    @property
    def files(self) -> PersonalMap:
        """Trial id -> video file name as in the sheet."""
        return self[0]

    @property
    def subjects(self) -> PersonalMap:
        """Pseudonym -> subject id as in the sheet."""
        return self[1]

    def __repr__(self):
        return f"<PersonalData: {len(self[0])} files, {len(self[1])} subjects, personal data not shown>"

    def __reduce__(self):
        raise TypeError("PersonalData holds personal data (participants' names) and cannot be pickled")


def pseudonyms(path, records, flavour, names) -> dict[str, str]:
    """Map each subject id of a sheet to its pseudonym.

    Parameters
    ----------
    path : pathlib.Path
        The sheet (named in error messages).
    records : list of dict
        The rows read so far (``subject_raw`` and ``source_row`` keys).
    flavour : Flavour
        The sheet's flavour: personal ids become ``sub-01`` ... in sorted order, numeric
        ids ``"sub-" + zero-padded number``.
    names : Mapping | None
        Explicit ``{subject id: pseudonym}``, used instead when given.

    Returns
    -------
    dict
        ``subject id as in the sheet -> pseudonym``.
    """
    raw_ids = [r["subject_raw"] for r in records]
    if names is not None:
        mapping = {str(k).strip(): str(v) for k, v in names.items()}
        used = {mapping[s] for s in set(raw_ids) if s in mapping}
        if len(used) < len({s for s in set(raw_ids) if s in mapping}):
            raise ValueError("Invalid value for 'names': expected a distinct pseudonym for "
                             "each subject of the file, got repeated pseudonyms")
        for r in records:
            if r["subject_raw"] not in mapping:
                raise DataFormatError(
                    f"{path}, row {r['source_row']}, column 'Subject': subject missing from "
                    f"the 'names' mapping (value not shown: personal data); expected a "
                    f"pseudonym for every subject ({len(set(raw_ids))} distinct in the file)"
                )
        return mapping
    if flavour.personal_ids:
        unique = sorted(set(raw_ids))
        width = max(2, len(str(len(unique))))
        return {name: f"sub-{i:0{width}d}" for i, name in enumerate(unique, start=1)}
    mapping = {}
    for r in records:
        m = re.search(r"(\d+)\s*$", r["subject_raw"])
        if m is None:
            raise DataFormatError(
                f"{path}, row {r['source_row']}, column 'Subject': subject id without a "
                f"number; expected a numeric subject id (e.g. '1', '006', 'spNO.1') for "
                f"flavour {flavour.name!r}"
            )
        mapping[r["subject_raw"]] = f"sub-{int(m[1]):02d}"
    return mapping
