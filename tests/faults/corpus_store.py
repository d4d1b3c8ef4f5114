"""Store faults: a converted ``.zarr`` store damaged (chunks, metadata, attributes, referenced videos).

A store is written atomically by ``mmme convert`` (every chunk of every array, each trial
whole or absent), so a missing chunk, a missing metadata file or attributes that disagree
with the data mean damage: a careful reader expects an error naming the store, the trial
and the array (or a warning, where the rest of the trial can be used), never fill values
read back as data (black frames, a second of NaN) nor a library's bare checksum error.
Trial ``A1`` (sub-01's first trial) is the one damaged unless said otherwise.
"""
from __future__ import annotations

import shutil

from mmme_analysis.errors import DataFormatError

from .faultlib import Fault, edit_json, error, randomize, rewrite, tolerated, truncate, warning
from .verdict import all_equal

STORE: list[Fault] = []
BAD = (DataFormatError, KeyError, ValueError, IndexError, FileNotFoundError)
ARRAY = r"chunk|shard|missing|corrupt|damaged|decod|checksum|cannot|expected"


def fault(id, what, expect, *, affects=("A1",), context=(), **kw):
    def deco(fn):
        STORE.append(Fault(id, "store", "store", what, fn, expect, affects=tuple(affects),
                           context=("store.zarr",) + tuple(context), **kw))
        return fn
    return deco


def _chunk(*parts):
    return lambda ctx: ctx.group("A1", *parts)


# -- chunks -------------------------------------------------------------------------------------
for _id, _what, _parts, _ctx in (
    ("store-face-shard-deleted", "the second one-second shard of face/frames deleted", ("face", "frames", "c", "1", "0", "0", "0"),
     ("face",)),
    ("store-eeg-chunk-deleted", "the second one-second chunk of eeg/eeg deleted", ("eeg", "eeg", "c", "0", "1"), ("eeg",)),
    ("store-eeg-time-chunk-deleted", "the chunk of the eeg time coordinate deleted", ("eeg", "time", "c", "0"),
     ("eeg", "time")),
):
    fault(_id, _what, error(BAD, ARRAY), context=_ctx)(lambda ctx, p=_parts: ctx.group("A1", *p).unlink())

for _id, _what, _parts, _ctx in (
    ("store-eeg-chunk-random", "random bytes in the second chunk of eeg/eeg", ("eeg", "eeg", "c", "0", "1"), ("eeg",)),
    ("store-face-shard-random", "random bytes in the first shard of face/frames", ("face", "frames", "c", "0", "0", "0", "0"),
     ("face",)),
):
    fault(_id, _what, error(BAD, ARRAY), context=_ctx)(lambda ctx, p=_parts: randomize(ctx.group("A1", *p), ctx.rng))

for _id, _what, _parts, _ctx in (
    ("store-eeg-chunk-truncated", "the second chunk of eeg/eeg cut at half", ("eeg", "eeg", "c", "0", "1"), ("eeg",)),
):
    fault(_id, _what, error(BAD, ARRAY), context=_ctx)(lambda ctx, p=_parts: truncate(ctx.group("A1", *p), 0.5))


# -- metadata (zarr.json) at each level ----------------------------------------------------------
META = r"zarr\.json|metadata|corrupt|damaged|cannot|expected"


@fault("store-root-json-garbage", "the root zarr.json is random bytes", error(DataFormatError, META, at="open"), affects=())
def _(ctx):
    randomize(ctx.store / "zarr.json", ctx.rng, 300)


@fault("store-root-json-empty", "the root zarr.json is empty", error(DataFormatError, META, at="open"), affects=())
def _(ctx):
    rewrite(ctx.store / "zarr.json", b"")


@fault("store-root-json-deleted", "the root zarr.json is gone",
       error(DataFormatError, r"zarr\.json|(not|no longer) an? .*store|store (root|metadata)", at="open"), affects=())
def _(ctx):
    (ctx.store / "zarr.json").unlink()
    return {"raw": None}  # open_dataset(path) alone: raw= is refused for a folder that is not a store


@fault("store-trial-json-garbage", "trial A1's zarr.json is random bytes", error(BAD, META))
def _(ctx):
    randomize(ctx.group("A1", "zarr.json"), ctx.rng, 300)


@fault("store-trial-json-empty", "trial A1's zarr.json is empty", error(BAD, META))
def _(ctx):
    rewrite(ctx.group("A1", "zarr.json"), b"")


@fault("store-trial-json-deleted", "trial A1's zarr.json is gone (its data stay)",
       warning(r"<A1>.*(incomplete|missing|zarr\.json|metadata|skipp|left out)"))
def _(ctx):
    ctx.group("A1", "zarr.json").unlink()


@fault("store-group-json-garbage", "trial A1's eeg/zarr.json is random bytes", error(BAD, META), context=("eeg",))
def _(ctx):
    randomize(ctx.group("A1", "eeg", "zarr.json"), ctx.rng, 300)


@fault("store-group-json-deleted", "trial A1's peri/zarr.json is gone (has_peri still says True)",
       error(BAD, r"peri.*(missing|expected|zarr\.json)|(missing|expected).*peri"), context=("peri",))
def _(ctx):
    ctx.group("A1", "peri", "zarr.json").unlink()


@fault("store-array-json-garbage", "the zarr.json of trial A1's eeg/eeg array is random bytes", error(BAD, META),
       context=("eeg",))
def _(ctx):
    randomize(ctx.group("A1", "eeg", "eeg", "zarr.json"), ctx.rng, 300)


@fault("store-array-json-deleted", "the zarr.json of trial A1's peri/ECG array is gone",
       error(BAD, r"ECG.*(missing|expected|zarr\.json)|(missing|expected).*ECG"), context=("ECG",))
def _(ctx):
    ctx.group("A1", "peri", "ECG", "zarr.json").unlink()


# -- groups and attributes ---------------------------------------------------------------------------
@fault("store-events-deleted", "trial A1's events group is gone (n_events still says 1)",
       error(BAD, r"events.*(missing|expected)|n_events"), context=("events",))
def _(ctx):
    shutil.rmtree(ctx.group("A1", "events"))


@fault("store-n-events-edited", "trial A1's n_events attribute says 5 for 1 stored event",
       warning(r"n_events|events.*(disagree|differ|mismatch|expected)"), context=("events", "n_events"))
def _(ctx):
    edit_json(ctx.group("A1", "zarr.json"), lambda m: m["attributes"].update(n_events=5, n_me=5))


@fault("store-has-video-edited", "trial A1's has_video attribute says False (face and proxy are stored)",
       warning(r"has_video|video.*(disagree|differ|mismatch|expected)"), context=("has_video", "video"))
def _(ctx):
    edit_json(ctx.group("A1", "zarr.json"), lambda m: m["attributes"].update(has_video=False))


def _same_but_annotations(p, o, layout):
    return all_equal(dict(p, annotations=o.get("annotations")), o)


@fault("store-annotations-deleted", "the annotations group is gone (every trial still counts its events)",
       warning(r"annotation", same=_same_but_annotations), affects=(), context=("annotations",))
def _(ctx):
    shutil.rmtree(ctx.store / "annotations")


@fault("store-version-old", "the root says layout version 2", error(DataFormatError, r"version", at="open"), affects=())
def _(ctx):
    edit_json(ctx.store / "zarr.json", lambda m: m["attributes"].update(version=2))




@fault("store-extra-group", "an unknown 'notes' group in trial A1", tolerated(), affects=())
def _(ctx):
    (ctx.group("A1", "notes")).mkdir()
    rewrite(ctx.group("A1", "notes", "zarr.json"), b'{"zarr_format": 3, "node_type": "group", "attributes": {}}')




# -- the raw videos a store references ----------------------------------------------------------------
def _raw_video(ctx, sym):
    return ctx.raw / ctx.name(sym[0]) / "video" / ctx.layout["trials"][sym]["video"]


@fault("store-raw-video-missing", "the raw video trial A1 references is gone",
       error(BAD, r"video.*(not reachable|missing|not found|expected)"), needs_raw_copy=True, context=("video",))
def _(ctx):
    _raw_video(ctx, "A1").unlink()


@fault("store-raw-video-changed", "the raw video trial A1 references replaced by another trial's (same frame count)",
       error(BAD, r"video.*(changed|differs|not the|converted from|expected)"), needs_raw_copy=True, context=("video",))
def _(ctx):
    shutil.copyfile(_raw_video(ctx, "A2"), _raw_video(ctx, "A1").with_suffix(".tmp"))
    _raw_video(ctx, "A1").unlink()
    _raw_video(ctx, "A1").with_suffix(".tmp").rename(_raw_video(ctx, "A1"))
