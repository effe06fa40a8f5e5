"""Network core, heads and meters shared by every algorithm (torch only).

Precision handling (fp32/bf16/fp8) lives in `simrl.nn.precision`, imported on demand so that
importing the core never pulls in torchao.
"""

from simrl.nn.core import ACTIVATIONS, KINDS, PRESETS, Core, CoreConfig, ResidualBlock, core_preset
from simrl.nn.heads import LOG_STD_MAX, LOG_STD_MIN, GaussianHead, ValueHead
from simrl.nn.meters import PeakMemory, count_flops, optimizer_state_bytes, param_count

__all__ = [
    "ACTIVATIONS",
    "KINDS",
    "LOG_STD_MAX",
    "LOG_STD_MIN",
    "PRESETS",
    "Core",
    "CoreConfig",
    "GaussianHead",
    "PeakMemory",
    "ResidualBlock",
    "ValueHead",
    "core_preset",
    "count_flops",
    "optimizer_state_bytes",
    "param_count",
]
