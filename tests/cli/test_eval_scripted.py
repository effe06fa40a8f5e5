"""`simrl-eval policy=scripted`: the scripted controllers through the library's evaluation.

Reference: the loop the earlier benchmark script ran (every row stepped for the task's
`max_episode_steps`, success = `is_success` at the last step, return = summed rewards), on the
same env and seed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simrl.bench.scripted import evaluate_scripted
from simrl.sim import make_group_env
from simrl.sim.tasks.scripted import scripted_policy

from .conftest import run_cli


def reference(env_id: str, episodes: int, seed: int, **options) -> dict:
    env = make_group_env(
        env_id, num_groups=episodes, group_size=1, seed=seed, autoreset_mode="disabled", **options
    )
    obs, _ = env.reset(seed=seed)
    ret, ever = np.zeros(episodes), np.zeros(episodes, bool)
    for _ in range(env.max_episode_steps):
        obs, reward, _, _, info = env.step(scripted_policy(env_id)(obs))
        ret += reward
        ever |= info["is_success"]
    env.close()
    return {
        "success_final": float(np.mean(info["is_success"])),
        "success_any_step": float(np.mean(ever)),
        "final_distance_mean_m": float(np.mean(info["distance"])),
        "return_mean": float(ret.mean()),
    }


@pytest.mark.parametrize(
    ("env_id", "options"),
    [("simrl/Reach-v0", {}), ("simrl/Push-v0", {"reward": "distance"})],
)
def test_scripted_matches_the_plain_loop(env_id: str, options: dict) -> None:
    got = evaluate_scripted(env_id, 4, seed=3, reward=options.get("reward"))
    want = reference(env_id, 4, 3, **options)
    assert {k: got[k] for k in want} == pytest.approx(want)
    assert got["diverged_episodes"] == 0 and got["episodes"] == 4


def test_cli_writes_the_table(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli(
        "eval", "policy=scripted", "env.id=simrl/Reach-v0", "episodes=2", f"out={out}",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "eval_scripted.json").read_text())["results"]
    assert [r["env_id"] for r in res] == ["simrl/Reach-v0"] and res[0]["episodes"] == 2
    assert "| simrl/Reach-v0 | no | 2 |" in proc.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["env.id=Reacher-v5"], "env.id=Reacher-v5 has no scripted controller"),
        (["env.id=simrl/Reach-v0", "env.domain_randomization=true"], "env.domain_randomization"),
        (["env.id=simrl/Reach-v0", "env.reward=staged"], "env.reward=staged is not a reward"),
        (["checkpoint=x.pt"], "checkpoint=x.pt does not apply to policy=scripted"),
    ],
)
def test_cli_refusals(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    proc = run_cli("eval", "policy=scripted", *args, f"out={out}", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not out.exists()
