"""Render the arm tasks under their scripted controllers: one still per task, optional strip/video.

    MUJOCO_GL=egl python scripts/render_tasks.py                      # docs/images/<task>.png
    MUJOCO_GL=egl python scripts/render_tasks.py --strip --video      # + <task>_strip.png, .mp4

The still is taken at a telling moment of the episode (Reach: goal reached; Push: cube on the
way; PickPlace: cube carried). The strip holds `--frames` frames spread over the episode; the
video (needs the `video` extra: imageio + imageio-ffmpeg) holds every step at 25 fps.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("MUJOCO_GL", "egl")

from simrl.files import atomic_write_bytes  # noqa: E402
from simrl.sim import make_group_env  # noqa: E402
from simrl.sim.tasks.scripted import scripted_policy  # noqa: E402

TASKS = {"reach": "simrl/Reach-v0", "push": "simrl/Push-v0", "pick_place": "simrl/PickPlace-v0"}
STILL_STEP = {"reach": 12, "push": 40, "pick_place": 35}  # step of the still frame
SEEDS = {"reach": 1, "push": 2, "pick_place": 1}  # pick_place 1: goal in the air


def save_png(path: Path, image: np.ndarray) -> None:
    from PIL import Image

    atomic_write_bytes(path, lambda f: Image.fromarray(image).save(f, format="PNG"))


def episode_frames(name: str, width: int, height: int, steps: list[int]) -> dict[int, np.ndarray]:
    """Frames of one scripted episode at the given step indices (0 = the start state)."""
    env_id = TASKS[name]
    env = make_group_env(env_id, num_groups=1, seed=SEEDS[name], autoreset_mode="disabled")
    obs, _ = env.reset()
    policy = scripted_policy(env_id)
    frames = {}
    for t in range(max(steps) + 1):
        if t in steps:
            frames[t] = env.render(0, width=width, height=height)
        obs, *_ = env.step(policy(obs))
    env.close()
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--width", type=int, default=480)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--strip", action="store_true", help="also write <task>_strip.png")
    parser.add_argument("--frames", type=int, default=6, help="frames in the strip")
    parser.add_argument("--video", action="store_true", help="also write <task>.mp4")
    args = parser.parse_args()
    if not (16 <= args.width <= 640 and 16 <= args.height <= 480):
        parser.error(
            f"--width/--height must be in 16..640 / 16..480, got {args.width}x{args.height}"
        )
    if args.frames < 1:
        parser.error(f"--frames must be >= 1, got {args.frames}")
    for name in args.tasks:
        horizon = make_group_env(TASKS[name]).max_episode_steps
        strip_steps = [int(s) for s in np.linspace(0, horizon - 1, args.frames)]
        steps = sorted({STILL_STEP[name], *(strip_steps if args.strip else [])})
        if args.video:
            steps = list(range(horizon))
        frames = episode_frames(name, args.width, args.height, steps)
        save_png(args.out / f"{name}.png", frames[STILL_STEP[name]])
        print(f"wrote {args.out / f'{name}.png'}")
        if args.strip:
            save_png(
                args.out / f"{name}_strip.png", np.concatenate([frames[s] for s in strip_steps], 1)
            )
            print(f"wrote {args.out / f'{name}_strip.png'}")
        if args.video:
            import imageio.v2 as imageio

            path = args.out / f"{name}.mp4"
            imageio.mimsave(path, [frames[s] for s in steps], fps=25, macro_block_size=1)
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
