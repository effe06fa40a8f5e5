"""Comparison numbers on synthetic runs: aggregates, ratios, goals, rliable statistics, report and
files. (The mean curve's test moved with the code to tests/results/test_results_stats.py.)"""

import csv
import json

import pytest

from simrl.bench import BenchConfig, aggregate, goals, ratios, robust, run_record, write_results
from simrl.bench.figures import first_crossing
from simrl.bench.report import render_report


def summary(algo, seed, peak, flops, ret, curve, **extra):
    return {
        "algo": algo,
        "env_id": "Reacher-v5",
        "seed": seed,
        "status": "completed",
        "env_steps": 4000,
        "iterations": 4,
        "wall_s": 100.0,
        "env_steps_per_s": 40.0,
        "update_time_share": 0.5,
        "final_return_mean": ret,
        "best_eval_return": ret,
        "success_rate": None,
        "params_trainable": 100 if algo == "grpo" else 200,
        "optimizer_state_bytes": 800 if algo == "grpo" else 1600,
        "peak_learner_memory_bytes": peak,
        "learner_flops_per_sample": flops,
        "precision_effective": "fp32",
        "eval_curve": [
            {"env_steps": s, "wall_s": w, "return_mean": r, "success_rate": None}
            for s, w, r in curve
        ],
        **extra,
    }


METRICS = [{"update_time_s": t, "epochs_done": 5.0} for t in (9.0, 1.0, 2.0, 3.0)]
CURVE_A = [(0, 0.0, -40.0), (2000, 50.0, -20.0), (4000, 100.0, -8.0)]
CURVE_B = [(0, 0.0, -40.0), (2000, 50.0, -12.0), (4000, 100.0, -9.0)]


def records():
    g = [
        run_record(summary("grpo", s, 300, 1000.0, r, c), METRICS, -10.0, {"epochs": 5})
        for s, r, c in ((0, -8.0, CURVE_A), (1, -9.0, CURVE_B))
    ]
    p = [
        run_record(
            summary("ppo", s, 1000, 2000.0, r, c, learner_flops_per_update=2000.0 * 10 * 1000,
                    samples_per_update=1000),
            METRICS, -10.0, {},
        )
        for s, r, c in ((0, -10.0, CURVE_B), (1, -12.0, CURVE_A))
    ]  # fmt: skip
    return g + p


def _write_run(d, summ):
    """A run directory with `summ` as its summary.json and the shared METRICS rows."""
    d.mkdir(parents=True)
    (d / "summary.json").write_text(json.dumps(summ))
    with (d / "metrics.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, ["update_time_s", "epochs_done"])
        w.writeheader()
        w.writerows(METRICS)
    return d


def test_run_record_derived_numbers():
    rec = records()[0]
    # update time: mean of the unmetered updates (the first is left out) = (1 + 2 + 3) / 3
    assert rec["update_time_s_mean"] == pytest.approx(2.0)
    assert rec["samples_per_update"] == 1000  # 4000 env steps / 4 iterations
    assert rec["learner_samples_per_s"] == pytest.approx(500.0)
    # GRPO per update = per-pass FLOPs x epochs done x samples
    assert rec["learner_flops_per_update"] == pytest.approx(1000.0 * 5 * 1000)
    assert rec["learner_flops_per_collected_sample"] == pytest.approx(5000.0)
    assert rec["steps_to_threshold"] == 4000 and rec["seconds_to_threshold"] == 100.0
    assert first_crossing([(0, 0, -40), (10, 1, -12)], -10) == (None, None)
    assert first_crossing([(0, 0, -40)], None) == (None, None)


def test_aggregate_ratios_goals():
    agg = aggregate(records())
    assert agg["grpo"]["final_return_mean"]["mean"] == pytest.approx(-8.5)
    assert agg["grpo"]["final_return_mean"]["std"] == pytest.approx(0.7071, rel=1e-3)
    assert agg["ppo"]["learner_flops_per_collected_sample"]["mean"] == pytest.approx(20000.0)
    # both PPO seeds first reach -10 at their last point (curve B: -9, curve A: -8)
    assert agg["ppo"]["steps_to_threshold"]["n"] == 2
    r = ratios(agg)
    assert r["peak_learner_memory_bytes"] == pytest.approx(0.3)
    assert r["learner_flops_per_sample"] == pytest.approx(0.5)
    assert r["learner_flops_per_collected_sample"] == pytest.approx(5000 / 20000)
    assert r["params_trainable"] == pytest.approx(0.5)
    assert r["final_return_mean_diff"] == pytest.approx(-8.5 - -11.0)
    met = {g["goal"].split()[1]: g["met"] for g in goals(agg, r)}
    assert met == {"peak": True, "learner": True, "final": True}
    assert ratios({"grpo": agg["grpo"]}) == {}


def test_robust_iqm_and_probability_of_improvement():
    rob = robust(records())
    ret = rob["iqm"]["final_return_mean"]
    # two seeds each: nothing trimmed, the IQM is the mean; the interval spans the two seeds
    assert ret["grpo"]["value"] == pytest.approx(-8.5) and ret["grpo"]["n"] == 2
    assert (ret["grpo"]["low"], ret["grpo"]["high"]) == (-9.0, -8.0)
    assert ret["ppo"]["value"] == pytest.approx(-11.0)
    # every GRPO seed (-8, -9) beats every PPO seed (-10, -12)
    poi = rob["probability_of_improvement"]["final_return_mean"]
    assert (poi["x"], poi["y"], poi["value"], poi["n"]) == ("grpo", "ppo", 1.0, 2)
    assert "success_rate" not in rob["iqm"]  # Reacher has no success signal
    assert rob["bootstrap"] == {"reps": 2000, "seed": 0, "confidence": 0.95}
    assert robust(records()) == rob  # seeded bootstrap: the same numbers again


def test_robust_with_success_and_one_seed():
    recs = [
        run_record(summary(a, 0, 1, 1.0, ret, CURVE_A, success_rate=succ), METRICS, None, {})
        for a, ret, succ in (("grpo", -5.0, 0.25), ("ppo", -6.0, 0.5))
    ]
    rob = robust(recs)
    assert rob["iqm"]["success_rate"]["ppo"] == {"value": 0.5, "low": None, "high": None, "n": 1}
    assert rob["probability_of_improvement"]["success_rate"]["value"] == 0.0
    assert rob["probability_of_improvement"]["final_return_mean"]["value"] == 1.0
    assert robust(recs[:1])["iqm"]["final_return_mean"]["grpo"]["value"] == -5.0
    assert robust(recs[:1])["probability_of_improvement"] == {}  # no PPO side


def test_report_and_files(tmp_path):
    run_dirs = [
        _write_run(tmp_path / "runs" / f"{algo}_seed{s}", summary(algo, s, peak, flops, ret, curve))
        for algo, s, peak, flops, ret, curve in (
            ("grpo", 0, 300, 1000.0, -8.0, CURVE_A),
            ("ppo", 0, 1000, 2000.0, -10.0, CURVE_B),
        )
    ]
    setup = {"env_id": "Reacher-v5", "model": "small", "threshold": -10.0, "command": "simrl-bench"}
    res = write_results(run_dirs, tmp_path, setup)
    for name in ("results.json", "report.md", "learning_curves.png", "memory_compute.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["ratios"]["peak_learner_memory_bytes"] == pytest.approx(0.3)
    report = (tmp_path / "report.md").read_text()
    assert "| peak learner memory (bytes) | 300 | 1000 | 0.3x |" in report
    assert "| final deterministic return | -8 | -10 | +2 (diff) |" in report
    # both curves end at 100 s: each side's last evaluation (-8, PPO's -9), compared as a diff
    assert "| return at equal wall-clock (same seed) | -8 | -9 | +1 (diff) |" in report
    assert "## Goals" in report and report == render_report(json.loads(json.dumps(data)))
    assert res["plots"]["learning curves"] == "learning_curves.png"
    # rliable's statistics beside mean ± std (n); one seed per side: no std, no interval
    assert "## IQM and probability of improvement" in report
    assert (
        "| metric | GRPO mean ± std (n) | GRPO IQM [95% CI] | PPO mean ± std (n) "
        "| PPO IQM [95% CI] | P(GRPO > PPO) [95% CI] |" in report
    )
    assert "| final deterministic return | -8 (1) | -8 | -10 (1) | -10 | 1 |" in report
    assert data["robust"]["probability_of_improvement"]["final_return_mean"]["value"] == 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"algos": ["grpo", "sac"]}, r"bench.algos=\['grpo', 'sac'\] must be a non-empty list"),
        ({"algos": ["ppo", "ppo"]}, r"lists an algorithm twice"),
        ({"seeds": []}, r"bench.seeds=\[\] must be a non-empty list of ints >= 0"),
        ({"eval_points": 0}, r"bench.eval_points=0 must be an integer >= 1"),
    ],
)
def test_bench_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BenchConfig(**kwargs)


def test_threshold_defaults():
    assert BenchConfig().threshold_for("Reacher-v5") == -10.0
    assert BenchConfig().threshold_for("simrl/Unknown-v0") is None
    assert BenchConfig(threshold=-5).threshold_for("Reacher-v5") == -5.0


def test_update_time_leaves_out_memory_metered_updates():
    """GRPO marks the updates run under the slow CPU memory meter; without marks the first is out."""
    s = summary("grpo", 0, 1.0, 1.0, -5.0, [(0, 0.0, -40.0)])
    marked = [
        {"update_time_s": t, "memory_metered": m}
        for t, m in ((9.0, 1.0), (1.0, 0.0), (2.0, 0.0), (8.0, 1.0), (3.0, 0.0))
    ]
    assert run_record(s, marked, None, {})["update_time_s_mean"] == pytest.approx(2.0)
    assert run_record(s, METRICS, None, {})["update_time_s_mean"] == pytest.approx(2.0)
    only = [{"update_time_s": 4.0, "memory_metered": 1.0}]
    assert run_record(s, only, None, {})["update_time_s_mean"] == pytest.approx(4.0)


def test_equal_wall_clock_takes_each_side_at_the_shorter_runs_end():
    """Seed 0: GRPO's curve ends at 100 s, PPO's (three times slower) at 300 s, so both are read at
    100 s: GRPO's last point (-8), PPO's last evaluation by then, its first (-40). Seed 1 has no
    PPO run: no equal-wall-clock figure. The rliable statistics pick the key up."""
    from simrl.bench.figures import add_equal_wall_clock

    slow = [(0, 0.0, -40.0), (2000, 150.0, -12.0), (4000, 300.0, -9.0)]
    recs = [
        run_record(summary("grpo", 0, 1, 1.0, -8.0, CURVE_A), METRICS, None, {}),
        run_record(summary("grpo", 1, 1, 1.0, -9.0, CURVE_B), METRICS, None, {}),
        run_record(summary("ppo", 0, 1, 1.0, -9.0, slow), METRICS, None, {}),
    ]
    add_equal_wall_clock(recs)
    assert [r["equal_wall_s"] for r in recs] == [100.0, None, 100.0]
    assert [r["return_at_equal_wall"] for r in recs] == [-8.0, None, -40.0]
    rob = robust(recs)
    assert rob["iqm"]["return_at_equal_wall"]["grpo"]["value"] == -8.0
    assert rob["iqm"]["return_at_equal_wall"]["ppo"]["value"] == -40.0
    assert rob["probability_of_improvement"]["return_at_equal_wall"]["value"] == 1.0
    assert ratios(aggregate(recs))["return_at_equal_wall_diff"] == pytest.approx(32.0)


def test_flops_come_from_the_memory_pass_when_learning_runs_are_unmetered(tmp_path):
    """Learning runs with `meters=false` have no FLOPs; the memory pass (metered, equal per-pass
    batches) supplies them with its memory figures, and the report says so. Metered learning runs
    keep their own FLOPs."""
    learn = [
        _write_run(tmp_path / "runs" / f"{a}_seed0", summary(a, 0, None, None, -8.0, CURVE_A))
        for a in ("grpo", "ppo")
    ]
    memory = [
        _write_run(tmp_path / "memory" / f"{a}_seed0", summary(a, 0, peak, flops, -50.0, CURVE_A))
        for a, peak, flops in (("grpo", 300, 1000.0), ("ppo", 1000, 2000.0))
    ]
    setup = {"env_id": "Reacher-v5", "model": "small", "threshold": None, "command": "x"}
    res = write_results(learn, tmp_path, setup, plots=False, memory_dirs=memory)
    for algo, flops in (("grpo", 1000.0), ("ppo", 2000.0)):
        assert res["aggregate"][algo]["learner_flops_per_sample"]["mean"] == flops
        assert res["aggregate"][algo]["flops_from"].startswith("memory pass")
    assert res["ratios"]["learner_flops_per_sample"] == pytest.approx(0.5)
    goal = {g["goal"]: g for g in res["goals"]}
    assert any("FLOPs" in k and v["met"] for k, v in goal.items())
    assert res["aggregate"]["ppo"]["learner_flops_per_update"]["mean"] is None  # not measured
    assert "FLOPs per sample come from the memory pass" in (tmp_path / "report.md").read_text()
    metered = [
        _write_run(tmp_path / "m" / f"{a}_seed0", summary(a, 0, 5, 3000.0, -8.0, CURVE_A))
        for a in ("grpo", "ppo")
    ]
    res = write_results(metered, tmp_path / "m", setup, plots=False, memory_dirs=memory)
    assert res["aggregate"]["grpo"]["learner_flops_per_sample"]["mean"] == 3000.0
    assert "flops_from" not in res["aggregate"]["grpo"]
