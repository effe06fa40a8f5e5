"""The one number formatter of simrl's tables: run summaries, `simrl-report` and `simrl-bench`.

`fmt` gives `digits` significant digits for floats (scientific notation only where `g` formatting
needs it), thousands separators for integers from 10,000 on, and `missing` for None, NaN and inf.
The helpers build the composite cells every report shows: mean ± std (n), IQM [95% CI], and the
markdown tables they go in (`md_table`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any


def fmt(value: Any, digits: int = 4, missing: str = "-") -> str:
    """A compact human-readable number (or `str(value)` for anything that is not a number)."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        v = int(value)
        return f"{v:,}" if abs(v) >= 10_000 else str(v)
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            return missing
        return f"{v:.{digits}g}"
    return str(value)


def _finite(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def fmt_mean_std(
    mean: Any, std: Any, n: int | None = None, scale: float = 1.0, missing: str = "-"
) -> str:
    """`mean ± std`, plus ` (n)` when `n` is given; the std is left out where it is undefined
    (fewer than 2 values) or zero."""
    if not _finite(mean):
        return missing
    text = fmt(mean / scale)
    if _finite(std) and std > 0:
        text += f" ± {fmt(std / scale)}"
    if n is not None:
        text += f" ({n})"
    return text


def fmt_interval(value: Any, low: Any, high: Any, missing: str = "-") -> str:
    """`value [low, high]`; only `value` when the interval is undefined (a single run)."""
    if not _finite(value):
        return missing
    text = fmt(value)
    if _finite(low) and _finite(high):
        text += f" [{fmt(low)}, {fmt(high)}]"
    return text


def fmt_ratio(value: Any, missing: str = "-") -> str:
    """A ratio as `0.412x`."""
    return f"{fmt(value, 3)}x" if _finite(value) else missing


def fmt_diff(value: Any, missing: str = "-") -> str:
    """A signed difference as `+1.04`."""
    return f"{float(value):+.3g}" if _finite(value) else missing


def fmt_steps(value: Any) -> str:
    """An env-step count as an integer (`307,200`), `-` when missing."""
    return fmt(int(value)) if _finite(value) else "-"


def md_table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]
