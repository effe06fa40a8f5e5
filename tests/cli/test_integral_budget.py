"""`total_env_steps=1e6` (the RL Zoo's habit) is an integer budget; --help shows each env's
default budget and the one in effect."""

from __future__ import annotations

import pytest

from simrl.cli.help import env_budgets
from simrl.cli.tune import compose_train
from simrl.config.build import build_configs

from .conftest import run_cli


@pytest.mark.parametrize(
    "override, steps",
    [("total_env_steps=1e6", 1_000_000), ("env.total_env_steps=2.5e4", 25_000)],
)
def test_whole_float_budget_is_an_integer(override, steps):
    built = build_configs(compose_train(["env=reacher", override]))
    assert built.run.total_env_steps == steps and type(built.run.total_env_steps) is int
    assert built.config_dict["total_env_steps"] == steps


@pytest.mark.parametrize("value", ["1.5", "abc", "0"])
def test_other_budgets_are_still_refused(value):
    with pytest.raises(ValueError, match=rf"^total_env_steps={value} must be an integer >= 1"):
        build_configs(compose_train(["env=reacher", f"total_env_steps={value}"]))


def test_help_shows_the_budget_per_env(tmp_path):
    assert "reach 100000" in env_budgets() and "gym 1000000" in env_budgets()
    proc = run_cli("train", "env=gym", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    assert "total_env_steps=N (1e6 works; now 1000000;" in proc.stdout
    assert "reacher 200000" in proc.stdout and "total_env_steps=200000" not in proc.stdout
