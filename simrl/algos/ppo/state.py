"""Checkpoint pieces of the PPO baseline as tensors and plain values (weights_only-safe, no pickles).

SB3's own `save()` zips pickles; simrl checkpoints instead hold the policy and optimizer
state_dicts plus the helpers below: VecNormalize statistics, RNG states and env continuity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from stable_baselines3.common.running_mean_std import RunningMeanStd
from stable_baselines3.common.vec_env import VecNormalize


def _rms_state(rms: RunningMeanStd) -> dict[str, Any]:
    return {
        "mean": torch.as_tensor(np.asarray(rms.mean, dtype=np.float64)),
        "var": torch.as_tensor(np.asarray(rms.var, dtype=np.float64)),
        "count": float(rms.count),
    }


def _load_rms(rms: RunningMeanStd, state: dict[str, Any]) -> None:
    rms.mean = state["mean"].numpy().astype(np.float64).reshape(np.shape(rms.mean))
    rms.var = state["var"].numpy().astype(np.float64).reshape(np.shape(rms.var))
    rms.count = float(state["count"])


def _obs_rms(venv: VecNormalize) -> RunningMeanStd:
    """VecNormalize's obs statistics. With norm_obs=False SB3 creates none; identity statistics are
    attached then (never used to normalise), so every checkpoint has them."""
    if not hasattr(venv, "obs_rms"):
        venv.obs_rms = RunningMeanStd(shape=venv.observation_space.shape)
    return venv.obs_rms


def normalizer_state(venv: VecNormalize) -> dict[str, Any]:
    """Running obs/return statistics and the per-env discounted returns of VecNormalize."""
    return {
        "obs_rms": _rms_state(_obs_rms(venv)),
        "ret_rms": _rms_state(venv.ret_rms),
        "returns": torch.as_tensor(np.asarray(venv.returns, dtype=np.float64)),
        "norm_obs": bool(venv.norm_obs),
        "norm_reward": bool(venv.norm_reward),
    }


def load_normalizer_state(venv: VecNormalize, state: dict[str, Any]) -> None:
    """Inverse of `normalizer_state`; a shape mismatch (other env) raises a one-line ValueError."""
    want = tuple(np.shape(_obs_rms(venv).mean))
    got = tuple(state["obs_rms"]["mean"].shape)
    if want != got:
        raise ValueError(f"checkpoint obs normalizer has shape {got}, this env needs {want}")
    _load_rms(_obs_rms(venv), state["obs_rms"])
    _load_rms(venv.ret_rms, state["ret_rms"])
    venv.returns = state["returns"].numpy().astype(np.float64).copy()


def rng_state() -> dict[str, Any]:
    """torch and numpy global RNG states (SB3 samples actions with torch, minibatches with numpy)."""
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {
        "torch": torch.get_rng_state(),
        "numpy": {
            "name": str(name),
            "keys": torch.as_tensor(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
    }


def load_rng_state(state: dict[str, Any]) -> None:
    """Inverse of `rng_state`."""
    torch.set_rng_state(state["torch"])
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["name"],
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["cached_gaussian"],
        )
    )
