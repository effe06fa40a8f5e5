"""The benchmark scripts stay runnable through the library's run loop (tiny budgets)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_grpo_tiny(tmp_path, capsys):
    bench = load("bench_grpo")
    argv = [
        "--envs", "Reacher-v5", "--seeds", "0", "1", "--reacher-steps", "1600",
        "--compare-steps", "0", "--eval-every", "1", "--eval-episodes", "2",
        "--set", "num_groups=4", "group_size=4",  # 4 x 4 x 50 = 800 env steps per iteration
        "--out", str(tmp_path), "--name", "tiny", "--runs-dir", str(tmp_path / "runs"),
    ]  # fmt: skip
    assert bench.main(argv) == 0
    res = json.loads((tmp_path / "tiny.json").read_text())
    runs = res["main"]["Reacher-v5"]
    assert [r["seed"] for r in runs] == [0, 1]
    for r in runs:
        assert r["status"] == "completed" and r["env_steps"] == 1600
        assert r["curve"]["env_steps"] == [800, 1600]  # evaluated by the run loop each iteration
        assert r["final_eval_return"] == r["curve"]["eval_return"][-1]
        assert 0 < r["curve"]["wall_s"][0] < r["curve"]["wall_s"][1] <= r["train_wall_s"] + 1e-9
        assert (Path(r["run_dir"]) / "summary.json").exists()
    s = res["summary"]["Reacher-v5"]
    finals = [r["final_eval_return"] for r in runs]
    assert s["final_mean"] == pytest.approx(sum(finals) / 2)
    assert s["final_std"] == pytest.approx(abs(finals[0] - finals[1]) / 2**0.5)  # ddof=1
    assert s["final_iqm"] == pytest.approx(s["final_mean"])  # 2 seeds: nothing trimmed
    assert (tmp_path / "tiny.png").stat().st_size > 0
    assert "IQM [95% CI]" in capsys.readouterr().out


@pytest.mark.slow
def test_bench_tasks_ppo_tiny(tmp_path):
    bench = load("bench_tasks_ppo")
    out = tmp_path / "tasks.json"
    bench.main(
        ["--tasks", "reach", "--steps", "2048", "--eval-episodes", "2", "--eval-every", "2048",
         "--out", str(out), "--runs-dir", str(tmp_path / "runs")]
    )  # fmt: skip
    res = json.loads(out.read_text())["reach"]
    assert res["status"] == "completed" and res["env_steps"] == 2048
    assert [p["env_steps"] for p in res["curve"]] == [2048]
    assert res["final_eval_success"] == res["curve"][-1]["eval_success"]
    assert res["settings"]["n_steps"] == 128 and res["settings"]["eval_every_iterations"] == 1
    assert out.with_suffix(".png").stat().st_size > 0
