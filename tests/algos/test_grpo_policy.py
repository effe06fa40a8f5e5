"""GRPO policy: squashed log-probs against torch.distributions, normaliser against numpy."""

import numpy as np
import pytest
import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import AffineTransform, TanhTransform

from simrl.algos.grpo.policy import GaussianPolicy, RunningNorm, tanh_log_det
from simrl.nn import core_preset

LOW = np.array([-2.0, -1.0, 0.0])
HIGH = np.array([2.0, 1.0, 4.0])


def make(squash="tanh", **kw):
    torch.manual_seed(0)
    return GaussianPolicy(5, LOW, HIGH, core_preset("small"), squash=squash, **kw)


def test_tanh_log_prob_matches_transformed_distribution():
    pol = make("tanh")
    torch.manual_seed(1)
    mean, log_std = torch.randn(64, 3), torch.randn(64, 3) * 0.3 - 0.5
    u = mean + log_std.exp() * torch.randn(64, 3)
    ref = TransformedDistribution(
        Normal(mean.double(), log_std.exp().double()),
        [TanhTransform(), AffineTransform(pol.act_center.double(), pol.act_half.double())],
    )
    action = pol.to_action(u.double())
    expected = ref.log_prob(action).sum(-1)
    torch.testing.assert_close(pol.log_prob(u.double(), mean.double(), log_std.double()), expected)


def test_tanh_log_det_stable_for_large_inputs():
    u = torch.tensor([-40.0, -20.0, 0.0, 20.0, 40.0])
    out = tanh_log_det(u)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[2], torch.tensor(0.0))
    # log(1 - tanh(u)^2) = log(4) - 2|u| - 2 log(1 + e^{-2|u|}) ~ log 4 - 2|u| for large |u|
    torch.testing.assert_close(out[[0, 4]], torch.log(torch.tensor(4.0)) - 80.0 + torch.zeros(2))


def test_clip_squash_uses_unclipped_gaussian_log_prob():
    pol = make("clip")
    mean, log_std = torch.zeros(4, 3), torch.full((4, 3), -0.5)
    u = torch.tensor([[3.0, -3.0, 0.1]] * 4)
    expected = Normal(mean, log_std.exp()).log_prob(u).sum(-1)
    torch.testing.assert_close(pol.log_prob(u, mean, log_std), expected)
    torch.testing.assert_close(pol.to_action(u)[0], torch.tensor([2.0, -1.0, 2.2]))


@pytest.mark.parametrize("squash", ["tanh", "clip"])
def test_actions_inside_bounds(squash):
    pol = make(squash)
    a = pol.to_action(torch.randn(1000, 3) * 10).numpy()
    assert (a >= LOW - 1e-6).all() and (a <= HIGH + 1e-6).all()


def test_running_norm_matches_numpy_and_is_in_state_dict():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3.0, 2.0, size=(n, 4)) for n in (1, 7, 50)]
    norm = RunningNorm(4, clip=5.0)
    x0 = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    torch.testing.assert_close(norm(x0), x0.float())  # identity before any data
    for b in batches:
        norm.update(torch.as_tensor(b))
    allx = np.concatenate(batches)
    np.testing.assert_allclose(norm.mean.numpy(), allx.mean(0), rtol=1e-12)
    np.testing.assert_allclose(norm.var.numpy(), allx.var(0), rtol=1e-10)
    out = norm(torch.as_tensor(allx)).numpy()
    np.testing.assert_allclose(
        out, np.clip((allx - allx.mean(0)) / np.sqrt(allx.var(0) + 1e-8), -5, 5), rtol=1e-5
    )
    sd = norm.state_dict()
    assert set(sd) == {"mean", "m2", "count"} and sd["mean"].dtype == torch.float64
    fresh = RunningNorm(4, clip=5.0)
    fresh.load_state_dict(sd)
    torch.testing.assert_close(fresh(x0), norm(x0))


def test_policy_state_dict_holds_normaliser():
    pol = make()
    assert "normalizer.mean" in pol.state_dict()
    assert "normalizer.mean" not in make(obs_norm=False).state_dict()


def test_unbounded_actions_rejected():
    with pytest.raises(ValueError, match="must be finite"):
        GaussianPolicy(5, np.array([-np.inf]), np.array([np.inf]), core_preset("small"))


def test_squashed_entropy_is_the_mean_negative_log_prob_of_the_squashed_policy():
    # Reference: the entropy of the squashed policy in action space is E[-log pi(a)], with log pi
    # from torch's TransformedDistribution (checked above); averaged over many samples u.
    pol = make("tanh")
    torch.manual_seed(2)
    mean = torch.tensor([0.3, -1.0, 0.0], dtype=torch.float64).expand(200_000, 3)
    log_std = torch.tensor([-0.5, 0.2, 1.0], dtype=torch.float64).expand(200_000, 3)
    u = mean + log_std.exp() * torch.randn(200_000, 3, dtype=torch.float64)
    ent = pol.squashed_entropy(u, mean, log_std).mean()
    expected = -pol.log_prob(u, mean, log_std).mean()
    torch.testing.assert_close(ent, expected, rtol=0.0, atol=0.02)  # MC error ~0.005
    # tanh contracts, so it is below the Gaussian's entropy carried through the affine map alone
    assert ent < GaussianPolicy.entropy(log_std[:1]).item() + pol.act_half.log().sum().item() - 0.5


def test_squashed_entropy_stops_rewarding_a_saturating_std():
    # The Gaussian bonus's gradient raises log_std at any std (d/dlog_std = 1 per dim); the squashed
    # one turns negative once samples sit in tanh's flat tails (std e^1.5 around mean 0).
    pol = make("tanh")
    torch.manual_seed(3)
    eps = torch.randn(100_000, 3)
    grads = []
    for s in (-1.0, 1.5):
        log_std = torch.full((1, 3), s, requires_grad=True)
        mean = torch.zeros(1, 3)
        u = (mean + log_std.exp() * eps).detach()
        pol.squashed_entropy(u, mean, log_std).mean().backward()
        grads.append(log_std.grad.sum().item())
    assert grads[0] > 0 > grads[1]


def test_squashed_entropy_refused_for_clip():
    from simrl.algos.grpo.config import GRPOConfig

    with pytest.raises(ValueError, match="entropy.*squash='tanh'"):
        GRPOConfig(entropy="squashed", squash="clip")
    with pytest.raises(ValueError, match="entropy"):
        GRPOConfig(entropy="shannon")
