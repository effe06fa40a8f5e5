"""Critic-free GRPO for continuous control from exact-state groups.

    from simrl.algos.grpo import GRPOConfig, make_trainer
    from simrl.nn import core_preset
    from simrl.nn.compute import ComputeConfig, resolve_compute
    from simrl.sim.config import EnvConfig

    model = core_preset("small")
    trainer = make_trainer(EnvConfig(id="Reacher-v5"), model, GRPOConfig(),
                           resolve_compute(ComputeConfig(), model.width),
                           seed=0, total_env_steps=200_000)
    while trainer.env_steps < 200_000:
        metrics = trainer.iterate()          # return_mean, kl, clip_frac, zero_var_frac, ...
    actions = trainer.act(obs)               # deterministic (mean) actions for raw observations

Modules: config (GRPOConfig), advantages (outcome/process/rtg/rloo/vine), loss (clipped surrogate,
k3 KL, aggregation weights), policy (normaliser + Core + GaussianHead + squash), rollout (group
rollouts, vine Monte Carlo values), learner (epochs/minibatches, NaN guard), actor (the policy
acting on raw observations), trainer (collect + update).
"""

from simrl.algos.grpo.actor import make_actor
from simrl.algos.grpo.config import GRPOConfig, auto_lr
from simrl.algos.grpo.trainer import GRPOTrainer, make_trainer

__all__ = ["GRPOConfig", "GRPOTrainer", "auto_lr", "make_actor", "make_trainer"]
