"""Critic-free GRPO for continuous control from exact-state groups (see trainer.py for the loop)."""

from simrl.algos.grpo.config import GRPOConfig
from simrl.algos.grpo.trainer import GRPOTrainer, make_trainer

__all__ = ["GRPOConfig", "GRPOTrainer", "make_trainer"]
