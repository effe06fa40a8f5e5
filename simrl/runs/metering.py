"""Learner meters applied from outside the algorithm: peak memory and FLOPs of `trainer.update`.

`UpdateMeter.run(update, samples)` calls `update()` (one learner update) and decides whether to
wrap it in a meter:

- peak memory (`simrl.nn.meters.PeakMemory`): on CUDA every update (the allocator's counters are
  free); on CPU, where the dispatch-mode tracker adds Python work to every op, the first update of
  a process and every update with more samples than any metered so far (the peak grows with the
  batch). Those CPU updates are flagged `memory_metered` (their update time is inflated);
- FLOPs (`FlopCounterMode`): once, on the first update that is not memory-metered (the counter's
  bookkeeping must not count as learner memory): `learner_flops_per_sample` = FLOPs / (samples x
  epochs), one forward and backward of one sample; `learner_flops_per_update` and
  `learner_flops_per_collected_sample` (all epochs, per sample collected).
The figures are carried in the run's checkpoint so a resumed run keeps them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from simrl.nn.meters import PeakMemory


class UpdateMeter:
    """Meters learner updates for one run (see the module docstring)."""

    def __init__(self, device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.method = PeakMemory(self.device).method
        self.peak_bytes = 0
        self.peak_samples = 0  # largest batch metered so far
        self.flops_per_sample: float | None = None
        self.flops_per_update: float | None = None
        self.flops_per_collected_sample: float | None = None
        self._fresh = True  # nothing metered in this process yet

    def run(self, update: Callable[[], dict[str, Any]], samples: int) -> dict[str, Any]:
        """`update()` (learning from `samples` collected samples), metered when due; its metrics
        plus `peak_learner_memory_bytes` and `memory_metered`."""
        cuda = self.device.type == "cuda"
        if cuda or self._fresh or samples > self.peak_samples:
            with PeakMemory(self.device) as pm:
                out = update()
            self.peak_bytes = max(self.peak_bytes, int(pm.peak_bytes))
            self.peak_samples = max(self.peak_samples, int(samples))
            self._fresh = False
            metered = not cuda
        elif self.flops_per_sample is None:
            with FlopCounterMode(display=False) as counter:
                out = update()
            flops = float(counter.get_total_flops())
            work = float(out.get("learner_samples", samples)) * float(
                out.get("learner_epochs", 1.0)
            )
            if work > 0 and samples > 0:
                self.flops_per_sample = flops / work
                self.flops_per_update = flops
                self.flops_per_collected_sample = flops / samples
            metered = False
        else:
            out = update()
            metered = False
        out["peak_learner_memory_bytes"] = float(self.peak_bytes)
        out["memory_metered"] = float(metered)
        return out

    def stats(self) -> dict[str, Any]:
        """Figures for summary.json."""
        return {
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
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the figures; the next update of this process is metered again."""
        self.peak_bytes = int(state.get("peak_bytes", 0))
        self.peak_samples = int(state.get("peak_samples", 0))
        for key in ("flops_per_sample", "flops_per_update", "flops_per_collected_sample"):
            value = state.get(key)
            setattr(self, key, None if value is None else float(value))
