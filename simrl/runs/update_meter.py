"""Learner meters applied from outside the algorithm: peak memory and FLOPs of `trainer.update`.

`UpdateMeter.run(update, samples)` calls `update()` (one learner update) and decides whether to
wrap it in a meter:

- peak memory (`simrl.nn.meters.PeakMemory`): on CUDA every update (the allocator's counters are
  free); on CPU, where the dispatch-mode tracker adds Python work to every op, the second update of
  a process and every later update with more samples than any metered so far (the peak grows with
  the batch). Those CPU updates are flagged `memory_metered` (their time is kept off the clocks, see
  below). The first update of a process is not memory-metered on CPU: it is where torch and Python
  build their one-time internals (each aten op's registration with a Python dispatch mode, lazily
  made caches: 250-300 kB in a GRPO or PPO update of the small core), which are no learner's
  memory. An update metered after the first is charged, on top of its own peak, the learner state
  it keeps between updates (`state_bytes()`: the optimizer's state, which the first update
  created), so the figure is what one update needs, optimizer state included, on either device;
- FLOPs (`FlopCounterMode`): once, on the first update of the run (on CPU not memory-metered: the
  counter's bookkeeping must not count as learner memory; on CUDA together with the memory meter,
  since the counter allocates no device memory): `learner_flops_per_sample` = FLOPs /
  (samples x epochs), one forward and backward of one sample; `learner_flops_per_update` and
  `learner_flops_per_collected_sample` (all epochs, per sample collected).
The figures are carried in the run's checkpoint so a resumed run keeps them.

Fair clocks: a metered update runs slower than a plain one (on CPU about 10x), so its measured
time never counts toward the run's clocks. It is charged what a plain update of its size costs:
its samples x the per-sample time of the run's unmetered updates so far (`charge_rate`);
`excluded_s()` is the measured time of metered updates minus that charge, which the run loop
subtracts from its wall-clock and training time. Until the first unmetered update the rate is
unknown and a metered update is charged 0; the charge follows as soon as the rate is known.
With `enabled=False` (run key `meters=false`) nothing is metered and nothing is excluded.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from simrl.nn.meters import PeakMemory


class UpdateMeter:
    """Meters learner updates for one run (see the module docstring)."""

    def __init__(
        self,
        device: torch.device | str,
        enabled: bool = True,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.device = torch.device(device)
        self.enabled = bool(enabled)
        self.clock = clock
        self.method = PeakMemory(self.device).method if self.enabled else None
        self.peak_bytes = 0
        self.peak_samples = 0  # largest batch metered so far
        self.flops_per_sample: float | None = None
        self.flops_per_update: float | None = None
        self.flops_per_collected_sample: float | None = None
        self._fresh = True  # no update has run in this process yet
        # update timings (measured): unmetered updates and metered ones, seconds and samples
        self.plain_s = 0.0
        self.plain_samples = 0
        self.metered_s = 0.0
        self.metered_samples = 0
        self.uncharged_samples = 0  # metered before the rate was known: their rows charged 0

    @property
    def charge_rate(self) -> float | None:
        """Seconds per sample of the unmetered updates so far (None before the first)."""
        return self.plain_s / self.plain_samples if self.plain_samples > 0 else None

    def excluded_s(self) -> float:
        """Measured seconds of metered updates minus what plain updates of their size cost."""
        rate = self.charge_rate
        return self.metered_s - (self.metered_samples * rate if rate is not None else 0.0)

    def late_charge_s(self) -> float:
        """What the metered updates charged 0 in their rows (rate unknown then) cost now."""
        rate = self.charge_rate
        return self.uncharged_samples * rate if rate is not None else 0.0

    def run(
        self,
        update: Callable[[], dict[str, Any]],
        samples: int,
        state_bytes: Callable[[], int] | None = None,
    ) -> dict[str, Any]:
        """`update()` (learning from `samples` collected samples), metered when due (`state_bytes`:
        the bytes of learner state kept between updates, see the module docstring); its metrics
        plus `peak_learner_memory_bytes`, `memory_metered`, `metered` (memory or FLOPs) and
        `update_time_s` (measured if unmetered, else the charge at the current rate)."""
        t0 = self.clock()
        out, metered = self._run(update, samples, state_bytes)
        elapsed = self.clock() - t0
        if metered:
            self.metered_s += elapsed
            self.metered_samples += int(samples)
            rate = self.charge_rate
            if rate is None:
                self.uncharged_samples += int(samples)
            out["update_time_s"] = int(samples) * rate if rate is not None else 0.0
        else:
            self.plain_s += elapsed
            self.plain_samples += int(samples)
            out["update_time_s"] = elapsed
        out["metered"] = float(metered)
        return out

    def _run(
        self,
        update: Callable[[], dict[str, Any]],
        samples: int,
        state_bytes: Callable[[], int] | None,
    ) -> tuple[dict, bool]:
        """`update()` under the meter that is due; (its metrics, whether a meter wrapped it)."""
        if not self.enabled:
            out = update()
            out["peak_learner_memory_bytes"] = float("nan")
            out["memory_metered"] = 0.0
            return out, False
        cuda = self.device.type == "cuda"
        first, self._fresh = self._fresh, False
        if cuda or (not first and samples > self.peak_samples):
            kept = int(state_bytes()) if state_bytes is not None and not first else 0
            count = cuda and self.flops_per_sample is None  # the counter allocates no CUDA memory
            with PeakMemory(self.device) as pm, self._flop_counter(count) as counter:
                out = update()
            self.peak_bytes = max(self.peak_bytes, int(pm.peak_bytes) + kept)
            self.peak_samples = max(self.peak_samples, int(samples))
            memory_metered = not cuda
            slowed = memory_metered or count
        elif self.flops_per_sample is None:
            count = True
            with self._flop_counter(True) as counter:
                out = update()
            memory_metered, slowed = False, True
        else:
            count = False
            out = update()
            memory_metered = slowed = False
        if count:
            self._record_flops(counter, out, samples)
        out["peak_learner_memory_bytes"] = float(self.peak_bytes)
        out["memory_metered"] = float(memory_metered)
        return out, slowed

    @staticmethod
    def _flop_counter(on: bool) -> contextlib.AbstractContextManager:
        return FlopCounterMode(display=False) if on else contextlib.nullcontext()

    def _record_flops(self, counter: FlopCounterMode, out: dict, samples: int) -> None:
        flops = float(counter.get_total_flops())
        work = float(out.get("learner_samples", samples)) * float(out.get("learner_epochs", 1.0))
        if work > 0 and samples > 0:
            self.flops_per_sample = flops / work
            self.flops_per_update = flops
            self.flops_per_collected_sample = flops / samples

    def stats(self) -> dict[str, Any]:
        """Figures for summary.json (meters off: None for the metered figures)."""
        timing = {
            "meters": self.enabled,
            "metered_updates_excluded_s": self.excluded_s(),
            "metered_update_samples": self.metered_samples,
        }
        if not self.enabled:
            return {
                **timing,
                "peak_learner_memory_bytes": None,
                "peak_memory_method": None,
                "learner_flops_per_sample": None,
                "learner_flops_per_update": None,
                "learner_flops_per_collected_sample": None,
            }
        return {
            **timing,
            "peak_learner_memory_bytes": int(self.peak_bytes),
            "peak_memory_method": self.method,
            "learner_flops_per_sample": self.flops_per_sample,
            "learner_flops_per_update": self.flops_per_update,
            "learner_flops_per_collected_sample": self.flops_per_collected_sample,
        }

    def state_dict(self) -> dict[str, Any]:
        return {
            "peak_bytes": self.peak_bytes,
            "peak_samples": self.peak_samples,
            "flops_per_sample": self.flops_per_sample,
            "flops_per_update": self.flops_per_update,
            "flops_per_collected_sample": self.flops_per_collected_sample,
            "plain_s": self.plain_s,
            "plain_samples": self.plain_samples,
            "metered_s": self.metered_s,
            "metered_samples": self.metered_samples,
            "uncharged_samples": self.uncharged_samples,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the figures; the next update of this process is metered again."""
        self.peak_bytes = int(state.get("peak_bytes", 0))
        self.peak_samples = int(state.get("peak_samples", 0))
        for key in ("flops_per_sample", "flops_per_update", "flops_per_collected_sample"):
            value = state.get(key)
            setattr(self, key, None if value is None else float(value))
        self.plain_s = float(state.get("plain_s", 0.0))
        self.plain_samples = int(state.get("plain_samples", 0))
        self.metered_s = float(state.get("metered_s", 0.0))
        self.metered_samples = int(state.get("metered_samples", 0))
        self.uncharged_samples = int(state.get("uncharged_samples", 0))
