"""Precision resolution (auto/fp32/bf16/fp8, fallback, strict) and the FP8 path.

FP8 numerics are checked with torchao's emulation on CPU against the fp32 network: E4M3 keeps 3
mantissa bits (rounding error up to 2^-4 = 6.25% per element, ~3.6% rms), so a GEMM output is off by
about 5e-2 relative; through a 2-block residual core plus final LayerNorm we allow 0.1.
The `gpu` tests run the real (non-emulated) FP8 kernels and are skipped without CUDA.
"""

import copy
import logging
from dataclasses import replace

import pytest
import torch

from simrl.nn import Core, CoreConfig, GaussianHead, core_preset
from simrl.nn import precision as P
from simrl.nn.precision import PrecisionPlan, resolve_precision

needs_torchao = pytest.mark.skipif(P._torchao_problem() is not None, reason="needs torchao.float8")
FP8_OUT_REL_ERR = 0.1  # emulated E4M3, base core, vs fp32
FP8_GRAD_COS = 0.98


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a.float() - b.float()).norm() / b.float().norm()).item()


def test_auto_is_fp32_on_cpu():
    plan = resolve_precision("auto", device="cpu")
    assert (plan.requested, plan.effective, plan.recipe) == ("auto", "fp32", None)
    assert isinstance(plan.autocast(), type(P.contextlib.nullcontext()))


def test_fp8_on_cpu_falls_back_with_one_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="simrl.nn.precision"):
        plan = resolve_precision("fp8", device="cpu")
    assert (plan.requested, plan.effective) == ("fp8", "fp32")
    assert plan.fell_back
    assert len(caplog.records) == 1
    msg = caplog.records[0].getMessage()
    assert "fp8" in msg and "8.9" in msg and "\n" not in msg
    assert plan.as_dict()["precision_requested"] == "fp8"
    assert plan.as_dict()["precision_effective"] == "fp32"


def test_strict_raises_naming_value_and_reason():
    with pytest.raises(ValueError, match=r"precision='fp8' unsupported on cpu \(strict\): .*8\.9"):
        resolve_precision("fp8", device="cpu", strict=True)


def test_bf16_on_cpu_follows_native_support(monkeypatch, caplog):
    monkeypatch.setattr(P, "cpu_has_bf16", lambda: False)
    with caplog.at_level(logging.WARNING, logger="simrl.nn.precision"):
        plan = resolve_precision("bf16", device="cpu")
    assert plan.effective == "fp32" and len(caplog.records) == 1
    monkeypatch.setattr(P, "cpu_has_bf16", lambda: True)
    plan = resolve_precision("bf16", device="cpu")
    assert plan.effective == "bf16"
    with plan.autocast():
        y = torch.nn.Linear(16, 16)(torch.randn(2, 16))
    assert y.dtype == torch.bfloat16


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"requested": "fp16"}, "precision='fp16' is not one of ['auto', 'fp32', 'bf16', 'fp8']"),
        ({"recipe": "blockwise"}, "fp8_recipe='blockwise' is not one of"),
        ({"device": "tpu"}, "unknown device 'tpu'; choose auto, cpu, cuda or cuda:N"),
    ],
)
def test_bad_names_one_line(kwargs, needle):
    with pytest.raises(ValueError) as err:
        resolve_precision(**kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA error")
def test_cuda_device_without_cuda_is_one_line_error():
    with pytest.raises(ValueError, match="device 'cuda' requested but CUDA is not available"):
        resolve_precision("auto", device="cuda")


def test_auto_device():
    plan = resolve_precision("auto", device="auto")
    assert plan.device == ("cuda" if torch.cuda.is_available() else "cpu")


def test_fp32_prepare_is_noop():
    core = Core(8, core_preset("small"))
    before = copy.deepcopy(core.state_dict())
    assert resolve_precision("fp32").prepare(core) is core
    assert all(type(m) is torch.nn.Linear for m in core.modules() if isinstance(m, torch.nn.Linear))
    for k, v in core.state_dict().items():
        assert torch.equal(v, before[k])


def _fp8_pair(recipe="tensorwise"):
    torch.manual_seed(0)
    ref = Core(23, core_preset("base"))
    core = copy.deepcopy(ref)
    plan = resolve_precision("fp8", device="cpu", recipe=recipe, emulate=True)
    assert (plan.effective, plan.recipe, plan.emulate) == ("fp8", recipe, True)
    plan.prepare(core)
    return ref, core


@needs_torchao
def test_fp8_converts_only_core_linears_divisible_by_16():
    float8 = P.import_torchao_float8()
    ref, core = _fp8_pair()
    converted = [
        n for n, m in core.named_modules() if isinstance(m, float8.float8_linear.Float8Linear)
    ]
    # the 23 -> 256 input projection stays high precision; the 4 block Linears are converted
    assert converted == ["net.1.fc1", "net.1.fc2", "net.2.fc1", "net.2.fc2"]
    assert type(core.net[0]) is torch.nn.Linear
    assert list(core.state_dict()) == list(ref.state_dict())  # checkpoints stay compatible
    assert all(p.dtype == torch.float32 for p in core.parameters())  # fp32 master weights

    # heads in a bigger module stay untouched
    policy = torch.nn.ModuleDict(
        {"core": Core(23, core_preset("base")), "head": GaussianHead(256, 4)}
    )
    resolve_precision("fp8", emulate=True).prepare(policy)
    assert type(policy["head"].mean) is torch.nn.Linear


@needs_torchao
def test_fp8_prepare_needs_a_core():
    with pytest.raises(ValueError, match="holds no Core"):
        resolve_precision("fp8", emulate=True).prepare(torch.nn.Linear(16, 16))


@needs_torchao
@pytest.mark.parametrize("recipe", ["tensorwise", "rowwise"])
def test_fp8_emulated_output_and_gradients_close_to_fp32(recipe):
    ref, core = _fp8_pair(recipe)
    x = torch.randn(512, 23)
    y_ref, y = ref(x), core(x)
    assert rel_err(y, y_ref) < FP8_OUT_REL_ERR
    (y_ref**2).mean().backward()
    (y**2).mean().backward()
    for name in ("net.1.fc1.weight", "net.2.fc2.weight"):
        g_ref = dict(ref.named_parameters())[name].grad.flatten()
        g = dict(core.named_parameters())[name].grad.flatten()
        assert torch.nn.functional.cosine_similarity(g, g_ref, dim=0).item() > FP8_GRAD_COS


@needs_torchao
def test_fp8_emulated_training_reduces_loss():
    torch.manual_seed(1)
    core = Core(32, CoreConfig(kind="residual", width=64, depth=1, activation="relu"))
    resolve_precision("fp8", emulate=True).prepare(core)
    head = torch.nn.Linear(64, 1)
    opt = torch.optim.Adam([*core.parameters(), *head.parameters()], lr=3e-3)
    x = torch.randn(128, 32)
    target = torch.sin(x[:, :1] * 2.0)
    losses = []
    for _ in range(25):
        loss = torch.nn.functional.mse_loss(head(core(x)), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    assert all(s["exp_avg"].dtype == torch.float32 for s in opt.state.values())  # fp32 optimizer


def test_plan_is_a_frozen_record():
    plan = resolve_precision("fp32")
    assert isinstance(plan, PrecisionPlan)
    with pytest.raises(AttributeError):
        plan.effective = "bf16"


needs_fp8_gpu = pytest.mark.skipif(
    not (torch.cuda.is_available() and torch.cuda.get_device_capability() >= (8, 9)),
    reason="needs a CUDA GPU with compute capability >= 8.9",
)


@pytest.mark.gpu
@needs_fp8_gpu
@pytest.mark.parametrize(
    "recipe,compile", [("tensorwise", False), ("rowwise", False), ("tensorwise", True)]
)
def test_fp8_real_gpu_matches_bf16(recipe, compile):
    torch.manual_seed(0)
    ref = Core(64, core_preset("base")).cuda()  # emulated: out err 0.069, grad cos >= 0.992
    core = copy.deepcopy(ref)
    plan = resolve_precision("fp8", device="cuda", recipe=recipe, strict=True, compile=compile)
    assert plan.effective == "fp8" and not plan.emulate
    plan.prepare(core)
    bf16 = resolve_precision("bf16", device="cuda", strict=True)
    x = torch.randn(4096, 64, device="cuda")
    with bf16.autocast():
        y_ref = ref(x)
    with plan.autocast():
        y = core(x)
    assert rel_err(y, y_ref) < FP8_OUT_REL_ERR
    with bf16.autocast():
        (y_ref.float() ** 2).mean().backward()
    with plan.autocast():
        (y.float() ** 2).mean().backward()
    g_ref = ref.net[1].fc1.weight.grad.flatten().float()
    g = core.net[1].fc1.weight.grad.flatten().float()
    assert torch.nn.functional.cosine_similarity(g, g_ref, dim=0).item() > FP8_GRAD_COS


@pytest.mark.gpu
@needs_fp8_gpu
def test_auto_and_fp8_resolution_on_gpu():
    assert resolve_precision("auto", device="cuda").effective == "bf16"
    assert resolve_precision("fp8", device="cuda", strict=True).effective == "fp8"


def cuda_plan(effective: str, recipe: str | None = None, emulate: bool = False) -> PrecisionPlan:
    """A compiled plan as resolve_precision would make it on a CUDA device (fields only)."""
    return PrecisionPlan(effective, effective, recipe, "ok", "cuda", emulate, compile=True)


@pytest.mark.parametrize(
    "plan,refused",
    [
        (cuda_plan("bf16"), True),  # compiled under bf16 autocast: wrong weight gradients (H200)
        (cuda_plan("fp8", "rowwise"), True),  # rowwise needs bf16 autocast around it
        (cuda_plan("fp8", "tensorwise"), False),  # compiled without autocast: matched eager
        (cuda_plan("fp8", "tensorwise", emulate=True), False),
        (cuda_plan("fp32"), False),
        (replace(cuda_plan("bf16"), device="cpu"), False),
        (replace(cuda_plan("bf16"), compile=False), False),
    ],
)
def test_which_plans_may_compile(plan, refused):
    assert (P._compile_problem(plan) is not None) == refused


def test_compiled_tensorwise_fp8_runs_without_autocast():
    """Compiled under CUDA autocast the Core's gradients were wrong; without it they matched."""
    assert isinstance(cuda_plan("fp8", "tensorwise").autocast(), type(P.contextlib.nullcontext()))
    eager = replace(cuda_plan("fp8", "tensorwise"), compile=False)
    assert isinstance(eager.autocast(), torch.autocast)


def test_refused_compile_is_dropped_with_a_warning_or_raises_when_strict(monkeypatch, caplog):
    monkeypatch.setattr(P, "_resolve", lambda *a: cuda_plan("bf16"))
    with pytest.raises(ValueError, match=r"^compile=true with precision=bf16 on cuda \(strict\)"):
        resolve_precision("bf16", device="cpu", strict=True, compile=True)
    with caplog.at_level(logging.WARNING, logger="simrl.nn.precision"):
        plan = resolve_precision("bf16", device="cpu", compile=True)
    assert (plan.effective, plan.compile) == ("bf16", False)
    assert "compile=true dropped" in plan.reason
    assert [r.getMessage().startswith("compile=true dropped") for r in caplog.records] == [True]


@pytest.mark.gpu
@needs_fp8_gpu
def test_bf16_compile_refused_on_gpu():
    with pytest.raises(ValueError, match="wrong weight gradients"):
        resolve_precision("bf16", device="cuda", strict=True, compile=True)
    assert resolve_precision("fp8", device="cuda", strict=True, compile=True).compile
