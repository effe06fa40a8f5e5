"""PPO exactly as the RL Zoo runs it (its own policy network, settings and evaluation), on a -v5 env.

    python scripts/zoo_anchor.py --env Hopper-v5 --seed 0 --steps 1000000 --out runs/zoo_hopper

The sanity anchor for simrl's PPO baseline: the zoo's published 1M-step PPO scores (Hopper 2,410,
Walker2d 3,479, HalfCheetah 5,819, Ant 1,327) should come out of this. rl-zoo3's ppo.yml names the
MuJoCo envs by their -v4 ids; the -v4 entry is written, unchanged, under the -v5 id to a config
file that `python -m rl_zoo3.train -conf` reads. The zoo evaluates the deterministic policy every
`--eval-freq` steps; OUT/summary.json holds those evaluations and the last one as the final return.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from simrl.algos.ppo.zoo import zoo_entries, zoo_env_name  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="Hopper-v5")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--eval-freq", type=int, default=50_000)
    parser.add_argument("--eval-episodes", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    name = zoo_env_name(args.env)
    entry = zoo_entries()[name]
    args.out.mkdir(parents=True, exist_ok=True)
    conf = args.out / "zoo_hyperparams.yml"
    conf.write_text(yaml.safe_dump({args.env: entry}, sort_keys=True))
    command = [
        sys.executable, "-m", "rl_zoo3.train", "--algo", "ppo", "--env", args.env,
        "-conf", str(conf), "-n", str(args.steps), "--seed", str(args.seed),
        "--num-threads", "1", "--device", "cpu", "-f", str(args.out / "zoo"),
        "--eval-freq", str(args.eval_freq), "--eval-episodes", str(args.eval_episodes),
        "--verbose", "0",
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - t0
    found = sorted((args.out / "zoo" / "ppo").glob(f"{args.env}_*/evaluations.npz"))
    data = np.load(found[-1])
    curve = [
        {"env_steps": int(s), "return_mean": float(r.mean()), "return_std": float(r.std())}
        for s, r in zip(data["timesteps"], data["results"], strict=True)
    ]
    summary = {
        "algo": "ppo (rl-zoo3, its own network)",
        "env_id": args.env,
        "zoo_entry": name,
        "seed": args.seed,
        "env_steps": args.steps,
        "wall_s": wall,
        "final_return_mean": curve[-1]["return_mean"] if curve else None,
        "best_eval_return": max((p["return_mean"] for p in curve), default=None),
        "eval_curve": curve,
        "command": " ".join(command),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "eval_curve"}, indent=2))


if __name__ == "__main__":
    main()
