import pytest
import torch

from mmme_analysis.flow import MODEL_INPUTS
from mmme_analysis.models import FR, MODELS, RCNA, OffApexNet, STSTNet, get_model, model_input_size


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("n_classes", [3, 7])
def test_output_shape_and_backward(name, n_classes):
    torch.manual_seed(0)
    net = get_model(name, n_classes)
    s = model_input_size(name)
    x = torch.randn(4, 3, s, s)
    out = net(x)
    assert out.shape == (4, n_classes)
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)
    net.eval()
    assert net(x[:1]).shape == (1, n_classes)


def test_input_sizes():
    assert model_input_size("ststnet") == 28 and model_input_size("rcn_a") == 60
    assert {model_input_size(n) for n in ("off_apexnet", "fr")} == {28}
    # flow.MODEL_INPUTS (torch-free copy used to size the flow features) agrees
    assert MODEL_INPUTS == {n: model_input_size(n) for n in MODELS}


def test_ststnet_is_shallow():
    # three streams of 3, 5, 8 filters -> 16 x 5 x 5 = 400 features -> FC
    net = STSTNet(3)
    assert net.fc.in_features == 400
    assert sum(p.numel() for p in net.parameters()) < 2000


def test_off_apexnet_ignores_strain_channel():
    torch.manual_seed(0)
    net = OffApexNet(3).eval()
    x = torch.randn(2, 3, 28, 28)
    y = x.clone()
    y[:, 2] = torch.randn(2, 28, 28)
    torch.testing.assert_close(net(x), net(y))


def test_rcn_and_fr_accept_other_sizes():
    assert RCNA(3).eval()(torch.randn(1, 3, 28, 28)).shape == (1, 3)
    assert FR(5).eval()(torch.randn(1, 3, 32, 32)).shape == (1, 5)


def test_get_model_is_fresh():
    torch.manual_seed(0)
    a = get_model("ststnet", 3)
    torch.manual_seed(0)
    b = get_model("ststnet", 3)
    assert a is not b
    for pa, pb in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(pa, pb)


@pytest.mark.parametrize("name, n_classes, exc, match", [
    ("resnet", 3, ValueError, "'name'"),
    ("ststnet", 1, ValueError, "'n_classes'"),
    ("ststnet", 3.0, TypeError, "'n_classes'"),
])
def test_bad_args(name, n_classes, exc, match):
    with pytest.raises(exc, match=match):
        get_model(name, n_classes)


@pytest.mark.parametrize("cls", [STSTNet, OffApexNet])
def test_instance_reports_its_own_input_size(cls):
    # infer_clip sizes the flow input from model.input_size; the fc layer is built for it
    net = cls(3, input_size=60).eval()
    assert net.input_size == 60 and cls.input_size == 28
    assert net(torch.zeros(1, 3, 60, 60)).shape == (1, 3)
