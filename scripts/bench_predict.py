"""Latency of `Policy.predict` on one observation (what a robot's control loop pays per step).

    python scripts/bench_predict.py RUN_DIR [--repeats 5000] [--threads 1]

Loads the run with `simrl.load_policy`, then times `predict(obs, deterministic=True)` on single
observations drawn once from a standard normal (the policy's own normalisation applies). Prints
the median and the 10th/90th percentiles in microseconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import simrl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="run directory or checkpoint file")
    parser.add_argument("--repeats", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: leave as is)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    policy = simrl.load_policy(args.run)
    obs = np.random.default_rng(0).standard_normal((args.repeats, *policy.observation_space.shape))
    for o in obs[:200]:  # warm-up
        policy.predict(o)
    times = np.empty(args.repeats)
    for i, o in enumerate(obs):
        t0 = time.perf_counter()
        policy.predict(o, deterministic=True)
        times[i] = time.perf_counter() - t0
    p10, p50, p90 = np.percentile(times * 1e6, [10, 50, 90])
    print(
        f"{policy.algo} {policy.env_id} core={policy.config.get('model', {}).get('width', '?')} "
        f"threads={torch.get_num_threads()}: predict(single obs) median {p50:.1f} us "
        f"(p10 {p10:.1f}, p90 {p90:.1f}) over {args.repeats}"
    )


if __name__ == "__main__":
    main()
