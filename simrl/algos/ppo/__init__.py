"""Stable-Baselines3 PPO baseline on simrl's batched envs and network core."""

from simrl.algos.ppo.config import PRESETS, PPOConfig, ppo_preset
from simrl.algos.ppo.trainer import PPOTrainer, make_actor, make_trainer

__all__ = ["PRESETS", "PPOConfig", "PPOTrainer", "make_actor", "make_trainer", "ppo_preset"]
