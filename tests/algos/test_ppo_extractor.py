"""CoreExtractor: SB3 policy with simrl's Core as policy and value trunks, precision plans applied."""

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3.common.policies import ActorCriticPolicy

from simrl.algos.ppo.extractor import CoreExtractor
from simrl.nn import Core, core_preset

OBS = gym.spaces.Box(-np.inf, np.inf, (10,), np.float64)
ACT = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)


def policy(plan=None, shared=False, preset="base"):
    return ActorCriticPolicy(
        OBS,
        ACT,
        lambda _: 3e-4,
        net_arch={"pi": [], "vf": []},
        features_extractor_class=CoreExtractor,
        features_extractor_kwargs={"core_cfg": core_preset(preset), "plan": plan},
        share_features_extractor=shared,
    )


def test_separate_trunks_of_the_same_preset():
    p = policy()
    pi, vf = p.pi_features_extractor, p.vf_features_extractor
    assert pi is not vf and isinstance(pi.core, Core) and isinstance(vf.core, Core)
    assert pi.features_dim == vf.features_dim == 256
    # linear heads directly on the core features (net_arch pi=[], vf=[])
    assert p.action_net.in_features == 256 and p.value_net.in_features == 256
    sizes = lambda m: [t.shape for t in m.state_dict().values()]  # noqa: E731
    assert sizes(pi) == sizes(vf)
    assert any(k.startswith("pi_features_extractor.core.") for k in p.state_dict())


@pytest.mark.slow  # torchao import
def test_fp8_plan_converts_both_trunks_only():
    precision = pytest.importorskip("simrl.nn.precision")
    try:
        plan = precision.resolve_precision("fp8", "cpu", strict=True, emulate=True)
    except ValueError as exc:  # torchao missing
        pytest.skip(str(exc))
    p = policy(plan)
    for ext in (p.pi_features_extractor, p.vf_features_extractor):
        kinds = {type(m).__name__ for m in ext.core.modules()}
        assert "Float8Linear" in kinds  # the 256x256 block Linears
    assert type(p.action_net) is torch.nn.Linear and type(p.value_net) is torch.nn.Linear
    obs = torch.randn(8, 10)
    actions, values, logp = p(obs)
    assert values.dtype == torch.float32 and actions.shape == (8, 2)
    # FP8 (emulated) features stay close to the fp32 ones of the same weights (E4M3: ~5e-2)
    ref = policy()
    ref.load_state_dict(p.state_dict())
    f8, f32 = p.pi_features_extractor(obs), ref.pi_features_extractor(obs)
    assert torch.linalg.norm(f8 - f32) / torch.linalg.norm(f32) < 0.1
