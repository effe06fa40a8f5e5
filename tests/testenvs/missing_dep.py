"""A registered env whose package is not installed (its maker raises Gymnasium's
DependencyNotInstalled, as Gymnasium's own envs do when e.g. box2d or mujoco is missing)."""

from __future__ import annotations

import gymnasium as gym


def _make(**kwargs):
    raise gym.error.DependencyNotInstalled(
        "Box2D is not installed, you can install it by run `pip install swig` followed by `pip "
        'install "gymnasium[box2d]"`'
    )


if "simrl_test/NeedsBox2D-v0" not in gym.registry:
    gym.register("simrl_test/NeedsBox2D-v0", entry_point=_make, max_episode_steps=100)
