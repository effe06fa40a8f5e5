"""Heads: shapes, SB3-style init, log_std clamping, value shape."""

import math

import pytest
import torch

from simrl.nn import LOG_STD_MAX, LOG_STD_MIN, GaussianHead, ValueHead


def test_gaussian_head_shapes_and_init():
    torch.manual_seed(0)
    head = GaussianHead(64, 3)
    mean, log_std = head(torch.randn(5, 64))
    assert mean.shape == log_std.shape == (5, 3)
    assert torch.all(log_std == -0.5)
    # orthogonal gain 0.01: rows have norm 0.01, so the initial mean is tiny
    torch.testing.assert_close(head.mean.weight.norm(dim=1), torch.full((3,), 0.01))


def test_gaussian_head_log_prob_matches_formula():
    head = GaussianHead(4, 2, init_log_std=0.0)
    feats = torch.zeros(1, 4)
    dist = head.distribution(feats)
    a = torch.tensor([[1.0, -1.0]])
    # N(0, 1): log p = -x^2/2 - log(sqrt(2 pi)) per dim
    expected = 2 * (-0.5 - 0.5 * math.log(2 * math.pi))
    assert dist.log_prob(a).sum().item() == pytest.approx(expected, rel=1e-6)


def test_log_std_clamped():
    head = GaussianHead(4, 2)
    with torch.no_grad():
        head.log_std.copy_(torch.tensor([-50.0, 50.0]))
    _, log_std = head(torch.zeros(3, 4))
    assert log_std[0].tolist() == [LOG_STD_MIN, LOG_STD_MAX]


@pytest.mark.parametrize("state_dependent", [False, True])
def test_log_std_floor(state_dependent):
    """`min_log_std` is the floor: a log std pushed to -3 comes out at -1.5, and the log-prob is
    the Gaussian's with std e^-1.5 (reference: the formula), for either kind of std."""
    head = GaussianHead(4, 2, state_dependent, init_log_std=-1.0, min_log_std=-1.5)
    with torch.no_grad():
        if state_dependent:
            head.log_std_layer.bias.fill_(-3.0)
        else:
            head.log_std.fill_(-3.0)
    mean, log_std = head(torch.zeros(3, 4))
    assert torch.all(log_std == -1.5)
    a = mean[:1] + math.exp(-1.5)  # one std away in each dim
    expected = 2 * (-0.5 + 1.5 - 0.5 * math.log(2 * math.pi))
    assert head.distribution(torch.zeros(1, 4)).log_prob(a).sum().item() == pytest.approx(expected)


def test_state_dependent_std():
    head = GaussianHead(8, 2, state_dependent_std=True, init_log_std=-1.0)
    _, log_std = head(torch.zeros(4, 8))
    assert log_std.shape == (4, 2)
    torch.testing.assert_close(log_std, torch.full((4, 2), -1.0))
    assert not hasattr(head, "log_std")


def test_value_head_shape():
    head = ValueHead(16)
    assert head(torch.randn(6, 16)).shape == (6,)
    assert torch.all(head.value.bias == 0)


def test_bad_head_args():
    with pytest.raises(ValueError, match="act_dim=0"):
        GaussianHead(4, 0)
    with pytest.raises(ValueError, match="init_log_std"):
        GaussianHead(4, 2, init_log_std=10.0)
    with pytest.raises(ValueError, match="init_log_std=-2.0 must be in \\[-1.0"):
        GaussianHead(4, 2, init_log_std=-2.0, min_log_std=-1.0)
    with pytest.raises(ValueError, match="min_log_std=-9"):
        GaussianHead(4, 2, min_log_std=-9)
    with pytest.raises(ValueError, match="in_dim"):
        ValueHead(-1)
