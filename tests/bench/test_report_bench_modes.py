"""`simrl-report mode=compare|robust` over simrl-bench output dirs, on two tiny fake comparisons.

Hand-computed reference: Reacher-v5 (small): GRPO ends at -8 and -9 (mean -8.5, sample std
0.7071), PPO at -10 and -12 (mean -11): difference +2.5, every GRPO seed above every PPO seed, so
P(GRPO > PPO) = 1; peak learner memory 300 vs 1000 B: ratio 0.3. Pusher-v5 (small): GRPO -40, -42,
PPO -30, -31: P = 0. Over the small preset's two tasks P(GRPO > PPO) = (1 + 0) / 2 = 0.5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simrl.bench import write_results
from simrl.cli.report import main

RETURNS = {"Reacher-v5": {"grpo": (-8.0, -9.0), "ppo": (-10.0, -12.0)},
           "Pusher-v5": {"grpo": (-40.0, -42.0), "ppo": (-30.0, -31.0)}}  # fmt: skip


def bench_dir(root: Path, env_id: str) -> Path:
    """A simrl-bench output dir (results.json, report.md, runs/) for `env_id`, 2 seeds a side."""
    out = root / env_id.lower()
    dirs = []
    for algo, rets in RETURNS[env_id].items():
        for seed, ret in enumerate(rets):
            d = out / "runs" / f"{algo}_seed{seed}"
            d.mkdir(parents=True)
            summary = {
                "algo": algo, "env_id": env_id, "seed": seed, "status": "completed",
                "env_steps": 4000, "final_return_mean": ret, "success_rate": None,
                "peak_learner_memory_bytes": 300 if algo == "grpo" else 1000,
                "learner_flops_per_sample": 1000.0 if algo == "grpo" else 2000.0,
                "eval_curve": [{"env_steps": 4000, "wall_s": 1.0, "return_mean": ret}],
            }  # fmt: skip
            (d / "summary.json").write_text(json.dumps(summary))
            dirs.append(d)
    setup = {"env_id": env_id, "model": "small", "total_env_steps": 200_000, "seeds": [0, 1]}
    write_results(dirs, out, setup, plots=False)
    return out


@pytest.fixture
def benches(tmp_path: Path) -> list[Path]:
    return [bench_dir(tmp_path / "bench", e) for e in RETURNS]


def test_compare_table_json_and_copies(benches: list[Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "compare"
    main(["mode=compare", *map(str, benches), f"out={out}"])
    printed = capsys.readouterr().out
    rows = json.loads((out / "compare.json").read_text())["rows"]
    reacher = rows[0]
    assert reacher["env_id"] == "Reacher-v5" and reacher["total_env_steps"] == 200_000
    assert reacher["final_return_mean"]["grpo"]["mean"] == pytest.approx(-8.5)
    assert reacher["final_return_mean"]["ppo"]["mean"] == pytest.approx(-11.0)
    assert reacher["final_return_mean"]["grpo/ppo"] == pytest.approx(2.5)  # a difference
    assert reacher["peak_learner_memory_bytes"]["grpo/ppo"] == pytest.approx(0.3)
    line = "| Reacher-v5 | small | 2 | 200,000 | 300 / 1000 / 0.3 | 1000 / 2000 / 0.5 |"
    assert line in printed and line in (out / "compare.md").read_text()
    assert printed.count("| -8.5 / -11 / 2.5 |") == 1
    for b in benches:
        assert (out / b.name / "results.json").read_text() == (b / "results.json").read_text()
        assert (out / b.name / "report.md").exists()


def test_robust_tables(benches: list[Path], tmp_path: Path, capsys) -> None:
    out = tmp_path / "robust"
    main(["mode=robust", *map(str, benches), f"out={out}"])
    printed = capsys.readouterr().out
    md = (out / "robust.md").read_text()
    assert md in printed
    reacher = next(line for line in md.splitlines() if line.startswith("| Reacher-v5 small, 200k"))
    cells = [c.strip() for c in reacher.strip("|").split("|")]
    assert cells[1] == "2"  # seeds
    assert cells[2] == "-8.5 ± 0.7071" and cells[4].startswith("-11 ± 1.414")
    assert cells[3].startswith("-8.5 [") and cells[5].startswith("-11 [")  # IQM = mean at 2 seeds
    assert cells[6] == "1 [1, 1]" and cells[8] == "-"  # no success signal
    assert cells[7] == "1 [1, 1]"  # every curve ends at 1 s: equal wall-clock = the final returns
    pusher = next(line for line in md.splitlines() if line.startswith("| Pusher-v5 small"))
    assert "| 0 [0, 0] |" in pusher
    preset = next(line for line in md.splitlines() if line.startswith("| small |"))
    assert preset.startswith("| small | Pusher-v5, Reacher-v5 | 0.5 [")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mode=compare", "{bad}"], "dir={bad} has no results.json"),
        (["mode=robust", "{ok}", "{bad}"], "dir={bad} has no results.json"),
        (["mode=compare", "{ok}", "target=-5"], "target=-5 only applies to mode=sweep"),
    ],
)
def test_bad_input_refused(benches, tmp_path: Path, capsys, args, message) -> None:
    bad = tmp_path / "empty"
    bad.mkdir()
    out = tmp_path / "out"
    subst = {"bad": str(bad), "ok": str(benches[0])}
    with pytest.raises(SystemExit) as exc:
        main([a.format(**subst) for a in args] + [f"out={out}"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message.format(**subst) in err and len(err.splitlines()) == 1
    assert not out.exists()
