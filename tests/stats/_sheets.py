"""Independent reading of the real coding sheets (plain openpyxl + regex, not the library)."""
import re
from collections import Counter

import openpyxl


def read_sheet(path):
    """Rows of Sheet1 as dicts keyed by the header row."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb["Sheet1"].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    return [dict(zip(header, r)) for r in rows[1:] if any(v is not None for v in r)]


def au_set(cell):
    return set(int(n) for n in re.findall(r"\d+", str(cell or "")))


def count_aus(rows, kind_column="Macro/Micro"):
    """Counter {(au, "micro"/"macro"): n expressions containing it}."""
    c = Counter()
    for r in rows:
        kind = str(r[kind_column]).strip().lower()
        for au in au_set(r["Action Units"]):
            c[(au, kind)] += 1
    return c


def count_emotions(rows, kind_column="Macro/Micro"):
    names = {"happy": "happiness", "angry": "anger", "sad": "sadness"}
    c = Counter()
    for r in rows:
        e = str(r["Estimated Emotion"]).strip().lower()
        c[(names.get(e, e), str(r[kind_column]).strip().lower())] += 1
    return c
