"""Fair clocks: the meters' time never counts toward wall-clock, training time or throughput.

Reference: a run with `meters=false` on the same fake clock. Collecting takes 1 s, an update
1 ms per sample; the fake memory and FLOP meters add 100 s and 50 s to every update they wrap.
"""

from __future__ import annotations

import csv
import types
from pathlib import Path

import pytest
from _runs_fakes import FakeAlgoConfig, FakeModelConfig, FakeTrainer, make_fake_env

import simrl.runs.loop as loop_module
import simrl.runs.update_meter as metering_module
from simrl.runs import run_training
from simrl.runs.config import RunConfig
from simrl.runs.spec import TrainSpec
from simrl.sim.config import EnvConfig

COLLECT_S, UPDATE_S_PER_SAMPLE, MEMORY_METER_S, FLOP_METER_S = 1.0, 1e-3, 100.0, 50.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


def _fake_meters(clock: FakeClock) -> tuple[type, type]:
    class SlowPeakMemory:
        method = "fake"

        def __init__(self, device=None) -> None:
            self.peak_bytes = 123

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            clock.now += MEMORY_METER_S

    class SlowFlopCounter:
        def __init__(self, display: bool = False) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            clock.now += FLOP_METER_S

        def get_total_flops(self) -> int:
            return 1000

    return SlowPeakMemory, SlowFlopCounter


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, meters: bool) -> dict:
    clock = FakeClock()
    monkeypatch.setattr(loop_module, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    memory, flops = _fake_meters(clock)
    monkeypatch.setattr(metering_module, "PeakMemory", memory)
    monkeypatch.setattr(metering_module, "FlopCounterMode", flops)

    class TimedTrainer(FakeTrainer):
        def collect(self):
            clock.now += COLLECT_S
            return super().collect()

        def update(self, batch):
            clock.now += UPDATE_S_PER_SAMPLE * batch.samples
            return super().update(batch)

    run = RunConfig(
        seed=3, total_env_steps=8 * 40, eval_every=2, eval_episodes=2, checkpoint_every=0,
        progress=False, tensorboard=False, meters=meters,
    )  # fmt: skip
    summary = run_training(
        TrainSpec("fake", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(), run),
        tmp_path / name, trainer_factory=lambda *a, **kw: TimedTrainer(*a, **kw),
        env_factory=make_fake_env,
    )  # fmt: skip
    with open(tmp_path / name / "metrics.csv") as f:
        summary["rows"] = list(csv.DictReader(f))
    return summary


def test_slow_meters_do_not_change_clocks_or_throughput(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    metered = _run(tmp_path, monkeypatch, "on", meters=True)
    plain = _run(tmp_path, monkeypatch, "off", meters=False)
    # the run took 8 x (1 s + 40 ms) of learning; 150 s of meters were kept off every clock
    assert plain["train_s"] == pytest.approx(8 * (COLLECT_S + 40 * UPDATE_S_PER_SAMPLE))
    for key in ("wall_s", "train_s", "env_steps_per_s", "update_time_s_total"):
        assert metered[key] == pytest.approx(plain[key], rel=1e-12), key
    assert metered["metered_updates_excluded_s"] == pytest.approx(
        MEMORY_METER_S + FLOP_METER_S, rel=1e-12
    )
    # first update FLOP-counted, second memory-metered, the rest plain and timed as measured
    flags = [(float(r["memory_metered"]), float(r["metered"])) for r in metered["rows"]]
    assert flags == [(0.0, 1.0), (1.0, 1.0)] + [(0.0, 0.0)] * 6
    for on, off in list(zip(metered["rows"], plain["rows"], strict=True))[2:]:
        for key in ("iter_time_s", "env_steps_per_s", "update_time_s", "wall_s"):
            assert float(on[key]) == pytest.approx(float(off[key]), rel=1e-12), key
    # the meters' figures are there only when metering
    assert metered["peak_learner_memory_bytes"] == 123 and metered["meters"] is True
    assert metered["learner_flops_per_sample"] == pytest.approx(1000 / 40)
    assert plain["peak_learner_memory_bytes"] is None and plain["learner_flops_per_sample"] is None


def test_eval_every_steps_evaluates_where_the_env_steps_cross_its_multiples(tmp_path: Path) -> None:
    """40 env steps per iteration, evaluations every 100 env steps: after iterations 3 (120),
    5 (200), 8 (320, also the final one); `eval_every=0` adds none of its own."""
    run = RunConfig(
        seed=0, total_env_steps=8 * 40, eval_every=0, eval_every_steps=100, eval_episodes=2,
        checkpoint_every=0, progress=False, tensorboard=False, meters=False,
    )  # fmt: skip
    summary = run_training(
        TrainSpec("fake", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(), run),
        tmp_path / "run", trainer_factory=lambda *a, **kw: FakeTrainer(*a, **kw),
        env_factory=make_fake_env,
    )  # fmt: skip
    assert [p["env_steps"] for p in summary["eval_curve"]] == [120, 200, 320]
    with pytest.raises(ValueError, match="eval_every_steps=-1"):
        RunConfig(eval_every_steps=-1)


def test_memory_is_metered_after_the_first_update_with_the_kept_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On CPU the first update of a process (torch's one-time internals) is FLOP-counted, not
    memory-metered; the memory-metered one is charged the optimizer state kept between updates
    (reference: fake meter peak 123 B + 1,000 B of state); a larger batch is metered again."""
    clock = FakeClock()
    memory, flops = _fake_meters(clock)
    monkeypatch.setattr(metering_module, "PeakMemory", memory)
    monkeypatch.setattr(metering_module, "FlopCounterMode", flops)
    meter = metering_module.UpdateMeter("cpu", clock=clock.perf_counter)
    rows = [meter.run(dict, samples, lambda: 1000) for samples in (10, 10, 10, 20)]
    assert [r["memory_metered"] for r in rows] == [0.0, 1.0, 0.0, 1.0]
    assert [r["metered"] for r in rows] == [1.0, 1.0, 0.0, 1.0]
    assert meter.stats()["peak_learner_memory_bytes"] == 123 + 1000
    assert meter.stats()["learner_flops_per_sample"] == pytest.approx(1000 / 10)


def test_cuda_counts_flops_on_the_first_update_beside_the_memory_meter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On CUDA every update is memory-metered (free there); the FLOPs are counted on the first,
    under the same meter, so a GPU run reports them (reference: fake counter 1,000 FLOPs over 10
    samples); only that update is slowed and kept off the clocks."""
    clock = FakeClock()
    memory, flops = _fake_meters(clock)
    monkeypatch.setattr(metering_module, "PeakMemory", memory)
    monkeypatch.setattr(metering_module, "FlopCounterMode", flops)
    meter = metering_module.UpdateMeter("cuda", clock=clock.perf_counter)
    rows = [meter.run(dict, 10, lambda: 1000) for _ in range(3)]
    assert [r["memory_metered"] for r in rows] == [0.0, 0.0, 0.0]
    assert [r["metered"] for r in rows] == [1.0, 0.0, 0.0]
    assert meter.stats()["learner_flops_per_sample"] == pytest.approx(1000 / 10)
    assert meter.stats()["peak_learner_memory_bytes"] == 123 + 1000
