"""Memory of a long raw session: reading a BIOPAC export in place vs loading it whole.

    python benchmarks/bench_session.py [--raw DIR] [--trials 42 --duration 60]

Generates (or reuses, ``--raw``) a physiology-only synthetic session in the MMME raw layout
(``mmme synth --no-video``; 42 trials of 60 s is a ~44-minute session: EEG 68 channels and
the 17-column BIOPAC ``.mat`` at 1000 Hz), then measures, each in a fresh child process
(peak RSS from ``resource.getrusage(RUSAGE_CHILDREN)``, so the processes do not share
memory):

* baseline: ``scipy.io.loadmat`` of the BIOPAC export (what reading it whole costs);
* ``read_biopac`` (the data matrix memory-mapped, signals lazy) and one 60 s window sliced
  from it;
* ``open_dataset(raw)``: list every trial, then load each trial's peripheral and EEG
  signals one after the other (what a pass over the session costs).

The ratios are against the baseline's peak, in the same run. Figures depend on the machine.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = {
    "python": "import sys; print(sys.argv)",
    "imports": "import warnings; warnings.simplefilter('ignore'); import mmme_analysis as mm; mm.dataset; print(1)",
    "loadmat": "from scipy.io import loadmat; m = loadmat(PERI); print(m['data'].shape)",
    "read_biopac": ("from mmme_analysis.io.biopac import read_biopac; b = read_biopac(PERI); "
                    "w = b.isel(time=slice(600000, 660000)).compute(); print(b.sizes['time'], w.sizes['time'])"),
    "session": ("import warnings; warnings.simplefilter('ignore'); import mmme_analysis as mm\n"
                "ds = mm.open_dataset(RAW)\n"
                "for t in ds.trials['trial']:\n"
                "    tree = ds.trial(t)\n"
                "    tree['peri'].to_dataset().compute(); tree['eeg'].to_dataset().compute()\n"
                "print(len(ds.trials))"),
}


def peak(which: str, raw: Path, peri: Path) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of one probe, run in a fresh interpreter under its own parent.

    ``RUSAGE_CHILDREN`` is the maximum over the children waited for, so each probe runs below
    an intermediate process of its own and that process reports its child's peak.
    """
    head = f"RAW = {str(raw)!r}; PERI = {str(peri)!r}\n"
    wrapper = (f"import resource, subprocess, sys, time, json\n"
               f"t0 = time.perf_counter()\n"
               f"r = subprocess.run([sys.executable, '-c', {head + CHILD[which]!r}],"
               f" capture_output=True, text=True)\n"
               f"dt = time.perf_counter() - t0\n"
               f"assert r.returncode == 0, r.stderr[-2000:]\n"
               f"print(json.dumps([resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, dt]))")
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{which} failed:\n{out.stderr[-3000:]}")
    mb, dt = json.loads(out.stdout.strip().splitlines()[-1])
    return mb, dt


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw", type=Path, help="an existing raw folder (default: generate one)")
    p.add_argument("--trials", type=int, default=42)
    p.add_argument("--duration", type=float, default=60.0)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        raw = args.raw
        if raw is None:
            raw = Path(tmp) / "raw"
            subprocess.run([sys.executable, "-m", "mmme_analysis.cli", "synth", str(raw), "--no-video", "--subjects", "1",
                            "--trials", str(args.trials), "--duration", str(args.duration)], check=True,
                           capture_output=True)
        peri = next(raw.glob("*/PERI/*.mat"))
        size = peri.stat().st_size / 1e6
        n = sum(1 for _ in raw.glob("*/EEG/*.vhdr"))
        print(f"raw folder: {n} participant(s), BIOPAC export {size:.0f} MB")
        base, _ = peak("python", raw, peri)
        results = {w: peak(w, raw, peri) for w in ("loadmat", "imports", "read_biopac", "session")}
        print(f"bare interpreter: {base:.0f} MB")
        ref = results["loadmat"][0]
        for w, (mb, dt) in results.items():
            print(f"{w:>12}: peak RSS {mb:7.0f} MB ({mb / ref:.2f}x loadmat), {dt:.1f} s")


if __name__ == "__main__":
    main()
