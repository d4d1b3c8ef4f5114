"""CMCL-Net encoder: shapes, forward/backward for each modality subset, one stream only, bad input, CUDA."""
import pytest
import torch

from mmme_analysis.models import CMCLConfig, CMCLNet

torch.set_num_threads(1)

CFG = dict(video_channels=2, n_frames=4, clip_size=8, tubelet=2, patch=4, ecg_channels=2, ecg_length=30, ecg_patch=10,
           d_model=8, n_heads=2, hidden=16, embed_dim=6)


def _inputs(batch=3, cfg=None):
    cfg = cfg or CMCLConfig(**CFG)
    g = torch.Generator().manual_seed(0)
    return {"video": torch.randn(batch, *cfg.video_shape, generator=g), "ecg": torch.randn(batch, *cfg.ecg_shape, generator=g)}


@pytest.mark.parametrize("mods", [("video", "ecg"), ("video",), ("ecg",)])
def test_forward_backward_each_modality_subset(mods):
    torch.manual_seed(0)
    net = CMCLNet(CMCLConfig(**CFG, modalities=mods))
    x = _inputs()
    logits, emb = net(x), net.embed(x)
    assert logits.shape == (3, 2) and emb.shape == (3, 6)
    assert torch.allclose(emb.norm(dim=1), torch.ones(3), atol=1e-5)
    (logits.sum() + emb.sum()).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert set(net.streams) == set(mods)  # the other stream is not built
    assert (len(net.cross_video) > 0) == (len(mods) == 2)


def test_single_stream_ignores_the_other_input():
    torch.manual_seed(0)
    net = CMCLNet(CMCLConfig(**CFG, modalities=("ecg",))).eval()
    x = _inputs()
    y = dict(x, video=torch.randn_like(x["video"]) * 100)
    assert torch.equal(net(x), net(y))
    both = CMCLNet(CMCLConfig(**CFG)).eval()
    assert not torch.allclose(both(x), both(y))  # with both streams, the video changes the output


def test_cross_attention_mixes_streams():
    """With both streams, the ECG tokens reach the output only through the fused embedding:
    changing the ECG must change the video-stream tokens after the cross layer."""
    torch.manual_seed(1)
    net = CMCLNet(CMCLConfig(**CFG)).eval()
    x = _inputs()
    y = dict(x, ecg=x["ecg"] + 1.0)
    v = net.streams["video"](x["video"])
    e1, e2 = net.streams["ecg"](x["ecg"]), net.streams["ecg"](y["ecg"])
    assert not torch.allclose(net.cross_video[0](v, e1)[0], net.cross_video[0](v, e2)[0])


def test_default_config_sizes():
    cfg = CMCLConfig()
    net = CMCLNet(cfg)
    assert net(_inputs(2, cfg)).shape == (2, 2)
    assert sum(p.numel() for p in net.parameters()) < 100_000  # small enough for a CPU


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n_frames=5), ValueError, "Invalid value for 'tubelet': expected a divisor of n_frames=5"),
    (dict(clip_size=10), ValueError, "Invalid value for 'patch'"),
    (dict(ecg_length=35), ValueError, "Invalid value for 'ecg_patch'"),
    (dict(d_model=9), ValueError, "Invalid value for 'n_heads'"),
    (dict(modalities=("eeg",)), ValueError, "Invalid value for 'modalities'"),
    (dict(modalities=()), ValueError, "Invalid value for 'modalities'"),
    (dict(dropout=1.0), ValueError, "Invalid value for 'dropout'"),
    (dict(n_classes=1), ValueError, "Invalid value for 'n_classes'"),
    (dict(n_layers=-1), ValueError, "Invalid value for 'n_layers'"),
    (dict(d_model=8.0), TypeError, "Invalid value for 'd_model'"),
])
def test_bad_config(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        CMCLConfig(**{**CFG, **kwargs})


@pytest.mark.parametrize("change, exc, match", [
    (lambda x: {"video": x["video"]}, KeyError, "missing \\['ecg'\\]"),
    (lambda x: dict(x, video=x["video"][:, :1]), ValueError, "inputs\\['video'\\]': expected a tensor \\(batch, 2, 4, 8, 8\\)"),
    (lambda x: dict(x, ecg=x["ecg"][..., :20]), ValueError, "inputs\\['ecg'\\]': expected a tensor \\(batch, 2, 30\\)"),
    (lambda x: dict(x, ecg=x["ecg"].numpy()), ValueError, "got ndarray"),
    (lambda x: [x["video"], x["ecg"]], TypeError, "expected a mapping"),
])
def test_bad_input(change, exc, match):
    net = CMCLNet(CMCLConfig(**CFG))
    with pytest.raises(exc, match=match):
        net(change(_inputs()))


def test_bad_config_type():
    with pytest.raises(TypeError, match="Invalid value for 'config'"):
        CMCLNet({"d_model": 8})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_forward_backward_matches_cpu():
    torch.manual_seed(0)
    net = CMCLNet(CMCLConfig(**CFG, dropout=0.0)).eval()
    x = _inputs()
    cpu = net(x)
    gpu = net.to("cuda")({k: v.to("cuda") for k, v in x.items()})
    assert torch.allclose(cpu, gpu.cpu(), atol=1e-4)
    gpu.sum().backward()
    assert all(p.grad is not None and p.grad.is_cuda for p in net.parameters())
