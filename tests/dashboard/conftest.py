"""Fixtures of the dashboard tests: a small in-memory dataset that follows the dataset API
(``docs/data_model.md``: ``annotations``, ``trials``, ``trial(id)``, ``window()``,
``frame()``, ``alignment()``, trials keyed by one string id), and a tiny CASME II-style
image-sequence folder (:func:`make_casme2`) opened with ``open_dataset``.

The video frames are lazy (dask): each frame is generated on demand and carries its own
frame index as a row of black/white 16-pixel blocks (``frame_bits``), so tests can tell
which frame a JPEG shows. ``broken_frames`` lists frame indices whose chunk raises, to test
the unreadable-frame placeholder.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from mmme_analysis.alignment import fits_from_json
from mmme_analysis.io.video import scale_to_width

N_BITS = 14
BLOCK = 16

EEG_NAMES = [
    "Fp1", "Fpz", "Fp2", "AF3", "AF4", "F7", "F3", "Fz", "F4", "F8", "FC5", "FC1", "FC2", "FC6",
    "T7", "C3", "Cz", "C4", "T8", "CP5", "CP1", "CP2", "CP6", "P7", "P3", "Pz", "P4", "P8",
    "PO3", "POz", "PO4", "O1", "Oz", "O2", "FT7", "FT8", "TP7", "TP8", "F5", "F1", "F2", "F6",
    "FC3", "FCz", "FC4", "C5", "C1", "C2", "C6", "CP3", "CPz", "CP4", "P5", "P1", "P2", "P6",
    "PO7", "PO5", "PO6", "PO8", "CB1", "CB2", "AF7", "AF8",
]


_TEXTURES = {}


def _texture(height: int, width: int) -> np.ndarray:
    """A face photograph (``skimage.data.astronaut``) at (height, width + 64), cached."""
    key = (height, width)
    if key not in _TEXTURES:
        import cv2
        from skimage import data

        _TEXTURES[key] = cv2.resize(data.astronaut(), (width + 64, height), interpolation=cv2.INTER_AREA)
    return _TEXTURES[key]


def make_frame(index: int, height: int = 120, width: int = 224, textured: bool = False,
               block: int = BLOCK) -> np.ndarray:
    """RGB uint8 frame whose top row of ``block``-pixel blocks encodes ``index`` in binary
    (MSB first).

    ``textured`` uses a photograph shifted by ``index % 64`` pixels (JPEG sizes like a real
    face video) instead of a colour gradient. Larger blocks stay legible in frames scaled
    down for display.
    """
    if textured:
        shift = index % 64
        img = _texture(height, width)[:, shift:shift + width].copy()
    else:
        yy, xx = np.mgrid[0:height, 0:width]
        img = np.empty((height, width, 3), np.uint8)
        img[..., 0] = (xx * 255 // max(width - 1, 1)).astype(np.uint8)
        img[..., 1] = (yy * 255 // max(height - 1, 1)).astype(np.uint8)
        img[..., 2] = (index * 7) % 256
    for b in range(N_BITS):
        bit = (index >> (N_BITS - 1 - b)) & 1
        img[0:block, b * block:(b + 1) * block] = 255 if bit else 0
    return img


def frame_bits(img: np.ndarray, block: float = BLOCK) -> int:
    """Decode the frame index written by :func:`make_frame` (robust to JPEG noise);
    ``block`` is the side of its blocks in ``img`` (pixels, scaled with the frame)."""
    value = 0
    m = block / 8
    for b in range(N_BITS):
        cell = img[int(m):int(block - m), int(b * block + m):int((b + 1) * block - m), :3]
        value = (value << 1) | int(cell.mean() > 127)
    return value


@dataclass(frozen=True)
class FakeSpec:
    """Shape of the fake dataset."""

    duration: float = 10.0
    fps: float = 150.0
    eeg_sfreq: float = 500.0
    n_eeg: int = 16
    peri_sfreq: float = 250.0
    height: int = 120
    width: int = 224
    video: bool = True
    eeg: bool = True
    peri: bool = True
    broken_frames: tuple = ()
    subjects: tuple = ("sub-01", "sub-02")
    markers: tuple = (101, 102)
    frames_per_chunk: int = 1
    textured: bool = False
    stamp_block: int = BLOCK


def trial_id(subject: str, marker: int) -> str:
    """The MMME trial id: ``f"{subject}_{marker}"``."""
    return f"{subject}_{int(marker)}"


def _events_table(subject, marker, fps, duration):
    rng = np.random.default_rng(marker)
    rows = []
    emotions = [("disgust", "negative"), ("happiness", "positive"), ("surprise", "surprise")]
    aus = ["AU4,AU10", "AU6,AU12", "AU1,AU2"]
    for k, onset in enumerate(np.linspace(0.2, duration - 1.5, 3)):
        onset = round(float(onset + rng.uniform(0, 0.3)) * fps) / fps
        apex = onset + round(0.2 * fps) / fps
        offset = apex + round(0.15 * fps) / fps if k != 1 else apex
        emo, emo3 = emotions[k % 3]
        rows.append(dict(
            dataset="fake", subject=subject, trial=trial_id(subject, marker),
            marker=marker, category=(marker - 100), onset=onset, apex=apex, offset=offset,
            onset_frame=int(round(onset * fps)), apex_frame=int(round(apex * fps)),
            offset_frame=int(round(offset * fps)), fps=fps,
            aus=tuple(aus[k % 3].split(",")), au_codes=tuple(int(a[2:]) for a in aus[k % 3].split(",")),
            emotion_raw=emo, emotion=emo, emotion3=emo3,
            kind="micro" if k != 2 else "macro", kind_source="column", kind_rule="micro",
            duration=(offset - onset) if k != 1 else np.nan, onset_apex=apex - onset,
            offset_coded=k != 1,
        ))
    return pd.DataFrame(rows)


def _alignment_json(marker: int) -> str:
    """The ``alignment`` attribute of a fake trial: two devices, three markers each."""
    return json.dumps({
        "biopac": {"device": "biopac", "offset_s": 12.3456, "drift_ppm": 21.5, "n_markers": 3,
                   "markers": [100, marker, 100], "ref_times": [1.0, 30.0, 95.0],
                   "residuals_s": [0.0004, -0.0007, 0.0003]},
        "camera": {"device": "camera", "offset_s": -3.21, "drift_ppm": -8.0, "n_markers": 3,
                   "markers": [100, marker, 100], "ref_times": [1.0, 30.0, 95.0],
                   "residuals_s": [-0.002, 0.003, -0.001]},
    })


class FakeDataset:
    """In-memory dataset with the API of ``mmme_analysis.open_dataset`` (see data_model.md).

    ``opened`` lists the trial ids opened (``trial()`` calls), ``frames_read`` the frame
    positions decoded so far (lazy-reading checks).
    """

    backend = "fake"

    def __init__(self, spec: FakeSpec = FakeSpec()):
        self.spec = spec
        self.path = None
        frames = [
            _events_table(s, m, spec.fps, spec.duration) for s in spec.subjects for m in spec.markers
        ]
        self.annotations = pd.concat(frames, ignore_index=True)
        rows = []
        for s in spec.subjects:
            for m in spec.markers:
                rows.append(dict(trial=trial_id(s, m), subject=s, marker=m, clip="", category=m - 100,
                                 category_name="sad", n_events=3, n_me=2, n_mae=1,
                                 has_video=spec.video, has_eeg=spec.eeg, has_peri=spec.peri))
        self.trials = pd.DataFrame(rows)
        for col in ("marker", "category", "n_events", "n_me", "n_mae"):
            self.trials[col] = self.trials[col].astype("Int64")
        self.opened = []
        self.frames_read = []
        self.widths_read = []

    # -- trial construction -------------------------------------------------------------
    def _video(self):
        import dask.array as da

        spec = self.spec
        n = int(round(spec.duration * spec.fps))
        c = spec.frames_per_chunk
        chunks = ((c,) * (n // c) + ((n % c,) if n % c else ()), (spec.height,), (spec.width,), (3,))

        read = self.frames_read

        def block(block_info=None):
            lo, hi = block_info[None]["array-location"][0]
            read.extend(range(lo, hi))
            for i in range(lo, hi):
                if i in spec.broken_frames:
                    raise OSError(f"cannot decode frame {i}")
            return np.stack([make_frame(i, spec.height, spec.width, spec.textured, spec.stamp_block)
                             for i in range(lo, hi)])

        frames = da.map_blocks(block, chunks=chunks, dtype=np.uint8)
        time = np.arange(n) / spec.fps
        ds = xr.Dataset(
            {"frames": (("time", "y", "x", "rgb"), frames)},
            coords={"time": time, "frame": ("time", np.arange(n, dtype=np.int64))},
            attrs={"fps": float(spec.fps)},
        )
        return ds

    def _eeg(self, seed):
        spec = self.spec
        rng = np.random.default_rng(seed)
        n = int(round(spec.duration * spec.eeg_sfreq))
        t = np.arange(n) / spec.eeg_sfreq
        names = EEG_NAMES[: spec.n_eeg - 2] + ["HEO", "VEO"]
        alpha = np.sin(2 * np.pi * 10 * t)
        data = (
            20e-6 * rng.standard_normal((len(names), n)) * rng.uniform(0.5, 2, (len(names), 1))
            + 10e-6 * alpha
            + 30e-6 * np.sin(2 * np.pi * 50 * t)  # line noise for the notch
        ).astype(np.float32)
        ch_type = ["eeg"] * (len(names) - 2) + ["eog", "eog"]
        pos = np.full((len(names), 3), np.nan)
        return xr.Dataset(
            {"eeg": (("channel", "time"), data)},
            coords={"channel": names, "ch_type": ("channel", ch_type), "pos": (("channel", "xyz"), pos),
                    "time": t},
            attrs={"sfreq": float(spec.eeg_sfreq), "units": "V"},
        )

    def _peri(self, seed):
        spec = self.spec
        sf = spec.peri_sfreq
        n = int(round(spec.duration * sf))
        t = np.arange(n) / sf
        rng = np.random.default_rng(seed)
        beats = np.cumsum(60.0 / rng.normal(72, 3, int(spec.duration * 2) + 2)) - 0.3
        self.rpeaks = beats[(beats >= 0) & (beats < spec.duration)]
        ecg = np.zeros(n)
        for b in self.rpeaks:  # P, QRS and T waves (volts)
            for dt, amp, w in ((-0.16, 0.1e-3, 0.025), (0.0, 1.0e-3, 0.01), (0.25, 0.3e-3, 0.04)):
                ecg += amp * np.exp(-0.5 * ((t - b - dt) / w) ** 2)
        ecg += 0.01e-3 * rng.standard_normal(n)
        variables = {
            "ECG": ("time", ecg, {"units": "V"}),
            "PPG": ("time", 0.1 * np.sin(2 * np.pi * 1.2 * t), {"units": "V"}),
            "RSP": ("time", 0.5 * np.sin(2 * np.pi * 0.25 * t), {"units": "V"}),
            "EDA": ("time", 5e-6 + 1e-7 * np.cumsum(rng.standard_normal(n)) / np.sqrt(n), {"units": "S"}),
            "SKT": ("time", 33.0 + 0.01 * t, {"units": "degC"}),
        }
        return xr.Dataset(
            {k: (d, v, a) for k, (d, v, a) in variables.items()}, coords={"time": t}, attrs={"sfreq": sf}
        )

    def _events(self, trial):
        ann = self.annotations
        ann = ann[ann.trial == trial]
        return xr.Dataset(
            {
                "onset": ("event", ann.onset.to_numpy(float)),
                "apex": ("event", ann.apex.to_numpy(float)),
                "offset": ("event", ann.offset.to_numpy(float)),
                "kind": ("event", ann.kind.to_numpy(str)),
                "emotion": ("event", ann.emotion.to_numpy(str)),
                "emotion3": ("event", ann.emotion3.to_numpy(str)),
                "emotion_raw": ("event", ann.emotion_raw.to_numpy(str)),
                "aus": ("event", np.array([",".join(a) for a in ann.aus], dtype=str)),
                "offset_coded": ("event", ann.offset_coded.to_numpy(bool)),
            }
        )

    def _row(self, trial):
        if not isinstance(trial, str):
            raise TypeError(f"Invalid value for 'trial': expected an instance of str, got {trial!r}")
        sel = self.trials[self.trials.trial == trial]
        if sel.empty:
            raise KeyError(f"Invalid value for 'trial': expected a trial id of the fake dataset, got {trial!r}")
        return sel.iloc[0]

    def trial(self, trial):
        row = self._row(trial)
        subject, marker = str(row.subject), int(row.marker)
        self.opened.append(trial)
        spec = self.spec
        seed = marker * 10 + int(subject[-2:])
        children = {"events": xr.DataTree(self._events(trial))}
        if spec.video:
            children["video"] = xr.DataTree(self._video())
        if spec.eeg:
            children["eeg"] = xr.DataTree(self._eeg(seed))
        if spec.peri:
            children["peri"] = xr.DataTree(self._peri(seed))
        return xr.DataTree(
            dataset=xr.Dataset(attrs=dict(
                trial=trial, subject=subject, marker=marker, category=marker - 100,
                category_name="sad", dataset="fake", alignment=_alignment_json(marker),
            )),
            children=children,
        )

    def window(self, trial, t0, t1):
        from mmme_analysis.dataset import slice_time

        return slice_time(self.trial(trial), float(t0), float(t1))

    def frame(self, trial, index, *, node="video", width=None):
        """One frame (y, x, rgb) uint8, generated on demand (recorded in ``frames_read``, the
        width asked for in ``widths_read``), scaled down to ``width`` as every backend does."""
        self._row(trial)
        spec = self.spec
        n = int(round(spec.duration * spec.fps))
        if node != "video" or not spec.video:
            raise ValueError(f"Invalid value for 'node': trial {trial} has no {node!r} frames")
        if not 0 <= index < n:
            raise IndexError(f"Invalid value for 'index': expected < {n} frames, got {index}")
        self.frames_read.append(int(index))
        if index in spec.broken_frames:
            raise OSError(f"cannot decode frame {index}")
        self.widths_read.append(width)
        return scale_to_width(make_frame(int(index), spec.height, spec.width, spec.textured, spec.stamp_block), width)

    def proxy(self, trial):
        self._row(trial)
        return None

    def alignment(self, trial):
        return fits_from_json(_alignment_json(int(self._row(trial).marker)))

    def __iter__(self):
        for trial in self.trials["trial"]:
            yield self.trial(trial)

    def __len__(self):
        return len(self.trials)


@pytest.fixture
def fake_dataset():
    return FakeDataset()


@pytest.fixture
def fake_spec():
    return FakeSpec


# -- a video-only dataset: CASME II layout (as tests/dataset/test_imageseq.py makes it) ----
#: clips of :func:`make_casme2`: (subject number, clip, first frame number, number of frames)
CASME2_CLIPS = ((1, "EP02_01f", 46, 20), (1, "EP03_02", 10, 12), (17, "EP01_01", 1, 6))


def make_casme2(root, height: int = 120, width: int = 224):
    """CASME II layout under ``root``: ``CASME2_RAW_selected/sub01/EP02_01f/img46.jpg`` ...
    (200 fps) and its coding sheet. Frame ``k`` of a clip (0-based position) carries ``k``
    as pixel blocks (:func:`make_frame`), whatever its file number."""
    pd.DataFrame({
        "Subject": [1, 1, 17], "Filename": ["EP02_01f", "EP03_02", "EP01_01"],
        "OnsetFrame": [47, 11, 2], "ApexFrame": [49, "/", 3], "OffsetFrame": [52, 14, 4],
        "Action Units": ["12", "R12+4", "L10"], "Estimated Emotion": ["happiness", "others", "repression"],
    }).to_excel(root / "CASME2-coding-20140508.xlsx", index=False)
    import cv2

    for subject, clip, first, n in CASME2_CLIPS:
        folder = root / "CASME2_RAW_selected" / f"sub{subject:02d}" / clip
        folder.mkdir(parents=True)
        prefix = "reg_img" if clip == "EP03_02" else "img"
        for k in range(n):
            bgr = make_frame(k, height, width)[..., ::-1]
            assert cv2.imwrite(str(folder / f"{prefix}{first + k}.jpg"), bgr, [cv2.IMWRITE_JPEG_QUALITY, 95])
    return root


@pytest.fixture
def casme2(tmp_path):
    """A tiny CASME II folder (see :func:`make_casme2`)."""
    root = tmp_path / "CASME2"
    root.mkdir()
    return make_casme2(root)


# -- a damaged synthetic MMME raw folder (participant folders carry fictitious real names) -
@pytest.fixture(scope="session")
def damaged_raw(tmp_path_factory):
    """``mmme synth`` (2 participants x 2 trials, 64 x 64 px) with two faults: the video of
    trial ``cut`` truncated to half its bytes, a second video for the marker of trial ``twice``.
    Returns (root, {"cut": trial id, "twice": trial id, "names": real folder names})."""
    import json

    from mmme_analysis.synth.generator import SynthConfig, synthesize

    root = synthesize(tmp_path_factory.mktemp("damaged") / "raw", SynthConfig(
        n_subjects=2, n_trials=2, duration=2.0, rest=1.0, mes_per_trial=(1, 1), maes_per_trial=(0, 0), seed=0,
        size=(64, 64)), progress=False)
    truth = json.loads((root / "ground_truth.json").read_text())["subjects"]
    (a, ta), (b, tb) = sorted(truth.items(), key=lambda kv: kv[1]["subject"])
    cut = root / a / "video" / sorted(t["video"] for t in ta["trials"])[0]
    data = cut.read_bytes()
    cut.unlink()
    cut.write_bytes(data[: len(data) // 2])
    twice = sorted(tb["trials"], key=lambda t: t["marker"])[0]
    src = root / b / "video" / twice["video"]
    (src.parent / src.name.replace(src.stem[-8:], "20991231")).write_bytes(src.read_bytes())
    marker = int(next(t["marker"] for t in ta["trials"] if t["video"] == cut.name))
    return root, {"cut": f"{ta['subject']}_{marker}", "twice": f"{tb['subject']}_{twice['marker']}", "names": [a, b]}
