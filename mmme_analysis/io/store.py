"""The Zarr store layout: trial groups and the annotation table (written by ``mmme convert``).

Layout (Zarr v3)::

    STORE.zarr/
      zarr.json                  root group, attrs: format, version, source
      annotations/               the tidy annotation table (dimension ``event``)
      trials/<trial>/            one trial, named by its id; attrs: the trial's row of
                                 ``ds.trials`` and ``video_source`` (see below)
        face/                    the tracked face region, full frame rate, lossless (frames, box)
        proxy/                   the small browsing video
        video/                   full frames, only for image-sequence datasets; MMME videos stay
                                 in the raw files (``video_source``: the path below the raw root,
                                 participant folder pseudonymised) and are read from there
        eeg/, peri/, events/     signals (float32, one second per chunk) and expressions

Chunking: video frames are stored one frame per chunk (a few for small frames, up to
~256 KB) inside shards of one second, so one frame is one small partial read and a
one-second window one shard; the proxy video
(downscaled for browsing) is chunked by second; EEG and peripheral signals by second.
Each trial is written to a hidden temporary group and renamed into place when complete,
so a trial is either absent or whole; a later run skips complete trials.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import xarray as xr

from .._atomic import atomic_dir, remove_stale
from ..errors import DataFormatError

__all__ = ["read_problems", "STORE_FORMAT", "STORE_VERSION", "trial_path", "trial_complete", "write_trial", "write_annotations",
           "annotations_to_xarray", "annotations_from_xarray", "ensure_groups", "read_store_attrs",
           "check_store", "use_fast_codecs", "FRAME_GROUPS", "frames_per_chunk", "video_codec", "missing_chunks"]

STORE_FORMAT = "mmme-analysis-store"
#: 3: face crops and a browsing proxy by copy, MMME full frames by reference;
#: 2: one group per trial id (``trials/<trial>/``); 1 had ``trials/<subject>/<marker>/``
STORE_VERSION = 3
_TUPLE_COLUMNS = ("aus", "au_codes")


def trial_path(store, trial: str) -> Path:
    """Folder of one trial group inside a store (``trials/<trial>``)."""
    if not isinstance(trial, str) or not trial or trial.startswith(".") or "/" in trial or "\\" in trial:
        raise ValueError(f"Invalid value for 'trial': expected a trial id usable as a folder name, got {trial!r}")
    return Path(store) / "trials" / trial


def annotations_to_xarray(df: pd.DataFrame) -> xr.Dataset:
    """The annotation table as a Dataset with dimension ``event`` (tuples joined by commas)."""
    out = df.copy()
    for col in out.columns:
        if col in _TUPLE_COLUMNS or out[col].map(lambda v: isinstance(v, tuple)).any():
            out[col] = out[col].map(lambda v: ",".join(map(str, v)) if isinstance(v, tuple) else "")
        elif out[col].dtype == object or str(out[col].dtype) in ("string", "category"):
            out[col] = out[col].astype(str)
        elif str(out[col].dtype) in ("Int64", "boolean"):
            out[col] = out[col].astype("float64")
    ds = xr.Dataset.from_dataframe(out.reset_index(drop=True).rename_axis("event"))
    ds.attrs = {k: v for k, v in df.attrs.items() if isinstance(v, (str, int, float))}
    ds.attrs["columns"] = list(map(str, df.columns))
    return ds


def annotations_from_xarray(ds: xr.Dataset) -> pd.DataFrame:
    """Inverse of :func:`annotations_to_xarray`."""
    df = ds.to_dataframe().reset_index(drop=True)
    cols = [c for c in ds.attrs.get("columns", []) if c in df.columns]
    df = df[cols + [c for c in df.columns if c not in cols]]
    if "au_codes" in df:
        df["au_codes"] = df["au_codes"].map(lambda s: tuple(int(x) for x in str(s).split(",") if x))
    if "aus" in df:
        df["aus"] = df["aus"].map(lambda s: tuple(x for x in str(s).split(",") if x))
    for col in ("onset_frame", "apex_frame", "offset_frame", "marker", "category"):
        if col in df:
            df[col] = df[col].astype("Int64")
    df.attrs = {k: v for k, v in ds.attrs.items() if k != "columns"}
    return df


def use_fast_codecs() -> str:
    """Read and write chunks with the Rust ``zarrs`` codec pipeline when it is installed.

    Measured on this suite's store (``benchmarks/bench_store.py``): one-second window
    reads 2.5x faster than zarr-python's default pipeline; the output is identical. Set
    ``MMME_ZARR_PIPELINE=default`` to keep zarr-python's. Returns the pipeline in use.
    """
    import os

    import zarr

    if os.environ.get("MMME_ZARR_PIPELINE", "zarrs") == "default":
        return str(zarr.config.get("codec_pipeline.path"))
    try:
        import zarrs  # noqa: F401
    except ImportError:
        return str(zarr.config.get("codec_pipeline.path"))
    zarr.config.set({"codec_pipeline.path": "zarrs.ZarrsCodecPipeline"})
    return "zarrs.ZarrsCodecPipeline"


def ensure_groups(store, *parts: str) -> None:
    """Create the (empty) Zarr groups ``store/parts[0]/parts[1]/...`` that do not exist yet.

    Temporary folders left in the last one by an interrupted run are removed
    (:func:`~mmme_analysis._atomic.remove_stale`).
    """
    import zarr

    path = Path(store)
    for part in parts:
        path = path / part
        if not (path / "zarr.json").exists():
            zarr.open_group(str(path), mode="a", zarr_format=3)
    remove_stale(path)  # temporary folders of an interrupted convert


def frames_per_chunk(per_shard: int, frame_bytes: int, target: int = 256 * 1024) -> int:
    """Frames per storage chunk inside a one-second shard.

    One frame per chunk for full-size frames; small frames are grouped up to ~``target``
    bytes (reading a chunk has a fixed cost of ~0.4 ms in zarr-python, which dominated
    one-second reads of 160x136 frames: 71 ms with 1 frame per chunk, 21 ms with 3). The
    count divides the shard, as Zarr's sharding requires.
    """
    best = 1
    for n in range(1, per_shard + 1):
        if per_shard % n == 0 and n * frame_bytes <= target:
            best = n
    return best


def video_codec():
    """Blosc-LZ4 with bit shuffle: smaller and ~2x faster to read than zstd on face video."""
    from zarr.codecs import BloscCodec

    return [BloscCodec(cname="lz4", clevel=5, shuffle="bitshuffle")]


#: groups of a trial that hold frames (``video`` only for datasets whose frames are not kept
#: by reference, see :mod:`mmme_analysis.convert`)
FRAME_GROUPS = ("video", "face", "proxy")


def _frames_encoding(ds: xr.Dataset) -> tuple[xr.Dataset, dict]:
    fps = float(ds.attrs["fps"])
    sec = max(1, int(round(fps)))
    frames = ds["frames"].chunk({"time": sec, "y": -1, "x": -1, "rgb": -1})
    n, h, w, c = frames.shape
    inner = frames_per_chunk(sec, h * w * c)
    enc = {"frames": {"chunks": (inner, h, w, c), "shards": (sec, h, w, c), "compressors": video_codec()}}
    return ds.assign(frames=frames), enc


def write_trial(tree: xr.DataTree, store, trial: str, *, summary: dict | None = None) -> Path:
    """Write one trial DataTree into a store atomically (temp group, then rename).

    Every node is written as it is, chunked for reading: frame groups (:data:`FRAME_GROUPS`)
    one second per shard and ~256 KB per chunk, signals one second per chunk as float32.
    Lazy (dask) nodes are computed chunk by chunk, so memory stays bounded by the chunk
    sizes, not by the trial's length. ``summary`` (the trial's row of ``ds.trials``) goes
    into the group's attributes; missing values (``None``, ``<NA>``) are left out.
    """
    store = Path(store)
    final = trial_path(store, trial)
    ensure_groups(store, "trials")
    summary = {k: v for k, v in (summary or {}).items() if v is not None and not pd.isna(v)}
    nodes = {"/": xr.Dataset(attrs={**tree.attrs, **summary, "chunks_complete": True})}
    encoding = {}
    for name in tree.children:
        ds = tree[name].to_dataset(inherit=False)
        if name in FRAME_GROUPS:
            ds, encoding[f"/{name}"] = _frames_encoding(ds)
        elif name in ("eeg", "peri"):
            sfreq = float(ds.attrs["sfreq"])
            sec = max(1, int(round(sfreq)))
            ds = ds.chunk({"time": sec})
            enc = {}
            for var in ds.data_vars:
                arr = ds[var]
                if arr.dtype.kind == "f":
                    ds[var] = arr.astype("float32")
                enc[var] = {"chunks": tuple(sec if d == "time" else s for d, s in zip(arr.dims, arr.shape))}
            encoding[f"/{name}"] = enc
        nodes[f"/{name}"] = ds
    for key, ds in nodes.items():  # variable-length strings: fixed-width UTF-32 has no Zarr v3 spec
        fixed = [k for k, v in ds.variables.items() if v.dtype.kind in "UO"]
        if fixed:
            conv = {k: ds[k].compute().astype(object) for k in fixed}
            nodes[key] = ds.assign_coords({k: v for k, v in conv.items() if k in ds.coords}).assign(
                {k: v for k, v in conv.items() if k in ds.data_vars})
    out = xr.DataTree.from_dict(nodes)
    with atomic_dir(final) as tmp:
        # every chunk is written, even one equal to the fill value, so that a missing chunk file
        # means damage (``chunks_complete``), never "all fill value"
        out.to_zarr(str(tmp), mode="w", encoding=encoding, consolidated=False, write_empty_chunks=True)
    return final


def missing_chunks(array_dir) -> list[str]:
    """Chunk (or shard) files a Zarr v3 array's metadata implies but the folder lacks.

    Parameters
    ----------
    array_dir : path-like
        The array's folder (holding ``zarr.json`` and the ``c/...`` chunk files).

    Returns
    -------
    list of str
        Missing chunk keys relative to the array (``"c/3/0"``), in order; empty when the
        array is complete. Meaningful for arrays written with ``write_empty_chunks=True``
        (stores of :func:`write_trial`: ``chunks_complete`` in the trial's attributes).
    """
    import itertools
    import math

    array_dir = Path(array_dir)
    meta = json.loads((array_dir / "zarr.json").read_text())
    shape = meta["shape"]
    grid = meta["chunk_grid"]["configuration"]["chunk_shape"]
    enc = meta.get("chunk_key_encoding", {})
    sep = enc.get("configuration", {}).get("separator", "/")
    prefix = "c" + sep if enc.get("name", "default") == "default" else ""
    counts = [math.ceil(n / c) if n else 0 for n, c in zip(shape, grid)]
    missing = []
    for idx in itertools.product(*(range(n) for n in counts)):
        key = prefix + sep.join(str(i) for i in idx) if idx else "c"
        if not (array_dir / key).is_file():
            missing.append(key)
    return missing


def write_annotations(df: pd.DataFrame, store) -> Path:
    """Write the annotation table into ``store/annotations`` atomically."""
    final = Path(store) / "annotations"
    with atomic_dir(final) as tmp:
        annotations_to_xarray(df).to_zarr(str(tmp), mode="w", consolidated=False)
    return final


def trial_complete(store, trial: str) -> bool:
    """Whether a complete trial group exists in the store."""
    return (trial_path(store, trial) / "zarr.json").is_file()


def read_store_attrs(store) -> dict:
    """Root attributes of a store (``format``, ``version``, ``source``); a DataFormatError naming the
    store when its root ``zarr.json`` is missing or cannot be parsed."""
    try:
        meta = json.loads((Path(store) / "zarr.json").read_bytes())
        if not isinstance(meta, dict):
            raise ValueError(f"a JSON {type(meta).__name__}, not an object")
    except (OSError, ValueError) as err:  # missing, empty, not UTF-8, not JSON
        raise DataFormatError(f"{store}: its root zarr.json cannot be read ({type(err).__name__}: {str(err)[:80]}); "
                              f"expected the store metadata written by mmme convert (the store is damaged: convert "
                              f"again)") from None
    return meta.get("attributes", {})


def check_store(store) -> dict:
    """Root attributes of a store of this suite's current layout, else a DataFormatError."""
    attrs = read_store_attrs(store)
    if attrs.get("format") != STORE_FORMAT:
        raise DataFormatError(f"{store}: not an mmme-analysis store; expected root attribute "
                              f"format={STORE_FORMAT!r}, got {attrs.get('format')!r}")
    if attrs.get("version") != STORE_VERSION:
        raise DataFormatError(f"{store}: store layout version {attrs.get('version')!r}; expected "
                              f"{STORE_VERSION} (convert the raw data again with this version)")
    return attrs


def read_problems(store, columns) -> pd.DataFrame:
    """The store's ``problems`` table (written by convert), as strings in ``columns``; empty when absent."""
    store = Path(store)
    if not (store / "problems" / "zarr.json").is_file():
        return pd.DataFrame(columns=list(columns), dtype=str)
    try:
        ds = xr.open_zarr(str(store / "problems"), consolidated=False).load()
        return pd.DataFrame({c: [str(v) for v in ds[c].values.tolist()] for c in columns}, dtype=str)
    except Exception as err:  # zarr / JSON / codec errors of a damaged table
        raise DataFormatError(f"{store.name}: its problems table cannot be read ({type(err).__name__}: {err}); "
                              "expected the table convert writes (rerun convert)") from None
