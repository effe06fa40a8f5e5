"""simrl: critic-free GRPO on exact-state batched MuJoCo simulations, benchmarked against SB3 PPO.

`import simrl` registers the suite's tasks with Gymnasium (`gymnasium.make("simrl/Reach-v0")`)
without importing torch; `simrl.load_policy` (and `simrl.Policy`) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import simrl.sim  # noqa: F401  (registers simrl/... ids with Gymnasium)

if TYPE_CHECKING:
    from simrl.policy import Policy, load_policy

__version__ = "0.1.0"
__all__ = ["Policy", "__version__", "load_policy"]
_LAZY = {"load_policy", "Policy"}


def __getattr__(name: str) -> Any:
    """`load_policy` and `Policy` from `simrl.policy`, imported (with torch) on first access."""
    if name in _LAZY:
        from simrl import policy

        return getattr(policy, name)
    raise AttributeError(f"module 'simrl' has no attribute {name!r}")
