"""The fixed probe, run in a forked child (see :mod:`.runner`); also builds the pristine data.

Top-level imports are light: the parent imports this module only to name :func:`entry`;
the fork server preloads :mod:`._preload` (the heavy libraries) so that a child starts in
milliseconds.

The probe records, stage by stage (``open``, ``trials``, ``annotations``, ``trial:<id>``,
``window:<id>``, ``frame:<id>:<node>:<index>``, ``convert``), each error (type, module,
message, where it was raised) and each warning (category, message), and a JSON summary of
what loaded (trial table, annotation rows, per trial every node's sizes, attrs and array
fingerprints, the alignment fits, the 1 s window, frame digests) that the parent compares
with the pristine one.
"""
from __future__ import annotations

import hashlib
import json
import os
import traceback
from pathlib import Path

#: EEG window of the probe (s on the trial axis)
WINDOW = (0.5, 1.5)
_SAMPLES = 48  # values kept of a large float array (evenly spaced), besides its stats


def entry(task: str, args: dict, out: str) -> None:
    """Run ``task`` with ``args`` and write its JSON result to ``out`` (atomically)."""
    try:
        result = {"build": build, "probe": probe}[task](**args)
    except BaseException as exc:  # noqa: BLE001 - report whatever broke the harness
        result = {"crash": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    tmp = Path(out).with_suffix(".tmp")
    tmp.write_text(json.dumps(result, default=str))
    os.replace(tmp, out)


# -- the pristine data ---------------------------------------------------------------------------
def build(*, base: str, synth: dict, convert: dict, cache_dir: str) -> dict:
    """Synthesize the raw folder, convert it, and keep a second raw copy for store faults."""
    import shutil
    import warnings

    os.environ["MMME_CACHE_DIR"] = cache_dir
    from mmme_analysis.convert import convert as convert_
    from mmme_analysis.synth.generator import SynthConfig, synthesize

    base = Path(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesize(base / "raw", SynthConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in synth.items()}),
                   progress=False)
        convert_(base / "raw", base / "store.zarr", progress=False, threads=2, **convert)
    shutil.copytree(base / "raw", base / "store_raw")
    truth = json.loads((base / "raw" / "ground_truth.json").read_text())
    return {"ok": True, "truth_subjects": {k: {"subject": v["subject"],
                                              "trials": [{"marker": t["marker"], "video": t["video"]}
                                                         for t in v["trials"]]}
                                          for k, v in truth["subjects"].items()}}


# -- summaries ----------------------------------------------------------------------------------
def _py(v):
    import numpy as np
    import pandas as pd

    if isinstance(v, (list, tuple)):
        return [_py(x) for x in v]
    if isinstance(v, np.ndarray):
        return [_py(x) for x in v.tolist()]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _array(a) -> dict:
    import numpy as np

    a = np.asarray(a)
    out = {"dtype": a.dtype.kind, "shape": list(a.shape)}
    if a.dtype.kind == "f":
        flat = a.ravel().astype(float)
        fin = np.isfinite(flat)
        out["nan"] = int(flat.size - fin.sum())
        if flat.size <= _SAMPLES:
            out["values"] = [_py(x) for x in flat]
        else:
            out["sample"] = [_py(x) for x in flat[np.linspace(0, flat.size - 1, _SAMPLES).astype(int)]]
            out.update(min=_py(flat[fin].min()) if fin.any() else None, max=_py(flat[fin].max()) if fin.any() else None,
                       mean=_py(flat[fin].mean()) if fin.any() else None)
    elif a.dtype.kind in "iub":
        if a.size <= _SAMPLES:
            out["values"] = [_py(x) for x in a.ravel()]
        else:
            out["sha1"] = hashlib.sha1(np.ascontiguousarray(a).tobytes()).hexdigest()
    else:
        vals = [str(x) for x in a.ravel()]
        out["values" if len(vals) <= 200 else "sha1"] = vals if len(vals) <= 200 else \
            hashlib.sha1("\0".join(vals).encode()).hexdigest()
    return out


def _attrs(attrs: dict) -> dict:
    return {str(k): _py(v) for k, v in attrs.items() if k not in ("source", "alignment")}


def _alignment(text) -> dict:
    try:
        data = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {"unparsed": str(text)[:200]}
    return {dev: {k: _py(d.get(k)) for k in ("offset_s", "drift_ppm", "n_markers", "max_abs_residual_s", "markers")}
            for dev, d in data.items()}


def tree_summary(tree) -> dict:
    nodes = {}
    for name, child in sorted(tree.children.items()):
        ds = child.to_dataset(inherit=False)
        nodes[name] = {
            "sizes": {str(k): int(v) for k, v in ds.sizes.items()},
            "attrs": _attrs(ds.attrs),
            "vars": {str(k): _array(v.values) for k, v in ds.data_vars.items()},
            "coords": {str(k): _array(v.values) for k, v in ds.coords.items()},
            "units": {str(k): _py(v.attrs.get("units")) for k, v in ds.variables.items() if "units" in v.attrs},
        }
    return {"attrs": _attrs(tree.attrs), "alignment": _alignment(tree.attrs.get("alignment")), "nodes": nodes}


def _trials_table(df) -> dict:
    return {str(r["trial"]): {str(k): _py(v) for k, v in r.items()} for r in df.to_dict("records")}


def _annotations(df) -> dict:
    cols = [c for c in ("trial", "subject", "marker", "onset", "apex", "offset", "kind", "emotion", "aus") if c in df]
    rows = sorted(([_py(r[c]) for c in cols] for r in df.to_dict("records")), key=lambda r: json.dumps(r, default=str))
    return {"n": int(len(df)), "columns": cols, "rows": rows}


# -- the probe ----------------------------------------------------------------------------------
class _Recorder:
    def __init__(self, caught: list, workdir: str):
        self.caught, self.workdir = caught, workdir
        self.stages, self.warnings, self.bugs = [], [], []

    def norm(self, text: str) -> str:
        return str(text).replace(self.workdir, "<W>")

    def stage(self, name: str, fn):
        """Run ``fn()``; record its error or success and the warnings it emitted; return (ok, value)."""
        import time

        from mmme_analysis._warnings import MMMEWarning

        n0, c0 = len(self.caught), time.process_time()
        ok, value, rec = True, None, {"stage": name}
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - the probe records every failure
            ok = False
            tb = traceback.extract_tb(exc.__traceback__)
            rec["error"] = {
                "type": type(exc).__name__, "module": type(exc).__module__,
                "message": self.norm(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)),
                "where": [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in tb[-3:]],
                "raised_in_package": bool(tb) and "mmme_analysis" in tb[-1].filename,
                "mmme_frames": [f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno}" for f in tb
                                if "mmme_analysis" in f.filename][-2:],
            }
        rec["cpu"] = round(time.process_time() - c0, 3)
        self.stages.append(rec)
        for w in self.caught[n0:]:
            self.warnings.append({"stage": name, "category": w.category.__name__,
                                  "mmme": issubclass(w.category, MMMEWarning), "message": self.norm(w.message)})
        return ok, value

    def summarise(self, where: str, fn):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - a harness bug, reported separately
            self.bugs.append(f"{where}: {type(exc).__name__}: {exc}")
            return None


def _skeleton_store(pristine_store: Path, store: Path, keep: list) -> None:
    """A store whose trials ``keep`` look complete (their group metadata only), so that
    ``convert`` converts just the others."""
    import shutil

    (store / "trials").mkdir(parents=True)
    shutil.copyfile(pristine_store / "zarr.json", store / "zarr.json")
    shutil.copyfile(pristine_store / "trials" / "zarr.json", store / "trials" / "zarr.json")
    for t in keep:
        (store / "trials" / t).mkdir()
        src = pristine_store / "trials" / t / "zarr.json"
        if src.is_file():
            shutil.copyfile(src, store / "trials" / t / "zarr.json")
        else:
            (store / "trials" / t / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group", "attributes": {}}')


def probe(*, mode: str, open_path: str, workdir: str, cwd: str | None = None, raw: str | None = None,
          targets=(), pristine_store: str | None = None, cache_dir: str | None = None,
          convert_options: dict | None = None, windows: list | None = None, convert: bool = True) -> dict:
    """Open, list, load every trial, read frames, cut a window of the trials in ``windows``
    (None: all; ``summary["windows"]`` lists them) and, for raw folders where ``convert``,
    convert the first target."""
    import time
    import warnings

    if cache_dir:
        os.environ["MMME_CACHE_DIR"] = cache_dir
    if cwd:
        os.chdir(cwd)
    import dask

    dask.config.set(scheduler="synchronous")
    import mmme_analysis as mm

    t_start = time.time()
    summary = {"trials": None, "order": [], "annotations": None, "trial": {}, "window": {}, "frame": {},
               "windows": None if windows is None else list(windows)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec = _Recorder(caught, workdir)
        ok, ds = rec.stage("open", lambda: mm.open_dataset(open_path) if mode == "raw" or raw is None
                           else mm.open_dataset(open_path, raw=raw))
        table = None
        if ok:
            ok, table = rec.stage("trials", lambda: ds.trials.copy())
        if ok:
            summary["trials"] = rec.summarise("trials", lambda: _trials_table(table))
            summary["order"] = [str(t) for t in table["trial"]]
            ok_a, ann = rec.stage("annotations", lambda: ds.annotations.copy())
            if ok_a:
                summary["annotations"] = rec.summarise("annotations", lambda: _annotations(ann))
            for tid in summary["order"]:
                ok_t, tree = rec.stage(f"trial:{tid}", lambda tid=tid: ds.trial(tid).load())
                if ok_t:
                    summary["trial"][tid] = rec.summarise(f"trial:{tid}", lambda tree=tree: tree_summary(tree))
                if windows is None or tid in windows:
                    ok_w, win = rec.stage(f"window:{tid}", lambda tid=tid: ds.window(tid, *WINDOW).load())
                    if ok_w:
                        summary["window"][tid] = rec.summarise(f"window:{tid}", lambda win=win: tree_summary(win))
                nodes = [n for n in ("video", "face", "proxy") if ok_t and n in tree.children]
                if "video" not in nodes and bool(summary["trials"][tid].get("has_video")):
                    nodes.insert(0, "video")
                frames = {}
                for node in nodes:
                    n = tree[node].sizes.get("time", 1) if ok_t and node in tree.children else 1
                    for idx in sorted({0, max(int(n) - 1, 0)}):
                        ok_f, fr = rec.stage(f"frame:{tid}:{node}:{idx}",
                                             lambda tid=tid, node=node, idx=idx: ds.frame(tid, idx, node=node))
                        if ok_f:
                            frames[f"{node}:{idx}"] = rec.summarise("frame", lambda fr=fr: _array(fr))
                summary["frame"][tid] = frames
        convert_info = None
        if mode == "raw" and convert and ok and pristine_store and summary["order"]:
            convert_info = _convert(rec, open_path, workdir, summary["order"], list(targets), Path(pristine_store),
                                    convert_options or {})
    return {"stages": rec.stages, "warnings": rec.warnings, "summary": summary, "bugs": rec.bugs,
            "convert": convert_info, "elapsed": time.time() - t_start, "cpu": time.process_time()}


def _convert(rec, open_path, workdir, order, targets, pristine_store, options) -> dict:
    """Convert the targets (the affected trials still listed, else the first) into a temporary store.

    The other trials are marked complete in a skeleton store, so only the targets are converted.
    """
    from mmme_analysis.convert import convert

    todo = [next((t for t in targets if t in order), order[0])] if order else []
    store = Path(workdir) / "convert.zarr"
    _skeleton_store(pristine_store, store, [t for t in order if t not in todo])
    ok, _ = rec.stage("convert", lambda: convert(open_path, store, progress=False, threads=1, **options))
    return {"trials": todo, "ok": ok}
