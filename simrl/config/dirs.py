"""The directories a composed config names, checked before any work (nothing is created).

An output directory that does not exist yet is judged by its nearest existing ancestor: it must be
a directory (not a regular file) that this process may write into. A run directory that holds
another run is refused unless the command resumes exactly that run; a sweep directory that holds
runs is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from simrl.messages import UsageError as ConfigError
from simrl.runs.ownership import RunDirLock, run_files

NEW_DIR = "${simrl.new_dir:"


def out_dir_problem(path: str | Path) -> str | None:
    """Why `path` cannot be used as an output directory, or None when it can."""
    target = Path(path).expanduser().absolute()
    probe = target
    while not probe.exists() and not probe.is_symlink():
        if probe.parent == probe:
            return "has no existing parent directory"
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == target else f"is under {probe}, which is"
        return f"{where} a regular file, not a directory"
    if not os.access(probe, os.W_OK | os.X_OK):
        where = "is" if probe == target else f"would be created in {probe}, which is"
        return f"{where} not writable"
    return None


def check_out_dir(key: str, path: str | Path) -> None:
    """ConfigError naming `key` when `path` cannot be used as an output directory."""
    problem = out_dir_problem(path)
    if problem is not None:
        raise ConfigError(key, path, f"{problem}; give a writable directory")


def raw_value(cfg: DictConfig, key: str) -> Any:
    """The value of `key` as written, interpolations unresolved (resolving a
    `${simrl.new_dir:...}` would create the directory)."""
    node: Any = OmegaConf.to_container(cfg, resolve=False)
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def planned_path(cfg: DictConfig, key: str) -> str | None:
    """The directory `key` (e.g. `hydra.run.dir`) will name, without creating it: the literal
    part of a `${simrl.new_dir:...}` default (up to its first interpolation), else the resolved
    value; None when it cannot be known before Hydra runs."""
    node = raw_value(cfg, key)
    if not isinstance(node, str):
        return None
    if NEW_DIR in node and not node.startswith(NEW_DIR):
        return None  # resolving it would create the directory
    if node.startswith(NEW_DIR):
        literal = node[len(NEW_DIR) :].split("${", 1)[0]
        return os.path.dirname(literal) or "."
    if "${" not in node:
        return node
    try:
        value = OmegaConf.select(cfg, key, throw_on_resolution_failure=True)
    except Exception:
        return None  # only Hydra's runtime can resolve it (${hydra:...}, ${now:...})
    return None if value is None else str(value)


def check_hydra_dirs(cfg: DictConfig) -> None:
    """`hydra.run.dir` and `hydra.sweep.dir` of a composed config (return_hydra_config=True)."""
    if OmegaConf.select(cfg, "hydra", default=None) is None:
        return
    for key in ("hydra.run.dir", "hydra.sweep.dir"):
        path = planned_path(cfg, key)
        if path is not None:
            check_out_dir(key, path)


def check_run_dir(cfg: DictConfig) -> None:
    """A run directory that holds another run (its config, checkpoints, metrics, summary or
    `.hydra/`) is refused unless this command resumes exactly that run; so is one that another
    live process owns. Checked for the directory as it will be used: literal, interpolated
    (`${oc.env:PWD}/runs/x`), relative or through a symlink. The default directories
    (`${simrl.new_dir:...}`) are new for every run and need no check."""
    from hydra.core.hydra_config import HydraConfig

    if OmegaConf.select(cfg, "hydra.run", default=None) is None or HydraConfig.initialized():
        return
    target = planned_dir(cfg, "hydra.run.dir")
    if target is None:
        return
    found = run_files(target)
    resume = OmegaConf.select(cfg, "resume", default=None)
    if found and not (resume is not None and run_dir_of(str(resume)) == target.resolve()):
        raise ValueError(
            f"hydra.run.dir={target} holds another run ({', '.join(found)}); give a new "
            f"directory, or resume={target} to continue that run"
        )
    RunDirLock.probe(target)  # RunDirBusy (a ValueError) while another process owns it


def check_sweep_dir(cfg: DictConfig) -> None:
    """An explicit `hydra.sweep.dir` that already holds runs is refused (a sweep never writes
    into another sweep's runs)."""
    target = planned_dir(cfg, "hydra.sweep.dir")
    if target is None or not target.is_dir():
        return
    taken = [p.name for p in sorted(target.iterdir()) if p.is_dir() and run_files(p)]
    if (target / "multirun.yaml").exists():
        taken.insert(0, "multirun.yaml")
    if taken:
        raise ValueError(
            f"hydra.sweep.dir={target} holds another sweep ({', '.join(taken[:3])}); give a new "
            "directory"
        )


def planned_dir(cfg: DictConfig, key: str) -> Path | None:
    """The directory `key` (`hydra.run.dir`, `hydra.sweep.dir`) names, resolved as Hydra will
    resolve it, or None for a fresh `${simrl.new_dir:...}` one or one that only Hydra's runtime
    can resolve (checked again when the run starts)."""
    text = raw_value(cfg, key)
    if not isinstance(text, str) or NEW_DIR in text:
        return None  # it is new anyway
    path = planned_path(cfg, key)
    return None if path is None else Path(path).expanduser().absolute()


def run_dir_of(resume: str) -> Path:
    """The run directory of `resume=`: the directory itself, or <run> of <run>/checkpoints/x.pt."""
    path = Path(resume).expanduser()
    return (path if path.is_dir() else path.parent.parent).resolve()


# Key parts that would make Hydra import or call something (instantiate, callbacks)
_CODE_KEYS = ("_target_", "_partial_", "_args_", "_recursive_", "_convert_", "callbacks")


def run_setting(override: str) -> bool:
    """Whether a run's saved override is a plain setting that a resume may reuse. A run dir is
    data: Hydra's own keys (`hydra.*`, `hydra/...` groups: where and how to run, callbacks),
    anything naming code to import or call, interpolations and the resume key itself are never
    taken from it."""
    key, sep, value = override.partition("=")
    key = key.lstrip("+~")
    parts = key.replace("/", ".").split(".")
    if not sep or not key or parts[0] == "hydra" or key in ("resume",):
        return False
    if any(p in _CODE_KEYS or p.startswith("_") for p in parts):
        return False
    return "${" not in value


def saved_settings(run_dir: Path) -> list[str] | None:
    """The plain settings (`run_setting`) among the overrides a Hydra run dir was started with,
    in order; None when `run_dir` has no `.hydra/overrides.yaml`; ValueError when that file is
    not a list of overrides."""
    import yaml

    overrides_file = run_dir / ".hydra" / "overrides.yaml"
    if not overrides_file.is_file():
        return None
    try:
        saved = yaml.safe_load(overrides_file.read_text()) or []
    except (OSError, yaml.YAMLError):
        saved = None
    if not isinstance(saved, list):
        raise ValueError(f"{overrides_file} is not a list of overrides")
    return [o for o in (str(x) for x in saved) if run_setting(o)]
