"""simrl: critic-free GRPO on exact-state batched MuJoCo simulations, benchmarked against SB3 PPO."""

__version__ = "0.1.0"
