"""Derive the emotion -> AU-combination statistics the synthetic generator draws from.

Reads the public MEs-EEG coding sheet (``../shared/data/mes_eeg_coding_file_combined.xlsx``)
and writes ``mmme_analysis/data/au_combinations.json``: for each raw emotion label and kind
(micro/macro), how often each AU combination was coded. Only aggregated counts are written
(no participant, file name or time), so the output carries no personal data.

Usage: python scripts/derive_au_stats.py [SHEET]
"""
import json
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd

root = Path(__file__).resolve().parents[1]
sheet = Path(sys.argv[1]) if len(sys.argv) > 1 else root.parent / "shared/data/mes_eeg_coding_file_combined.xlsx"
df = pd.read_excel(sheet)
out = {}
for (emo, kind), grp in df.groupby(["Estimated Emotion", "Macro/Micro"]):
    combos = Counter(
        ",".join(sorted(set(re.findall(r"AU\d+", str(t))), key=lambda a: int(a[2:]))) for t in grp["Action Units"]
    )
    out.setdefault(str(emo).strip(), {})[str(kind).strip().lower()] = {k: int(v) for k, v in combos.most_common() if k}
target = root / "mmme_analysis/data/au_combinations.json"
fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
with os.fdopen(fd, "w") as f:
    json.dump({"source": "MEs-EEG coding_file_combined.xlsx (public), aggregated counts", "counts": out}, f, indent=1)
os.chmod(tmp, 0o644)
os.replace(tmp, target)
print(f"wrote {target}")
