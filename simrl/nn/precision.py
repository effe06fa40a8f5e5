"""Precision plans for the Core: fp32, bf16 (autocast) and FP8 (torchao Float8Linear).

``resolve_precision`` turns a request (``auto|fp32|bf16|fp8``) into what this device can really do,
with one warning line on a fallback (or a ValueError with ``strict=True``), and records both:

- fp8 needs a CUDA GPU of compute capability >= 8.9 (>= 9.0 for the rowwise recipes) and torchao;
  ``emulate=True`` runs torchao's emulated FP8 on any device (numerics only, not speed).
- bf16 needs a CUDA GPU with bf16, or a CPU with native bf16 (AVX512-BF16 or AMX).
- ``auto`` picks fp32 on CPU (bf16 emulation there is not reliably faster) and bf16 on a GPU: FP8
  only beats bf16 for wide cores and large batches (preset xl), so it is opt-in.

``plan.prepare(module)`` converts only the Linear layers inside ``Core`` modules whose dims are
divisible by 16 (heads, norms and the odd-sized input projection stay in high precision; master
weights and optimizer state stay fp32) and optionally compiles in place. ``plan.autocast()`` is a
bf16 autocast for bf16 and (real) fp8 plans, a null context otherwise. Run the forward of a
prepared module under it: real FP8 GEMMs (rowwise in particular) need bf16 around them.

compile on CUDA: a compiled Core under bf16 autocast gave wrong weight gradients on an H200
(torch 2.11), so bf16 and rowwise-FP8 plans drop ``compile`` there (one warning; a ValueError with
``strict=True``), and a compiled tensorwise-FP8 plan runs without autocast, which was correct.

FP8 shape rule (torch._scaled_mm): every GEMM's inner dim must be a multiple of 16. The Core's
widths are, but the weight-gradient GEMM contracts over the batch, so training batches fed to an
FP8 core must be multiples of 16 (forward-only calls, e.g. acting, take any batch size).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from dataclasses import dataclass, replace

import torch
from torch import nn

from simrl.nn.core import DIM_MULTIPLE, Core
from simrl.nn.device import resolve_device

PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp8")
RECIPES: tuple[str, ...] = ("tensorwise", "rowwise", "rowwise_with_gw_hp")
FP8_MIN_CAPABILITY = {"tensorwise": (8, 9), "rowwise": (9, 0), "rowwise_with_gw_hp": (9, 0)}

log = logging.getLogger(__name__)


def import_torchao_float8():
    """Import ``torchao.float8`` with its import-time noise (missing .so files, pytree) muted.

    Returns the module, or raises ImportError with one line naming the cause.
    """
    noisy = [logging.getLogger(n) for n in ("torchao", "torch.utils._pytree")]
    levels = [lg.level for lg in noisy]
    try:
        for lg in noisy:
            lg.setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import torchao.float8 as float8
    except Exception as exc:  # torchao missing or broken against this torch
        raise ImportError(f"torchao.float8 unavailable: {type(exc).__name__}: {exc}") from None
    finally:
        for lg, level in zip(noisy, levels, strict=True):
            lg.setLevel(level)
    return float8


def _torchao_problem() -> str | None:
    try:
        import_torchao_float8()
    except ImportError as exc:
        return str(exc)
    return None


def cpu_has_bf16() -> bool:
    """True if this CPU has native bf16 arithmetic (AVX512-BF16 or AMX tiles)."""
    for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        fn = getattr(torch.cpu, probe, None)
        with contextlib.suppress(Exception):
            if fn is not None and fn():
                return True
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        flags = f.read()
        return "avx512_bf16" in flags or "amx_bf16" in flags
    return False


def normalize_device(device: str | torch.device = "cpu") -> torch.device:
    """``auto`` -> cuda if available else cpu; validates cpu/cuda[:N] (see simrl.nn.device)."""
    return torch.device(resolve_device(str(device)))


def _fp8_config(recipe: str, emulate: bool):
    float8 = import_torchao_float8()
    config = float8.Float8LinearConfig.from_recipe_name(recipe)
    return replace(config, emulate=True) if emulate else config


def fp8_filter(module: nn.Module, fqn: str = "") -> bool:
    """Convert a layer to FP8 only if it is an nn.Linear with both dims divisible by 16."""
    return (
        isinstance(module, nn.Linear)
        and module.in_features % DIM_MULTIPLE == 0
        and module.out_features % DIM_MULTIPLE == 0
    )


@dataclass(frozen=True)
class PrecisionPlan:
    """What precision a run asked for, what it gets on this device, and how to apply it."""

    requested: str
    effective: str  # fp32 | bf16 | fp8
    recipe: str | None  # fp8 scaling recipe, None unless effective == fp8
    reason: str
    device: str = "cpu"
    emulate: bool = False  # fp8 through torchao's emulation (CPU-testable numerics, no speed-up)
    compile: bool = False

    @property
    def fell_back(self) -> bool:
        return self.requested not in ("auto", self.effective)

    def prepare(self, module: nn.Module) -> nn.Module:
        """Apply the plan to ``module`` in place and return it.

        fp8: swap the Linear layers inside every ``Core`` (``module`` itself or its submodules)
        for torchao ``Float8Linear`` (dims divisible by 16 only). compile: ``module.compile()``
        (in place, so state_dict keys do not change).
        """
        if self.effective == "fp8":
            float8 = import_torchao_float8()
            config = _fp8_config(self.recipe or "tensorwise", self.emulate)
            cores = [m for m in module.modules() if isinstance(m, Core)]
            if not cores:
                raise ValueError(
                    f"precision=fp8 converts Core Linear layers, but {type(module).__name__} holds no Core"
                )
            for core in cores:
                float8.convert_to_float8_training(core, module_filter_fn=fp8_filter, config=config)
        if self.compile:
            module.compile()
        return module

    def autocast(self) -> contextlib.AbstractContextManager:
        """bf16 autocast for bf16 and real-fp8 plans (non-FP8 ops in bf16), else a null context.

        A compiled real-FP8 plan runs without autocast (non-FP8 ops in fp32): compiled under CUDA
        autocast, the Core's weight gradients were wrong (see ``_compile_problem``).
        """
        if self.effective == "bf16" or (
            self.effective == "fp8" and not self.emulate and not self.compile
        ):
            return torch.autocast(device_type=torch.device(self.device).type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def as_dict(self) -> dict:
        """Fields for summaries: precision_requested, precision_effective, ... ."""
        return {
            "precision_requested": self.requested,
            "precision_effective": self.effective,
            "fp8_recipe": self.recipe,
            "fp8_emulated": self.emulate,
            "precision_reason": self.reason,
        }


def _support(precision: str, dev: torch.device, recipe: str, emulate: bool) -> str | None:
    """None if ``precision`` runs on ``dev``, else the reason it does not."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        if dev.type == "cuda":
            return None if torch.cuda.is_bf16_supported() else "this GPU has no bf16 support"
        return None if cpu_has_bf16() else "this CPU has no native bf16 (AVX512-BF16/AMX)"
    # fp8: the hardware first (the more fundamental reason), then torchao
    if not emulate:
        if dev.type != "cuda":
            return "real FP8 needs a CUDA GPU of compute capability >= 8.9 (set precision.emulate=true for emulated FP8 numerics)"
        cap = torch.cuda.get_device_capability(dev)
        need = FP8_MIN_CAPABILITY[recipe]
        if cap < need:
            return f"FP8 {recipe} needs CUDA capability >= {need[0]}.{need[1]}, this GPU has {cap[0]}.{cap[1]}"
    return _torchao_problem()


def resolve_precision(
    requested: str = "auto",
    device: str | torch.device = "cpu",
    strict: bool = False,
    recipe: str = "tensorwise",
    emulate: bool = False,
    compile: bool = False,
) -> PrecisionPlan:
    """Resolve a precision request against the device; fall back (one warning) or raise if strict."""
    plan = _resolve(requested, device, strict, recipe, emulate, compile)
    why = _compile_problem(plan)
    if why is None:
        return plan
    if strict:
        raise ValueError(
            f"compile=true with precision={plan.effective} on {plan.device} (strict): {why}"
        )
    reason = f"{plan.reason}; compile=true dropped: {why}"
    log.warning(f"compile=true dropped: {why}")
    return replace(plan, compile=False, reason=reason)


def _compile_problem(plan: PrecisionPlan) -> str | None:
    """Why ``plan`` must not be compiled, or None.

    Measured on an H200 (torch 2.11, CUDA 13, 2026-12-04): a compiled Core under CUDA bf16
    autocast gives wrong weight gradients (cosine 0.01-0.10 against eager bf16, norms 30-180x),
    while its outputs agree; the same compiled FP8 (tensorwise) Core *without* autocast matches
    eager FP8 (cosine >= 0.999). So CUDA autocast plans are not compiled, except FP8 tensorwise,
    which then runs without autocast (``PrecisionPlan.autocast``). ``scripts/gpu/compile_grads.py``
    re-measures this on a GPU.
    """
    if not plan.compile or torch.device(plan.device).type != "cuda" or plan.emulate:
        return None
    if plan.effective == "bf16" or (plan.effective == "fp8" and plan.recipe != "tensorwise"):
        return (
            "torch.compile with CUDA bf16 autocast gave wrong weight gradients (measured on an "
            "H200, torch 2.11); use compile=false, or precision=fp8 precision.recipe=tensorwise "
            "(compiled without autocast)"
        )
    return None


def _resolve(
    requested: str,
    device: str | torch.device,
    strict: bool,
    recipe: str,
    emulate: bool,
    compile: bool,
) -> PrecisionPlan:
    if requested not in PRECISIONS:
        raise ValueError(f"precision={requested!r} is not one of {list(PRECISIONS)}")
    if recipe not in RECIPES:
        raise ValueError(f"fp8_recipe={recipe!r} is not one of {list(RECIPES)}")
    dev = normalize_device(device)
    kw = {"device": str(dev), "compile": compile}
    if requested == "auto":
        if dev.type == "cuda" and _support("bf16", dev, recipe, False) is None:
            return PrecisionPlan("auto", "bf16", None, "auto: bf16 on GPU (fp8 is opt-in)", **kw)
        return PrecisionPlan("auto", "fp32", None, f"auto: fp32 on {dev.type}", **kw)
    why = _support(requested, dev, recipe, emulate)
    if why is None:
        fp8 = requested == "fp8"
        note = f"{requested} supported on {dev}" + (" (emulated)" if fp8 and emulate else "")
        return PrecisionPlan(
            requested, requested, recipe if fp8 else None, note, emulate=fp8 and emulate, **kw
        )
    if strict:
        raise ValueError(f"precision={requested!r} unsupported on {dev} (strict): {why}")
    fallback = (
        "bf16" if (requested == "fp8" and _support("bf16", dev, recipe, False) is None) else "fp32"
    )
    if dev.type == "cpu":
        fallback = "fp32"  # CPU bf16 is a numerics mode, never a silent speed fallback
    reason = f"precision={requested!r} unsupported on {dev}: {why}; falling back to {fallback}"
    log.warning(reason)
    return PrecisionPlan(requested, fallback, None, reason, **kw)
