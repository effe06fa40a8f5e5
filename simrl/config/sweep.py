"""Every run a command line starts, composed and checked before any of them runs.

The points of a `-m` grid are expanded with Hydra's public override parser (the basic sweeper's
order), each is composed with Hydra's compose API and given to the app's check, so a bad value in
any point stops the command with one line before anything is written; the config of each run is
built once (`simrl.config.build.build_configs` keeps what it checked for the run itself).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from omegaconf import DictConfig, OmegaConf

CONFIG_MODULE = "simrl.conf"
MAX_CHECKED_RUNS = 256  # sweep points composed up front; larger grids check the first ones


def sweep_points(overrides: list[str], multirun: bool) -> list[list[str]]:
    """The override list of each run the command line starts (the grid of the sweep overrides,
    expanded with Hydra's public override parser, in the basic sweeper's order)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    if not multirun:
        return [overrides]
    axes = []
    for o in parsed:
        if o.is_sweep_override():
            key = o.get_key_element()
            axes.append([f"{key}={v}" for v in o.sweep_string_iterator()])
        else:
            axes.append([o.input_line])
    return [list(point) for point in itertools.product(*axes)]


def check_overrides(
    config_name: str,
    overrides: list[str],
    multirun: bool,
    check: Callable[[DictConfig], Any] | None,
    claim: Callable[[DictConfig], Any] | None = None,
) -> list[str]:
    """Compose every run of the command line and `check` it; raise ValueError with one line.

    `claim(cfg)` runs after the checks of a single run (not a sweep), e.g. to lock its run
    directory before Hydra writes into it. Returns the configured `hydra.job.config.override_dirname.exclude_keys` (for `sweep_naming`).
    """
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from simrl.config.errors import check_group_paths, one_line

    check_group_paths(overrides)
    try:
        points = sweep_points(overrides, multirun)
    except Exception as exc:
        raise ValueError(one_line(exc, overrides)) from None
    if GlobalHydra.instance().is_initialized():  # e.g. inside a Hydra app: nothing to compose
        return []
    excludes: list[str] = []
    with initialize_config_module(CONFIG_MODULE, version_base="1.3"):
        for i, point in enumerate(points[:MAX_CHECKED_RUNS]):
            try:
                cfg = compose(config_name, overrides=point, return_hydra_config=True)
                if i == 0:
                    excludes = list(
                        OmegaConf.select(cfg, "hydra.job.config.override_dirname.exclude_keys")
                        or []
                    )
                if check is not None:
                    check(cfg)
                if claim is not None and not multirun:
                    claim(cfg)
            except Exception as exc:
                multi = len(points) > 1 and not _is_group_error(exc)
                prefix = f"in run {' '.join(point)}: " if multi else ""
                raise ValueError(prefix + one_line(exc, point)) from None
    return excludes


def sweep_naming(overrides: list[str], excludes: list[str]) -> list[str]:
    """Extra override that names sweep runs by the swept keys only (constants are in
    multirun.yaml and each run's .hydra/overrides.yaml); empty when nothing is swept."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    task = [o for o in parsed if not o.is_hydra_override()]
    if not any(o.is_sweep_override() for o in task):
        return []
    constant = [o.key_or_group for o in task if not o.is_sweep_override()]
    keys = list(dict.fromkeys([*excludes, *constant]))
    return [f"hydra.job.config.override_dirname.exclude_keys=[{','.join(keys)}]"]


def _is_group_error(exc: BaseException) -> bool:
    from hydra.errors import MissingConfigException

    return isinstance(exc, MissingConfigException)
