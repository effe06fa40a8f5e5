"""Film a trained policy (deterministic) on a few episodes of its task into one small GIF.

    MUJOCO_GL=egl python scripts/film_policy.py RUN_DIR docs/images/push_grpo.gif --episodes 4

Episodes start from the task's own reset distribution (seeded), side by side in a grid; every
`--every`-th step is kept. The policy is rebuilt from the checkpoint with the algorithm's actor,
as `simrl-eval` does.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

from simrl.algos.registry import get_algo  # noqa: E402
from simrl.files import atomic_write_bytes  # noqa: E402
from simrl.nn import CoreConfig  # noqa: E402
from simrl.nn.compute import ComputeConfig, resolve_compute  # noqa: E402
from simrl.runs.checkpoint import load_checkpoint  # noqa: E402
from simrl.runs.configs import from_plain  # noqa: E402
from simrl.sim import make_group_env  # noqa: E402
from simrl.sim.config import EnvConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="checkpoint file or run directory")
    parser.add_argument("out", type=Path, help="the .gif to write")
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=200, help="frame side in pixels")
    parser.add_argument("--every", type=int, default=2, help="keep every k-th step")
    args = parser.parse_args()

    payload = load_checkpoint(args.checkpoint)
    configs = payload["configs"]
    env_cfg = from_plain(EnvConfig, configs["env"])
    spec = get_algo(payload["algo"])
    env = make_group_env(
        env_cfg.id, num_groups=args.episodes, seed=args.seed, autoreset_mode="disabled",
        **dict(env_cfg.options),
    )  # fmt: skip
    actor = spec.make_actor(
        env.single_observation_space,
        env.single_action_space,
        from_plain(CoreConfig, configs["model"]),
        from_plain(spec.config_cls, configs["algo"]),
        resolve_compute(ComputeConfig(device="cpu")),
        payload["trainer"],
    )
    obs, _ = env.reset()
    frames, solved = [], np.zeros(args.episodes, bool)
    for t in range(env.max_episode_steps):
        if t % args.every == 0:
            tiles = [env.render(r, width=args.size, height=args.size) for r in range(env.num_envs)]
            frames.append(np.concatenate(tiles, axis=1))
        obs, _, _, _, info = env.step(actor(obs))
        solved = np.asarray(info.get("is_success", solved))
    env.close()
    from PIL import Image

    images = [Image.fromarray(f).convert("P", palette=Image.Palette.ADAPTIVE) for f in frames]
    duration = int(1000 * args.every / 25)  # the tasks act at 25 Hz

    def write(f) -> None:
        images[0].save(f, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=duration)  # fmt: skip

    atomic_write_bytes(args.out, write)
    print(f"{args.out}: {len(frames)} frames, solved at the end: {solved.astype(int).tolist()}")


if __name__ == "__main__":
    main()
