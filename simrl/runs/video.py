"""Write rendered frames to an mp4 (imageio + imageio-ffmpeg, the `video` extra) or a GIF."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_video(frames: list[np.ndarray], path: str | Path, fps: float = 30.0) -> Path:
    """Write (H, W, 3) uint8 frames to `path` (.mp4); without ffmpeg fall back to a .gif (Pillow).

    Returns the path actually written. Raises a one-line ValueError when there are no frames.
    """
    path = Path(path)
    if not frames:
        raise ValueError(f"no frames to write to {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = [np.asarray(f, dtype=np.uint8) for f in frames]
    if path.suffix == ".mp4":
        try:
            import imageio.v2 as imageio
            import imageio_ffmpeg  # noqa: F401  (the mp4 writer's backend)

            # macro_block_size=1 keeps odd frame sizes as they are instead of resizing them.
            with imageio.get_writer(path, fps=fps, codec="libx264", macro_block_size=1) as writer:
                for frame in frames:
                    writer.append_data(frame)
            return path
        except ImportError:
            path = path.with_suffix(".gif")
    from PIL import Image

    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0)
    return path
