#!/usr/bin/env python
"""Core learner-step throughput per preset x precision x batch size.

One step = forward + backward of ``mean(core(x)^2)`` + one Adam step (fp32 master weights), under
the precision plan's autocast. Reported per configuration: samples/s, achieved TFLOP/s (FLOPs of
one step counted by torch's FLOP counter on the fp32 model: GEMMs only), peak memory of one step
(simrl.nn.meters.PeakMemory: CUDA allocator on GPU, live-storage tracking on CPU) and the speed
ratio to the baseline measured in the same run: fp32 on CPU, bf16 on GPU (same compile setting if
measured; on CUDA simrl refuses to compile bf16 plans, whose compiled gradients were wrong, so
compiled FP8 rows are compared with eager bf16).

On CPU, FP8 only exists as torchao's emulation, which is slow by design: it is reported as a
numerics note (output relative error, weight-gradient cosine vs fp32), not as a speed.

    python scripts/bench_core.py --quick                    # CPU: small/base/large, fp32 (+bf16)
    python scripts/bench_core.py --device cuda --presets large,xl \\
        --variants bf16,fp8-tensorwise,fp8-tensorwise+compile,fp8-rowwise --out r.json
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a bare checkout too

from simrl.files import atomic_write_text  # noqa: E402
from simrl.nn import PRESETS, Core, PeakMemory, core_preset, count_flops  # noqa: E402
from simrl.nn.precision import RECIPES, normalize_device, resolve_precision  # noqa: E402

IN_DIM = (
    64  # observation width fed to the core (divisible by 16: the input projection converts too)
)


@dataclass(frozen=True)
class Variant:
    """One precision setting: ``fp32``, ``bf16``, ``fp8-<recipe>``, each optionally ``+compile``."""

    precision: str
    recipe: str | None
    compile: bool

    @property
    def name(self) -> str:
        base = self.precision if self.recipe is None else f"fp8-{self.recipe}"
        return base + ("+compile" if self.compile else "")

    @classmethod
    def parse(cls, text: str) -> Variant:
        base, _, flag = text.partition("+")
        if flag not in ("", "compile"):
            raise ValueError(f"variant {text!r}: suffix must be '+compile'")
        if base in ("fp32", "bf16"):
            return cls(base, None, flag == "compile")
        prec, _, recipe = base.partition("-")
        if prec == "fp8" and (recipe or "tensorwise") in RECIPES:
            return cls("fp8", recipe or "tensorwise", flag == "compile")
        raise ValueError(
            f"variant {text!r} is not one of fp32, bf16, fp8-<recipe> (recipes {list(RECIPES)}), "
            "each optionally +compile"
        )


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step_flops(cfg, batch: int) -> int:
    """FLOPs of one fwd+bwd step (Adam adds no GEMMs): counted on the meta device (no memory, no
    compute) at a probe batch of 16, then scaled (every GEMM is linear in the batch)."""
    probe_batch = 16
    with torch.device("meta"):
        core = Core(IN_DIM, cfg)
        x = torch.randn(probe_batch, IN_DIM)
        flops = count_flops(lambda: core(x).pow(2).mean().backward())
    return flops * batch // probe_batch


def timed(fn, device: torch.device, args) -> tuple[float, int]:
    """Median seconds per call of ``fn``: blocks of calls (>= args.block_time s each) between syncs."""
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    per_block = max(1, int(args.block_time / max(time.perf_counter() - t0, 1e-6)))
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < args.iters or (
        time.perf_counter() - start < args.min_time and len(samples) < 10 * args.iters
    ):
        t0 = time.perf_counter()
        for _ in range(per_block):
            fn()
        sync(device)
        samples.append((time.perf_counter() - t0) / per_block)
    samples.sort()
    return samples[len(samples) // 2], len(samples) * per_block


def measure(cfg, variant: Variant, batch: int, device: torch.device, args) -> dict:
    """Time fwd+bwd, and fwd+bwd+Adam, of one configuration (ValueError if unsupported here)."""
    plan = resolve_precision(
        variant.precision,
        device=device,
        strict=True,
        recipe=variant.recipe or "tensorwise",
        compile=variant.compile,
    )
    if variant.compile:  # fresh, static-shape compile per configuration (no cache-limit fallback)
        torch._dynamo.reset()
    torch.manual_seed(0)
    with torch.device(device):  # initialise on the device: xl's orthogonal init is slow on CPU
        core = plan.prepare(Core(IN_DIM, cfg))
    opt = torch.optim.Adam(core.parameters(), lr=1e-4, fused=device.type == "cuda")
    x = torch.randn(batch, IN_DIM, device=device)

    def fwd_bwd() -> None:
        for p in core.parameters():
            p.grad = None
        with plan.autocast():
            loss = core(x).float().pow(2).mean()
        loss.backward()

    def step() -> None:
        fwd_bwd()
        opt.step()

    for _ in range(args.warmup):  # includes torch.compile's first (slow) calls
        step()
    sync(device)
    with PeakMemory(device) as pm:
        step()
    fwd_bwd_s, n_fb = timed(fwd_bwd, device, args)
    step_s, n_step = timed(step, device, args)
    return {
        "step_s": step_s,
        "fwd_bwd_s": fwd_bwd_s,
        "steps_timed": n_step,
        "fwd_bwd_timed": n_fb,
        "peak_bytes": pm.peak_bytes,
        "peak_method": pm.method,
    }


def fp8_numerics(cfg, batch: int = 256) -> dict:
    """Emulated-FP8 (tensorwise) core vs fp32: output relative error and weight-grad cosine."""
    torch.manual_seed(0)
    ref = Core(IN_DIM, cfg)
    core = resolve_precision("fp8", emulate=True).prepare(copy.deepcopy(ref))
    x = torch.randn(batch, IN_DIM)
    y_ref, y = ref(x), core(x)
    y_ref.pow(2).mean().backward()
    y.pow(2).mean().backward()
    name, p_ref = next(
        (n, p) for n, p in ref.named_parameters() if n.endswith("weight") and p.dim() == 2
    )
    g_ref = p_ref.grad.flatten()
    g = dict(core.named_parameters())[name].grad.flatten()
    return {
        "out_rel_err": ((y - y_ref).norm() / y_ref.norm()).item(),
        "grad_cosine": torch.nn.functional.cosine_similarity(g, g_ref, dim=0).item(),
        "grad_param": name,
    }


def add_ratios(rows: list[dict], baseline: str) -> None:
    """Speed ratios to the baseline precision at the same preset/batch (same compile if present)."""
    for r in rows:
        if r.get("error"):
            continue
        same = [
            b
            for b in rows
            if (b["preset"], b["batch"], b["precision"]) == (r["preset"], r["batch"], baseline)
            and not b.get("error")
        ]
        ref = next((b for b in same if b["compile"] == r["compile"]), same[0] if same else None)
        r["baseline_variant"] = ref["variant"] if ref else None
        r["ratio_to_baseline"] = ref["step_s"] / r["step_s"] if ref else None
        r["fwd_bwd_ratio_to_baseline"] = ref["fwd_bwd_s"] / r["fwd_bwd_s"] if ref else None


def print_table(rows: list[dict], baseline: str) -> None:
    cols = f"{'samples/s':>10} {'TFLOP/s':>8} {'peak MiB':>9} {'step x':>7} {'f+b x':>6}"
    head = f"{'preset':6} {'variant':24} {'batch':>6} {cols}   (x = ratio to {baseline})"
    print(head)
    print("-" * len(head))
    for r in rows:
        lead = f"{r['preset']:6} {r['variant']:24} {r['batch']:>6}"
        if r.get("error"):
            print(f"{lead}  skipped: {r['error']}")
            continue

        def fmt(v):
            return f"{v:.2f}" if v else "-"

        print(
            f"{lead} {r['samples_per_s']:>10.0f} {r['tflops']:>8.3f} {r['peak_bytes'] / 2**20:>9.1f}"
            f" {fmt(r['ratio_to_baseline']):>7} {fmt(r['fwd_bwd_ratio_to_baseline']):>6}"
        )


def write_json(path: str, result: dict) -> None:
    """Write the results JSON atomically (`simrl.files`)."""
    atomic_write_text(Path(path), json.dumps(result, indent=2))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N]")
    p.add_argument("--presets", default=None, help=f"comma list of {list(PRESETS)}")
    p.add_argument("--variants", default=None, help="fp32, bf16, fp8-<recipe>, each +compile")
    p.add_argument("--batch-sizes", default=None, help="comma list of ints")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps (compile happens here)")
    p.add_argument("--iters", type=int, default=None, help="at least this many timed blocks")
    p.add_argument("--min-time", type=float, default=None, help="time at least this long (s)")
    p.add_argument("--block-time", type=float, default=None, help="s of steps between syncs")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads (0: torch default). Default 1: on a shared 2-core box, 2 OpenMP "
        "threads get starved and run a small step 20-50x slower",
    )
    p.add_argument("--quick", action="store_true", help="fewer batches and steps")
    p.add_argument("--no-fp8-numerics", action="store_true", help="skip the emulated-FP8 note")
    p.add_argument("--out", default=None, help="JSON output path (rewritten after every row)")
    p.add_argument("--append", action="store_true", help="keep the rows already in --out")
    args = p.parse_args(argv)
    args.device = normalize_device(args.device)
    gpu = args.device.type == "cuda"
    args.presets = (args.presets or ("small,base,large,xl" if gpu else "small,base,large")).split(
        ","
    )
    for name in args.presets:
        core_preset(name)  # one-line error for a bad name, before any work
    if args.variants:
        names = args.variants.split(",")
    elif gpu:
        names = ["bf16", "fp8-tensorwise", "fp8-tensorwise+compile", "fp8-rowwise"]
    else:
        names = ["fp32"] + (["bf16"] if resolve_precision("bf16").effective == "bf16" else [])
    args.variants = [Variant.parse(v) for v in names]
    batches = args.batch_sizes or (
        "4096,16384" if gpu else "256,4096" if args.quick else "256,1024,4096"
    )
    args.batch_sizes = [int(b) for b in batches.split(",")]
    quick = args.quick

    def default(value, cpu, cuda):
        return value if value is not None else (cuda if gpu else cpu)

    args.warmup = default(args.warmup, 2 if quick else 3, 5)
    args.iters = default(args.iters, 3 if quick else 5, 10)
    args.min_time = default(args.min_time, 0.5 if quick else 2.0, 1.0)
    args.block_time = default(args.block_time, 0.0, 0.05)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = args.device
    gpu = device.type == "cuda"
    if args.threads and not gpu:
        torch.set_num_threads(args.threads)
    baseline = "bf16" if gpu else "fp32"
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "device": torch.cuda.get_device_name(device) if gpu else f"cpu ({platform.machine()})",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "in_dim": IN_DIM,
        "baseline": baseline,
        "step": "mean(core(x)^2): fwd+bwd (+ Adam step for 'step' columns), fp32 master weights",
        "command": " ".join(
            ["scripts/bench_core.py", *(argv if argv is not None else sys.argv[1:])]
        ),
        "rows": [],
        "fp8_emulated_numerics": {},
    }
    if args.append and args.out and Path(args.out).exists():
        previous = json.loads(Path(args.out).read_text())
        result["rows"] = previous["rows"]
        result["command"] = f"{previous['command']} ; {result['command']}"
    rows = result["rows"]
    for name in args.presets:
        cfg = core_preset(name)
        for batch in args.batch_sizes:
            flops = step_flops(cfg, batch)
            for v in args.variants:
                row = {"preset": name, "variant": v.name, "precision": v.precision}
                row.update(recipe=v.recipe, compile=v.compile, batch=batch, flops_per_step=flops)
                try:
                    row.update(measure(cfg, v, batch, device, args))
                    row["samples_per_s"] = batch / row["step_s"]
                    row["tflops"] = flops / row["step_s"] / 1e12
                    row["fwd_bwd_tflops"] = flops / row["fwd_bwd_s"] / 1e12
                except (ValueError, RuntimeError, ImportError) as exc:  # unsupported here, OOM
                    row["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                rows.append(row)
                print_status(row)
                add_ratios(rows, baseline)
                if args.out:
                    write_json(args.out, result)
                if gpu:
                    torch.cuda.empty_cache()
    if not gpu and not args.no_fp8_numerics:
        for name in args.presets:
            if name != "xl":  # 134M parameters: too slow for an emulated note on CPU
                result["fp8_emulated_numerics"][name] = fp8_numerics(core_preset(name))
    print()
    print_table(rows, baseline)
    if result["fp8_emulated_numerics"]:
        print("\nFP8 (torchao emulation, tensorwise) numerics vs fp32, batch 256 (not a speed):")
        for name, n in result["fp8_emulated_numerics"].items():
            print(
                f"  {name:6} output rel. err {n['out_rel_err']:.4f}   "
                f"weight-grad cosine {n['grad_cosine']:.4f} ({n['grad_param']})"
            )
    if args.out:
        write_json(args.out, result)
        print(f"\nwrote {args.out}")
    return 0


def print_status(row: dict) -> None:
    lead = f"  {row['preset']} {row['variant']} b={row['batch']}:"
    if row.get("error"):
        print(f"{lead} {row['error']}", flush=True)
    else:
        print(
            f"{lead} {row['samples_per_s']:.0f} samples/s, {row['tflops']:.3f} TFLOP/s "
            f"(fwd+bwd {row['fwd_bwd_tflops']:.3f})",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
