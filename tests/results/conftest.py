"""Fixtures of the results tests: a small sweep of run directories."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _results_runs import write_run


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    """A sweep of 2 x 2 completed runs (algo.lr=1e-3 / 3e-3, seeds 0 and 1) and one failed run."""
    for lr, rets in (("1e-3", (-6.0, -4.0)), ("3e-3", (-3.0, -2.0))):
        for seed, ret in enumerate(rets):
            write_run(
                tmp_path / f"algo.lr={lr},seed={seed}",
                seed=seed,
                ret=ret,
                curve=[(400, 1.0 + seed, ret - 2), (800, 2.0 + seed, ret)],
                overrides=[f"algo.lr={lr}", f"seed={seed}", "progress=false", "env=reacher"],
            )
    failed = tmp_path / "algo.lr=-1,seed=0"
    failed.mkdir()
    (failed / "summary.json").write_text(
        json.dumps({"algo": "grpo", "seed": 0, "status": "failed", "error": "lr must be > 0"})
    )
    (failed / ".hydra").mkdir()
    (failed / ".hydra" / "overrides.yaml").write_text("- algo.lr=-1\n- seed=0\n- env=reacher\n")
    return tmp_path
