"""The pristine data every fault copies, built once per test session (shared by xdist workers).

``base/raw`` (``mmme synth`` output, tiny), ``base/store.zarr`` (its conversion),
``base/store_raw`` (a second copy of the raw folder, referenced by the store faults that
do not damage raw data) and the probe results of the undamaged raw folder and store (the
baselines every fault's result is compared with). Built under a file lock, so that with
``pytest -n 2`` one worker builds and the other waits.
"""
from __future__ import annotations

import fcntl
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from .faultlib import Expect, Fault
from .runner import run_child, run_fault

#: the synthetic dataset: two participants, two 2 s trials each (the generator's shortest), one micro-expression
#: per trial, 64 x 64 px video (the smallest the generator writes: decoding dominates the probe's time)
SYNTH = dict(n_subjects=2, n_trials=2, duration=2.0, rest=1.0, mes_per_trial=(1, 1), maes_per_trial=(0, 0), seed=0,
             size=(64, 64))
#: ``convert`` options: small face crops and proxy, no face detection (the faults are about data, not faces)
CONVERT = dict(face_size=32, proxy_side=32, face_method="frame")


@dataclass
class Pristine:
    base: Path
    workroot: Path
    layout: dict
    baseline: dict  # {"raw": result, "store": result}

    @property
    def raw(self) -> Path:
        return self.base / "raw"

    @property
    def store(self) -> Path:
        return self.base / "store.zarr"

    @property
    def store_raw(self) -> Path:
        return self.base / "store_raw"

    @property
    def convert(self) -> dict:
        return dict(CONVERT)

    @property
    def cache(self) -> Path:
        return self.base / "video-index"

    @property
    def names(self) -> list[str]:
        """The participants' (fictitious) real names: they must never appear in a message."""
        return [s["name"] for s in self.layout["subjects"].values()]


def _layout(truth_subjects: dict) -> dict:
    subjects, trials = {}, {}
    for sym, (name, info) in zip("AB", sorted(truth_subjects.items(), key=lambda kv: kv[1]["subject"])):
        subjects[sym] = {"name": name, "subject": info["subject"]}
        for k, t in enumerate(sorted(info["trials"], key=lambda t: t["marker"]), start=1):
            trials[f"{sym}{k}"] = {"trial": f"{info['subject']}_{t['marker']}", "marker": t["marker"], "video": t["video"]}
    return {"subjects": subjects, "trials": trials}


def _noop(ctx):
    return None


BASELINE_RAW = Fault("pristine-raw", "raw", "none", "no damage", _noop, Expect("tolerated"), affects=(), baseline=True)
BASELINE_STORE = Fault("pristine-store", "store", "none", "no damage", _noop, Expect("tolerated"), affects=(), baseline=True)


def build_pristine(base: Path, workroot: Path) -> Pristine:
    """Build (or reuse, when another worker built it) the pristine data and baselines."""
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    done = base / "pristine.json"
    with open(str(base) + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not done.is_file():
                shutil.rmtree(base, ignore_errors=True)
                base.mkdir(parents=True)
                (base / "video-index").mkdir()
                status, res = run_child("build", {"base": str(base), "synth": SYNTH, "convert": CONVERT,
                                                  "cache_dir": str(base / "video-index")},
                                        timeout=600)
                if status != "ok":
                    raise RuntimeError(f"building the pristine data failed: {status} {res}")
                layout = _layout(res["truth_subjects"])
                tmp = Pristine(base, Path(workroot), layout, {})
                for key, fault in (("raw", BASELINE_RAW), ("store", BASELINE_STORE)):
                    out = run_fault(fault, tmp, Path(workroot) / "baseline")
                    if out["status"] != "ok" or any("error" in s for s in out["probe"]["stages"]):
                        raise RuntimeError(f"the pristine {key} probe failed: {json.dumps(out)[:3000]}")
                    tmp.baseline[key] = out
                done.write_text(json.dumps({"layout": layout, "baseline": tmp.baseline}))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    data = json.loads(done.read_text())
    Path(workroot).mkdir(parents=True, exist_ok=True)
    return Pristine(base, Path(workroot), data["layout"], data["baseline"])
