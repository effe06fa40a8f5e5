"""Keep the private local Ray of `hydra/launcher=ray_local` on loopback (127.0.0.1).

Ray binds its servers (GCS, the raylet's node and object managers, the driver's and each worker's
gRPC server, the dashboard agent, the runtime-env agent) to the node's IP address, and its metrics
exporters to all interfaces unless that address is loopback. On Linux
`ray.init(_node_ip_address="127.0.0.1")` alone is not enough: Ray swaps a loopback address for the
machine's routable one unless `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0` (single-machine mode; in Ray
2.60 the variable decides nothing else). Ray reads it when `ray` is first imported, and its
daemons inherit it; the Ray launcher imports `ray` only in `launch()`, after the `RayLoopback`
callback has set it at the start of the sweep.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

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
