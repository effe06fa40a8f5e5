"""`simrl-eval`: films N episodes tiled into the run's videos/ at the env's rate; bad files exit 2.

Reference for the video: simrl/Reach-v0 acts every 40 ms (25 frames/s) for 50 steps, so the mp4
has 25 fps and 51 frames (the reset and every step); 3 episodes of 32-pixel tiles fill a 2 x 2
grid of 64 x 64 (rendering costs ~60 ms a frame here whatever the size, so the test films few).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from _policy_runs import SUITE


def _eval(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    return subprocess.run(
        [sys.executable, "-m", "simrl.cli.eval", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_video_of_three_episodes_in_the_run_dir(tiny_runs, tmp_path: Path) -> None:
    import imageio.v2 as imageio

    run_dir = tiny_runs[("grpo", SUITE)][0]
    args = [
        f"checkpoint={run_dir}",
        "episodes=4",
        "video=true",
        "video.episodes=3",
        "video.size=32",
    ]
    proc = _eval(*args, f"out={tmp_path}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (video,) = (run_dir / "videos").glob("*.mp4")
    assert str(video) in proc.stdout.replace("\n", "")  # the path is printed
    reader = imageio.get_reader(video)
    fps, frames = reader.get_meta_data()["fps"], [f for f in reader]
    reader.close()
    assert fps == 25.0 and len(frames) == 51 and frames[0].shape == (64, 64, 3)


def test_gif_on_request(tiny_runs, tmp_path: Path) -> None:
    from PIL import Image

    run_dir = tiny_runs[("ppo", SUITE)][0]
    args = ["video=true", "video.episodes=1", "video.size=32", "video.format=gif"]
    proc = _eval(
        f"checkpoint={run_dir}", "episodes=2", *args, f"video.dir={tmp_path}", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (gif,) = tmp_path.glob("*.gif")
    with Image.open(gif) as image:
        assert image.n_frames == 51 and image.info["duration"] == 40 and image.size == (32, 32)


def test_bad_checkpoint_is_one_line_exit_2(tiny_runs, tmp_path: Path) -> None:
    truncated = tmp_path / "last.pt"
    truncated.write_bytes(
        (tiny_runs[("ppo", SUITE)][0] / "checkpoints" / "last.pt").read_bytes()[:300]
    )
    proc = _eval(f"checkpoint={truncated}", "video=true", cwd=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("simrl-eval: error: checkpoint") and "truncated" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]  # nothing written
