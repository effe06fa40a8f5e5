"""Videos play at the simulation's speed: mp4 at 1/dt frames per second, GIF delays kept real.

References: an episode of N steps of dt seconds lasts N * dt seconds; the mp4 container's frame
rate and frame count, and the GIF's per-frame delays read back with Pillow, must add up to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simrl.runs.evaluate import tile_frames
from simrl.runs.video import gif_timing, video_fps, write_video


def _frames(n: int, h: int = 17, w: int = 23) -> list[np.ndarray]:
    return [np.full((h, w, 3), (i * 5) % 256, dtype=np.uint8) for i in range(n)]


@pytest.mark.parametrize(("fps", "every", "delay"), [(125, 5, 40), (25, 1, 40), (50, 1, 20)])
def test_gif_keeps_real_time(tmp_path: Path, fps: float, every: int, delay: int) -> None:
    assert gif_timing(fps) == (every, delay)
    path = write_video(_frames(50), tmp_path / "v.gif", fps=fps)
    with Image.open(path) as gif:
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
    assert len(durations) == 50 // every
    assert sum(durations) == pytest.approx(1000 * 50 / fps, rel=0.01)  # the episode's real time
    assert min(durations) >= 20  # browsers play shorter delays as 100 ms


def test_mp4_has_the_envs_frame_rate(tmp_path: Path) -> None:
    import imageio.v2 as imageio

    path = write_video(_frames(50), tmp_path / "v.mp4", fps=125.0)
    assert path.suffix == ".mp4"
    reader = imageio.get_reader(path)
    meta = reader.get_meta_data()
    frames = [f for f in reader]
    reader.close()
    assert meta["fps"] == 125.0 and len(frames) == 50
    assert frames[0].shape == (18, 24, 3)  # odd sides padded to even for yuv420p


def test_fps_comes_from_the_control_step() -> None:
    class Env:
        dt = 0.008  # Hopper: 4 x 2 ms
        metadata = {"render_fps": 100}

    assert video_fps(Env()) == pytest.approx(125.0)
    Env.dt = None
    assert video_fps(Env()) == 100.0


def test_tiles_fill_a_near_square_grid() -> None:
    tiles = [np.full((4, 6, 3), v, dtype=np.uint8) for v in (1, 2, 3)]
    grid = tile_frames(tiles)
    assert grid.shape == (8, 12, 3)
    assert (grid[:4, :6] == 1).all() and (grid[:4, 6:] == 2).all() and (grid[4:, :6] == 3).all()
    assert (grid[4:, 6:] == 0).all()  # the empty cell is black
