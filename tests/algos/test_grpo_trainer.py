"""GRPOTrainer on Reacher-v5: protocol, exact resume, NaN guard, vine branching, config errors."""

import io
import math

import numpy as np
import pytest
import torch

from simrl.algos.base import Trainer
from simrl.algos.grpo import GRPOConfig, auto_lr, make_trainer
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.runs.update_meter import UpdateMeter
from simrl.sim.config import EnvConfig

ENV = EnvConfig(id="Reacher-v5")
CPU = resolve_compute(ComputeConfig(device="cpu", num_threads=1))


def tiny(**kw):
    base = dict(num_groups=4, group_size=4, minibatch_size=256, epochs=2)
    base.update(kw)
    return GRPOConfig(**base)


def trainer(cfg=None, seed=0):
    return make_trainer(
        ENV, core_preset("small"), cfg or tiny(), CPU, seed=seed, total_env_steps=10_000
    )


def metered(tr, meter: UpdateMeter) -> dict:
    """One iteration with the update metered from outside, as the run loop does."""
    batch = tr.collect()
    return meter.run(lambda: tr.update(batch), batch.samples)


def params(tr):
    return torch.cat([p.detach().reshape(-1) for p in tr.policy.parameters()])


def test_protocol_and_metrics():
    tr = trainer()
    assert isinstance(tr, Trainer)
    meter = UpdateMeter(CPU.device)
    m = metered(tr, meter)
    for key in (
        "return_mean",
        "success_rate",
        "env_steps",
        "rollout_time_s",
        "kl",
        "clip_frac",
        "entropy",
        "grad_norm",
        "zero_var_frac",
        "group_return_std",
        "nonfinite_updates",
        "nonfinite_consecutive",
        "peak_learner_memory_bytes",
    ):
        assert key in m, key
    assert tr.env_steps == 16 * 50 == m["env_steps"] and tr.iteration == 1
    assert math.isnan(m["success_rate"]) and m["zero_var_frac"] == 0.0
    a = tr.act(np.zeros((3, 10)))
    assert a.shape == (3, 2) and np.all(np.abs(a) <= 1)
    metered(tr, meter)  # the FLOP counter meters the second update (the first is memory's)
    stats = {**tr.learner_stats(), **meter.stats()}
    assert stats["params_trainable"] == sum(p.numel() for p in tr.policy.parameters())
    assert stats["optimizer_state_bytes"] > 0 and stats["peak_learner_memory_bytes"] > 0
    # 2x64 tanh MLP on 10 inputs + 2-dim mean head: fwd 2*(10*64 + 64*64 + 64*2) per sample, bwd ~2x
    assert 3 * 2 * (640 + 4096 + 128) * 0.9 < stats["learner_flops_per_sample"] < 3 * 2 * 4864 * 1.1
    assert stats["precision_effective"] == "fp32"


# full episodes; episodes continued across iterations; full episodes with pink exploration noise
@pytest.mark.parametrize(("horizon", "noise_beta"), [(0, 0.0), (20, 0.0), (0, 1.0)])
def test_resume_continues_the_same_run(horizon, noise_beta):
    cfg = tiny(horizon=horizon, noise_beta=noise_beta)
    straight = trainer(cfg)
    for _ in range(4):
        straight.iterate()
    first = trainer(cfg)
    for _ in range(2):
        first.iterate()
    buf = io.BytesIO()
    torch.save(first.state_dict(), buf)
    buf.seek(0)
    resumed = trainer(cfg)
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    for _ in range(2):
        resumed.iterate()
    assert torch.equal(params(straight), params(resumed))
    assert resumed.env_steps == straight.env_steps and resumed.iteration == 4
    torch.testing.assert_close(
        straight.policy.normalizer.mean, resumed.policy.normalizer.mean, atol=0, rtol=0
    )


def test_continuing_episodes_regroup_from_one_running_row():
    tr = trainer(tiny(horizon=20))
    m = tr.iterate()
    assert m["env_steps"] == 16 * 20 and m["episode_length"] == 20
    tr.iterate()
    # after the second rollout every row is 40 steps into an episode that started at a reset
    assert (tr.env.elapsed_steps == 40).all()
    tr.iterate()  # rows reach the 50-step limit after 10 steps: masked, then groups reset
    assert tr.env_steps == 16 * 50 and tr._ended.all()
    obs = tr._start_obs()
    assert (tr.env.elapsed_steps == 0).all()
    g = obs.reshape(4, 4, -1)
    assert (g == g[:, :1]).all()  # each group is one exact state


def test_same_seed_same_run_and_other_seed_differs():
    a, b, c = trainer(), trainer(), trainer(seed=1)
    for t in (a, b, c):
        t.iterate()
    assert torch.equal(params(a), params(b))
    assert not torch.equal(params(a), params(c))


def test_nonfinite_update_is_skipped_and_counted(monkeypatch):
    tr = trainer()
    tr.iterate()
    before = params(tr).clone()
    real_loss = tr.learner._loss

    def nan_loss(*args, **kwargs):
        loss, stats = real_loss(*args, **kwargs)
        return loss * float("nan"), stats

    monkeypatch.setattr(tr.learner, "_loss", nan_loss)
    m1 = tr.iterate()
    m2 = tr.iterate()
    assert torch.equal(params(tr), before)
    assert m1["update_skipped"] == 1 and m2["nonfinite_consecutive"] == 2
    assert m2["nonfinite_updates"] == 2
    monkeypatch.setattr(tr.learner, "_loss", real_loss)
    m3 = tr.iterate()
    assert m3["nonfinite_consecutive"] == 0 and m3["nonfinite_updates"] == 2


def test_vine_branches_and_counts_its_steps():
    cfg = tiny(num_groups=2, group_size=2, advantage="vine", vine_every=25, vine_samples=3)
    tr = trainer(cfg)
    m = tr.iterate()
    # one branch point (t=25) for each of the 4 rows, 3 continuations of 25 steps each
    assert m["vine_env_steps"] == 4 * 3 * 25
    assert tr.env_steps == 4 * 50 + 4 * 3 * 25
    assert math.isfinite(m["loss"])


@pytest.mark.parametrize("kind", ["outcome", "process", "rloo"])
def test_other_estimators_run(kind):
    m = trainer(tiny(advantage=kind, loss_agg="sequence", beta=0.04, ref_update_every=1)).iterate()
    assert math.isfinite(m["loss"]) and math.isfinite(m["kl"])


def test_kl_reference_and_target_kl_early_stop():
    tr = trainer(tiny(beta=0.1, target_kl=1e-9, epochs=4))
    m = tr.iterate()
    assert m["kl"] >= 0 and m["epochs_done"] == 0.0  # stopped after the first minibatch


def test_load_state_rejects_mismatch():
    tr = trainer()
    with pytest.raises(ValueError, match="not a GRPO trainer state"):
        tr.load_state_dict({"foo": 1})
    other = make_trainer(ENV, core_preset("small", width=32), tiny(), CPU)
    with pytest.raises(ValueError, match="does not match"):
        tr.load_state_dict(other.state_dict())


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("advantage", "gae", "GRPOConfig.advantage='gae' is not one of"),
        ("scale", "max", "GRPOConfig.scale='max'"),
        ("loss_agg", "sum", "GRPOConfig.loss_agg='sum'"),
        ("squash", "sigmoid", "GRPOConfig.squash='sigmoid'"),
        ("group_size", 1, r"group_size=1 must be an integer in \[2, 65536\]"),
        ("epochs", 0, "GRPOConfig.epochs=0"),
        ("gamma", 1.5, "GRPOConfig.gamma=1.5"),
        ("lr", -1.0, r"GRPOConfig.lr=-1.0 must be a number in \(0, 10\], or 0 for auto"),
        ("min_log_std", -6.0, r"GRPOConfig.min_log_std=-6.0 must be a number in \[-5.0, 2.0\]"),
        ("min_log_std", 0.0, r"GRPOConfig.init_log_std=-1.0 is below min_log_std=0.0"),
    ],
)
def test_config_errors_are_one_line(field, value, match):
    with pytest.raises(ValueError, match=match) as err:
        GRPOConfig(**{field: value})
    assert "\n" not in str(err.value)


def test_min_log_std_is_the_floor_of_rollouts_and_updates():
    """With the floor at the initial log std, updates that lower the parameter (lr 0.05) leave the
    std the rollouts draw with and the metric at the floor: e^-1 exactly."""
    tr = trainer(tiny(init_log_std=-1.0, min_log_std=-1.0, lr=0.05))
    for _ in range(3):
        m = tr.update(tr.collect())
    assert float(tr.policy.head.log_std.detach().min()) < -1.0  # the parameter went below the floor
    assert m["log_std_mean"] == pytest.approx(-1.0)
    _, log_std = tr.policy(torch.zeros(1, tr.policy.core.in_dim))
    assert torch.all(log_std == -1.0)


def test_mc_values_match_a_near_deterministic_continuation():
    # policy std e^-5: the K=2 continuations from each snapshot are almost the mean-action rollout
    from simrl.algos.grpo.rollout import mc_values
    from simrl.sim import make_group_env

    tr = trainer(tiny(num_groups=2, group_size=2, init_log_std=-5.0))
    env = make_group_env(
        "Reacher-v5", num_groups=2, group_size=2, seed=3, autoreset_mode="disabled"
    )
    vine = make_group_env(
        "Reacher-v5", num_groups=4, group_size=2, seed=4, autoreset_mode="disabled"
    )
    obs, _ = env.reset(seed=3)
    for _ in range(40):
        obs, *_ = env.step(tr.act(obs))
    snap = env.get_state(np.repeat(np.arange(4), 2))
    values, steps = mc_values(
        vine, tr.policy, snap, 4, 2, 0.9, 100, torch.Generator().manual_seed(0)
    )
    expected = np.zeros(4)
    for k in range(10):  # the same 10 remaining steps with the mean action
        obs, reward, _, trunc, _ = env.step(tr.act(obs))
        expected += 0.9**k * reward
    assert trunc.all() and steps == 4 * 2 * 10
    np.testing.assert_allclose(values.numpy(), expected, atol=2e-2)


def test_all_groups_dropped_skips_update_without_nan_alarm(monkeypatch):
    import simrl.algos.grpo.trainer as trainer_mod

    def all_zero(kind, rewards, mask, group_size, **kw):
        return torch.zeros_like(rewards), torch.ones(rewards.shape[0] // group_size, dtype=bool)

    monkeypatch.setattr(trainer_mod, "compute_advantages", all_zero)
    tr = trainer(tiny(drop_zero_var=True))
    before = params(tr).clone()
    m = tr.iterate()
    assert m["zero_var_frac"] == 1.0 and m["update_skipped"] == 1.0 and m["loss"] == 0.0
    assert m["nonfinite_updates"] == 0 and torch.equal(params(tr), before)


def test_auto_lr_scales_with_core_width_and_explicit_lr_is_kept():
    # lr=0 (the default) -> 3e-3 up to width 64, x 64/width above (hand-computed)
    assert auto_lr(64) == 3e-3 and auto_lr(32) == 3e-3
    assert auto_lr(256) == pytest.approx(7.5e-4) and auto_lr(1024) == pytest.approx(1.875e-4)
    base = make_trainer(ENV, core_preset("base"), tiny(), CPU, seed=0, total_env_steps=10_000)
    assert base.base_lr == pytest.approx(7.5e-4)
    assert base.learner_stats()["lr_base"] == pytest.approx(7.5e-4)
    m = base.iterate()  # linear decay: lr = base x (1 - env_steps / total)
    assert m["lr"] == pytest.approx(7.5e-4 * (1 - 800 / 10_000))  # 4 x 4 rows x 50 steps
    assert trainer(tiny(lr=1e-3)).base_lr == 1e-3
    assert trainer().base_lr == 3e-3


def test_cpu_memory_meter_runs_once_for_a_fixed_batch():
    """The slow CPU meter runs on the second update (the first builds one-time internals) and
    again only for a larger batch."""
    tr = trainer()
    meter = UpdateMeter(CPU.device)
    flags = [metered(tr, meter)["memory_metered"] for _ in range(3)]
    assert flags == [0.0, 1.0, 0.0]
    assert meter.stats()["peak_learner_memory_bytes"] > 0


def test_linear_entropy_schedule_scales_the_bonus_by_the_budget_left(monkeypatch):
    """ent_schedule=linear: the coefficient the loss gets is ent_coef x (1 - env_steps / budget),
    the lr schedule's factor, taken after each iteration's rollout (hand values: 4 x 4 rows x 50
    steps = 800 steps per iteration of a 10,000-step budget, so 0.01 x 0.92, then 0.01 x 0.84);
    constant keeps 0.01."""
    seen = []
    import simrl.algos.grpo.learner as learner_mod

    real = learner_mod.grpo_loss

    def spy(*args, **kw):
        seen.append(kw["ent_coef"])
        return real(*args, **kw)

    monkeypatch.setattr(learner_mod, "grpo_loss", spy)
    lin = trainer(tiny(ent_coef=0.01, ent_schedule="linear"))
    first, second = lin.iterate(), lin.iterate()
    assert first["ent_coef"] == pytest.approx(0.01 * (1 - 800 / 10_000))
    assert second["ent_coef"] == pytest.approx(0.01 * (1 - 1600 / 10_000))
    assert seen[-1] == pytest.approx(second["ent_coef"])
    seen.clear()
    assert trainer(tiny(ent_coef=0.01)).iterate()["ent_coef"] == 0.01
    assert set(seen) == {0.01}
