"""scripts/bench_core.py stays runnable: variant parsing, FLOP count by hand, a tiny CPU run."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_core.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_core", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_core"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench_core", None)


def test_variant_parse(bench):
    v = bench.Variant.parse("fp8-rowwise+compile")
    assert (v.precision, v.recipe, v.compile, v.name) == (
        "fp8",
        "rowwise",
        True,
        "fp8-rowwise+compile",
    )
    assert bench.Variant.parse("fp8").recipe == "tensorwise"
    with pytest.raises(ValueError, match="fp8-<recipe>"):
        bench.Variant.parse("fp16")


def test_step_flops_hand_computed(bench):
    # small preset, in_dim 64, batch B: forward 2B(64*64 + 64*64); backward: weight grads of both
    # layers + input grad of the second (the input needs none) => 5 GEMMs of 2*B*64*64
    assert bench.step_flops(bench.core_preset("small"), 32) == 5 * 2 * 32 * 64 * 64


def test_tiny_cpu_run_writes_json(bench, tmp_path):
    out = tmp_path / "r.json"
    args = ["--device", "cpu", "--presets", "small", "--batch-sizes", "32", "--iters", "1"]
    args += ["--min-time", "0", "--warmup", "1", "--variants", "fp32,fp8", "--out", str(out)]
    args += ["--threads", "0"]  # leave the test process's torch threads alone
    assert bench.main([*args, "--no-fp8-numerics"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [r["variant"] for r in rows] == ["fp32", "fp8-tensorwise"]
    assert rows[0]["ratio_to_baseline"] == 1.0 and rows[0]["samples_per_s"] > 0
    assert "unsupported on cpu" in rows[1]["error"]  # strict: no silent fallback in a benchmark
