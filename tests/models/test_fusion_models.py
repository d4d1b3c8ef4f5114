"""MEs-EEG and ME-PS: shapes, gradients per stream, modality subsets, CUDA, a tiny learning check."""
from itertools import combinations

import numpy as np
import pytest
import torch

from mmme_analysis.models.blocks import NAM, TCN, CoordAttention, check_modalities
from mmme_analysis.models.me_eeg import MEsEEG, MEsEEGConfig
from mmme_analysis.models.me_ps import MEPS, MEPSConfig

torch.set_num_threads(1)

MES_TINY = dict(n_eeg_channels=3, n_bands=5, d_model=8, n_heads=2, tcn_channels=(8,), region_pool=2)
PS_TINY = dict(video_widths=(4, 8), n_eeg_channels=3, tcn_channels=(8,), lstm_hidden=8, d_model=8, n_heads=2,
               embed_dim=8, peri_tokens=4)


def _subsets(names):
    return [c for k in range(1, len(names) + 1) for c in combinations(names, k)]


def _inputs(n=4, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    x = {"flow": torch.randn(n, 3, 16, 16, generator=g), "clip": torch.randn(n, 3, 4, 12, 12, generator=g),
         "eeg": torch.randn(n, 3, 5, 4, generator=g), "peri": torch.randn(n, 5, 24, generator=g)}
    return {k: v.to(device) for k, v in x.items()}


def _mes_in(x):
    return {"video": x["flow"], "eeg": x["eeg"]}


def _ps_in(x):
    return {"video": x["clip"], "eeg": x["eeg"], "peri": x["peri"]}


def _build(kind, **kw):
    torch.manual_seed(0)
    if kind == "mes_eeg":
        return MEsEEG(3, MEsEEGConfig(**{**MES_TINY, **kw})), _mes_in
    return MEPS(3, MEPSConfig(**{**PS_TINY, **kw})), _ps_in


def _own_params(net, m):
    return net.branch_parameters(m) if isinstance(net, MEsEEG) else net.stream_parameters(m)


# --- forward / backward, gradients per stream ------------------------------------------------

@pytest.mark.parametrize("kind, mods", [("mes_eeg", m) for m in _subsets(MEsEEG.modality_names)]
                         + [("me_ps", m) for m in _subsets(MEPS.modality_names)])
def test_forward_backward_gradients_reach_used_streams_only(kind, mods):
    net, pick = _build(kind)
    x = pick(_inputs())
    y = torch.tensor([0, 1, 2, 0])
    out = net({m: x[m] for m in mods}, modalities=mods)  # unused streams get no input at all
    assert out["modalities"] == mods and out["logits"].shape == (4, 3)
    loss, parts = net.loss(out, y)
    assert torch.isfinite(loss) and all(np.isfinite(v) for v in parts.values())
    loss.backward()
    for m in net.modality_names:
        params = _own_params(net, m)
        if m in mods:
            assert all(p.grad is not None for p in params), m
            assert sum(float(p.grad.abs().sum()) for p in params) > 0, m
        else:
            assert all(p.grad is None for p in params), m
    if kind == "me_ps":  # mutual attention runs only between >= 2 streams
        for m in net.modality_names:
            used = m in mods and len(mods) > 1
            assert all((p.grad is not None) == used for p in net.mutual[m].parameters()), m
    else:
        fusion = [*net.cross_eeg.parameters(), *net.cross_video.parameters(), *net.fused_head.parameters()]
        assert all((p.grad is not None) == (len(mods) == 2) for p in fusion)


@pytest.mark.parametrize("kind", ["mes_eeg", "me_ps"])
def test_unused_streams_are_not_computed(kind):
    net, pick = _build(kind)
    x = pick(_inputs())
    modules = ({"video": net.region_embed, "eeg": net.tcn} if kind == "mes_eeg" else dict(net.streams))
    for mods in _subsets(net.modality_names):
        calls = []
        hooks = [mod.register_forward_hook(lambda *a, name=name, calls=calls: calls.append(name))
                 for name, mod in modules.items()]
        net(x, modalities=mods)  # every input given: only the selected streams may run
        for h in hooks:
            h.remove()
        assert set(calls) == set(mods)


@pytest.mark.parametrize("kind", ["mes_eeg", "me_ps"])
def test_modality_subset_outputs(kind):
    net, pick = _build(kind)
    net.eval()
    x = pick(_inputs())
    with torch.no_grad():
        full = net(x)  # config default: all modalities
        assert full["modalities"] == net.modality_names
        for mods in _subsets(net.modality_names):
            out = net({m: x[m] for m in mods}, modalities=list(reversed(mods)))  # order does not matter
            assert out["modalities"] == mods
            if kind == "me_ps":
                assert set(out["embeddings"]["shared"]) == set(out["embeddings"]["private"]) == set(mods)
                assert set(out["attention"]) == (set(mods) if len(mods) > 1 else set())
                for w in out["attention"].values():  # rows are softmax weights over the other streams' tokens
                    torch.testing.assert_close(w.sum(-1), torch.ones(w.shape[:2]))
            else:
                assert set(out["unimodal_logits"]) == set(mods)
                assert ("fused" in out["embeddings"]) == (len(mods) == 2)
                assert ("regions" in out["attention"]) == ("video" in mods)
                if len(mods) == 1:  # alone, a branch answers through its unimodal head
                    torch.testing.assert_close(out["logits"], out["unimodal_logits"][mods[0]])
                    torch.testing.assert_close(out["logits"], full["unimodal_logits"][mods[0]])
            # the output depends on the selected inputs only
            other = pick(_inputs(seed=1))
            swapped = {m: (x[m] if m in mods else other[m]) for m in net.modality_names}
            torch.testing.assert_close(net(swapped, modalities=mods)["logits"], out["logits"])
        # and it does depend on them
        for m in net.modality_names:
            changed = dict(x, **{m: pick(_inputs(seed=2))[m]})
            assert not torch.allclose(net(changed)["logits"], full["logits"])


def test_me_eeg_attention_shapes():
    net, pick = _build("mes_eeg")
    out = net.eval()(pick(_inputs()))
    r, t = len(net.config.regions), 4
    assert out["attention"]["regions"].shape == (4, r, r)
    assert out["attention"]["eeg_to_video"].shape == (4, t, r)
    assert out["attention"]["video_to_eeg"].shape == (4, r, t)
    assert out["embeddings"]["fused"].shape == (4, 16)


@pytest.mark.parametrize("kind", ["mes_eeg", "me_ps"])
def test_eval_single_sample_and_other_lengths(kind):
    net, pick = _build(kind)
    net.eval()
    g = torch.Generator().manual_seed(0)
    if kind == "mes_eeg":
        x = {"video": torch.randn(1, 3, 28, 28, generator=g), "eeg": torch.randn(1, 3, 5, 1, generator=g)}
    else:
        x = {"video": torch.randn(1, 3, 2, 20, 20, generator=g), "eeg": torch.randn(1, 3, 5, 7, generator=g),
             "peri": torch.randn(1, 5, 3, generator=g)}
    assert net(x)["logits"].shape == (1, 3)


def test_default_configs_are_small():
    n = {k: sum(p.numel() for p in cls(3).parameters()) for k, cls in (("mes_eeg", MEsEEG), ("me_ps", MEPS))}
    assert 10_000 < n["mes_eeg"] < 150_000 and 10_000 < n["me_ps"] < 150_000
    out = MEPS(3).eval()({"video": torch.zeros(2, 3, 8, 32, 32), "eeg": torch.zeros(2, 64, 5, 3),
                          "peri": torch.zeros(2, 5, 96)})
    assert out["embeddings"]["fused"].shape == (2, 32)


def test_me_ps_loss_weights_enter_the_total():
    net, pick = _build("me_ps")
    out = net(pick(_inputs()))
    y = torch.tensor([0, 1, 2, 0])
    total, parts = net.loss(out, y)
    cfg = net.config
    expected = sum(getattr(cfg, f"w_{k}") * v for k, v in parts.items())
    assert total.item() == pytest.approx(expected, rel=1e-5)
    assert set(parts) == {"ce", "triplet", "diversity", "consistency", "contrastive"}
    only_ce, _ = MEPS(3, MEPSConfig(**PS_TINY, w_triplet=0, w_diversity=0, w_consistency=0, w_contrastive=0)).loss(out, y)
    assert only_ce.item() == pytest.approx(parts["ce"], rel=1e-5)


# --- blocks ----------------------------------------------------------------------------------

def test_tcn_is_causal():
    torch.manual_seed(0)
    tcn = TCN(2, (4, 4), kernel_size=3, dropout=0.0).eval()
    x = torch.randn(1, 2, 10)
    y = x.clone()
    y[..., 6:] = torch.randn(1, 2, 4)  # change the future only
    torch.testing.assert_close(tcn(x)[..., :6], tcn(y)[..., :6])
    assert not torch.allclose(tcn(x)[..., 6:], tcn(y)[..., 6:])


def test_nam_and_coord_attention_gate_the_input():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 5, 6)
    gated = NAM(4).eval()(x)
    assert torch.all(gated.abs() <= x.abs() + 1e-7) and torch.all(torch.sign(gated) == torch.sign(x))
    ca = CoordAttention(4, n_axes=2).eval()
    out = ca(x)
    assert out.shape == x.shape and torch.all(out.abs() <= x.abs() + 1e-7)


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("centre", [True, False])
def test_peri_centre_ignores_a_constant_level(centre):
    net = MEPS(3, MEPSConfig(n_eeg_channels=3, peri_centre=centre)).eval()
    x = torch.randn(2, 5, 24, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = net({"peri": x}, modalities=["peri"])["logits"]
        b = net({"peri": x + 3.0}, modalities=["peri"])["logits"]
    assert torch.allclose(a, b, atol=1e-5) == centre


@pytest.mark.parametrize("call, exc, match", [
    (lambda: MEsEEGConfig(d_model=10, n_heads=4), ValueError, "'n_heads'"),
    (lambda: MEsEEGConfig(regions=((0.5, 0.2, 0.0, 1.0),)), ValueError, "'regions'"),
    (lambda: MEsEEGConfig(modalities=("video", "audio")), ValueError, "'modalities'"),
    (lambda: MEsEEGConfig(aux_weight=-1), ValueError, "'aux_weight'"),
    (lambda: MEPSConfig(w_triplet=-0.1), ValueError, "'w_triplet'"),
    (lambda: MEPSConfig(video_tokens=(2, 2)), ValueError, "'video_tokens'"),
    (lambda: MEPSConfig(temperature=0), ValueError, "'temperature'"),
    (lambda: MEPSConfig(lstm_hidden=2.5), TypeError, "'lstm_hidden'"),
    (lambda: MEPSConfig(peri_centre=1), TypeError, "'peri_centre'"),
    (lambda: MEsEEG(1), ValueError, "'n_classes'"),
    (lambda: MEPS(3, MEsEEGConfig()), TypeError, "'config'"),
    (lambda: check_modalities([], ("video",)), ValueError, "'modalities'"),
    (lambda: check_modalities(("eeg", "eeg"), ("eeg",)), ValueError, "'modalities'"),
    (lambda: check_modalities(3, ("eeg",)), TypeError, "'modalities'"),
])
def test_bad_config(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("kind, inputs, mods, exc, match", [
    ("mes_eeg", lambda x: {"eeg": x["eeg"]}, None, KeyError, "missing \\['video'\\]"),
    ("mes_eeg", lambda x: {"video": x["flow"][:, :2], "eeg": x["eeg"]}, None, ValueError, "inputs\\['video'\\]"),
    ("mes_eeg", lambda x: {"video": x["flow"], "eeg": x["eeg"][:, :2]}, None, ValueError, "inputs\\['eeg'\\]"),
    ("mes_eeg", lambda x: {"video": x["flow"]}, ("peri",), ValueError, "'modalities'"),
    ("me_ps", lambda x: {"video": x["flow"]}, ("video",), ValueError, "inputs\\['video'\\]"),
    ("me_ps", lambda x: {"peri": x["peri"][:, :4]}, ("peri",), ValueError, "inputs\\['peri'\\]"),
    ("me_ps", lambda x: {"peri": x["peri"]}, ("peri", "eeg"), KeyError, "missing \\['eeg'\\]"),
])
def test_bad_forward_input(kind, inputs, mods, exc, match):
    net, _ = _build(kind)
    with pytest.raises(exc, match=match):
        net(inputs(_inputs()), modalities=mods)


# --- CUDA ------------------------------------------------------------------------------------

@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
@pytest.mark.parametrize("kind", ["mes_eeg", "me_ps"])
def test_forward_backward_cuda(kind):
    net, pick = _build(kind)
    net = net.cuda()
    out = net(pick(_inputs(device="cuda")))
    loss, _ = net.loss(out, torch.tensor([0, 1, 2, 0], device="cuda"))
    loss.backward()
    assert out["logits"].device.type == "cuda" and torch.isfinite(loss)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for m in net.modality_names for p in _own_params(net, m))


# --- a tiny learning check -------------------------------------------------------------------

def _planted(n, seed, where):
    """Random inputs; the class (0, 1, 2) shifts one channel of one modality by -1, 0, +1 (peri: -3, 0, +3 in its second half)."""
    x = _inputs(n, seed)
    y = torch.arange(n) % 3
    shift = y.float() - 1
    if where == "eeg":
        x["eeg"][:, 0] += shift[:, None, None]
    elif where == "peri":  # a step in the second half of the window (a phasic change, kept by peri_centre)
        half = x["peri"].shape[-1] // 2
        x["peri"][:, 1, half:] += 3 * shift[:, None]
    return x, y


@pytest.mark.parametrize("kind, where", [("mes_eeg", "eeg"), ("me_ps", "peri")])
def test_fused_model_learns_planted_class(kind, where):
    net, pick = _build(kind, dropout=0.0)
    xtr, ytr = _planted(60, 10, where)
    xte, yte = _planted(60, 11, where)  # held-out samples, fresh noise
    tr, te = pick(xtr), pick(xte)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    losses = []
    for _ in range(100):
        idx = torch.randperm(60, generator=g)[:20]
        loss, _ = net.loss(net({m: v[idx] for m, v in tr.items()}), ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    net.eval()
    with torch.no_grad():
        acc = float((net(te)["logits"].argmax(1) == yte).float().mean())
    # chance is 1/3; P(acc >= 0.55 | chance, n = 60) < 1e-3 (without the planted shift: 0.18-0.40 over 5 seeds)
    assert acc >= 0.55, acc
