"""Core: shapes, presets, hand-computed parameter counts, residual-block math, init, errors."""

import math

import pytest
import torch

from simrl.nn import PRESETS, Core, CoreConfig, core_preset, param_count


def test_small_preset_is_sb3_mlp_with_hand_counted_params():
    core = Core(10, core_preset("small"))
    # SB3 MlpPolicy trunk [64, 64] tanh: (10*64 + 64) + (64*64 + 64) = 704 + 4160
    assert param_count(core) == 4864
    acts = [m for m in core.modules() if isinstance(m, torch.nn.Tanh)]
    assert len(acts) == 2
    assert core.out_dim == 64
    assert core(torch.randn(7, 10)).shape == (7, 64)


def test_base_preset_param_count_hand_computed():
    core = Core(23, core_preset("base"))
    w = 256
    in_proj = 23 * w + w
    block = 2 * w + 2 * (w * w + w)  # LayerNorm (weight+bias) + two Linear
    final_ln = 2 * w
    assert param_count(core) == in_proj + 2 * block + final_ln == 270848


@pytest.mark.parametrize("name", ["small", "base", "large", "xl"])
def test_presets_shapes(name):
    with torch.device("meta"):  # shapes only: no memory, no init cost for the wide presets
        core = Core(17, core_preset(name))
        assert core(torch.randn(3, 17)).shape == (3, core.out_dim)
    assert core.out_dim == PRESETS[name].width


def test_xl_preset_is_wide_enough_for_fp8():
    cfg = core_preset("xl")
    assert cfg.kind == "residual" and cfg.width >= 2048 and cfg.depth >= 4
    assert cfg.width % 16 == 0


def test_residual_block_math():
    torch.manual_seed(0)
    cfg = CoreConfig(kind="residual", width=32, depth=1, activation="gelu", expansion=2)
    core = Core(5, cfg)
    x = torch.randn(4, 5)
    proj, block, final_ln = core.net[0], core.net[1], core.net[2]
    h = x @ proj.weight.T + proj.bias
    z = torch.nn.functional.layer_norm(h, (32,), block.norm.weight, block.norm.bias)
    z = torch.nn.functional.gelu(z @ block.fc1.weight.T + block.fc1.bias)
    h = h + z @ block.fc2.weight.T + block.fc2.bias
    expected = torch.nn.functional.layer_norm(h, (32,), final_ln.weight, final_ln.bias)
    assert block.fc1.out_features == 64
    torch.testing.assert_close(core(x), expected, rtol=1e-5, atol=1e-5)


def test_mlp_layer_norm_option_and_activation():
    core = Core(8, CoreConfig(kind="mlp", width=16, depth=3, activation="elu", layer_norm=True))
    kinds = [type(m).__name__ for m in core.net]
    assert kinds == ["Linear", "LayerNorm", "ELU"] * 3


def test_orthogonal_init_like_sb3():
    core = Core(64, CoreConfig(kind="mlp", width=64, depth=1))
    w = core.net[0].weight
    torch.testing.assert_close(w @ w.T, 2.0 * torch.eye(64), atol=1e-4, rtol=0)  # gain sqrt(2)
    assert torch.all(core.net[0].bias == 0)
    assert math.isclose(CoreConfig().init_gain, math.sqrt(2))


def test_same_seed_same_weights():
    torch.manual_seed(3)
    a = Core(9, core_preset("base"))
    torch.manual_seed(3)
    b = Core(9, core_preset("base"))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_preset_overrides_return_fresh_copies():
    cfg = core_preset("base", width=512)
    assert cfg.width == 512 and PRESETS["base"].width == 256


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"width": 50}, "divisible by 16"),
        (
            {"activation": "swish"},
            "activation='swish' is not one of the choices; allowed: elu, gelu",
        ),
        ({"kind": "cnn"}, "kind='cnn' is not one of the choices; allowed: mlp, residual"),
        ({"depth": 0}, "depth=0"),
    ],
)
def test_bad_config_one_line_error(kwargs, needle):
    with pytest.raises(ValueError) as err:
        CoreConfig(**kwargs)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_bad_preset_lists_presets():
    with pytest.raises(
        ValueError, match=r"unknown core preset 'huge'; presets: \['small', 'base', 'large', 'xl'\]"
    ):
        core_preset("huge")
    with pytest.raises(ValueError, match="unknown CoreConfig field"):
        core_preset("small", widht=3)


def test_bad_in_dim():
    with pytest.raises(ValueError, match="in_dim=0"):
        Core(0, core_preset("small"))
