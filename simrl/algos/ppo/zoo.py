"""The RL Zoo's tuned PPO settings, read from the installed `rl-zoo3` package, as PPOConfig fields.

`PPOConfig.zoo` = "auto" takes the entry of the run's env from rl-zoo3's `hyperparams/ppo.yml`
(read with importlib, never copied into simrl); another value names the entry itself. The zoo's
file names Gymnasium's MuJoCo envs by their -v4 ids; a -v5 id (the version simrl's generic path
runs) uses the -v4 entry, the same robots with cleaned-up details.

What maps onto simrl's PPO (`zoo_fields`): n_envs, n_steps, batch_size, n_epochs, gamma,
gae_lambda, learning_rate (a ``lin_X`` schedule: X decayed linearly to 0), ent_coef, vf_coef,
clip_range, max_grad_norm, target_kl, normalize_advantage, normalize (VecNormalize of
observations and rewards, with the algorithm's gamma as the zoo does) and policy_kwargs'
log_std_init and ortho_init. What does not (`unmapped`): the policy network (net_arch,
activation_fn: simrl's PPO runs on the run's Core, the same network GRPO gets), n_timesteps (the
run's budget rules), a ``lin_`` clip range (used as a constant), and any key simrl's PPO lacks.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path
from typing import Any

from simrl.messages import nearest

ZOO_PACKAGE = "rl_zoo3"
ZOO_FILE = ("hyperparams", "ppo.yml")
INSTALL = "pip install 'simrl[zoo]' (rl-zoo3)"
SAME_NAME = (
    "n_envs",
    "n_steps",
    "batch_size",
    "n_epochs",
    "gamma",
    "gae_lambda",
    "ent_coef",
    "vf_coef",
    "max_grad_norm",
    "target_kl",
    "normalize_advantage",
)
IGNORED = ("policy", "n_timesteps")  # the run's Core and budget
# What the zoo runs for a key its entry leaves out: SB3 PPO's own defaults, on the zoo's 1 env
SB3_DEFAULTS: dict[str, Any] = {
    "n_envs": 1,
    "n_steps": 2048,
    "batch_size": 64,
    "n_epochs": 10,
    "learning_rate": 3e-4,
    "lr_schedule": "constant",
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "clip_range": 0.2,
    "ent_coef": 0.0,
    "vf_coef": 0.5,
    "max_grad_norm": 0.5,
    "target_kl": None,
    "normalize_advantage": True,
    "log_std_init": 0.0,
    "ortho_init": True,
    "normalize_obs": False,  # no `normalize` key: the zoo runs without VecNormalize
    "normalize_reward": False,
}


def zoo_file() -> Path:
    """Path of the installed rl-zoo3's hyperparams/ppo.yml (found without importing rl_zoo3);
    a one-line ValueError when the package is missing."""
    spec = importlib.util.find_spec(ZOO_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"needs the rl-zoo3 package: {INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*ZOO_FILE)
    if not path.is_file():
        raise ValueError(f"the installed rl-zoo3 has no {'/'.join(ZOO_FILE)}")
    return path


def zoo_entries() -> dict[str, dict[str, Any]]:
    """All entries of the installed rl-zoo3's ppo.yml: env name -> hyperparameters."""
    import yaml

    return yaml.safe_load(zoo_file().read_text()) or {}


def zoo_env_name(env_id: str) -> str:
    """The zoo's name for `env_id`: a Gymnasium MuJoCo -v5 id maps to its -v4 entry."""
    return re.sub(r"-v5$", "-v4", env_id)


def zoo_entry(zoo: str, env_id: str) -> tuple[str, dict[str, Any]]:
    """(entry name, hyperparameters) for `PPOConfig.zoo` (auto: the env's) on `env_id`."""
    name = zoo_env_name(env_id) if zoo == "auto" else zoo
    entries = zoo_entries()
    if name not in entries:
        near = ", ".join(nearest(name, list(entries)))
        raise ValueError(f"rl-zoo3's ppo.yml has no entry {name!r}; nearest: {near}")
    return name, dict(entries[name])


def _call_kwargs(text: str) -> dict[str, ast.expr]:
    """Keyword arguments of a ``dict(...)`` expression as the zoo writes them (unevaluated)."""
    tree = ast.parse(text.strip(), mode="eval").body
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and not tree.args):
        raise ValueError(f"cannot read {text!r} (expected dict(key=value, ...))")
    return {kw.arg: kw.value for kw in tree.keywords if kw.arg is not None}


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        return ast.unparse(node)


def zoo_fields(entry: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(PPOConfig fields, the entry's settings that do not map) for one zoo entry; the fields
    it leaves out are SB3's defaults (`SB3_DEFAULTS`), as when the zoo runs it."""
    fields: dict[str, Any] = dict(SB3_DEFAULTS)
    unmapped: dict[str, Any] = {}
    for key, value in entry.items():
        if key in SAME_NAME:
            fields[key] = value
        elif key in ("learning_rate", "clip_range"):
            schedule = isinstance(value, str) and value.startswith("lin_")
            number = float(value[4:]) if schedule else float(value)
            if key == "learning_rate":
                fields["learning_rate"] = number
                fields["lr_schedule"] = "linear" if schedule else "constant"
            else:
                fields["clip_range"] = number
                if schedule:
                    unmapped["clip_range"] = f"{value} (used as the constant {number})"
        elif key == "normalize":
            obs, reward = value, value
            if isinstance(value, str):
                kwargs = {k: _literal(v) for k, v in _call_kwargs(value).items()}
                obs, reward = kwargs.get("norm_obs", True), kwargs.get("norm_reward", True)
            fields["normalize_obs"], fields["normalize_reward"] = bool(obs), bool(reward)
        elif key == "policy_kwargs":
            raw = _call_kwargs(value) if isinstance(value, str) else {}
            for name, node in raw.items():
                if name in ("log_std_init", "ortho_init"):
                    fields[name] = _literal(node)
                else:
                    unmapped[f"policy_kwargs.{name}"] = _literal(node)
        elif key in IGNORED:
            unmapped[key] = value
        else:
            unmapped[key] = value
    return fields, unmapped
