"""Success of the scripted controllers (`simrl.sim.tasks.scripted`) through the library's evaluation.

`evaluate_scripted` plays `episodes` seeded episodes side by side (one per env row, no autoreset)
with `simrl.runs.evaluate.evaluate_policy`, and adds what a controller check needs beyond it: the
mean final distance (`info["distance"]`, m) and the episodes in which the simulation diverged (a
diverged episode is re-seeded by the env and counted as a failure). `simrl-eval policy=scripted`
runs it on every scripted task (with and without domain randomization where the task has it) or
on one, prints the table and writes eval_scripted.json.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from simrl.files import atomic_write_text

DR_ENVS = ("simrl/Push-v0", "simrl/PickPlace-v0")  # tasks with the domain_randomization option
CUBE_REWARDS = ("staged", "distance", "sparse")
REWARDS = {"simrl/Reach-v0": ("distance", "sparse"), **{e: CUBE_REWARDS for e in DR_ENVS}}


class _Watched:
    """An env that records, over its steps, which rows diverged and the last `distance`."""

    def __init__(self, env: Any) -> None:
        self.env, self.diverged, self.distance = env, np.zeros(env.num_envs, bool), None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)

    def step(self, actions: np.ndarray) -> tuple:
        out = self.env.step(actions)
        info = out[-1]
        self.diverged |= np.asarray(info.get("diverged", False), bool)
        if "distance" in info:
            self.distance = np.asarray(info["distance"], float)
        return out


def check_scripted_task(env_id: str | None, domain_randomization: bool, reward: str | None) -> None:
    """One line (UsageError) for a task without a scripted controller, domain randomization on
    a task without it, or a reward the task does not have (env_id None: every scripted task)."""
    from simrl.messages import UsageError
    from simrl.sim.tasks.scripted import POLICIES

    if env_id is not None and env_id not in POLICIES:
        raise UsageError("env.id", env_id, "has no scripted controller", list(POLICIES))
    if domain_randomization and env_id not in DR_ENVS:
        raise UsageError(
            "env.domain_randomization", "true", "needs a task with that option: env.id", DR_ENVS
        )
    rewards = REWARDS.get(env_id or "", REWARDS["simrl/Reach-v0"])  # all tasks: the common ones
    if reward is not None and reward not in rewards:
        raise UsageError("env.reward", reward, "is not a reward of the task", rewards)


def evaluate_scripted(
    env_id: str, episodes: int, seed: int, dr: bool = False, reward: str | None = None
) -> dict[str, Any]:
    """The scripted controller of `env_id` on `episodes` seeded episodes: success at the final
    step and at any step (diverged episodes fail), mean final distance, mean return (`reward`:
    the task's reward option; None: its default)."""
    from simrl.runs.evaluate import evaluate_policy, make_eval_env
    from simrl.sim import make_group_env
    from simrl.sim.config import EnvConfig
    from simrl.sim.tasks.scripted import scripted_policy

    options = {"domain_randomization": True} if dr else {}
    env_cfg = EnvConfig(id=env_id, options=options | ({"reward": reward} if reward else {}))
    env = _Watched(make_eval_env(make_group_env, env_cfg, episodes, seed))
    try:
        start = time.perf_counter()
        result = evaluate_policy(scripted_policy(env_id), env, seed)
        wall = time.perf_counter() - start
    finally:
        env.close()
    ok = ~env.diverged
    return {
        "env_id": env_id,
        "domain_randomization": dr,
        "reward": reward,
        "episodes": episodes,
        "seed": seed,
        "steps_per_episode": int(env.max_episode_steps),
        "success_final": float(np.mean(result.successes & ok)),
        "success_any_step": float(np.mean(result.reached & ok)),
        "final_distance_mean_m": None if env.distance is None else float(np.mean(env.distance)),
        "return_mean": result.return_mean,
        "diverged_episodes": int(env.diverged.sum()),
        "diverged_row_steps": int(env.diverged_count),
        "wall_s": wall,
    }


def table(results: list[dict[str, Any]]) -> str:
    """The results as a markdown table (success: fraction of episodes)."""
    from simrl.results import md_table

    head = ["env", "DR", "episodes", "success at end", "success at any step"]
    head += ["final distance (m)", "return", "diverged"]
    rows = []
    for r in results:
        d = r["final_distance_mean_m"]
        rows.append(
            [r["env_id"], "yes" if r["domain_randomization"] else "no", str(r["episodes"])]
            + [f"{r['success_final']:.3f}", f"{r['success_any_step']:.3f}"]
            + ["-" if d is None else f"{d:.4f}", f"{r['return_mean']:.2f}"]
            + [str(r["diverged_episodes"])]
        )
    return "\n".join(md_table(head, rows))


def run_scripted(
    env_id: str | None,
    dr: bool,
    episodes: int,
    seed: int,
    out: str | None,
    reward: str | None = None,
) -> dict[str, Any]:
    """Evaluate `env_id` (None: every scripted task, with and without domain randomization where
    the task has it), print the table, write `out`/eval_scripted.json when `out` is given."""
    from simrl.sim.tasks.scripted import POLICIES

    settings = [(env_id, dr)] if env_id is not None else [
        (e, d) for e in POLICIES for d in ((False, True) if e in DR_ENVS else (False,))
    ]  # fmt: skip
    results = [evaluate_scripted(e, episodes, seed, d, reward) for e, d in settings]
    text = table(results)
    print(text)
    payload = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "results": results, "table": text}
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        path = Path(out) / "eval_scripted.json"
        atomic_write_text(path, json.dumps(payload, indent=2) + "\n")
        print(f"wrote {path}")
    return payload
