"""GRPO loss: surrogate gradient at ratio 1, clipping, k3 KL, aggregation weights, zero-var groups."""

import pytest
import torch

from simrl.algos.grpo.loss import (
    clipped_surrogate,
    grpo_loss,
    kl_k3,
    loss_weights,
    step_weights,
)


def test_ratio_one_gradient_is_plain_policy_gradient():
    # logp = theta . x per step; reference: d/dtheta of -sum(w * A * logp)
    torch.manual_seed(0)
    x = torch.randn(6, 3)
    adv = torch.randn(6)
    w = torch.full((6,), 1 / 6)
    theta = torch.randn(3, requires_grad=True)
    logp = x @ theta
    loss, stats = grpo_loss(logp, logp.detach(), adv, w, 0.2, 0.28)
    (g,) = torch.autograd.grad(loss, theta)
    theta2 = theta.detach().clone().requires_grad_(True)
    (g_ref,) = torch.autograd.grad(-(w * adv * (x @ theta2)).sum(), theta2)
    torch.testing.assert_close(g, g_ref)
    assert stats["clip_frac"] == 0 and abs(float(stats["approx_kl"])) < 1e-12


def test_clipping_cuts_gradient_where_it_should():
    lo, hi = 0.2, 0.28
    # ratios: 1.5 (>1+hi), 0.5 (<1-lo), 1.1 (inside); each with A>0 and A<0
    ratio = torch.tensor([1.5, 0.5, 1.1, 1.5, 0.5, 1.1])
    adv = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])
    old = torch.zeros(6)
    logp = torch.log(ratio).requires_grad_(True)
    obj, _, was_clipped = clipped_surrogate(logp, old, adv, lo, hi)
    (g,) = torch.autograd.grad(obj.sum(), logp)
    # d(rho A)/dlogp = rho A where unclipped; 0 where the clipped branch is the min
    expected = torch.tensor([0.0, 0.5, 1.1, -1.5, 0.0, -1.1])
    torch.testing.assert_close(g, expected)
    assert was_clipped.tolist() == [True, False, False, False, True, False]
    torch.testing.assert_close(obj.detach()[[0, 4]], torch.tensor([1.28, -0.8]))


def test_kl_k3_nonnegative_and_zero_at_equality():
    torch.manual_seed(1)
    logp = torch.randn(1000) * 3
    ref = torch.randn(1000) * 3
    assert (kl_k3(logp, ref) >= 0).all()
    assert torch.equal(kl_k3(logp, logp), torch.zeros(1000))
    # k3 = r - log r - 1 with r = pi_ref / pi: r = e -> e - 2
    torch.testing.assert_close(
        kl_k3(torch.tensor(0.0), torch.tensor(1.0)), torch.tensor(torch.e - 2)
    )


def test_kl_term_gradient_pulls_toward_reference():
    logp = torch.tensor([0.0], requires_grad=True)
    loss, stats = grpo_loss(
        logp,
        logp.detach(),
        torch.zeros(1),
        torch.ones(1),
        0.2,
        0.2,
        ref_logp=torch.tensor([0.5]),
        beta=1.0,
    )
    (g,) = torch.autograd.grad(loss, logp)
    assert g.item() < 0  # minimising raises logp toward ref_logp
    assert stats["kl_ref"] > 0


MASK = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]], dtype=torch.bool)


def test_step_weights():
    tok = step_weights(MASK, "token")
    torch.testing.assert_close(tok, MASK.float() / 14)
    seq = step_weights(MASK, "sequence")
    torch.testing.assert_close(seq[1], torch.tensor([1 / 8, 1 / 8, 0, 0], dtype=torch.float32))
    torch.testing.assert_close(seq[0], torch.full((4,), 1 / 16, dtype=torch.float32))
    const = step_weights(MASK, "constant")
    torch.testing.assert_close(const, MASK.float() / 16)
    for w in (tok, seq):
        assert abs(float(w.sum()) - 1) < 1e-6
    with pytest.raises(ValueError, match="loss_agg='mean'"):
        step_weights(MASK, "mean")


def test_zero_variance_groups_get_no_kl_only_gradient():
    zero_var = torch.tensor([False, True])  # group 1 = rows 2, 3
    w, kl_w = loss_weights(MASK, zero_var, 2, "token")
    assert (w[2:] > 0).all() and (kl_w[2:] == 0).all() and torch.equal(kl_w[:2], w[:2])
    # with advantage 0 and no KL weight, those steps get exactly zero gradient even with beta > 0
    logp = torch.zeros(8, requires_grad=True)
    adv = torch.tensor([1.0, -1, 1, -1, 0, 0, 0, 0])
    wf, klf = w[:, :2].reshape(-1).float(), kl_w[:, :2].reshape(-1).float()
    loss, _ = grpo_loss(
        logp,
        logp.detach(),
        adv,
        wf,
        0.2,
        0.2,
        ref_logp=torch.full((8,), 0.3),
        beta=0.5,
        kl_weight=klf,
    )
    (g,) = torch.autograd.grad(loss, logp)
    assert (g[4:] == 0).all() and (g[:4] != 0).all()
    # asked for: the KL reaches them
    _, kl_w2 = loss_weights(MASK, zero_var, 2, "token", kl_on_zero_var=True)
    assert torch.equal(kl_w2, w)
    # dropped (DAPO dynamic sampling): no weight at all, the rest renormalised
    w3, _ = loss_weights(MASK, zero_var, 2, "token", drop_zero_var=True)
    assert (w3[2:] == 0).all() and abs(float(w3.sum()) - 1) < 1e-12
