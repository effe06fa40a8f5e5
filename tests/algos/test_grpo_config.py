"""GRPOConfig: TRL's GRPOConfig names as aliases, and the derived validation (types, finiteness)."""

from __future__ import annotations

import math

import pytest

from simrl.algos.grpo.config import TRL_ALIASES, GRPOConfig


def test_trl_names_map_to_simrl_fields():
    cfg = GRPOConfig.from_dict(
        {
            "num_generations": 8,
            "num_iterations": 2,
            "epsilon": 0.1,
            "epsilon_high": 0.3,
            "beta": 0.04,
            "learning_rate": 1e-3,
            "loss_type": "dr_grpo",
            "scale_rewards": False,
        }
    )
    assert (cfg.group_size, cfg.epochs, cfg.clip_low, cfg.clip_high) == (8, 2, 0.1, 0.3)
    assert (cfg.beta, cfg.lr, cfg.loss_agg, cfg.scale) == (0.04, 1e-3, "constant", "none")
    assert GRPOConfig.from_dict({"loss_type": "grpo"}).loss_agg == "sequence"
    assert GRPOConfig.from_dict({"loss_type": "dapo", "scale_rewards": "group"}).scale == "group"
    # an alias left unset (None) is ignored; every alias names a real field
    assert GRPOConfig.from_dict({"epsilon": None, "clip_low": 0.15}).clip_low == 0.15
    fields = GRPOConfig.__dataclass_fields__
    assert all(target in fields for target, _ in TRL_ALIASES.values())


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"loss_type": "sum"}, "loss_type='sum' is not one of the choices; allowed: grpo, dr_grpo"),
        ({"num_generation": 8}, "num_generation=8 is not a setting; nearest: num_generations"),
        ({"lr": math.inf}, "lr=inf must be a number in (0, 10], or 0 for auto"),
        ({"beta": math.nan}, "beta=nan must be a number >= 0"),
        ({"num_groups": 2.0}, "num_groups=2.0 must be an integer in [1, 65536]"),
        ({"obs_norm": 1}, "obs_norm=1 must be true or false"),
    ],
)
def test_bad_values_are_one_line_errors(values, fragment):
    with pytest.raises(ValueError, match=None) as err:
        GRPOConfig.from_dict(values)
    assert fragment in str(err.value) and "\n" not in str(err.value)
