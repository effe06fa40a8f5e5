"""Deterministic evaluation: one episode per env row, on an env separate from training.

`evaluate_policy` runs during training (periodic eval) and from `evaluate_checkpoint`, which
rebuilds the policy (not a trainer) from a checkpoint's saved configs through the algorithm
registry.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

MAX_EVAL_STEPS = 100_000  # guard for envs without a time limit


@dataclass
class EvalResult:
    """Per-episode returns and success flags of one evaluation."""

    returns: np.ndarray
    lengths: np.ndarray
    successes: np.ndarray | None  # None when the task has no success signal
    frames: list[np.ndarray] = field(default_factory=list)
    # success at any step of the episode (None without a success signal): with `successes` it
    # tells a policy that never gets there from one that gets there and loses it again
    reached: np.ndarray | None = None

    @property
    def return_mean(self) -> float:
        return float(np.mean(self.returns))

    @property
    def return_std(self) -> float:
        return float(np.std(self.returns))

    @property
    def success_rate(self) -> float | None:
        return None if self.successes is None else float(np.mean(self.successes))

    @property
    def reached_rate(self) -> float | None:
        """Share of episodes that were a success at some step (not only at the end)."""
        return None if self.reached is None else float(np.mean(self.reached))

    @property
    def lost_rate(self) -> float | None:
        """Share of episodes that were a success at some step but not at their final step."""
        if self.reached is None or self.successes is None:
            return None
        return float(np.mean(self.reached & ~self.successes))

    def as_dict(self) -> dict[str, Any]:
        return {
            "episodes": int(len(self.returns)),
            "return_mean": self.return_mean,
            "return_std": self.return_std,
            "success_rate": self.success_rate,
            "reached_success_rate": self.reached_rate,
            "lost_success_rate": self.lost_rate,
            "length_mean": float(np.mean(self.lengths)),
            "returns": [float(r) for r in self.returns],
        }


def eval_seed(run_seed: int) -> int:
    """Eval env seed derived from the run seed, distinct from the training seed."""
    return int(np.random.SeedSequence([int(run_seed), 0x5EED_E7A1]).generate_state(1)[0] >> 1)


def make_eval_env(env_factory: Callable[..., Any], env_cfg: Any, episodes: int, seed: int) -> Any:
    """`episodes` independent rows (group_size 1), no autoreset: each row plays one episode."""
    if episodes < 1:
        raise ValueError(f"eval_episodes must be >= 1, got {episodes}")
    return env_factory(
        env_cfg.id,
        num_groups=episodes,
        group_size=1,
        seed=seed,
        autoreset_mode="disabled",
        num_threads=env_cfg.num_threads,
        **dict(env_cfg.options or {}),
    )


def tile_frames(tiles: list[np.ndarray]) -> np.ndarray:
    """Equal-size (H, W, 3) frames in a near-square grid, row by row (empty cells black)."""
    if len(tiles) == 1:
        return tiles[0]
    cols = int(np.ceil(np.sqrt(len(tiles))))
    rows = -(-len(tiles) // cols)
    blank = np.zeros_like(tiles[0])
    cells = list(tiles) + [blank] * (rows * cols - len(tiles))
    return np.concatenate(
        [np.concatenate(cells[r * cols : (r + 1) * cols], axis=1) for r in range(rows)], axis=0
    )


def _render(env: Any, row: int, size: int | None = None) -> np.ndarray:
    try:
        return env.render(row) if size is None else env.render(row, width=size, height=size)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        raise RuntimeError(
            f"rendering failed ({type(exc).__name__}: {first}); on a headless machine set "
            "MUJOCO_GL=egl (or osmesa) before starting"
        ) from exc


def evaluate_policy(
    act: Callable[[np.ndarray], np.ndarray],
    env: Any,
    seed: int,
    *,
    render_row: int | None = None,
    render_rows: Sequence[int] | None = None,
    render_size: int | None = None,
) -> EvalResult:
    """Play one episode on every row of `env` from `env.reset(seed=seed)` and collect returns.

    Rows that end are masked (their later rewards ignored); success is the row's `is_success` at its
    final step (the Gymnasium-Robotics/SB3 convention); `reached` records success at any step, so
    an episode that gets there and loses it again shows as reached but not successful. Actions are
    clipped to the action bounds. With `render_row`, frames of that row are collected until it ends;
    with `render_rows`, one frame per step tiles those rows in a grid (a row that has ended keeps
    its last image) until they have all ended; `render_size` is each tile's side in pixels.
    """
    rows = [render_row] if render_row is not None else list(render_rows or [])
    obs, _ = env.reset(seed=seed)
    n = obs.shape[0]
    space = env.single_action_space
    low, high = np.asarray(space.low), np.asarray(space.high)
    returns = np.zeros(n)
    lengths = np.zeros(n, dtype=np.int64)
    done = np.zeros(n, dtype=bool)
    has_success = bool(getattr(env, "has_success", False))
    successes = np.zeros(n, dtype=bool) if has_success else None
    reached = np.zeros(n, dtype=bool) if has_success else None
    tiles = [_render(env, r, render_size) for r in rows]
    frames = [tile_frames(tiles)] if rows else []
    limit = getattr(env, "max_episode_steps", None) or MAX_EVAL_STEPS
    for _ in range(int(limit) + 1):
        with torch.no_grad():
            actions = np.asarray(act(obs), dtype=np.float64).reshape(n, -1)
        actions = np.clip(actions, low, high)
        obs, reward, terminated, truncated, info = env.step(actions)
        live = ~done
        returns[live] += np.asarray(reward, dtype=np.float64)[live]
        lengths[live] += 1
        ended = (np.asarray(terminated) | np.asarray(truncated)) & live
        if successes is not None and "is_success" in info:
            now = np.asarray(info["is_success"], dtype=bool)
            successes[ended] = now[ended]
            reached |= now & live
        if rows and live[rows].any():
            tiles = [
                _render(env, r, render_size) if live[r] else tiles[i] for i, r in enumerate(rows)
            ]
            frames.append(tile_frames(tiles))
        done |= ended
        if done.all():
            break
    else:
        raise RuntimeError(f"evaluation did not finish within {limit} steps")
    return EvalResult(
        returns=returns, lengths=lengths, successes=successes, frames=frames, reached=reached
    )


def evaluate_checkpoint(
    checkpoint: str | Path,
    episodes: int = 16,
    video: bool = False,
    out_dir: str | Path | None = None,
    deterministic: bool = True,
    seed: int | None = None,
    device: str = "auto",
    *,
    video_episodes: int = 4,
    video_format: str = "mp4",
    video_size: int = 320,
    video_dir: str | Path | None = None,
    env_factory: Callable[..., Any] | None = None,
    actor_factory: Callable[..., Any] | None = None,
    print_table: bool = True,
) -> dict[str, Any]:
    """Rebuild the policy saved in `checkpoint` (file or run dir), evaluate it, maybe film it.

    The policy comes from `simrl.policy.policy_from_payload` (the one loader: the algorithm's
    actor with its observation normalisation, never a trainer with its training envs), computing
    in the run's own precision. Returns (and writes `eval.json` into `out_dir` when given) mean/std
    return, success rate and per-episode returns. `video=True` films the first `video_episodes`
    episodes tiled in a grid (`video_size` pixels a side each), at the env's real-time frame rate,
    into `video_dir` (default: the
    run directory's `videos/`) as mp4 (or `video_format="gif"`). `seed` defaults to the run's eval
    seed (the same start states as the run's own evaluations).
    """
    from simrl.nn.compute import ComputeConfig
    from simrl.policy import policy_from_payload
    from simrl.runs.checkpoint import load_checkpoint
    from simrl.runs.config import RunConfig
    from simrl.runs.plain import from_plain
    from simrl.runs.video import VIDEO_FORMATS, video_fps, video_name, write_video
    from simrl.sim.config import EnvConfig

    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if video and (video_episodes < 1 or video_size < 16 or video_format not in VIDEO_FORMATS):
        raise ValueError(
            f"video.episodes={video_episodes} must be >= 1, video.size={video_size} >= 16 and "
            f"video.format={video_format!r} one of {list(VIDEO_FORMATS)}"
        )
    payload = load_checkpoint(checkpoint)
    configs = payload["configs"]
    env_cfg = from_plain(EnvConfig, configs.get("env"))
    run_cfg = from_plain(RunConfig, configs.get("run"))
    compute_cfg = from_plain(ComputeConfig, configs.get("compute"))
    compute_cfg = replace(compute_cfg, device=device, precision_strict=False)
    if env_factory is None:
        from simrl.sim import make_group_env as env_factory
    seed = eval_seed(run_cfg.seed) if seed is None else int(seed)
    env = make_eval_env(env_factory, env_cfg, episodes, seed)
    filmed = list(range(min(video_episodes, episodes))) if video else []
    try:
        policy = policy_from_payload(
            payload,
            spaces=(env.single_observation_space, env.single_action_space),
            compute_cfg=compute_cfg,
            actor_factory=actor_factory,
        )
        result = evaluate_policy(
            lambda o: policy.act(o, deterministic=deterministic),
            env,
            seed,
            render_rows=filmed or None,
            render_size=video_size if filmed else None,
        )
        fps = video_fps(env)
    finally:
        env.close()
    out = {
        "checkpoint": payload["path"],
        "algo": payload["algo"],
        "env_id": payload["env_id"],
        "iteration": payload["iteration"],
        "env_steps": payload["env_steps"],
        "seed": seed,
        "deterministic": deterministic,
        **result.as_dict(),
        "video": None,
    }
    out_path = Path(out_dir) if out_dir is not None else None
    if video:
        folder = (
            Path(video_dir) if video_dir is not None else run_dir_of(payload["path"]) / "videos"
        )
        target = folder / video_name(payload["iteration"], seed, video_format)
        written = write_video(result.frames, target, fps=fps)
        out["video"] = str(written)
        if written.suffix != target.suffix:
            note = (
                f"video written as {written.name}: mp4 needs imageio-ffmpeg "
                "(pip install imageio-ffmpeg)"
            )
            out["video_note"] = note
            print(note, file=sys.stderr, flush=True)
    if out_path is not None:
        from simrl.files import atomic_write_text

        out_path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out_path / "eval.json", json.dumps(out, indent=2) + "\n")
    if print_table:
        from simrl.runs.summary import print_table

        print_table(
            "Evaluation",
            {
                k: out[k]
                for k in (
                    "checkpoint",
                    "episodes",
                    "return_mean",
                    "return_std",
                    "success_rate",
                    "reached_success_rate",
                    "lost_success_rate",
                    "video",
                )
            },
        )
    return out


def run_dir_of(checkpoint_path: str | Path) -> Path:
    """The run directory of a checkpoint file (`RUN/checkpoints/x.pt` -> RUN; else its folder)."""
    parent = Path(checkpoint_path).resolve().parent
    return parent.parent if parent.name == "checkpoints" else parent
