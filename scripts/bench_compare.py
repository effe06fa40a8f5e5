"""Collect `simrl-bench` output dirs into one GRPO/PPO table + JSON (for BENCHMARKS.md).

    python scripts/bench_compare.py /tmp/sb/meters_base /tmp/sb/reacher_small \
        --out scripts/results/compare.json --copy scripts/results/compare

Each DIR is one `simrl-bench` output (results.json). Prints one row per comparison: env, preset,
precision, seeds, budget, and the GRPO and PPO values with their ratio for peak learner memory,
FLOPs per sample, update time and final return. `--rewrite` rebuilds each dir's results from its runs/ with the current code first. `--copy` keeps each dir's report.md, results.json
and PNGs (not the run dirs) under COPY/<dir name>/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from simrl.bench.compare import write_results
from simrl.bench.report import fmt
from simrl.files import atomic_write_text

KEYS = (
    ("peak_learner_memory_bytes", "peak mem B"),
    ("learner_flops_per_sample", "FLOPs/sample"),
    ("learner_flops_per_collected_sample", "FLOPs/coll. sample"),
    ("update_time_s_mean", "s/update"),
    ("learner_samples_per_s", "learner samples/s"),
    ("final_return_mean", "final return"),
)


def row(path: Path) -> dict:
    res = json.loads((path / "results.json").read_text())
    s, agg, r = res["setup"], res["aggregate"], res["ratios"]
    out = {
        "dir": str(path),
        "env_id": s.get("env_id"),
        "model": s.get("model"),
        "precision": s.get("precision_requested"),
        "seeds": s.get("seeds"),
        "total_env_steps": s.get("total_env_steps"),
        "command": s.get("command"),
        "goals": res.get("goals"),
    }
    for key, _ in KEYS:
        out[key] = {a: agg[a][key] for a in agg}
        out[key]["grpo/ppo"] = r.get(f"{key}_diff", r.get(key))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dirs", nargs="+", type=Path)
    p.add_argument("--out", type=Path, default=Path("scripts/results/compare.json"))
    p.add_argument("--copy", type=Path, default=None)
    p.add_argument(
        "--rewrite",
        action="store_true",
        help="first rebuild each dir's results.json, report.md and plots from its runs/ with this code",
    )
    args = p.parse_args(argv)
    rows = []
    for d in args.dirs:
        if not (d / "results.json").exists():
            print(f"skip {d}: no results.json", file=sys.stderr)
            continue
        if args.rewrite:
            setup = json.loads((d / "results.json").read_text())["setup"]
            runs = (d / "runs").iterdir()
            write_results(sorted(p for p in runs if p.is_dir() and ".old-" not in p.name), d, setup)
        rows.append(row(d))
        if args.copy:
            dst = args.copy / d.name
            dst.mkdir(parents=True, exist_ok=True)
            for f in ("results.json", "report.md", "learning_curves.png", "memory_compute.png"):
                if (d / f).exists():
                    shutil.copy2(d / f, dst / f)
    head = ["env", "model", "seeds", "steps"] + [f"{label} G | P | G/P" for _, label in KEYS]
    print(" | ".join(head))
    for r in rows:
        cells = [
            str(r["env_id"]),
            str(r["model"]),
            str(len(r["seeds"] or [])),
            fmt(r["total_env_steps"]),
        ]
        for key, _ in KEYS:
            v = r[key]
            g, pp = v.get("grpo") or {}, v.get("ppo") or {}
            cells.append(f"{fmt(g.get('mean'))} | {fmt(pp.get('mean'))} | {fmt(v.get('grpo/ppo'))}")
        print(" | ".join(cells))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps({"rows": rows}, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
