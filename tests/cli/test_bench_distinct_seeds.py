"""simrl-bench counts every run once: repeated seeds are refused up front, a run listed twice is
aggregated once, and the console labels a difference as a difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simrl.bench.compare import collect
from simrl.bench.report import print_summary
from simrl.cli.bench import main


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


@pytest.mark.parametrize("seeds", ["[0,0]", "[0,1,1]"])
def test_repeated_bench_seeds_are_refused_up_front(seeds, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main([f"bench.seeds={seeds}"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("simrl-bench: error: bench.seeds=")
    assert "more than once" in err[0] and "allowed: distinct seeds" in err[0]
    assert _files(tmp_path) == []


def _run(path: Path, algo: str, seed: int, ret: float) -> Path:
    path.mkdir(parents=True)
    curve = [{"env_steps": 100, "wall_s": 1.0, "return_mean": ret, "success_rate": None}]
    summary = {"algo": algo, "env_id": "Reacher-v5", "seed": seed, "status": "completed",
               "env_steps": 100, "wall_s": 1.0, "final_return_mean": ret, "eval_curve": curve}  # fmt: skip
    (path / "summary.json").write_text(json.dumps(summary))
    return path


def test_a_run_listed_twice_is_counted_once(tmp_path):
    grpo = _run(tmp_path / "grpo_seed0", "grpo", 0, -5.0)
    ppo = _run(tmp_path / "ppo_seed0", "ppo", 0, -7.0)
    results = collect([grpo, ppo, grpo, tmp_path / "." / "ppo_seed0"], {"threshold": None})
    assert len(results["runs"]) == 2
    stat = results["aggregate"]["grpo"]["final_return_mean"]
    assert stat["n"] == 1 and stat["std"] is None  # one run: no spread, not a zero-width one


def test_console_labels_a_return_difference_as_a_difference(tmp_path, capsys):
    grpo = _run(tmp_path / "grpo_seed0", "grpo", 0, -5.0)
    ppo = _run(tmp_path / "ppo_seed0", "ppo", 0, -7.755)
    print_summary(collect([grpo, ppo], {"threshold": None}), tmp_path)
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "final deterministic return" in x)
    assert "+2.75 (diff)" in line and "2.755" not in line  # not shown like a GRPO/PPO ratio
