"""Run one fault: copy the pristine data, damage it, hash, probe in a child with a timeout, hash again.

Children come from a ``forkserver`` that preloaded the heavy libraries (:mod:`._preload`):
each probe starts in milliseconds, in a fresh single-threaded process, and a hang is ended
by killing that process. The parent (the pytest worker) never imports the package.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import tempfile
import threading
import time
from pathlib import Path

from . import probe as _probe
from .faultlib import Ctx, Fault

_CTX = None
_CTX_LOCK = threading.Lock()


def _context():
    global _CTX
    with _CTX_LOCK:
        if _CTX is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["tests.faults._preload"])
            _CTX = ctx
        return _CTX


def start() -> None:
    """Start the fork server now (it preloads in the background, e.g. while another worker builds)."""
    import multiprocessing.forkserver

    _context()
    multiprocessing.forkserver.ensure_running()


def run_child(task: str, args: dict, timeout: float) -> tuple[str, dict | None]:
    """(status, result) of ``probe.entry(task, args)`` in a child: ``ok``, ``hang`` or ``crash``."""
    ctx = _context()
    with tempfile.TemporaryDirectory(prefix="mmme-fault-") as tmp:
        out = Path(tmp) / "result.json"
        proc = ctx.Process(target=_probe.entry, args=(task, args, str(out)), daemon=True)
        proc.start()
        proc.join(timeout)
        if proc.is_alive():
            proc.kill()
            proc.join(10)
            return "hang", None
        if not out.is_file():
            return "crash", {"crash": f"child exited with status {proc.exitcode} and no result"}
        import json

        data = json.loads(out.read_text())
        return ("crash" if "crash" in data else "ok"), data


def digest(root: Path) -> dict:
    """{relative path: sha1} of every file below ``root`` (symbolic links followed)."""
    out = {}
    root = Path(root)
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h = hashlib.sha1()
            try:
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            except PermissionError:
                h.update(b"<unreadable>")
            out[str(p.relative_to(root))] = h.hexdigest()
    return out


def resolve(layout: dict, symbols) -> list[str]:
    """Trial ids of affect symbols (``A``, ``A1``, ``*`` ...), in the order given, without repeats."""
    ids = []
    for sym in symbols:
        if sym == "*":
            ids += [t["trial"] for t in layout["trials"].values()]
        elif sym in layout["subjects"]:
            ids += [t["trial"] for s, t in layout["trials"].items() if s[0] == sym]
        else:
            ids.append(layout["trials"][sym]["trial"])
    return list(dict.fromkeys(ids))


def run_fault(fault: Fault, pristine, workroot: Path) -> dict:
    """Apply ``fault`` to a fresh copy and probe it; the result dict of :mod:`.verdict`."""
    wd = Path(workroot) / fault.id
    shutil.rmtree(wd, ignore_errors=True)
    wd.mkdir(parents=True)
    t0 = time.time()
    try:
        store = None
        if fault.target == "raw":
            raw = wd / "raw"
            shutil.copytree(pristine.raw, raw, symlinks=True)
        else:
            store = wd / "store.zarr"
            shutil.copytree(pristine.store, store)
            if fault.needs_raw_copy:
                raw = wd / "raw"
                shutil.copytree(pristine.raw, raw)
            else:
                raw = pristine.store_raw
        ctx = Ctx(fault=fault, workdir=wd, raw=raw, store=store, layout=pristine.layout)
        opts = fault.apply(ctx) or {}
        roots = {"raw": raw} if store is None else {"raw": raw, "store": store}
        before = {k: digest(v) for k, v in roots.items()}
        targets = resolve(pristine.layout, fault.affects)
        # windows of the affected trials and of A1 (damaged by most faults); all for the pristine baselines
        windows = None if fault.baseline else list(dict.fromkeys(targets + resolve(pristine.layout, ["A1"])))
        if store is None:
            args = {"mode": "raw", "open_path": str(opts.get("open", raw)), "cwd": opts.get("cwd") and str(opts["cwd"]),
                    "targets": targets, "pristine_store": str(pristine.store), "convert_options": pristine.convert,
                    "convert": fault.converts or fault.baseline}
        else:
            args = {"mode": "store", "open_path": str(opts.get("open", store)), "cwd": opts.get("cwd") and str(opts["cwd"]),
                    "raw": None if opts.get("raw", raw) is None else str(opts.get("raw", raw))}
        args.update(workdir=str(wd), cache_dir=str(pristine.cache), windows=windows)
        status, data = run_child("probe", args, fault.timeout)
        after = {k: digest(v) for k, v in roots.items()}
        changed = sorted(f"{k}/{p}" for k in roots for p in set(before[k]) | set(after[k])
                         if before[k].get(p) != after[k].get(p))
        return {"id": fault.id, "status": status, "probe": data, "targets": targets, "changed": changed,
                "n_hashed": sum(len(v) for v in before.values()), "seconds": time.time() - t0}
    finally:
        shutil.rmtree(wd, ignore_errors=True)


_CACHE: dict = {}
_CACHE_LOCK = threading.Lock()


def run_cached(fault: Fault, pristine) -> dict:
    """:func:`run_fault` once per process and fault (the tests of one fault share the run)."""
    with _CACHE_LOCK:
        if fault.id in _CACHE:
            return _CACHE[fault.id]
    res = run_fault(fault, pristine, pristine.workroot)
    with _CACHE_LOCK:
        _CACHE[fault.id] = res
    return res
