"""Meters: FLOPs against 2*M*K*N by hand, CPU peak memory against known allocations, sizes."""

import numpy as np
import pytest
import torch

from simrl.nn import Core, PeakMemory, core_preset, count_flops, optimizer_state_bytes, param_count

M, K, N = 32, 48, 16


def test_linear_forward_flops():
    lin = torch.nn.Linear(K, N)
    assert count_flops(lin, torch.randn(M, K)) == 2 * M * K * N


def test_linear_forward_backward_flops():
    lin = torch.nn.Linear(K, N)

    def fwd_bwd(x):
        lin(x).sum().backward()

    # forward GEMM + weight-gradient GEMM (input needs no grad)
    assert count_flops(fwd_bwd, torch.randn(M, K)) == 2 * (2 * M * K * N)
    # ... + input-gradient GEMM
    assert count_flops(fwd_bwd, torch.randn(M, K, requires_grad=True)) == 3 * (2 * M * K * N)


def test_core_forward_flops_hand_computed():
    core = Core(10, core_preset("small"))
    assert count_flops(core, torch.randn(M, 10)) == 2 * M * (10 * 64 + 64 * 64)


def _known_allocations():
    a = torch.empty(1000)  # 4000 B
    b = torch.empty(2000)  # 8000 B, live 12000
    del a  # live 8000
    c = torch.empty(3000, dtype=torch.float64)  # 24000 B, live 32000 (peak)
    v = c[:10]  # view: no new storage
    c.add_(1.0)  # in place: no new storage
    del c, v  # live 8000
    d = torch.empty(500, dtype=torch.int16)  # 1000 B, live 9000
    return b, d


def test_peak_memory_known_allocations():
    # torch registers each aten op (~1.3 kB) the first time it passes a Python dispatch mode in a
    # process; which ops earlier tests ran varies, so run these once before measuring them
    with PeakMemory("cpu"):
        _known_allocations()
    with PeakMemory("cpu") as pm:
        b, d = _known_allocations()
    assert pm.method == "dispatch_storage+tracemalloc"
    assert pm.tensor_peak_bytes == 32000
    assert 32000 <= pm.peak_bytes < 32000 + 16_000  # + the Python objects the block made
    assert pm.end_bytes == 9000
    del b, d


def test_peak_memory_leaves_out_its_own_records_of_live_tensors():
    """The tracker keeps a record (dict entry, finalizer) and torch a Python object per live
    storage it saw: 2,000 live 16-byte tensors must read as their 32 kB of storage (the older
    meter booked about 1.25 MB of its own objects as the block's host memory)."""
    x = torch.ones(4)

    def block() -> list[torch.Tensor]:
        return [x + i for i in range(2000)]

    with PeakMemory("cpu"):
        block()  # the op's one-time registration with Python dispatch modes
    with PeakMemory("cpu") as pm:
        kept = block()
    assert pm.tensor_peak_bytes == 2000 * 16
    assert pm.tensor_peak_bytes <= pm.peak_bytes < pm.tensor_peak_bytes + 32_000
    del kept


def test_peak_memory_ignores_tensors_from_before_the_block():
    big = torch.zeros(100_000)
    with PeakMemory(host=False) as pm:
        big.mul_(2.0)  # in place on a pre-existing storage
        small = big[:10] + 1  # 40 B new
    assert pm.method == "dispatch_storage"
    assert pm.peak_bytes == pm.tensor_peak_bytes == 40
    del small


def test_peak_memory_sees_backward_and_optimizer_allocations():
    lin = torch.nn.Linear(K, N)
    opt = torch.optim.Adam(lin.parameters())
    x = torch.randn(M, K)
    with PeakMemory() as pm:
        lin(x).sum().backward()
        opt.step()
    weights = (K * N + N) * 4
    # still live at the end: grads (= weights) + Adam exp_avg, exp_avg_sq (= 2 x weights) + 2 steps
    assert pm.end_bytes == 3 * weights + 2 * 4
    assert pm.peak_bytes >= pm.end_bytes
    assert optimizer_state_bytes(opt) == 2 * weights + 2 * 4


def test_peak_memory_counts_numpy_arrays_with_tensors():
    """Host arrays (e.g. SB3's rollout-buffer copies) count with the tensors alive at the time."""
    keep = np.ones(1000)  # from before the block: not counted
    with PeakMemory() as pm:
        t = torch.empty(250_000)  # 1 MB tensor, live throughout
        a = np.empty(500_000)  # 4 MB array: joint peak 5 MB
        a[:] = 1.0
        del a
        b = torch.empty(10)  # an aten op after the array was freed
        c = np.ones(100_000)  # 0.8 MB, live at the end
    assert pm.tensor_peak_bytes == 1_000_040
    assert 5_000_000 <= pm.peak_bytes < 5_000_000 + 64_000
    assert pm.end_bytes == 1_000_040
    del t, b, c, keep


def test_param_count_trainable_only():
    core = Core(10, core_preset("small"))
    core.net[0].weight.requires_grad_(False)
    assert param_count(core) == 4864 - 640
    assert param_count(core, trainable=False) == 4864


def test_peak_memory_bad_device():
    with pytest.raises(ValueError, match="cpu or cuda"):
        PeakMemory("meta")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_peak_memory_cuda_known_allocation():
    torch.empty(1, device="cuda")  # initialise the context outside the block
    with PeakMemory("cuda") as pm:
        a = torch.empty(1 << 20, device="cuda")  # 4 MiB
        del a
        b = torch.empty(1 << 19, device="cuda")  # 2 MiB
    assert pm.method == "cuda_max_memory_allocated"
    assert pm.peak_bytes == 4 << 20
    assert pm.end_bytes == 2 << 20
    del b
