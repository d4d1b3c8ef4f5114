"""CMCL-Net spotting: triplet pre-training, classifier fine-tuning, sliding-window inference.

:class:`CMCLSpotter` ``fit`` on the training subjects' trials, then ``predict`` whole
trials:

1. samples (:func:`~.cmcl_pairs.cmcl_samples`): ME clips and non-ME moments with their
   aligned ECG windows; each channel of both inputs is z-scored with the mean and standard
   deviation of the **training** samples (kept in ``norm_``);
2. pre-training: ``pretrain_epochs`` epochs of :class:`torch.nn.TripletMarginLoss`
   (``margin``) on :meth:`CMCLNet.embed <mmme_analysis.models.CMCLNet.embed>` of (anchor
   ME, ME of another event, non-ME) triplets (:func:`~.cmcl_pairs.cmcl_triplets`, new ones
   each epoch);
3. fine-tuning: ``epochs`` epochs of cross-entropy (ME / non-ME; classes weighted by the
   training labels, :func:`mmme_analysis.training.class_weights`) on the whole network;
   fixed epoch counts, no model selection on any held-out subject;
4. inference: a window every ``step`` s over the whole trial (default half the clip's frame
   step, so that two grids of windows share their flows), ``P(ME)`` of each, interpolated
   to every frame: the score track; peaks by
   :func:`~.baseline.spot_peaks` (threshold ``mean + p x (max - mean)``, ``distance`` s
   apart) with ``P(ME) >= min_score``, intervals ``[apex - k, apex + k]`` with ``k`` half
   the mean length of the training MEs (coded offsets; :meth:`BaselineSpotter.fit
   <.baseline.BaselineSpotter.fit>`), converted by each video's fps.

The device is chosen at run time (:func:`mmme_analysis.training.resolve_device`).
Choices where the paper is silent: the epochs, margin, learning rate, the window step, the
``min_score`` floor (a probability below one half is not a candidate) and everything of
:mod:`.cmcl_signals`. :meth:`CMCLSpotConfig.fast` is a small preset for tests and notebooks.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .._validate import check_int, check_option, check_positive, check_type
from ..models.blocks import check_modalities
from ..models.cmcl import CMCL_MODALITIES, CMCLConfig, CMCLNet
from ..training import class_weights, resolve_device
from .baseline import PREDICTION_COLUMNS, BaselineSpotter, SpotConfig, spot_peaks
from .cmcl_pairs import CMCLSamples, cmcl_samples, cmcl_triplets
from .cmcl_signals import CMCLSampleConfig, TrialSignals

__all__ = ["CMCLSpotConfig", "CMCLSpotter", "cmcl_windows", "spot_cmcl"]


@dataclass(frozen=True)
class CMCLSpotConfig:
    """Samples, network, training and inference settings of :class:`CMCLSpotter`.

    Attributes
    ----------
    samples : CMCLSampleConfig
    model : CMCLConfig
        Widths and depths; its shape fields and modalities are set from ``samples`` and
        ``modalities`` (:meth:`model_config`).
    modalities : tuple of str
        ``("video", "ecg")``, ``("video",)`` or ``("ecg",)``.
    pretrain_epochs, epochs : int
        Triplet pre-training (0: none) and fine-tuning epochs.
    lr, weight_decay : float
        Adam settings (both stages).
    batch_size : int
    margin : float
        Triplet margin (on L2-normalised embeddings).
    class_weight : {"balanced", "none"}
    augment : bool
        Mirror a random half of the training clips left-right in every batch (faces are
        nearly symmetric; an expression of one side is one of the other side mirrored).
    step : float or None
        Window step of the inference (s); None: ``duration / n_frames / 2``.
    p, distance : float
        Peak threshold and least time between peaks (s) of :func:`~.baseline.spot_peaks`.
    min_score : float
        Least ``P(ME)`` of a kept peak.
    seed : int
        Seed of the weights, the triplets and the batches.
    device : {"auto", "cpu", "cuda"}
    num_threads : int or None
        ``torch.set_num_threads`` during fit and predict (None: torch's setting).
    """

    samples: CMCLSampleConfig = field(default_factory=CMCLSampleConfig)
    model: CMCLConfig = field(default_factory=CMCLConfig)
    modalities: tuple = CMCL_MODALITIES
    pretrain_epochs: int = 10
    epochs: int = 20
    lr: float = 1e-3
    weight_decay: float = 1e-4
    batch_size: int = 32
    margin: float = 0.5
    class_weight: str = "balanced"
    augment: bool = True
    step: float | None = None
    p: float = 0.3
    distance: float = 0.5
    min_score: float = 0.5
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None

    def __post_init__(self):
        check_type("samples", self.samples, CMCLSampleConfig)
        check_type("model", self.model, CMCLConfig)
        object.__setattr__(self, "modalities", check_modalities(self.modalities, CMCL_MODALITIES))
        check_int("pretrain_epochs", self.pretrain_epochs, min_value=0)
        check_int("epochs", self.epochs, min_value=1)
        check_int("batch_size", self.batch_size, min_value=2)
        check_int("seed", self.seed, min_value=0)
        for name in ("lr", "margin", "distance"):
            check_positive(name, getattr(self, name))
        check_positive("weight_decay", self.weight_decay, allow_zero=True)
        check_option("class_weight", self.class_weight, ("balanced", "none"))
        check_type("augment", self.augment, bool)
        check_option("device", self.device, ("auto", "cpu", "cuda"))
        if self.step is not None:
            check_positive("step", self.step)
        for name in ("p", "min_score"):
            v = check_positive(name, getattr(self, name), allow_zero=True)
            if v >= 1:
                raise ValueError(f"Invalid value for {name!r}: expected a number in [0, 1), got {v!r}")
        if self.num_threads is not None:
            check_int("num_threads", self.num_threads, min_value=1)
        self.model_config()  # shapes must fit the patch sizes

    @classmethod
    def fast(cls, **changes) -> CMCLSpotConfig:
        """A small preset (tiny network, few epochs, few samples) for tests and notebooks."""
        base = dict(samples=CMCLSampleConfig(n_frames=6, width=64, size=16, ecg_sfreq=20.0, positives=3, negatives=4),
                    model=CMCLConfig(d_model=16, n_heads=2, hidden=32, embed_dim=16, patch=4, tubelet=2, ecg_patch=6),
                    pretrain_epochs=3, epochs=15, lr=3e-3, batch_size=32)
        base.update(changes)
        return cls(**base)

    def model_config(self) -> CMCLConfig:
        """:attr:`model` with the input shapes of :attr:`samples` and the :attr:`modalities`."""
        (vc, nf, size, _), (ec, el) = self.samples.video_shape, self.samples.ecg_shape
        return replace(self.model, video_channels=vc, n_frames=nf, clip_size=size, ecg_channels=ec, ecg_length=el,
                       modalities=self.modalities)

    @property
    def window_step(self) -> float:
        """Inference window step (s)."""
        s = self.samples
        return self.step if self.step is not None else s.duration / s.n_frames / 2


def cmcl_windows(signals: TrialSignals, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window centres every ``step`` s over a whole trial and their ``(video, ecg)`` inputs.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> sig = TrialSignals.from_tree(ds.trial("sub-01_101"), CMCLSampleConfig(face_method="frame"))
    >>> centres, video, ecg = cmcl_windows(sig, 0.5)
    >>> len(centres) == len(video) == len(ecg)
    True
    """
    step = check_positive("step", step)
    t0, t1 = signals.span
    centres = np.arange(t0, t1 + step / 2, step)
    video, ecg = signals.inputs(centres)
    return centres, video, ecg


class CMCLSpotter:
    """CMCL-Net ME spotter (module docstring): ``fit`` on training subjects, ``predict`` whole trials.

    Attributes (after :meth:`fit`)
    ------------------------------
    net_ : CMCLNet
    norm_ : dict
        ``{modality: (mean, std)}`` per channel, from the training samples.
    half_length_ : dict
        ``{"micro": k in s}`` from the training annotations.
    history_ : pandas.DataFrame
        ``stage`` (``"pretrain"``/``"finetune"``), ``epoch``, ``loss``.
    device_ : str
    train_subjects_ : tuple
        Subjects of the samples the network was trained on.
    scores_ : dict
        ``{(trial, "micro"): pandas.Series}`` the score of every frame (index: time in s).

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> ann = ds.annotations
    >>> cfg = CMCLSpotConfig.fast(samples=CMCLSampleConfig(face_method="frame", n_frames=6, width=48, size=12,
    ...                                                    ecg_sfreq=20.0), epochs=1, pretrain_epochs=1)
    >>> spotter = CMCLSpotter(cfg).fit(ds, ann[ann["subject"] != "sub-01"])
    >>> list(spotter.predict(ds, ["sub-01_101"]).columns)
    ['video', 'onset', 'offset', 'kind', 'score', 'apex']
    """

    def __init__(self, config: CMCLSpotConfig | None = None):
        self.config = CMCLSpotConfig() if config is None else check_type("config", config, CMCLSpotConfig)
        self.net_ = None
        self.norm_: dict = {}
        self.half_length_: dict = {}
        self.history_ = pd.DataFrame(columns=["stage", "epoch", "loss"])
        self.device_ = None
        self.train_subjects_: tuple = ()
        self.scores_: dict = {}

    # ---- training ----
    def fit(self, dataset, annotations: pd.DataFrame, trials=None, *, signals: dict | None = None,
            shuffle_labels: bool = False, progress: bool = False) -> CMCLSpotter:
        """Sample the training ``trials`` (default: those of the subjects in ``annotations``) and train.

        ``annotations`` must hold the training subjects only (``k`` and the samples come
        from them); see :meth:`fit_samples` for ``shuffle_labels``.
        """
        check_type("annotations", annotations, pd.DataFrame, "a pandas DataFrame")
        if trials is None:
            t = dataset.trials
            subjects = set(annotations["subject"].astype(str)) if "subject" in annotations else None
            keep = t["subject"].astype(str).isin(subjects) if subjects is not None else \
                t["trial"].astype(str).isin(set(annotations["trial"].astype(str)))
            if "has_video" in t:
                keep &= t["has_video"].astype(bool)
            trials = t.loc[keep, "trial"]
        samples = cmcl_samples(dataset, annotations, trials, config=self.config.samples, seed=self.config.seed,
                               signals=signals, progress=progress)
        return self.fit_samples(samples, annotations, shuffle_labels=shuffle_labels)

    def fit_samples(self, samples: CMCLSamples, annotations: pd.DataFrame, *, shuffle_labels: bool = False
                    ) -> CMCLSpotter:
        """Train on ready samples of the training subjects; ``k`` from ``annotations``.

        ``shuffle_labels=True`` is the shuffled-label control: the ME / non-ME labels of
        the samples are permuted (seeded) before both stages, which breaks any link
        between inputs and labels; a leak-free pipeline then spots at chance.
        """
        import torch

        cfg = self.config
        check_type("samples", samples, CMCLSamples)
        self.half_length_ = BaselineSpotter(SpotConfig(kinds=("micro",))).fit(annotations).half_length_
        labels, events = samples.label.astype(np.int64), samples.meta["event"].to_numpy(int)
        rng = np.random.default_rng(cfg.seed)
        if shuffle_labels:
            labels, events = rng.permutation(labels), np.arange(len(labels))
        if (labels == 1).sum() < 2 or (labels == 0).sum() < 1:
            raise ValueError(f"Invalid value for 'samples': expected at least 2 ME and 1 non-ME training samples, "
                             f"got {(labels == 1).sum()} and {(labels == 0).sum()}")
        self.train_subjects_ = tuple(sorted(samples.meta["subject"].astype(str).unique()))
        self.norm_ = {m: _channel_stats(getattr(samples, m)) for m in cfg.modalities}
        device = self.device_ = resolve_device(cfg.device)
        old = torch.get_num_threads()
        if cfg.num_threads is not None:
            torch.set_num_threads(cfg.num_threads)
        try:
            torch.manual_seed(cfg.seed)
            net = CMCLNet(cfg.model_config()).to(device)
            x = {m: torch.from_numpy(self._normalise(m, getattr(samples, m))).to(device) for m in cfg.modalities}
            y = torch.from_numpy(labels).to(device)
            opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
            history, triplet = [], torch.nn.TripletMarginLoss(margin=cfg.margin)
            for epoch in range(cfg.pretrain_epochs):
                tri = torch.from_numpy(cmcl_triplets(labels, events, seed=cfg.seed + epoch)).to(device)

                def triplet_loss(b, tri=tri):
                    return triplet(*(net.embed(self._augment({m: v[tri[b, j]] for m, v in x.items()}))
                                     for j in range(3)))

                history.append(("pretrain", epoch, self._epoch(net, opt, len(tri), rng, triplet_loss)))
            w = class_weights(labels, 2, cfg.class_weight)
            ce = torch.nn.CrossEntropyLoss(weight=None if w is None else w.to(device))
            for epoch in range(cfg.epochs):
                history.append(("finetune", epoch, self._epoch(
                    net, opt, len(y), rng, lambda b: ce(net(self._augment({m: v[b] for m, v in x.items()})), y[b]))))
        finally:
            torch.set_num_threads(old)
        self.net_ = net.eval()
        self.history_ = pd.DataFrame(history, columns=["stage", "epoch", "loss"])
        return self

    def _epoch(self, net, opt, n: int, rng, loss_of) -> float:
        import torch

        net.train()
        order, total, bs = rng.permutation(n), 0.0, self.config.batch_size
        for start in range(0, n, bs):
            idx = order[start:start + bs]
            opt.zero_grad()
            loss = loss_of(torch.from_numpy(idx).to(next(net.parameters()).device))
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        return total / max(n, 1)

    def _augment(self, batch: dict) -> dict:
        """Mirror a random half of the clips left-right (flow: u negated too); ECG untouched."""
        import torch

        if not self.config.augment or "video" not in batch:
            return batch
        v = batch["video"]
        flip = torch.rand(len(v), device=v.device) < 0.5
        mirrored = v.flip(-1)
        if self.config.samples.clip == "flow":
            mean, std = (torch.as_tensor(a[0], device=v.device) for a in self.norm_["video"])
            mirrored[:, 0] = -mirrored[:, 0] - 2 * mean / std  # the normalised u of the mirrored clip
        return dict(batch, video=torch.where(flip[:, None, None, None, None], mirrored, v))

    def _normalise(self, modality: str, x: np.ndarray) -> np.ndarray:
        mean, std = self.norm_[modality]
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return ((x - mean.reshape(shape)) / std.reshape(shape)).astype(np.float32)

    # ---- inference ----
    def score_windows(self, video: np.ndarray, ecg: np.ndarray, *, batch_size: int = 256) -> np.ndarray:
        """``P(ME)`` of window inputs (normalised here with the training statistics)."""
        import torch

        if self.net_ is None:
            raise RuntimeError("CMCLSpotter: call fit(...) before predicting")
        cfg = self.config
        arrays = {"video": video, "ecg": ecg}
        out = []
        old = torch.get_num_threads()
        if cfg.num_threads is not None:
            torch.set_num_threads(cfg.num_threads)
        try:
            with torch.no_grad():
                for start in range(0, len(video), batch_size):
                    xb = {m: torch.from_numpy(self._normalise(m, arrays[m][start:start + batch_size])).to(self.device_)
                          for m in cfg.modalities}
                    out.append(torch.softmax(self.net_(xb), dim=1)[:, 1].cpu().numpy())
        finally:
            torch.set_num_threads(old)
        return np.concatenate(out) if out else np.zeros(0, np.float32)

    def spot(self, signals: TrialSignals, centres: np.ndarray, prob: np.ndarray) -> pd.DataFrame:
        """Score track and intervals of one trial from its windows' ``P(ME)``."""
        cfg = self.config
        if not self.half_length_:
            raise RuntimeError("CMCLSpotter: call fit(...) before predicting")
        time_ = signals.frame_time
        score = np.interp(time_, centres, prob) if len(centres) else np.zeros(len(time_))
        self.scores_[(signals.trial, "micro")] = pd.Series(score, index=pd.Index(time_, name="time"), name="score")
        peaks = spot_peaks(score, signals.fps, max(1, int(round(self.half_length_["micro"] * signals.fps))),
                           p=cfg.p, distance=cfg.distance)
        return peaks[peaks["score"] >= cfg.min_score].assign(video=signals.trial, kind="micro")[list(PREDICTION_COLUMNS)]

    def predict_signals(self, signals: TrialSignals) -> pd.DataFrame:
        """Spot one loaded trial (sliding windows every :attr:`CMCLSpotConfig.window_step` s)."""
        centres, video, ecg = cmcl_windows(signals, self.config.window_step)
        return self.spot(signals, centres, self.score_windows(video, ecg))

    def predict(self, dataset, trials=None, *, signals: dict | None = None, progress: bool = False) -> pd.DataFrame:
        """Spot whole trials; :data:`~.baseline.PREDICTION_COLUMNS` (frames of each trial video)."""
        from tqdm import tqdm

        if self.net_ is None:
            raise RuntimeError("CMCLSpotter: call fit(...) before predicting")
        if trials is None:
            t = dataset.trials
            trials = t.loc[t["has_video"].astype(bool), "trial"] if "has_video" in t else t["trial"]
        signals = {} if signals is None else signals
        rows = []
        for trial in tqdm([str(x) for x in trials], desc="cmcl spotting", unit="trial", disable=not progress):
            sig = signals[trial] if trial in signals else TrialSignals.from_tree(dataset.trial(trial),
                                                                                 self.config.samples)
            rows.append(self.predict_signals(sig))
        return _prediction_table(rows)


def _prediction_table(rows) -> pd.DataFrame:
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(PREDICTION_COLUMNS))
    out = out[list(PREDICTION_COLUMNS)].astype({"onset": int, "offset": int, "apex": int, "score": float})
    return out.sort_values(["video", "onset"], kind="stable").reset_index(drop=True)


def _channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    axes = (0,) + tuple(range(2, x.ndim))
    mean, std = x.mean(axis=axes).astype(np.float32), x.std(axis=axes).astype(np.float32)
    return mean, np.where(std > 1e-6, std, 1.0).astype(np.float32)


def spot_cmcl(dataset, annotations: pd.DataFrame, trials=None, *, config: CMCLSpotConfig | None = None,
              progress: bool = False) -> pd.DataFrame:
    """Fit CMCL-Net on training ``annotations`` (their subjects' trials) and spot ``trials``.

    Shorthand for ``CMCLSpotter(config).fit(dataset, annotations).predict(dataset, trials)``.

    Examples
    --------
    >>> import mmme_analysis as mm
    >>> ds = mm.open_dataset(mm.demo.data_path())
    >>> ann = ds.annotations
    >>> cfg = CMCLSpotConfig.fast(samples=CMCLSampleConfig(face_method="frame", n_frames=6, width=48, size=12,
    ...                                                    ecg_sfreq=20.0), epochs=1, pretrain_epochs=0)
    >>> pred = spot_cmcl(ds, ann[ann["subject"] != "sub-01"], ["sub-01_101"], config=cfg)
    >>> set(pred["video"]) <= {"sub-01_101"}
    True
    """
    return CMCLSpotter(config).fit(dataset, annotations, progress=progress).predict(dataset, trials, progress=progress)
