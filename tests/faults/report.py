"""Run the whole fault corpus and print what happened: ``python -m tests.faults.report``.

Prints the counts per observed class (clear-error / warning / tolerated / silent /
internal-error / hang), per expected outcome, the cross table, whether any probe touched
the raw data or a message named a participant, and every case whose expected outcome is not
met, with the observed message (first 200 characters) and whether it is marked xfail.

Options: ``--jobs N`` (faults run in parallel, default 2), ``--only REGEX`` (fault ids),
``--json FILE`` (every result, for a closer look), ``--keep DIR`` (build the pristine data
there and keep it).
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import re
import sys
import tempfile
import time
from pathlib import Path

from . import verdict
from .corpus import ALL
from .pristine import build_pristine
from .runner import run_fault


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.faults.report", description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--keep", default=None)
    args = ap.parse_args(argv)
    faults = [f for f in ALL if args.only is None or re.search(args.only, f.id)]
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="mmme-faults-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp) / "pristine"
        pristine = build_pristine(base, Path(tmp) / "work")
        print(f"pristine data ready in {time.time() - t0:.0f} s; running {len(faults)} faults with {args.jobs} jobs",
              flush=True)
        rows = []

        def one(f):
            if f.skip is not None and f.skip():
                return f, None
            return f, run_fault(f, pristine, pristine.workroot)

        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for f, res in pool.map(one, faults):
                if res is None:
                    rows.append({"fault": f, "observed": "skipped", "detail": f.skip(), "problems": [], "res": None,
                                 "leaks": []})
                    continue
                observed, detail = verdict.classify(f, res, pristine)
                rows.append({"fault": f, "observed": observed, "detail": detail, "res": res,
                             "problems": verdict.problems(f, res, pristine),
                             "leaks": verdict.leaked_names(f, res, pristine)})
                print(f"  {f.id:40s} {observed:15s} {res['seconds']:5.1f} s", flush=True)
        _print(rows, time.time() - t0)
        if args.json:
            Path(args.json).write_text(json.dumps([{"id": r["fault"].id, "observed": r["observed"], "detail": r["detail"],
                                                    "problems": r["problems"], "leaks": r["leaks"], "result": r["res"]}
                                                   for r in rows], indent=1, default=str))
    return 0


def _print(rows, seconds):
    ran = [r for r in rows if r["observed"] != "skipped"]
    n_raw = sum(r["fault"].target == "raw" for r in rows)
    print(f"\n== {len(rows)} faults ({n_raw} raw, {len(rows) - n_raw} store), {len(rows) - len(ran)} skipped, "
          f"{seconds:.0f} s ==")
    obs = collections.Counter(r["observed"] for r in ran)
    print("\nobserved:      " + "  ".join(f"{c} {obs.get(c, 0)}" for c in verdict.CLASSES))
    exp = collections.Counter(r["fault"].expect.kind for r in ran)
    met = collections.Counter(r["fault"].expect.kind for r in ran if not r["problems"])
    print("expected:      " + "  ".join(f"{k} {exp.get(k, 0)} (met {met.get(k, 0)})" for k in ("error", "warning",
                                                                                                "tolerated")))
    print("\nexpected \\ observed " + "".join(f"{c:>15s}" for c in verdict.CLASSES))
    for k in ("error", "warning", "tolerated"):
        line = collections.Counter(r["observed"] for r in ran if r["fault"].expect.kind == k)
        print(f"{k:20s}" + "".join(f"{line.get(c, 0):15d}" for c in verdict.CLASSES))
    touched = [r["fault"].id for r in ran if r["res"]["changed"]]
    print(f"\nraw byte-identical after the probe: {len(ran) - len(touched)} of {len(ran)}"
          + (f"; CHANGED: {touched}" if touched else ""))
    leaks = [r for r in ran if r["leaks"]]
    print(f"messages naming a participant: {len(leaks)} faults")
    failing = [r for r in ran if r["problems"]]
    print(f"\n== expected outcome not met: {len(failing)} of {len(ran)} ==")
    for r in failing:
        f = r["fault"]
        mark = "xfail" if f.xfail else "NOT MARKED"
        print(f"- {f.id} [{f.component}] expected {f.expect.describe()}; observed {r['observed']} ({mark})\n"
              f"    {r['detail'][:200]}\n    problem: {r['problems'][0][:200]}")
    unmarked = [r["fault"].id for r in ran if not r["problems"] and r["fault"].xfail]
    if unmarked:
        print(f"\nmarked xfail but met now (remove the mark): {unmarked}")
    print(f"\n== messages naming a participant: {len(leaks)} ==")
    for r in leaks:
        print(f"- {r['fault'].id} ({'xfail' if r['fault'].xfail_names else 'NOT MARKED'}): {r['leaks'][0][:200]}")


if __name__ == "__main__":
    sys.exit(main())
