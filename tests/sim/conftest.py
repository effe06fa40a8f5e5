"""Shared fixtures for the simulation tests; selects headless EGL rendering before mujoco loads."""

import os

import pytest

if "MUJOCO_GL" not in os.environ and not os.environ.get("DISPLAY"):
    os.environ["MUJOCO_GL"] = "egl"


@pytest.fixture(autouse=True)
def _mujoco_log_in_tmp(tmp_path, monkeypatch):
    """MuJoCo appends warnings to MUJOCO_LOG.TXT in the cwd: keep it out of the checkout."""
    monkeypatch.chdir(tmp_path)
