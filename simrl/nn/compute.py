"""Compute settings of a run, resolved once: device, torch threads, precision plan.

`ComputeConfig` is what a user asks for (command line keys `device`, `num_threads`, `compile`,
`precision_strict`, `precision.*`); `resolve_compute` turns it into a `Compute` for this machine,
applies the thread count, and is called once per run by the run loop. Trainers receive the
resulting `Compute` and never resolve a device, a precision or a thread count themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from simrl.config.fields import check_fields, limit
from simrl.nn.device import resolve_device, set_threads
from simrl.nn.precision import PRECISIONS, RECIPES, PrecisionPlan, resolve_precision

NARROW_CORE = 512  # cores narrower than this run their matmuls fastest on one thread


def usable_cpus() -> int:
    """Cores this process may run on (affinity-aware where the OS tells)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass
class ComputeConfig:
    """Where and in which precision the learner runs (see the module docstring)."""

    device: str = "auto"  # auto | cpu | cuda | cuda:N
    precision: str = limit("auto", choices=PRECISIONS, what="a precision")  # auto|fp32|bf16|fp8
    precision_strict: bool = False  # an unsupported precision is an error, not a fallback
    fp8_recipe: str = limit("tensorwise", choices=RECIPES, what="an fp8 recipe")
    fp8_emulate: bool = False  # fp8 through torchao's emulation (any device; numerics, no speed)
    compile: bool = False  # torch.compile the core (dropped for bf16 autocast on CUDA: wrong grads)
    num_threads: int = limit(0, ge=0)  # torch threads; 0 = auto (1 for cores < 512 wide, else all)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """One-line ValueError naming the field, its value and what is allowed."""
        check_fields(self)


@dataclass(frozen=True)
class Compute:
    """The resolved settings a trainer computes with."""

    device: torch.device
    threads: int  # torch intra-op threads in effect
    plan: PrecisionPlan

    def as_dict(self) -> dict:
        """Fields for summaries: device, num_threads and the precision plan's fields."""
        return {"device": str(self.device), "num_threads": self.threads, **self.plan.as_dict()}


def auto_threads(core_width: int, cpus: int | None = None) -> int:
    """Torch threads for `num_threads=0`: 1 for cores narrower than 512 (their small matmuls lose
    more to thread hand-offs than they gain), else every usable core."""
    return 1 if 0 < core_width < NARROW_CORE else (cpus or usable_cpus())


def resolve_compute(cfg: ComputeConfig, core_width: int = 0) -> Compute:
    """Resolve `cfg` on this machine, set torch's thread count, return the `Compute`.

    Raises a one-line ValueError for a device that is not there or, with `precision_strict`, a
    precision this device cannot run.
    """
    device = torch.device(resolve_device(cfg.device))
    threads = cfg.num_threads or auto_threads(core_width)
    set_threads(threads)
    plan = resolve_precision(
        cfg.precision,
        device,
        strict=cfg.precision_strict,
        recipe=cfg.fp8_recipe,
        emulate=cfg.fp8_emulate,
        compile=cfg.compile,
    )
    return Compute(device=device, threads=torch.get_num_threads(), plan=plan)
