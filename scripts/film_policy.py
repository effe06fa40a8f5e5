"""Film a trained policy (deterministic) on a few episodes of its task into one small GIF.

    MUJOCO_GL=egl python scripts/film_policy.py RUN_DIR docs/images/push_grpo.gif --episodes 4

Episodes start from the task's own reset distribution (seeded), side by side in a grid; every
`--every`-th step is kept. The policy comes from `simrl.load_policy`, as in `simrl-eval`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

from simrl.files import atomic_write_bytes  # noqa: E402
from simrl.policy import load_policy  # noqa: E402
from simrl.sim import make_group_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", help="checkpoint file or run directory")
    parser.add_argument("out", type=Path, help="the .gif to write")
    parser.add_argument("--episodes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=200, help="frame side in pixels")
    parser.add_argument("--every", type=int, default=2, help="keep every k-th step")
    args = parser.parse_args()

    policy = load_policy(args.checkpoint)
    env = make_group_env(
        policy.env_id, num_groups=args.episodes, seed=args.seed, autoreset_mode="disabled",
        **policy.env_options,
    )  # fmt: skip
    obs, _ = env.reset()
    frames, solved = [], np.zeros(args.episodes, bool)
    for t in range(env.max_episode_steps):
        if t % args.every == 0:
            tiles = [env.render(r, width=args.size, height=args.size) for r in range(env.num_envs)]
            frames.append(np.concatenate(tiles, axis=1))
        obs, _, _, _, info = env.step(policy.predict(obs)[0])
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
