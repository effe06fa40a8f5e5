"""Write rendered frames as a video that plays at the simulation's own speed.

mp4 (H.264 through imageio-ffmpeg, which ships its own ffmpeg binary) by default; GIF when asked
for. GIF frame delays are whole centiseconds and browsers play delays under 20 ms as 100 ms, so a
fast env (Hopper: 125 frames/s) keeps every k-th frame with the delay of k frames: the GIF plays
in real time at a lower frame rate instead of five times too slowly.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

VIDEO_FORMATS = ("mp4", "gif")
GIF_MIN_DELAY_MS = 20  # shorter delays are played as 100 ms by browsers


def video_fps(env: Any) -> float:
    """Frames per second of real time: 1 / the env's control step (`dt`), else its
    `metadata["render_fps"]`, else 30."""
    dt = getattr(env, "dt", None)
    if isinstance(dt, (int, float)) and dt > 0:
        return 1.0 / float(dt)
    fps = (getattr(env, "metadata", None) or {}).get("render_fps")
    return float(fps) if fps else 30.0


def video_name(iteration: int, seed: int, fmt: str) -> str:
    """`eval_iter<iteration>_seed<seed>.<fmt>`: one file per checkpoint and start states."""
    return f"eval_iter{int(iteration)}_seed{int(seed)}.{fmt}"


def gif_timing(fps: float) -> tuple[int, int]:
    """(keep every k-th frame, delay in ms) so that a GIF plays at real time: the smallest k whose
    k frames last at least 20 ms and within 5% of a whole number of centiseconds."""
    frame_ms = 1000.0 / fps
    first = max(1, math.ceil(GIF_MIN_DELAY_MS / frame_ms - 1e-9))
    best: tuple[float, int, int] | None = None
    for k in range(first, first + 10):
        delay = max(GIF_MIN_DELAY_MS, int(round(k * frame_ms / 10.0)) * 10)
        error = abs(delay - k * frame_ms) / (k * frame_ms)
        if error <= 0.05:
            return k, delay
        if best is None or error < best[0]:
            best = (error, k, delay)
    return best[1], best[2]


def write_video(frames: list[np.ndarray], path: str | Path, fps: float = 30.0) -> Path:
    """Write (H, W, 3) uint8 frames to `path` (.mp4 or .gif, by its suffix); returns the path
    written. Without imageio-ffmpeg an .mp4 falls back to a .gif beside it. No frames: a one-line
    ValueError."""
    path = Path(path)
    if not frames:
        raise ValueError(f"no frames to write to {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [np.asarray(f, dtype=np.uint8) for f in frames]
    if path.suffix == ".mp4":
        try:
            import imageio.v2 as imageio
            import imageio_ffmpeg  # noqa: F401  (the mp4 writer's backend)
        except ImportError:
            path = path.with_suffix(".gif")
        else:
            # yuv420p plays everywhere but needs even sides: pad odd frames by one black pixel
            frames = [_even(f) for f in frames]
            with imageio.get_writer(
                path, fps=fps, codec="libx264", macro_block_size=1, pixelformat="yuv420p"
            ) as writer:
                for frame in frames:
                    writer.append_data(frame)
            return path
    from PIL import Image

    every, delay = gif_timing(fps)
    images = [Image.fromarray(f) for f in frames[::every]]
    images[0].save(path, save_all=True, append_images=images[1:], duration=delay, loop=0)
    return path


def _even(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)))
