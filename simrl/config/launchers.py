"""How sweeps run on Hydra's launchers: threads per run, the sweep-end summary, loopback Ray.

`sweep_threads` gives each run of a sweep its share of the cores from the launcher's settings.
`SweepSummary` (a Hydra callback, conf/config.yaml) prints the failed runs and the `simrl-report`
command at the end of a multirun. `RayLoopback` (the `ray_loopback` callback of
`hydra/launcher=ray_local`) keeps that private local Ray on 127.0.0.1.

Why the callback: Ray binds its servers (GCS, the raylet's node and object managers, the driver's
and each worker's gRPC server, the dashboard agent, the runtime-env agent) to the node's IP
address, and its metrics exporters to all interfaces unless that address is loopback. On Linux
`ray.init(_node_ip_address="127.0.0.1")` alone is not enough: Ray swaps a loopback address for the
machine's routable one unless `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0` (single-machine mode; in Ray
2.60 the variable decides nothing else). Ray reads it when `ray` is first imported, and its
daemons inherit it; the Ray launcher imports `ray` only in `launch()`, after the callback has set
it at the start of the sweep.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from simrl.nn.compute import usable_cpus


def sweep_threads(multirun: bool, launcher: Any, cpus: int | None = None) -> int:
    """Torch threads for a sweep's run when `num_threads=0`: cores / parallel jobs for a joblib
    sweep; Ray's per-task num_cpus; submitit's cpus_per_task (1 for submitit_local without it,
    which starts all runs at once). 0 (the compute layer's automatic rule, see
    `simrl.nn.compute.auto_threads`) for a lone run and for the basic launcher's runs, which run
    one after another in this process.
    """
    cpus = cpus or usable_cpus()
    if not multirun or launcher is None:
        return 0
    target = str(launcher.get("_target_", ""))
    if "Joblib" in target:
        n_jobs = int(launcher.get("n_jobs", -1) or -1)
        n_jobs = cpus if n_jobs < 0 else n_jobs
        return max(1, cpus // max(1, n_jobs))
    if "Ray" in target:
        remote = (launcher.get("ray") or {}).get("remote") or {}
        return max(1, int(remote.get("num_cpus", 1) or 1))
    if "submitit" in target:
        per_task = launcher.get("cpus_per_task")
        if per_task:
            return max(1, int(per_task))
        return 1 if "LocalLauncher" in target else cpus  # local: all runs at once on this box
    if "BasicLauncher" in target:
        return 0
    return 1


_LAST: list[tuple[int, int, str]] = []  # (failed, total, sweep dir) of the last sweep here


def sweep_status(sweep_dir: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(run dirs with a summary.json, [(run dir, error) of the failed ones]) under `sweep_dir`."""
    runs, failed = [], []
    for path in sorted(sweep_dir.rglob("summary.json")):
        runs.append(path.parent)
        try:
            summary = json.loads(path.read_text())
        except ValueError:
            failed.append((path.parent, "unreadable summary.json"))
            continue
        if summary.get("status") == "failed":
            failed.append((path.parent, str(summary.get("error") or "unknown error")))
    return runs, failed


def last_sweep_failures() -> tuple[int, int, str] | None:
    """(failed, total, sweep dir) when the last sweep in this process had failed runs."""
    return _LAST[-1] if _LAST and _LAST[-1][0] else None


class SweepSummary(Callback):
    """Prints one line per failed run and the `simrl-report` command after a multirun."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        runs, failed = sweep_status(sweep_dir)
        for run_dir, error in failed:
            print(f"FAILED {run_dir}: {error}", file=sys.stderr)
        print(
            f"sweep finished: {len(runs)} runs, {len(failed)} failed in {sweep_dir}; "
            f"aggregate with: simrl-report {sweep_dir}",
            flush=True,
        )
        _LAST.append((len(failed), len(runs), str(sweep_dir)))


LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def is_local_ray(launcher: Any) -> bool:
    """True for a Ray launcher config that starts a new local Ray (`ray.init.address` unset or
    "local"), False for any other launcher and for joining an existing cluster."""
    if launcher is None or "hydra_ray_launcher" not in str(launcher.get("_target_", "")):
        return False
    init = (launcher.get("ray") or {}).get("init") or {}
    return init.get("address") in (None, "", "local")


def apply_loopback_env(environ: MutableMapping[str, str] | None = None) -> None:
    """Set `LOOPBACK_ENV` in `environ` (default: this process's environment).

    Raises RuntimeError when `ray` was imported earlier without it: that Ray would still resolve
    127.0.0.1 to the routable address and listen on every interface.
    """
    (os.environ if environ is None else environ).update(LOOPBACK_ENV)
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and getattr(constants, "ENABLE_RAY_CLUSTER", False):
        raise RuntimeError(
            "ray was imported before the sweep started, so a local Ray would listen on all "
            "interfaces; set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 before importing ray"
        )


class RayLoopback(Callback):
    """Hydra callback of `hydra/launcher=ray_local`: loopback-only Ray for the sweep."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if is_local_ray(config.hydra.get("launcher")):
            apply_loopback_env()
