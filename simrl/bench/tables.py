"""Tables over several `simrl-bench` output dirs: `simrl-report mode=compare` and `mode=robust`.

`compare` puts one row per comparison: env, core preset, seeds, budget, and the GRPO and PPO seed
means with their ratio (difference for the final return) of peak learner memory, FLOPs per
sample, update time, learner throughput and final return, read from each dir's results.json.
`robust` recomputes, from each dir's completed runs, mean ± sample std and IQM [95% CI] of the
final return per algorithm and P(GRPO > PPO) [95% CI] of the final return, of the return at equal
wall-clock and of success (`simrl.bench.figures.robust`), then per
core preset P(GRPO > PPO) over all its tasks (rliable's average over tasks, runs x tasks
bootstrap). Renderers only: every statistic comes from `simrl.bench.figures` / `simrl.results`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from simrl.bench.figures import aggregate, robust
from simrl.files import atomic_write_text
from simrl.results import fmt, fmt_interval, fmt_mean_std, md_table, probability_of_improvement

COMPARE_KEYS = (
    ("peak_learner_memory_bytes", "peak mem B"),
    ("learner_flops_per_sample", "FLOPs/sample"),
    ("learner_flops_per_collected_sample", "FLOPs/coll. sample"),
    ("update_time_s_mean", "s/update"),
    ("learner_samples_per_s", "learner samples/s"),
    ("final_return_mean", "final return"),
)
RESULT_FILES = ("results.json", "report.md", "learning_curves.png", "memory_compute.png")
RETURN = "final_return_mean"


def read_results(path: str | Path) -> dict[str, Any]:
    """The results.json of one simrl-bench output dir."""
    return json.loads((Path(path) / "results.json").read_text())


def rewrite_results(path: str | Path) -> None:
    """Rebuild a dir's results.json, report.md and plots from its runs/ with the current code."""
    from simrl.bench.compare import write_results

    path = Path(path)

    def run_dirs(folder: Path) -> list[Path]:
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_dir() and ".old-" not in p.name)

    memory = run_dirs(path / "memory" / "runs")  # the equal-per-pass memory pass, if it ran
    write_results(run_dirs(path / "runs"), path, read_results(path)["setup"], memory_dirs=memory)


def compare_row(path: str | Path, res: dict[str, Any]) -> dict[str, Any]:
    """One comparison's setup and, per COMPARE_KEYS figure, each algo's stat and GRPO vs PPO."""
    s, agg, r = res["setup"], res["aggregate"], res["ratios"]
    out: dict[str, Any] = {
        "dir": str(path),
        "env_id": s.get("env_id"),
        "model": s.get("model"),
        "precision": s.get("precision_requested"),
        "seeds": s.get("seeds"),
        "total_env_steps": s.get("total_env_steps"),
        "command": s.get("command"),
        "goals": res.get("goals"),
    }
    for key, _ in COMPARE_KEYS:
        out[key] = {a: agg[a][key] for a in agg}
        out[key]["grpo/ppo"] = r.get(f"{key}_diff", r.get(key))
    return out


def compare_table(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown: one row per comparison, `GRPO | PPO | GRPO/PPO` seed means per figure."""
    head = ["env", "model", "seeds", "steps"] + [
        f"{label} G / P / G:P" for _, label in COMPARE_KEYS
    ]
    cells = []
    for r in rows:
        row = [
            str(r["env_id"]),
            str(r["model"]),
            str(len(r["seeds"] or [])),
            fmt(r["total_env_steps"]),
        ]
        for key, _ in COMPARE_KEYS:
            v = r[key]
            g, p = v.get("grpo") or {}, v.get("ppo") or {}
            row.append(f"{fmt(g.get('mean'))} / {fmt(p.get('mean'))} / {fmt(v.get('grpo/ppo'))}")
        cells.append(row)
    return md_table(head, cells)


def _completed(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in res["runs"] if r.get("status") == "completed"]


def robust_row(res: dict[str, Any]) -> list[str]:
    """Cells of one comparison: seeds, mean ± std and IQM per algo, P(GRPO > PPO) of return and
    success."""
    setup, runs = res["setup"], _completed(res)
    agg, rob = aggregate(runs), robust(runs)
    iqm_ret, poi = rob["iqm"].get(RETURN, {}), rob["probability_of_improvement"]
    steps = setup.get("total_env_steps")
    cells = [f"{setup.get('env_id')} {setup.get('model')}, {fmt(steps // 1000) if steps else '?'}k"]
    cells.append(str(len(agg.get("grpo", {}).get("seeds", []))))
    for algo in ("grpo", "ppo"):
        s, e = agg.get(algo, {}).get(RETURN, {}), iqm_ret.get(algo, {})
        cells += [
            fmt_mean_std(s.get("mean"), s.get("std")),
            fmt_interval(e.get("value"), e.get("low"), e.get("high")),
        ]
    for key in (RETURN, "return_at_equal_wall", "success_rate"):
        e = poi.get(key, {})
        cells.append(fmt_interval(e.get("value"), e.get("low"), e.get("high")))
    return cells


def preset_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    """Per core preset: its tasks and P(GRPO > PPO) on final return over them (runs x tasks).

    A preset whose tasks have different numbers of seeds is left out (rliable's matrix needs the
    same number on every task).
    """
    sides: dict[str, dict[str, dict[str, list]]] = {}
    for res in results:
        setup, runs = res["setup"], _completed(res)
        per = sides.setdefault(str(setup.get("model")), {"grpo": {}, "ppo": {}})
        for algo in ("grpo", "ppo"):
            ordered = sorted((r for r in runs if r["algo"] == algo), key=lambda r: r["seed"])
            per[algo][str(setup.get("env_id"))] = [r[RETURN] for r in ordered]
    rows = []
    for preset, per in sides.items():
        tasks = sorted(set(per["grpo"]) & set(per["ppo"]))
        if not tasks or len({len(per[a][t]) for a in per for t in tasks}) != 1:
            continue
        x, y = (
            [list(s) for s in zip(*(per[a][t] for t in tasks), strict=True)]
            for a in ("grpo", "ppo")
        )
        est = probability_of_improvement(x, y)
        rows.append([preset, ", ".join(tasks), fmt_interval(est.value, est.low, est.high)])
    return rows


ROBUST_HEAD = [
    "comparison",
    "seeds",
    "GRPO mean ± std",
    "GRPO IQM [95% CI]",
    "PPO mean ± std",
    "PPO IQM [95% CI]",
    "P(GRPO > PPO) [95% CI]",
    "equal wall-clock: P(GRPO > PPO)",
    "success: P(GRPO > PPO)",
]


def robust_markdown(results: list[dict[str, Any]]) -> str:
    """The robustness tables: per comparison, then per core preset."""
    lines = md_table(ROBUST_HEAD, [robust_row(res) for res in results])
    lines += ["", "P(GRPO > PPO) on final return over each preset's tasks (runs x tasks):", ""]
    lines += md_table(["preset", "tasks", "P(GRPO > PPO) [95% CI]"], preset_rows(results))
    return "\n".join(lines) + "\n"


def compare_report(dirs: list[str], out: str | None = None, rewrite: bool = False) -> str:
    """The compare table (markdown). With `out`: compare.json, compare.md and each dir's report
    files copied to out/<dir name>/. `rewrite` first rebuilds each dir's results from its runs/."""
    rows = []
    for d in dirs:
        if rewrite:
            rewrite_results(d)
        rows.append(compare_row(d, read_results(d)))
    text = "\n".join(compare_table(rows)) + "\n"
    if out is not None:
        dest = Path(out)
        dest.mkdir(parents=True, exist_ok=True)
        atomic_write_text(dest / "compare.json", json.dumps({"rows": rows}, indent=2) + "\n")
        atomic_write_text(dest / "compare.md", text)
        for d in map(Path, dirs):
            copy = dest / d.name
            copy.mkdir(exist_ok=True)
            for name in RESULT_FILES:
                if (d / name).exists() and (d / name).resolve() != (copy / name).resolve():
                    shutil.copy2(d / name, copy / name)
    return text


def robust_report(dirs: list[str], out: str | None = None) -> str:
    """The robustness tables (markdown); with `out`, also written to out/robust.md."""
    text = robust_markdown([read_results(d) for d in dirs])
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        atomic_write_text(Path(out) / "robust.md", text)
    return text
