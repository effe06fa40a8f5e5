"""The session's tiny trained runs (see `_policy_runs`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `_policy_runs`, whatever the import mode

from _policy_runs import RUN_IDS, RUNS, train_tiny  # noqa: E402


@pytest.fixture(scope="session")
def tiny_runs(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, dict]]:
    """(algo, env id) -> (run dir, summary) for every entry of RUNS."""
    root = tmp_path_factory.mktemp("tiny_runs")
    out = {}
    for (algo, env_id), name in zip(RUNS, RUN_IDS, strict=True):
        out[(algo, env_id)] = (root / name, train_tiny(algo, env_id, root / name))
    return out
