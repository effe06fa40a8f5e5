"""Weight gradients of a compiled Core against eager, per precision, on one device.

Why: on an H200 (torch 2.11, CUDA 13) a Core compiled under bf16 autocast gave wrong weight
gradients (cosine 0.01-0.10 against eager, norms 30-180x) while its outputs agreed, and the compiled
FP8 tensorwise Core without autocast matched eager. simrl therefore drops ``compile`` for CUDA
autocast plans (``simrl.nn.precision``); this script re-measures the torch behaviour behind that,
bypassing the refusal, so a newer torch that fixes it shows up as OK.

    python scripts/gpu/compile_grads.py [--device cuda] [--preset base]
"""

from __future__ import annotations

import argparse
import contextlib

import torch

from simrl.nn import Core, core_preset
from simrl.nn.precision import resolve_precision

COS_OK = 0.98  # the nn tests' bar for FP8 against bf16 gradients


def grads(precision: str, compiled: bool, autocast: bool, args) -> dict[str, torch.Tensor]:
    """2-D weight gradients of (y**2).mean() for one setting (same init and batch every time)."""
    emulate = args.device == "cpu" and precision == "fp8"
    plan = resolve_precision(precision, device=args.device, strict=True, emulate=emulate)
    torch.manual_seed(0)
    core = plan.prepare(Core(64, core_preset(args.preset)).to(args.device))
    if compiled:
        torch._dynamo.reset()
        core.compile()
    torch.manual_seed(1)
    x = torch.randn(args.batch, 64, device=args.device)
    ctx = (
        torch.autocast(args.device, dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
    )
    with ctx:
        y = core(x)
    (y.float() ** 2).mean().backward()
    return {n: p.grad.flatten().float() for n, p in core.named_parameters() if p.dim() == 2}


def compare(g: dict, ref: dict) -> tuple[float, float]:
    """(lowest cosine, largest norm ratio) over the layers."""
    cos = [torch.nn.functional.cosine_similarity(g[n], ref[n], dim=0).item() for n in ref]
    ratio = [(g[n].norm() / ref[n].norm()).item() for n in ref]
    return min(cos), max(ratio)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--preset", default="base")
    p.add_argument("--batch", type=int, default=4096)
    args = p.parse_args()
    half = "bf16" if args.device != "cpu" else "fp32"  # CPU: fp32 reference, no autocast
    on_cpu = args.device == "cpu"
    ref = grads(half, False, not on_cpu, args)
    eager8 = grads("fp8", False, not on_cpu, args)
    cases = [
        (f"compiled {half}" + ("" if on_cpu else " under autocast"), half, not on_cpu, ref),
        ("compiled fp8 tensorwise under autocast", "fp8", not on_cpu, eager8),
        ("compiled fp8 tensorwise, no autocast (simrl)", "fp8", False, eager8),
    ]
    print(
        f"torch {torch.__version__}, device {args.device}, preset {args.preset}, batch {args.batch}"
    )
    for name, precision, autocast, same in cases:
        g = grads(precision, True, autocast, args)
        cos_same, ratio = compare(g, same)
        cos_ref, _ = compare(g, ref)
        verdict = "OK" if cos_same > COS_OK and ratio < 1.1 else "WRONG"
        print(
            f"  {name:46} {verdict:5} min cos vs eager {cos_same:.4f} (vs eager {half} "
            f"{cos_ref:.4f}), max norm ratio {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
