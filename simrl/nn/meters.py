"""Learner meters: FLOPs, peak memory of a block, parameter and optimizer-state sizes (torch only).

``PeakMemory`` measures the peak number of bytes allocated *by the block*, above what was allocated
when it started:

- on CUDA: ``torch.cuda.reset_peak_memory_stats`` then ``max_memory_allocated() - allocated_at_start``
  (the caching allocator's exact byte count of live tensors, not its reserved pool);
- on CPU (method ``"dispatch_storage+tracemalloc"``): a ``TorchDispatchMode`` sees every aten op
  run inside the block (forward, autograd backward and optimizer steps alike), registers each *new*
  tensor storage an op returns (outputs that alias an input storage, i.e. views and in-place
  results, are not new), adds its ``nbytes`` to a live total and subtracts them when the storage is
  freed (``weakref.finalize`` on the storage, which torch keeps one Python object for). Host
  allocations made by Python code in the block -- NumPy arrays (e.g. SB3's rollout-buffer copies and
  permutations) and Python objects -- are added from ``tracemalloc``, sampled at every aten op
  (its peak since the previous op plus the tensor total), so the peak is that of tensors and host
  arrays together (transient objects of the dispatch path itself are left out). Storages and
  objects allocated before the block are not counted; temporary buffers that aten kernels
  allocate internally without returning them (e.g. inside one fused kernel) are invisible to it,
  so it is a slight lower bound for the true peak. The first time an aten op runs under a Python
  dispatch mode in a process, torch registers it (about 1.3 kB), which shows as host bytes. It
  adds Python work to every op and allocation: wrap one representative update, not a whole run.
  ``tensor_peak_bytes`` is the tensor-only peak.
"""

from __future__ import annotations

import functools
import tracemalloc
import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.flop_counter import FlopCounterMode


def count_flops(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """FLOPs of ``fn(*args, **kwargs)`` counted by ``torch.utils.flop_counter.FlopCounterMode``.

    Counts matmul/conv/attention FLOPs (2*M*K*N per GEMM) of everything run inside ``fn``,
    including the backward pass and optimizer step if ``fn`` runs them. Elementwise ops are free.
    """
    with FlopCounterMode(display=False) as counter:
        fn(*args, **kwargs)
    return int(counter.get_total_flops())


def param_count(module: torch.nn.Module, trainable: bool = True) -> int:
    """Number of parameters of ``module`` (only those with ``requires_grad`` if ``trainable``)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable)


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes held in the optimizer's per-parameter state tensors (e.g. Adam's two moments + step)."""
    seen: set[int] = set()
    total = 0
    for state in optimizer.state.values():
        leaves, _ = tree_flatten(state)
        for t in leaves:
            if isinstance(t, torch.Tensor):
                key = t.untyped_storage().data_ptr() or id(t)
                if key not in seen:
                    seen.add(key)
                    total += t.untyped_storage().nbytes()
    return total


_FRESH_OPS = {torch.ops.aten.lift_fresh.default}


class _StorageTracker(TorchDispatchMode):
    """Tracks live bytes of storages created by ops run under this mode, plus (if `host`) the
    bytes traced by tracemalloc since the start (see module docstring)."""

    def __init__(self, host: bool = True) -> None:
        super().__init__()
        self.live: dict[int, int] = {}
        self.current = 0  # live tensor bytes
        self.tensor_peak = 0
        self.peak = 0  # tensors + host
        self.host = host
        self._host_start = 0
        self._host_now = 0
        self._own = 0  # host bytes the tracker's own records of live storages hold
        self._own_of: dict[int, int] = {}
        self._stop_tracing = False

    def __enter__(self) -> _StorageTracker:
        if self.host:
            self._stop_tracing = not tracemalloc.is_tracing()
            if self._stop_tracing:
                tracemalloc.start(1)
            self._host_start = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
        return super().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._sample_host()
        if self.host and self._stop_tracing:
            tracemalloc.stop()
        super().__exit__(*exc)

    def _sample_host(self) -> None:
        """Fold the host peak since the last sample into the joint peak; reset that peak."""
        if not self.host:
            return
        now, peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        self._host_now = max(now - self._host_start - self._own, 0)
        self.peak = max(self.peak, self.current + max(peak - self._host_start - self._own, 0))

    def _freed(self, key: int) -> None:
        self.current -= self.live.pop(key, 0)
        self._own -= self._own_of.pop(key, 0)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self._sample_host()
        mark = tracemalloc.get_traced_memory()[0] if self.host else 0
        out = func(*args, **(kwargs or {}))
        inputs: set[int] = set()  # outputs aliasing these storages are not new allocations
        if func not in _FRESH_OPS:  # torch.tensor(...) data arrives through lift_fresh
            in_leaves, _ = tree_flatten((args, kwargs))
            inputs = {t.untyped_storage()._cdata for t in in_leaves if isinstance(t, torch.Tensor)}
        out_leaves, _ = tree_flatten(out)
        owner = None  # a tracked storage of the outputs: the meter's objects live as long
        for t in out_leaves:
            if not isinstance(t, torch.Tensor) or t.device.type != "cpu":
                continue
            storage = t.untyped_storage()
            key = storage._cdata
            if key in inputs or key in self.live:
                owner = owner if owner is not None or key not in self.live else key
                continue
            nbytes = storage.nbytes()
            self.live[key] = nbytes
            weakref.finalize(storage, self._freed, key)
            owner = key if owner is None else owner
            self.current += nbytes
            self.tensor_peak = max(self.tensor_peak, self.current)
        if self.host:
            # Aten kernels allocate through torch's allocator, which tracemalloc does not see:
            # what it saw since `mark` are Python objects the mode itself made (the outputs'
            # tensor and storage objects, which torch keeps while the storage lives, and the
            # records above) plus the dispatch path's transient ones. Neither is the block's:
            # the kept ones are booked to the storage they live with and left out until it is
            # freed, the transient ones leave with the peak reset below.
            del out_leaves, inputs
            now = tracemalloc.get_traced_memory()[0]
            made = now - mark
            if owner is not None and made > 0:
                self._own_of[owner] = self._own_of.get(owner, 0) + made
                self._own += made
            tracemalloc.reset_peak()
            self._host_now = max(now - self._host_start - self._own, 0)
        self.peak = max(self.peak, self.current + self._host_now)
        return out


@functools.cache
def _warm_up() -> None:
    """Run the tracker once without host tracing: its first use in a process imports and builds
    dispatch machinery (tens of MB of Python objects) that must not count as the block's."""
    with _StorageTracker(host=False):
        (torch.ones(2) + 1).sum()


class PeakMemory:
    """Context manager: peak bytes allocated during the block, above the level at its start.

    ``with PeakMemory("cpu") as pm: ...`` then ``pm.peak_bytes`` (int) and ``pm.method``
    (``"cuda_max_memory_allocated"``, ``"dispatch_storage+tracemalloc"`` or, with ``host=False``,
    ``"dispatch_storage"``; see the module docstring). ``pm.tensor_peak_bytes``: the peak of tensor
    storages alone. ``pm.end_bytes``: tensor bytes the block allocated that are still live at its
    end (e.g. grads, optimizer state).
    """

    def __init__(self, device: str | torch.device = "cpu", host: bool = True) -> None:
        self.device = torch.device(device)
        if self.device.type not in ("cpu", "cuda"):
            raise ValueError(f"PeakMemory device={str(device)!r} must be a cpu or cuda device")
        self.host = host and self.device.type == "cpu"
        if self.device.type == "cuda":
            self.method = "cuda_max_memory_allocated"
        else:
            self.method = "dispatch_storage+tracemalloc" if self.host else "dispatch_storage"
        self.peak_bytes = 0
        self.tensor_peak_bytes = 0
        self.end_bytes = 0
        self._tracker: _StorageTracker | None = None
        self._start = 0

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            if self.host:
                _warm_up()
            self._tracker = _StorageTracker(self.host)
            self._tracker.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.peak_bytes = torch.cuda.max_memory_allocated(self.device) - self._start
            self.tensor_peak_bytes = self.peak_bytes
            self.end_bytes = torch.cuda.memory_allocated(self.device) - self._start
        else:
            assert self._tracker is not None
            self._tracker.__exit__(*exc)
            self.peak_bytes = max(self._tracker.peak, self._tracker.tensor_peak)
            self.tensor_peak_bytes = self._tracker.tensor_peak
            self.end_bytes = self._tracker.current
