"""Scale-out launchers for real, on this machine: Ray (a private local Ray on 127.0.0.1) and
submitit_local. Optional: skipped when the `ray` / `slurm` extras are not installed."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .conftest import TINY, only_sweep_dir, run_cli, summary

RAY_DAEMONS = ("raylet", "gcs_server", "dashboard", "ray::", "default_worker.py")


def _ray_processes() -> set[int]:
    """PIDs of Ray daemons/workers running now (from /proc)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "ray" in cmd and any(d in cmd for d in RAY_DAEMONS):
            pids.add(int(entry.name))
    return pids


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is None
    or importlib.util.find_spec("ray") is None,
    reason="needs the ray extra: pip install 'simrl[ray]'",
)
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="process check needs /proc")
def test_ray_local_launcher_runs_two_runs_and_cleans_up(tmp_path):
    before = _ray_processes()
    ray_tmp = tempfile.mkdtemp(prefix="simrl-ray-")  # short: Ray's socket paths must stay < 108
    try:
        proc = run_cli(
            "train",
            "-m",
            "hydra/launcher=ray_local",
            f"+hydra.launcher.ray.init._temp_dir={ray_tmp}",
            "seed=0,1",
            *TINY,
            cwd=tmp_path,
            env={"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"},
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "127.0.0.1" in proc.stdout + proc.stderr  # the launcher's ray.init config
        sweep = only_sweep_dir(tmp_path)
        for seed in (0, 1):
            s = summary(sweep / f"seed={seed}")
            assert (s["status"], s["seed"], s["env_steps"]) == ("completed", seed, 800)
            assert s["num_threads"] == 1  # ray remote num_cpus=1 -> one torch thread per run
    finally:
        left = _ray_processes() - before
        for pid in left:  # only what this test started
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        shutil.rmtree(ray_tmp, ignore_errors=True)
    assert not left, f"Ray processes left running: {sorted(left)}"


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
    reason="needs the slurm extra: pip install 'simrl[slurm]'",
)
def test_submitit_local_launcher_runs_two_runs(tmp_path):
    proc = run_cli(
        "train", "-m", "hydra/launcher=submitit_local", "seed=0,1", *TINY, cwd=tmp_path, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sweep = only_sweep_dir(tmp_path)
    for seed in (0, 1):
        s = summary(sweep / f"seed={seed}")
        assert (s["status"], s["seed"], s["num_threads"]) == ("completed", seed, 1)
