"""Export a trained policy as a self-contained model: ONNX, TorchScript, or an SB3 zip (PPO).

The exported model maps raw observations (batch, obs_dim) float32 to deterministic actions
(batch, act_dim) float32 with the run's observation normalisation, the squash and scaling to the
action box and the clip to its bounds inside (`Policy.deploy_module`), so it needs neither simrl
nor the checkpoint. Beside it, `<name>.spaces.json` describes its input, output and spaces.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

from simrl.files import atomic_write_bytes, atomic_write_text
from simrl.policy import Policy

FORMATS: dict[str, str] = {"onnx": ".onnx", "torchscript": ".pt", "sb3": ".zip"}
ONNX_OPSET = 17
INPUT, OUTPUT = "obs", "action"


def export_path(out: str | Path, fmt: str) -> Path:
    """`out` with the format's suffix when it has none."""
    out = Path(out)
    return out if out.suffix else out.with_suffix(FORMATS[fmt])


def spaces_path(model_path: Path) -> Path:
    """Where the spaces JSON of `model_path` goes: `<stem>.spaces.json` beside it."""
    return model_path.with_name(model_path.stem + ".spaces.json")


def check_format(policy: Policy, fmt: str) -> None:
    """One-line ValueError for an unknown format or a format this policy cannot take."""
    if fmt not in FORMATS:
        raise ValueError(f"format={fmt!r} is not one of {list(FORMATS)}")
    if fmt == "sb3" and policy.algo != "ppo":
        raise ValueError(f"format=sb3 needs a PPO run; {policy.checkpoint} is a {policy.algo} run")


def export_policy(policy: Policy, fmt: str, out: str | Path) -> tuple[Path, Path]:
    """Write `policy` in format `fmt` to `out` and its spaces JSON beside it (both atomically);
    returns (model path, spaces JSON path)."""
    check_format(policy, fmt)
    path = export_path(out, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "sb3":
        from simrl.algos.ppo.sb3_zip import save_sb3_zip

        save_sb3_zip(policy.actor, policy.model_cfg, policy.algo_cfg, path)
    else:
        module = policy.deploy_module()
        example = torch.zeros((1, *policy.observation_space.shape), dtype=torch.float32)
        data = (
            _onnx_bytes(module, example) if fmt == "onnx" else _torchscript_bytes(module, example)
        )
        atomic_write_bytes(path, lambda f: f.write(data))
    meta = describe(policy, fmt, path)
    side = spaces_path(path)
    atomic_write_text(side, json.dumps(meta, indent=2) + "\n")
    return path, side


def _torchscript_bytes(module: torch.nn.Module, example: torch.Tensor) -> bytes:
    """A traced TorchScript module (deprecated by torch in favour of torch.export, still what C++
    `torch::jit::load` and many robot stacks read)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.trace(module, (example,)), buffer)
    return buffer.getvalue()


def _onnx_bytes(module: torch.nn.Module, example: torch.Tensor) -> bytes:
    """The TorchScript-based exporter: it needs only `onnx` (the torch.export-based one also
    needs onnxscript) and gives a graph with a dynamic batch axis."""
    buffer = io.BytesIO()
    try:
        import onnx  # noqa: F401  (the exporter's graph checks need it)
    except ImportError:
        raise ValueError("format=onnx needs onnx: pip install 'simrl[export]'") from None
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module,
            (example,),
            buffer,
            dynamo=False,
            input_names=[INPUT],
            output_names=[OUTPUT],
            dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}},
            opset_version=ONNX_OPSET,
        )
    return buffer.getvalue()


def describe(policy: Policy, fmt: str, path: Path) -> dict[str, Any]:
    """The spaces JSON: what the model reads and returns, and where it came from."""
    obs_dim = int(policy.observation_space.shape[0])
    act_dim = int(policy.action_space.shape[0])
    return {
        "format": fmt,
        "file": path.name,
        "algo": policy.algo,
        "env_id": policy.env_id,
        "env_options": policy.env_options,
        "checkpoint": policy.checkpoint,
        "env_steps": policy.env_steps,
        "input": {"name": INPUT, "shape": [None, obs_dim], "dtype": "float32"},
        "output": {"name": OUTPUT, "shape": [None, act_dim], "dtype": "float32"},
        "deterministic": True,
        "includes": ["observation normalization", "action squash and scaling", "clip to bounds"],
        "observation_space": space_dict(policy.observation_space),
        "action_space": space_dict(policy.action_space),
    }


def space_dict(space: gym.Space) -> dict[str, Any]:
    """A Box as JSON: shape, dtype, low and high (infinite bounds as "inf" / "-inf")."""
    if not isinstance(space, gym.spaces.Box):
        return {"type": type(space).__name__, "repr": repr(space)}

    def values(arr: Any) -> list[Any]:
        return [
            v if math.isfinite(v) else ("inf" if v > 0 else "-inf") for v in arr.ravel().tolist()
        ]

    return {
        "type": "Box",
        "shape": list(space.shape),
        "dtype": str(space.dtype),
        "low": values(space.low),
        "high": values(space.high),
    }
