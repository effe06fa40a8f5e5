"""PPOTrainer: parameter counts, FLOPs, optimizer bytes (hand-computed), smoke, checkpoints."""

import io
import warnings

import numpy as np
import pytest
import torch

from simrl.algos.base import Trainer
from simrl.algos.ppo import PPOConfig, PPOTrainer, make_trainer
from simrl.nn import core_preset
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.sim.config import EnvConfig

# Tiny rollouts: 4 envs x 64 steps = 256 samples, 4 minibatches of 64, 2 epochs.
TINY = {"n_envs": 4, "n_steps": 64, "batch_size": 64, "n_epochs": 2}
REACHER = EnvConfig("Reacher-v5")  # obs 10, act 2
CPU_CFG = ComputeConfig(device="cpu", num_threads=1)
CPU = resolve_compute(CPU_CFG)


def make(preset="small", seed=0, env=REACHER, **algo):
    cfg = PPOConfig(**{**TINY, **algo})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_trainer(env, core_preset(preset), cfg, CPU, seed=seed, total_env_steps=10_000)


def flat_params(trainer):
    return torch.nn.utils.parameters_to_vector(trainer.model.policy.parameters()).detach().clone()


# Hand counts, Reacher (obs 10, act 2), small core = Linear(10,64) + Linear(64,64):
CORE_SMALL = 10 * 64 + 64 + 64 * 64 + 64  # 4864
HEADS = (64 * 2 + 2) + 2 + (64 + 1)  # action_net + log_std + value_net = 197


def test_param_counts_small_hand_computed():
    t = make()
    assert isinstance(t, Trainer) and isinstance(t, PPOTrainer)
    # Policy Core + separate value Core of the same preset + linear heads.
    assert t.learner_stats()["params_trainable"] == 2 * CORE_SMALL + HEADS == 9925
    shared = make(shared_trunk=True)
    assert shared.learner_stats()["params_trainable"] == CORE_SMALL + HEADS == 5061
    assert shared.model.policy.share_features_extractor


def test_param_count_base_hand_computed():
    # base: Linear(10,256) + 2 x [LayerNorm(256) + 2 x Linear(256,256)] + final LayerNorm(256)
    core = (10 * 256 + 256) + 2 * (2 * 256 + 2 * (256 * 256 + 256)) + 2 * 256  # 267520
    heads = (256 * 2 + 2) + 2 + (256 + 1)
    assert make("base").learner_stats()["params_trainable"] == 2 * core + heads == 535813


def test_params_about_twice_grpo():
    grpo = pytest.importorskip("simrl.algos.grpo")
    gcfg = grpo.GRPOConfig(num_groups=2, group_size=2)
    g = grpo.make_trainer(REACHER, core_preset("small"), gcfg, CPU, total_env_steps=1000)
    g_params = g.learner_stats()["params_trainable"]
    p_params = make().learner_stats()["params_trainable"]
    # GRPO = Core + Gaussian head (130 + 2); PPO adds a second Core and the value head (65).
    assert g_params == CORE_SMALL + 130 + 2 == 4996
    assert p_params == g_params + CORE_SMALL + 65
    assert 1.9 < p_params / g_params < 2.1


def test_iterate_smoke_and_meters():
    from simrl.runs.update_meter import UpdateMeter

    t = make()
    meter = UpdateMeter("cpu")

    def metered() -> dict:
        batch = t.collect()
        return meter.run(lambda: t.update(batch), batch.samples)

    m = metered()
    for key in ("return_mean", "success_rate", "env_steps", "rollout_time_s"):
        assert key in m
    for key in ("kl", "clip_frac", "entropy", "value_loss", "peak_learner_memory_bytes"):
        assert np.isfinite(m[key]), key
    assert t.env_steps == m["env_steps"] == 256 and t.iteration == 1
    assert np.isfinite(m["return_mean"]) and m["episodes"] == 4  # one 50-step episode per env
    assert np.isnan(m["success_rate"])  # Reacher has no success signal
    metered()
    assert t.env_steps == 512 and t.iteration == 2
    s = {**t.learner_stats(), **meter.stats()}
    # Per sample and pass, fwd + bwd (weight grads, plus input grads except for the first layer):
    fwd = 2 * (2 * (10 * 64 + 64 * 64) + 64 * 2 + 64)  # 19328
    bwd = fwd + 2 * (2 * 64 * 64 + 64 * 2 + 64)  # 19328 + 16768
    assert s["learner_flops_per_sample"] == fwd + bwd == 55424
    assert s["learner_flops_per_update"] == 55424 * 2 * 256  # epochs x samples
    assert s["learner_flops_per_collected_sample"] == 55424 * 2
    # Adam: two fp32 moments per parameter + a 4-byte step per parameter tensor (13 tensors).
    assert s["optimizer_state_bytes"] == 8 * 9925 + 4 * 13
    # The metered update allocates at least grads + Adam moments (3 x 4 bytes per parameter).
    assert s["peak_learner_memory_bytes"] >= 12 * 9925
    assert s["precision_requested"] == "auto" and s["precision_effective"] == "fp32"


def test_act_deterministic_in_bounds():
    t = make(env=EnvConfig("Pusher-v5"))
    obs = np.random.default_rng(0).normal(size=(5, 23))
    a1, a2 = t.act(obs), t.act(obs)
    assert a1.shape == (5, 7) and np.array_equal(a1, a2)
    noisy = t.act(obs * 100, deterministic=False)
    assert noisy.min() >= -2.0 and noisy.max() <= 2.0  # Pusher bounds


def test_same_seed_same_run():
    a = make(seed=3)
    a.iterate()
    pa = flat_params(a)
    b = make(seed=3)
    b.iterate()
    assert torch.equal(pa, flat_params(b))
    c = make(seed=4)
    c.iterate()
    assert not torch.equal(pa, flat_params(c))


def test_state_dict_round_trip_continues_exactly():
    t = make(seed=1)
    t.iterate()
    buf = io.BytesIO()
    torch.save(t.state_dict(), buf)  # no SB3 zip, no pickled objects
    t.iterate()
    t.iterate()  # an episode boundary (50 steps) falls inside these rollouts
    want = flat_params(t)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    r = make(seed=99)  # another seed: everything must come from the state
    r.load_state_dict(state)
    assert r.iteration == 1 and r.env_steps == 256
    r.iterate()
    r.iterate()
    assert torch.equal(want, flat_params(r))
    assert r.env_steps == t.env_steps == 768
    # obs normalizer statistics travel with the checkpoint
    assert np.array_equal(r.venv.obs_rms.mean, t.venv.obs_rms.mean)


def test_load_rejects_foreign_or_mismatched_state():
    t = make()
    with pytest.raises(ValueError, match="not a PPO trainer state"):
        t.load_state_dict({"version": 1})
    other = make("base").state_dict()
    with pytest.raises(ValueError, match="PPO checkpoint does not match this model/env"):
        t.load_state_dict(other)


@pytest.mark.slow
def test_run_loop_resume_matches_uninterrupted(tmp_path):
    # Through simrl.runs: 4 iterations in one go == 2 iterations, stop, resume for 2 more (CPU).
    from dataclasses import replace

    from simrl.runs import TrainSpec, run_training
    from simrl.runs.config import RunConfig

    algo = PPOConfig(**TINY)
    run = RunConfig(
        seed=0, total_env_steps=1024, eval_every=0, eval_episodes=2, checkpoint_every=2,
        progress=False, tensorboard=False,
    )  # fmt: skip
    model = core_preset("small")
    spec = TrainSpec("ppo", REACHER, model, algo, run, CPU_CFG)
    run_training(spec, tmp_path / "a")
    run_training(replace(spec, run=replace(run, total_env_steps=512)), tmp_path / "b")
    resumed = replace(run, resume=str(tmp_path / "b"))
    summary = run_training(replace(spec, run=resumed), tmp_path / "b")
    assert summary["env_steps"] == 1024 and summary["resumed_from"]
    a = torch.load(tmp_path / "a/checkpoints/last.pt", weights_only=True)["trainer"]["policy"]
    b = torch.load(tmp_path / "b/checkpoints/last.pt", weights_only=True)["trainer"]["policy"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
