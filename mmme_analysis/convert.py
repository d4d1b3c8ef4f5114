"""Convert a raw dataset into a lazy, chunked Zarr store (``mmme convert RAW STORE.zarr``).

The layout is :mod:`mmme_analysis.io.store`'s. Per trial the store holds, by copy:

* ``face``: the tracked face region at the full frame rate, lossless, ``face_size`` px
  square (default 128: the input size of the spotting and recognition baselines, e.g.
  SoftNet and MEGC spotting at 128 x 128; models that need less, such as STSTNet's 28 px,
  resize from it), with the source box of every frame (``box``: y0, y1, x0, x1);
* ``proxy``: a small browsing video (largest side ``proxy_side`` px);
* EEG, peripheral signals and events.

MMME's full 2048 x 1088 frames stay in the raw videos (a 60 s trial is ~60 GB of raw
RGB): the trial records the video's path below the raw root (participant folder
pseudonymised) and ``ds.trial()`` of the store reads them from there, lazily, when the raw
folder is reachable. Image-sequence datasets (CASME II, SAMM, ...) are small and keep
their frames in the store.

Each frame is decoded once (:mod:`mmme_analysis.convert_frames`). The face is detected
on one frame per second, each decoded alone; the video is then decoded in segments of
about one second (starting at keyframes), and each frame is cropped to its face box
(equal to :func:`~mmme_analysis.video.face_track`'s) and shrunk to the proxy as it leaves
the decoder. A trial's detections and segments run on ``threads`` threads (one dask
graph: a segment starts as soon as the detections its boxes need are done).

Every modality is computed and written in chunks, so memory is bounded by a constant, not
by the trial's or the session's length: per thread, one segment in flight (for a video file a
decoder with its frames, one RGB frame buffer and one second of crops and proxy: about 100 MB
at 2048 x 1088, 150 fps and the default sizes), or one dask chunk of at most 128 MiB for
frame files (:data:`~mmme_analysis.io.video.lazy.CHUNK_BYTES`); signals go by one second.
``benchmarks/bench_convert.py`` measures the peak RSS of a 60 s against a 10 s trial. Each
trial is written to a hidden temporary group and renamed into place when complete, so a
trial is either absent or whole; a later run skips complete trials and removes the
temporary groups of interrupted runs.

A trial that fails to convert is reported, not fatal: every healthy trial is written, and
the store's ``problems`` table (:func:`read_problems`; columns
:data:`~mmme_analysis.dataset.PROBLEM_COLUMNS`) lists the trials that failed and what the
source dataset left out (``ds.problems``), with pseudonyms, never participant folder names.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import warnings
from pathlib import Path

import dask
import xarray as xr
import zarr
from tqdm import tqdm

from ._atomic import atomic_dir
from ._validate import check_int, check_option, check_path
from ._warnings import MMMEWarning
from .convert_frames import TrialFrames, malloc_for_frames, one_cv2_thread, pin_to_share
from .dataset import PROBLEM_COLUMNS, open_dataset
from .io.store import STORE_FORMAT, STORE_VERSION, ensure_groups, trial_complete, write_annotations, write_trial
from .io.video.decode import decoder_threads

__all__ = ["convert", "read_problems"]

#: most threads that convert one trial by default (decoding, cropping and compressing overlap)
MAX_THREADS = 4


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@functools.lru_cache(maxsize=4)
def _source(raw_dir: str):
    """The source dataset, opened once per process (dask workers convert several trials)."""
    return open_dataset(raw_dir)


def _video_file(src, video: xr.Dataset) -> Path | None:
    """The trial's video file when it comes from one (raw MMME folder), else None (frame files)."""
    if src.backend != "raw" or not video.attrs.get("source"):
        return None
    from .dataset.raw import resolve_shown

    try:
        path = resolve_shown(Path(src.path), str(video.attrs["source"]))
    except FileNotFoundError:
        return None
    return path if path.is_file() else None


def _frame_of(frames, index: int):
    """Frame ``index`` of a dask frame array, computed here."""
    return frames[index].compute(scheduler="sync")


def _frame_nodes(frames, video: xr.Dataset, source) -> dict:
    """Lazy ``face`` and ``proxy`` nodes of a trial video."""
    face, proxy, box = frames.arrays(source)
    coords = {k: video[k] for k in ("time", "frame") if k in video.coords}
    dims = ("time", "y", "x", "rgb")
    return {
        "face": xr.Dataset({"frames": (dims, face), "box": (("time", "side"), box.rechunk(-1), {"units": "px"})},
                           coords={**coords, "side": ["y0", "y1", "x0", "x1"]},
                           attrs={"fps": frames.fps, "size": frames.size, "method": frames.method, "of": "video",
                                  "description": "tracked face region, full frame rate, lossless"}),
        "proxy": xr.Dataset({"frames": (dims, proxy)}, coords=coords,
                            attrs={"fps": frames.fps, "of": "video", "description": "small browsing video"}),
    }


def _convert_one(raw_dir: str, store: str, trial: str, options: dict, threads: int, pin: int | None = None) -> list:
    """Convert one trial; returns the problem rows of modalities its reading left out."""
    if pin:
        pin_to_share(pin)
    # everything of a trial computes here, on its own threads: on a dask.distributed worker a
    # compute left to the default scheduler (the raw backend cuts BIOPAC signals with one) would
    # go to the cluster, and the worker would start a second trial meanwhile
    # and decoders and the zarr codec pipeline stay within the trial's threads: a worker of a
    # cluster uses the one core it is given, so that N workers scale with N
    with dask.config.set(scheduler="threads", num_workers=threads), one_cv2_thread(), malloc_for_frames(threads), \
            decoder_threads(threads), zarr.config.set({"threading.max_workers": threads}):
        work, lost = _write_one(raw_dir, store, trial, options)
    if work is not None and work.missed:
        warnings.warn(f"convert: trial {trial}: no face found in {len(work.missed)} of {len(work.at)} detections "
                      f"(frames {sorted(work.missed)[:10]}); the whole frame stands for the face there",
                      MMMEWarning, stacklevel=2)
    return lost


def _write_one(raw_dir: str, store: str, trial: str, options: dict):
    """Write one trial; returns its :class:`~mmme_analysis.convert_frames.TrialFrames` (None: no video) and
    the problem rows of the modalities the trial listed but reading it left out (the readers warn why)."""
    src = _source(raw_dir)
    row = src.trials.set_index("trial").loc[trial]
    summary = {"trial": trial, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.to_dict().items()}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = src.trial(trial)
    for w in caught:  # shown as they came
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    lost = []
    for modality in str(tree.attrs.get("missing", "")).split(","):
        if modality and summary.get(f"has_{modality}") is True:
            why = [str(w.message) for w in caught if f"{modality} left out" in str(w.message)]
            lost.append({"subject": str(summary.get("subject", "")), "trial": trial, "modality": modality, "file": "",
                         "error": why[0] if why else f"the trial's {modality} could not be read"})
            summary[f"has_{modality}"] = False  # the store's summary says what it holds
    nodes = {f"/{name}": tree[name].to_dataset(inherit=False) for name in tree.children}
    work = None
    if "/video" in nodes:
        import dask.array as da

        video = nodes["/video"]
        data = video["frames"].data
        n, h, w, _ = data.shape
        fps = float(video.attrs["fps"])
        path = _video_file(src, video)
        if path is None:
            if not isinstance(data, da.Array):
                data = da.from_array(data, chunks=(max(1, int(round(fps))), -1, -1, -1))
            # image sequences read one file per frame; the raw backend's frame() of frame files
            # loads the whole trial, so there the frame comes from its (small) dask chunk
            sample = functools.partial(src.frame, trial) if src.backend != "raw" else functools.partial(_frame_of, data)
        else:
            from .io.video import read_frame

            sample, data = functools.partial(read_frame, path), None
        work = TrialFrames(n, fps, (h, w), path=path, sample=sample, **options)
        nodes.update({f"/{k}": v for k, v in _frame_nodes(work, video, data).items()})
        if src.backend == "raw":  # full frames stay in the raw video, referenced
            del nodes["/video"]
            summary["video_source"] = str(video.attrs["source"])
            summary["video_frames"] = int(n)
            if path is not None:  # the store's reader checks that the referenced video is this one
                summary["video_size"] = int(path.stat().st_size)
    out = xr.DataTree.from_dict({"/": xr.Dataset(attrs=dict(tree.attrs)), **nodes})
    with xr.set_options(keep_attrs=True):
        write_trial(out, store, trial, summary=summary)
    return work, lost


def convert(raw_dir, store, *, workers: int | None = None, scheduler: str | None = None, overwrite: bool = False,
            progress: bool = True, face_size: int = 128, proxy_side: int = 128, face_method: str = "auto",
            threads: int | None = None, errors: str = "report") -> Path:
    """Convert a raw dataset folder into a Zarr store.

    Peak memory is bounded by ``threads`` x (one segment: ~100 MB for a 2048 x 1088, 150 fps
    H.264 video at the default sizes; one dask chunk of at most 128 MiB for frame files) per
    trial converting at once, plus the imports and the source session's signals; it does not
    grow with the length of a trial (see the module's notes). On glibc, converting caps the
    process's malloc arenas at ``max(2, threads)`` (see
    :func:`~mmme_analysis.convert_frames.malloc_for_frames`).

    Parameters
    ----------
    raw_dir : path-like
        Raw MMME-layout folder, or a video-only dataset folder (CASME II, SAMM, ...; see
        :mod:`mmme_analysis.dataset.imageseq`), opened read-only.
    store : path-like
        Target ``.zarr`` folder; created if needed. Complete trials already in it are skipped.
    workers : int, optional
        Run trials on a local ``dask.distributed`` cluster with this many worker processes,
        one trial at a time each (one thread per trial unless ``threads`` says otherwise).
        With 2 or more workers, at most one per CPU, each worker is bound to its own share
        of the CPUs (Linux), so that decoder threads do not oversubscribe the cores.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``) to convert
        on a cluster; its workers must see ``raw_dir`` and ``store`` at the same paths. Each
        worker thread converts one trial.
    overwrite : bool
        Rewrite trials that are already complete.
    progress : bool
        Show a tqdm progress bar.
    face_size : int
        Side (px) of the stored face crops.
    proxy_side : int
        Largest side (px) of the downscaled browsing video.
    face_method : str
        Face detector (:func:`mmme_analysis.video.face_detect`).
    threads : int, optional
        Threads that convert one trial. Default: the CPUs this process may use, at most
        :data:`MAX_THREADS`, when trials run here one after the other; 1 with ``workers``
        or ``scheduler`` (the cluster runs trials in parallel: more threads would compete
        for the same cores).
    errors : {"report", "raise"}
        ``"report"``: a trial that fails is left out of the store and listed in its
        ``problems`` table (:func:`read_problems`), and the other trials are converted (an
        :class:`~mmme_analysis.MMMEWarning` counts them); ``"raise"``: the first failure is
        raised (for debugging).

    Returns
    -------
    Path
        The store.

    """
    import zarr

    raw_dir = check_path("raw_dir", raw_dir, kind="dir").resolve()
    store = check_path("store", store, must_exist=False)
    if workers is not None:
        workers = check_int("workers", workers, min_value=1)
    if workers is not None and scheduler is not None:
        raise TypeError("Invalid value for 'workers, scheduler': expected one of them, got both")
    if threads is None:
        threads = 1 if (workers or scheduler) else min(MAX_THREADS, _cpus())
    threads = check_int("threads", threads, min_value=1)
    check_option("errors", errors, ("report", "raise"))
    options = {"face_size": check_int("face_size", face_size, min_value=8),
               "proxy_side": check_int("proxy_side", proxy_side, min_value=8), "face_method": face_method}
    with contextlib.ExitStack() as stack:
        client = None
        if workers:  # started first: the workers come up while the source is opened here
            from concurrent.futures import ThreadPoolExecutor

            starting = stack.enter_context(ThreadPoolExecutor(1)).submit(_local_client, workers)
            stack.callback(_close_local, starting)
        elif scheduler:
            from dask.distributed import Client

            client = stack.enter_context(Client(scheduler, set_as_default=False))
        src = _source(str(raw_dir))
        store.mkdir(parents=True, exist_ok=True)
        for leftover in [*store.glob("zarr.*.partial"), *store.glob("trials/zarr.*.partial")]:
            leftover.unlink(missing_ok=True)  # zarr's temporary metadata files of a run killed while writing them
        root = zarr.open_group(str(store), mode="a", zarr_format=3)
        # the raw folder, relative to the store: moving both together (or the demo's atomic rename) keeps the link
        root.attrs.update({"format": STORE_FORMAT, "version": STORE_VERSION,
                           "source": os.path.relpath(raw_dir, store.resolve())})  # both resolved: symlinks
        write_annotations(src.annotations, store)
        ensure_groups(store, "trials")
        trials = src.trials.set_index("trial")
        todo = [t for t in trials.index if overwrite or not trial_complete(store, t)]
        bar = stack.enter_context(tqdm(total=len(todo), desc="convert", unit="trial", disable=not progress))
        if workers:
            client = starting.result()[1]
        args = (str(raw_dir), str(store.resolve()))  # absolute: a cluster's workers have their own cwd
        if client is not None:
            from dask.distributed import as_completed

            pin = workers if workers and 2 <= workers <= _cpus() and hasattr(os, "sched_setaffinity") else None
            futures = {client.submit(_convert_one, *args, t, options, threads, pin, pure=False): t for t in todo}
            runs = ((futures[f], f.result) for f in as_completed(futures, loop=client.loop))
        else:
            runs = ((t, functools.partial(_convert_one, *args, t, options, threads)) for t in todo)
        failed, lost = {}, []
        for trial, run in runs:
            try:
                lost.extend(run())
            except Exception as err:  # noqa: BLE001 - one bad trial must not stop the others
                if errors == "raise":
                    raise
                failed[trial] = err
            bar.update()
    problems = _problems(src, trials, failed, lost)
    _write_problems(problems, store)
    if len(problems):
        named = sorted({t or s for s, t in zip(problems["subject"], problems["trial"])})
        warnings.warn(f"convert: {len(failed)} of {len(todo)} trials not converted, {len(problems) - len(failed)} "
                      f"problems in the source ({', '.join(named)}); the table: "
                      f"mmme_analysis.convert.read_problems({str(store)!r})", MMMEWarning, stacklevel=2)
    return store


def _scrubber(src):
    """``text -> text`` with the raw folder shown relative and participant folder names as pseudonyms."""
    if src.backend != "raw":
        return str
    from .dataset.raw import pseudonyms

    root = Path(src.path)
    names = sorted(pseudonyms(root).items(), key=lambda kv: -len(kv[0]))

    def scrub(text) -> str:
        text = str(text)
        for base in {str(root), str(root.resolve())}:
            text = text.replace(base + os.sep, "")
        for real, shown in names:
            text = text.replace(real, shown)
        return text

    return scrub


def _problems(src, trials, failed: dict, lost: list):
    """The problems table: the source's (``ds.problems``), the modalities trials lost, the trials that failed."""
    import pandas as pd

    scrub = _scrubber(src)
    # a modality the source's reader already listed for the trial (with its file) is not repeated
    listed = set(zip(src.problems["trial"], src.problems["modality"]))
    rows = [{k: scrub(v) for k, v in r.items()} for r in lost if (r["trial"], r["modality"]) not in listed]
    for trial, err in failed.items():
        rows.append({"subject": str(trials.loc[trial, "subject"]), "trial": trial,
                     "modality": getattr(err, "mmme_modality", "trial"), "file": scrub(getattr(err, "mmme_file", "")),
                     "error": scrub(f"{type(err).__name__}: {err}")})
    table = pd.concat([src.problems.astype(str), pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS), dtype=str)],
                      ignore_index=True)
    return table[list(PROBLEM_COLUMNS)].fillna("").astype(str)


def _write_problems(table, store: Path) -> None:
    """Write the problems table into ``store/problems`` (one string array per column, along ``problem``)."""
    ds = xr.Dataset({c: ("problem", table[c].to_numpy(dtype=object)) for c in PROBLEM_COLUMNS},
                    attrs={"columns": list(PROBLEM_COLUMNS), "description": "what convert left out, and why"})
    with atomic_dir(store / "problems") as tmp:
        ds.to_zarr(str(tmp), mode="w", consolidated=False)


def read_problems(store):
    """The problems table of a converted store: what :func:`convert` left out, and why.

    Parameters
    ----------
    store : path-like
        A store written by :func:`convert`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~mmme_analysis.dataset.PROBLEM_COLUMNS` (``subject``, ``trial``,
        ``modality``, ``file``, ``error``; strings, pseudonyms only), one row per problem:
        the source dataset's (``ds.problems``: participants or modalities left out) and the
        trials that failed to convert; empty when everything converted. Stores written
        before the table existed give an empty table.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> read_problems(mm.demo.data_path()).empty
    True
    """
    from .io.store import read_problems as _read

    return _read(check_path("store", store, kind="dir"), PROBLEM_COLUMNS)


def _local_client(workers: int):
    """A local cluster of ``workers`` single-threaded processes and its client."""
    from dask.distributed import Client, LocalCluster

    with dask.config.set({"distributed.worker.profile.enabled": False}):  # its sampling cost ~10 % CPU here
        # logs at most critical: task errors come back with their futures, and an interrupted run's
        # closing (cancelled tasks, lost heartbeats) is no news
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.CRITICAL)
    return cluster, Client(cluster, set_as_default=False)


def _close_local(starting) -> None:
    """Close the local cluster of :func:`_local_client` (waiting for it to be up)."""
    if starting.exception() is not None:  # it did not start: the error is raised where it was awaited
        return
    cluster, client = starting.result()
    with contextlib.suppress(Exception):  # closing must not hide why convert ended (an error, Ctrl-C)
        client.close()
        cluster.close()
