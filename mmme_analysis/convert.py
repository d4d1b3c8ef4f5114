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

Every modality is computed and written in chunks (dask): memory is bounded by a few
chunks (video decode chunks are capped at 128 MiB, signals one second), not by the
trial's or the session's length. Each trial is written to a hidden temporary group and
renamed into place when complete, so a trial is either absent or whole; a later run
skips complete trials.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import dask
import numpy as np
import xarray as xr
from tqdm import tqdm

from ._validate import check_int, check_path
from .dataset import open_dataset
from .io.store import STORE_FORMAT, STORE_VERSION, ensure_groups, trial_complete, write_annotations, write_trial

__all__ = ["convert"]

#: threads that write one trial (decoding, cropping and compressing chunks overlap)
_THREADS = 2


@functools.lru_cache(maxsize=4)
def _source(raw_dir: str):
    """The source dataset, opened once per process (dask workers convert several trials)."""
    return open_dataset(raw_dir)


def _frame_nodes(video: xr.Dataset, *, face_size: int, proxy_side: int, face_method: str) -> dict:
    """Lazy ``face`` and ``proxy`` nodes of a trial video (chunk by chunk, dask)."""
    import cv2
    import dask.array as da

    from .video import face_crops, face_track

    frames = video["frames"].data
    if not isinstance(frames, da.Array):
        frames = da.from_array(frames, chunks=(max(1, int(round(video.attrs["fps"]))), -1, -1, -1))
    n, h, w, _ = frames.shape
    fps = float(video.attrs["fps"])
    boxes = face_track(lambda i: frames[i].compute(), n, fps, method=face_method)

    def crop(block, block_info=None):
        start, stop = block_info[0]["array-location"][0]
        return face_crops(block, boxes[start:stop], size=face_size)

    face = frames.map_blocks(crop, chunks=(frames.chunks[0], (face_size,), (face_size,), (3,)), dtype=np.uint8)
    f = max(1.0, max(h, w) / proxy_side)
    ph, pw = max(1, int(h / f)), max(1, int(w / f))
    proxy = frames.map_blocks(
        lambda b: np.stack([cv2.resize(x, (pw, ph), interpolation=cv2.INTER_AREA) for x in b]),
        chunks=(frames.chunks[0], (ph,), (pw,), (3,)), dtype=np.uint8)
    coords = {k: video[k] for k in ("time", "frame") if k in video.coords}
    dims = ("time", "y", "x", "rgb")
    return {
        "face": xr.Dataset({"frames": (dims, face), "box": (("time", "side"), boxes, {"units": "px"})},
                           coords={**coords, "side": ["y0", "y1", "x0", "x1"]},
                           attrs={"fps": fps, "size": face_size, "method": face_method, "of": "video",
                                  "description": "tracked face region, full frame rate, lossless"}),
        "proxy": xr.Dataset({"frames": (dims, proxy)}, coords=coords,
                            attrs={"fps": fps, "of": "video", "description": "small browsing video"}),
    }


def _convert_one(raw_dir: str, store: str, trial: str, options: dict) -> str:
    src = _source(raw_dir)
    row = src.trials.set_index("trial").loc[trial]
    summary = {"trial": trial, **{k: (v.item() if hasattr(v, "item") else v) for k, v in row.to_dict().items()}}
    tree = src.trial(trial)
    nodes = {f"/{name}": tree[name].to_dataset(inherit=False) for name in tree.children}
    if "/video" in nodes:
        video = nodes["/video"]
        nodes.update({f"/{k}": v for k, v in _frame_nodes(video, **options).items()})
        if src.backend == "raw":  # full frames stay in the raw video, referenced
            del nodes["/video"]
            summary["video_source"] = str(video.attrs["source"])
            summary["video_frames"] = int(video.sizes["time"])
    out = xr.DataTree.from_dict({"/": xr.Dataset(attrs=dict(tree.attrs)), **nodes})
    with xr.set_options(keep_attrs=True), dask.config.set(scheduler="threads", num_workers=_THREADS):
        write_trial(out, store, trial, summary=summary)
    return trial


def convert(raw_dir, store, *, workers: int | None = None, scheduler: str | None = None, overwrite: bool = False,
            progress: bool = True, face_size: int = 128, proxy_side: int = 128, face_method: str = "auto") -> Path:
    """Convert a raw dataset folder into a Zarr store.

    Parameters
    ----------
    raw_dir : path-like
        Raw MMME-layout folder, or a video-only dataset folder (CASME II, SAMM, ...; see
        :mod:`mmme_analysis.dataset.imageseq`), opened read-only.
    store : path-like
        Target ``.zarr`` folder; created if needed. Complete trials already in it are skipped.
    workers : int, optional
        Run trials on a local ``dask.distributed`` cluster with this many worker processes.
    overwrite : bool
        Rewrite trials that are already complete.
    progress : bool
        Show a tqdm progress bar.
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler (``tcp://host:8786``) to convert
        on a cluster; its workers must see ``raw_dir`` and ``store`` at the same paths.
    face_size : int
        Side (px) of the stored face crops.
    proxy_side : int
        Largest side (px) of the downscaled browsing video.
    face_method : str
        Face detector (:func:`mmme_analysis.video.face_detect`).

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
    options = {"face_size": check_int("face_size", face_size, min_value=8),
               "proxy_side": check_int("proxy_side", proxy_side, min_value=8), "face_method": face_method}
    src = _source(str(raw_dir))
    store.mkdir(parents=True, exist_ok=True)
    root = zarr.open_group(str(store), mode="a", zarr_format=3)
    # the raw folder, relative to the store: moving both together (or the demo's atomic rename) keeps the link
    root.attrs.update({"format": STORE_FORMAT, "version": STORE_VERSION,
                       "source": os.path.relpath(raw_dir, store.resolve())})
    write_annotations(src.annotations, store)
    ensure_groups(store, "trials")

    todo = [t for t in src.trials["trial"] if overwrite or not trial_complete(store, t)]
    bar = tqdm(total=len(todo), desc="convert", unit="trial", disable=not progress)
    if workers or scheduler:
        import contextlib

        from dask.distributed import Client, LocalCluster, as_completed

        with contextlib.ExitStack() as stack:
            if scheduler:
                client = stack.enter_context(Client(scheduler))
            else:
                cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                           dashboard_address=None))
                client = stack.enter_context(Client(cluster))
            futures = [client.submit(_convert_one, str(raw_dir), str(store), t, options, pure=False) for t in todo]
            for fut in as_completed(futures):
                fut.result()
                bar.update()
    else:
        for t in todo:
            _convert_one(str(raw_dir), str(store), t, options)
            bar.update()
    bar.close()
    return store
