"""Classify a probe result, and check it against the fault's expected outcome.

Observed classes:

``clear-error``
    every error raised is of an ``mmme_analysis`` type or one of :data:`ALLOWED_BUILTINS`,
    and its message names the damaged file / trial / array (a context token of the fault or
    an affected trial id);
``internal-error``
    any other error (no context, a library exception leaking), or a crashed child;
``warning``
    no error, and an ``MMMEWarning`` the pristine probe did not emit;
``silent``
    no error, no new warning, but the result differs from the pristine one (or, for faults
    expected to be tolerated with a stated difference, from that expectation);
``tolerated``
    no error, no new warning, and the result equals the expectation;
``hang``
    no result within the fault's timeout.
"""
from __future__ import annotations

import builtins
import copy
import importlib
import math
import re

from .faultlib import ERROR, TOLERATED, WARNING, Fault
from .runner import resolve

CLASSES = ("clear-error", "warning", "tolerated", "silent", "internal-error", "hang")
ALLOWED_BUILTINS = {"ValueError", "KeyError", "IndexError", "LookupError", "FileNotFoundError", "NotADirectoryError",
                    "IsADirectoryError", "PermissionError", "OSError", "FileExistsError"}
_OPEN_STAGES = ("open", "trials", "annotations")


# -- placeholders ---------------------------------------------------------------------------------
def expand(text: str, layout: dict, *, regex: bool) -> str:
    esc = re.escape if regex else (lambda s: s)
    for sym, t in layout["trials"].items():
        text = text.replace(f"<{sym}>", esc(t["trial"])).replace(f"<M:{sym}>", str(t["marker"]))
    for sym, s in layout["subjects"].items():
        text = text.replace(f"<{sym}>", esc(s["subject"]))
    return text.replace("<STORE>", esc("store.zarr"))


def _pattern(fault: Fault, layout: dict):
    return re.compile(expand(fault.expect.match, layout, regex=True), re.S | re.I)


# -- pieces of a result ----------------------------------------------------------------------------
def errors(res: dict) -> list[dict]:
    probe = res.get("probe") or {}
    return [dict(s["error"], stage=s["stage"]) for s in probe.get("stages", []) if "error" in s]


def new_warnings(res: dict, baseline: dict) -> list[dict]:
    """MMMEWarnings of ``res`` whose message the pristine probe did not emit."""
    seen = {w["message"] for w in (baseline.get("probe") or {}).get("warnings", [])}
    return [w for w in (res.get("probe") or {}).get("warnings", []) if w["mmme"] and w["message"] not in seen]


def messages(res: dict) -> list[str]:
    probe = res.get("probe") or {}
    return [e["message"] for e in errors(res)] + [w["message"] for w in probe.get("warnings", [])] + \
        ([probe["crash"]] if "crash" in probe else [])


def _type(err: dict):
    if err["module"] == "builtins":
        return getattr(builtins, err["type"], None)
    if err["module"].startswith("mmme_analysis"):
        try:
            return getattr(importlib.import_module(err["module"]), err["type"], None)
        except ImportError:
            return None
    return None


def tokens(fault: Fault, layout: dict, targets: list) -> list[str]:
    return [expand(t, layout, regex=False) for t in fault.context] + list(targets)


def names_context(message: str, toks: list) -> bool:
    return any(t.lower() in message.lower() for t in toks)


def is_clear(err: dict, toks: list) -> bool:
    """An error of the package's own type, or a builtin one the package raised itself with a
    sentence (not a bare key), whose message names the damaged file / trial / array."""
    if err["module"].startswith("mmme_analysis"):
        allowed = True
    else:
        allowed = (err["module"] == "builtins" and err["type"] in ALLOWED_BUILTINS and err.get("raised_in_package", False)
                   and len(err["message"]) >= 20)
    return allowed and names_context(err["message"], toks)


def _is(err: dict, classes) -> bool:
    cls = _type(err)
    return cls is not None and issubclass(cls, tuple(classes))


def show_error(e: dict, n: int = 200) -> str:
    return f"[{e['stage']}] {e['type']}: {e['message'][:n]}"


# -- comparisons ------------------------------------------------------------------------------------
def diff(a, b, path: str = "", out: list | None = None, limit: int = 20) -> list[str]:
    """Differences between two JSON summaries (floats within 1e-6 relative, NaN == None)."""
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}/{k}: {'absent' if k not in a else _short(a[k])} != "
                           f"{'absent' if k not in b else _short(b[k])}")
            else:
                diff(a[k], b[k], f"{path}/{k}", out, limit)
            if len(out) >= limit:
                break
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items != {len(b)} items")
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                diff(x, y, f"{path}[{i}]", out, limit)
                if len(out) >= limit:
                    break
    elif _num(a) and _num(b):
        x, y = _f(a), _f(b)
        # a clock fit's drift of a few 1e-10 ppm is rounding of a zero drift (the rate is 1 + 1e-16)
        tol = 1e-6 if path.endswith("drift_ppm") else 1e-12
        if not ((math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-6, abs_tol=tol)):
            out.append(f"{path}: {a!r} != {b!r}")
    elif a != b:
        out.append(f"{path}: {_short(a)} != {_short(b)}")
    return out


def _num(v) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))


def _f(v) -> float:
    return math.nan if v is None else float(v)


def _short(v, n: int = 80) -> str:
    s = repr(v)
    return s if len(s) <= n else s[:n] + "..."


def trial_parts(summary: dict, tid: str) -> dict:
    return {k: (summary.get(k) or {}).get(tid) for k in ("trials", "trial", "window", "frame")}


def _cut(p: dict, o: dict) -> dict:
    """``p`` with only the windows the probe of ``o`` cut (``o["windows"]``; None: all)."""
    if o.get("windows") is None:
        return p
    return dict(p, window={k: v for k, v in (p.get("window") or {}).items() if k in o["windows"]})


def unaffected_equal(p: dict, o: dict, targets: list) -> list[str]:
    """The trials of the pristine data that the fault does not touch are listed and equal."""
    out = []
    p = _cut(p, o)
    for tid in p["order"]:
        if tid in targets:
            continue
        if tid not in (o.get("trials") or {}):
            out.append(f"trial {tid} (not damaged) is missing from ds.trials")
            continue
        diff(trial_parts(p, tid), trial_parts(o, tid), f"{tid}", out)
    return out


def all_equal(p: dict, o: dict) -> list[str]:
    p = _cut(p, o)
    return diff({k: p.get(k) for k in ("order", "trials", "annotations", "trial", "window", "frame")},
                {k: o.get(k) for k in ("order", "trials", "annotations", "trial", "window", "frame")})


def modified(fn):
    """A ``same`` check: the observed summary equals the pristine one changed by ``fn(summary, layout)``."""
    def same(p, o, layout):
        want = copy.deepcopy(p)
        fn(want, layout)
        return all_equal(want, o)
    return same


def without_node(node: str, column: str, *syms: str):
    """``same`` for a modality that is absent from the trials ``syms``: the node is gone,
    the table's ``column`` is False, ``missing`` names the node, the rest is pristine."""
    def fn(s, layout):
        for tid in resolve(layout, syms):
            s["trials"][tid][column] = False
            for part in ("trial", "window"):
                tree = s[part][tid]
                tree["nodes"].pop(node, None)
                if node == "eeg":
                    tree["nodes"].pop("peri", None)
                tree["attrs"]["missing"] = ",".join(k for k in ("video", "eeg", "peri") if k not in tree["nodes"])
                if node == "eeg":
                    tree["alignment"] = {}
                if node == "peri":
                    tree["alignment"].pop("biopac", None)
            if node == "video":
                s["frame"][tid] = {}
    return modified(fn)


# -- the verdicts ------------------------------------------------------------------------------------
def _same(fault: Fault, p: dict, o: dict, layout: dict, targets: list) -> list[str]:
    if fault.expect.same is not None:
        return fault.expect.same(p, o, layout)
    if fault.expect.kind == TOLERATED:
        return all_equal(p, o)
    return unaffected_equal(p, o, targets)


def classify(fault: Fault, res: dict, pristine) -> tuple[str, str]:
    """(observed class, the message or difference that decided it)."""
    if res["status"] == "hang":
        return "hang", f"no result within {fault.timeout:.0f} s"
    if res["status"] == "crash":
        return "internal-error", (res["probe"] or {}).get("crash", "crash")[:400]
    toks = tokens(fault, pristine.layout, res["targets"])
    errs = errors(res)
    bad = [e for e in errs if not is_clear(e, toks)]
    if bad:
        return "internal-error", show_error(bad[0])
    if errs:
        return "clear-error", show_error(errs[0])
    base = pristine.baseline[fault.target]
    warns = new_warnings(res, base)
    if warns:
        return "warning", f"[{warns[0]['stage']}] {warns[0]['message'][:200]}"
    p, o = base["probe"]["summary"], res["probe"]["summary"]
    d = fault.expect.same(p, o, pristine.layout) if (fault.expect.kind == TOLERATED and fault.expect.same) \
        else all_equal(p, o)
    if d:
        return "silent", "; ".join(d[:3])
    return "tolerated", ""


def problems(fault: Fault, res: dict, pristine) -> list[str]:
    """Why the observed outcome does not meet ``fault.expect`` (empty: met)."""
    if res["status"] == "hang":
        return [f"hang: no result within {fault.timeout:.0f} s"]
    if res["status"] == "crash":
        return [f"probe child crashed: {(res['probe'] or {}).get('crash', '')[:400]}"]
    layout, exp = pristine.layout, fault.expect
    base = pristine.baseline[fault.target]
    p, o = base["probe"]["summary"], res["probe"]["summary"]
    targets, toks = res["targets"], tokens(fault, layout, res["targets"])
    errs = errors(res)
    warns = new_warnings(res, base)
    rx = _pattern(fault, layout)
    out = [f"internal error {show_error(e, 300)}" for e in errs if not is_clear(e, toks)]
    seen = "; ".join([show_error(e) for e in errs[:2]] + [f"warning: {w['message'][:160]}" for w in warns[:2]]) \
        or "no error, no warning"
    if exp.kind == ERROR:
        if exp.at == "open":
            if not any(e["stage"] in _OPEN_STAGES and _is(e, exp.exc) and rx.search(e["message"])
                       and names_context(e["message"], toks) for e in errs):
                out.append(f"expected {exp.describe()} when opening the dataset; got: {seen}")
            return out
        failed = [e for e in errs if e["stage"] in _OPEN_STAGES]
        if failed:
            out.append(f"fault isolation: {show_error(failed[0], 300)} (expected the undamaged trials to load)")
            return out
        for tid in targets:
            hit = any(e["stage"].split(":")[1:2] == [tid] and _is(e, exp.exc) and rx.search(e["message"])
                      and names_context(e["message"], toks) for e in errs)
            if not hit and not any(rx.search(w["message"]) and names_context(w["message"], toks) for w in warns):
                out.append(f"trial {tid}: expected {exp.describe()} (or a warning matching it); got: {seen}")
        out += _same(fault, p, o, layout, targets)
    elif exp.kind == WARNING:
        if errs:
            out.append(f"expected a warning and the rest loading; got {show_error(errs[0], 300)}")
        if not any(rx.search(w["message"]) and names_context(w["message"], toks) for w in warns):
            out.append(f"expected {exp.describe()} naming one of {toks}; got: {seen}")
        out += _same(fault, p, o, layout, targets)
    else:
        if errs:
            out.append(f"expected it to be tolerated; got {show_error(errs[0], 300)}")
        if warns and not exp.allow_warning:
            out.append(f"expected it to be tolerated without a warning; got warning {warns[0]['message'][:200]}")
        diffs = _same(fault, p, o, layout, targets)
        if diffs:
            out.append("result differs from the expectation: " + "; ".join(diffs[:6]))
    return out


def leaked_names(fault: Fault, res: dict, pristine) -> list[str]:
    """Messages (errors and warnings) that contain a participant's real name."""
    names = [n.lower() for n in pristine.names + list(fault.extra_names)]
    return [m[:300] for m in messages(res) if any(n in m.lower() for n in names)]
