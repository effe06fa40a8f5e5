"""The generic path on any MuJoCo-based Gymnasium env, with exact copies of the whole env.

The env under test is the tests' own GoalPoint (`tests/testenvs/goal_point.py`): registered outside
Gymnasium's namespace, goal drawn in Python at reset, Python step counter and previous distance
in the reward, a Dict observation and ``info["is_success"]``.
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import mujoco
import numpy as np
import pytest
import torch
from gymnasium.spaces.utils import flatten

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the testenvs package

from testenvs.goal_point import (  # noqa: E402
    FACTORY_ID,
    GOAL_POINT_ID,
    NESTED_ID,
    WRAPPED_ID,
    GoalPointEnv,
)

from simrl.sim import make_group_env  # noqa: E402
from simrl.sim.pystate import decode, encode  # noqa: E402
from simrl.sim.registry import check_env_id  # noqa: E402

MODULE_ID = f"testenvs.goal_point:{GOAL_POINT_ID}"
PY_STATE = ("goal", "start", "steps", "prev_distance", "episodes")


def make(num_groups: int = 2, group_size: int = 3, seed: int = 0, **kw):
    kw.setdefault("autoreset_mode", "disabled")
    return make_group_env(MODULE_ID, num_groups=num_groups, group_size=group_size, seed=seed, **kw)


def py_state(env) -> dict:
    """The Python episode state of one unwrapped GoalPoint env, RNG stream included."""
    out = {k: copy.deepcopy(getattr(env, k)) for k in PY_STATE}
    out["rng"] = env.np_random.bit_generator.state
    return out


def same(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k]) if k != "rng" else a[k] == b[k] for k in a)


def controller(env, rows) -> np.ndarray:
    """A PD controller towards each row's goal (reaches it within the episode)."""
    out = []
    for r in rows:
        e = env.envs[r]
        out.append(np.clip(8.0 * (e.goal - e.data.qpos) - 0.5 * e.data.qvel, -1, 1))
    return np.array(out)


def to_torch(tree):
    """Snapshot -> tensors (nested dicts of arrays and plain scalars only, no lists or objects)."""
    if isinstance(tree, dict):
        return {k: to_torch(v) for k, v in tree.items()}
    if tree is None or isinstance(tree, (bool, int, float, str)):
        return tree
    assert isinstance(tree, np.ndarray), type(tree)
    return torch.from_numpy(np.ascontiguousarray(tree))


def weights_only_round_trip(tree):
    buf = io.BytesIO()
    torch.save(to_torch(tree), buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


# ----------------------------------------------------------------------------- ids, spaces
def test_module_form_builds_and_dict_observations_are_flattened_in_key_order():
    env = make()
    assert env.env_id == GOAL_POINT_ID and env.has_success and env.success_key == "is_success"
    raw = env.single_observation_space_unflattened
    assert isinstance(raw, gym.spaces.Dict)
    assert list(raw.keys()) == ["achieved_goal", "desired_goal", "observation"]  # sorted
    assert env.single_observation_space.shape == (9,)
    assert env.observation_slices == {
        "achieved_goal": slice(0, 2),
        "desired_goal": slice(2, 4),
        "observation": slice(4, 9),
    }
    obs, _ = env.reset()
    for r, e in enumerate(env.envs):
        assert np.array_equal(obs[r], flatten(raw, e._get_obs()))
    assert np.array_equal(obs[:, env.observation_slices["desired_goal"]][0], env.envs[0].goal)
    obs, *_ = env.step(np.zeros((6, 2)))
    assert np.array_equal(obs[4], flatten(raw, env.envs[4]._get_obs()))
    assert env.max_episode_steps == 50 and env.task_options() == {}


def test_options_are_keyword_arguments_and_bad_ones_one_line():
    env = make(num_groups=1, group_size=1, goal_range=0.01)
    env.reset()
    assert np.abs(env.envs[0].goal).max() <= 0.01
    with pytest.raises(ValueError, match="bad option for") as info:
        make(bogus=1)
    assert "\n" not in str(info.value)
    with pytest.raises(ValueError) as info:  # the env's own constructor fails: where, in one line
        make(goal_range=-1.0)
    text = str(info.value)
    assert text.startswith(f"gymnasium.make({GOAL_POINT_ID!r}) failed: AssertionError: goal_range")
    assert "testenvs/goal_point.py:" in text and "\n" not in text


@pytest.mark.parametrize(
    ("env_id", "match"),
    [
        ("CartPole-v1", "env id 'CartPole-v1' is not MuJoCo-based: its unwrapped env CartPoleEnv"),
        ("no_such_module_x:Foo-v0", "cannot import module 'no_such_module_x'"),
        ("testenvs.goal_point:simrl_test/Nope-v0", "not registered after importing"),
        ("Nope-v0", "unknown env id 'Nope-v0'; available: .*Reacher-v5.*MuJoCo-based"),
        (f"testenvs.goal_point:{WRAPPED_ID}", "is wrapped in NormalizeReward by its registration"),
    ],
)
def test_refused_ids_say_why_in_one_line(env_id, match):
    for call in (check_env_id, make_group_env):
        with pytest.raises(ValueError, match=match) as info:
            call(env_id)
        assert "\n" not in str(info.value)


def test_factory_entry_point_is_checked_by_building_one_env():
    check_env_id(f"testenvs.goal_point:{FACTORY_ID}")
    env = make_group_env(FACTORY_ID, num_groups=2, seed=0)
    assert env.env_id == FACTORY_ID and env.has_success


def _cli(*overrides: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
        "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"),
    }
    cmd = [sys.executable, "-m", "simrl.cli.train", *overrides]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_cli_refuses_a_non_mujoco_id_in_one_line(tmp_path):
    proc = _cli("env=gym", "env.id=CartPole-v1", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "CartPole-v1" in lines[0] and "not MuJoCo-based" in lines[0]


# ------------------------------------------------------------------------------- exactness
def test_group_rows_identical_after_reset_and_under_identical_actions():
    env = make(num_groups=3, group_size=3, seed=1)
    obs, _ = env.reset()
    states = [py_state(e) for e in env.envs]
    for g in range(3):
        rows = env.group_rows([g])
        assert (obs[rows] == obs[rows[0]]).all()
        assert all(same(states[rows[0]], states[r]) for r in rows[1:])
    assert not np.array_equal(env.envs[0].goal, env.envs[3].goal)  # groups differ
    rng = np.random.default_rng(0)
    for _ in range(30):
        a = np.repeat(rng.uniform(-1, 1, (3, 2)), 3, axis=0)
        obs, reward, term, trunc, info = env.step(a)
        for g in range(3):
            rows = env.group_rows([g])
            assert (obs[rows] == obs[rows[0]]).all() and (reward[rows] == reward[rows[0]]).all()
            assert (info["is_success"][rows] == info["is_success"][rows[0]]).all()
            assert (info["distance"][rows] == info["distance"][rows[0]]).all()
    assert all(same(py_state(env.envs[0]), py_state(env.envs[r])) for r in (1, 2))
    assert env.envs[1].steps == 30 and env.envs[1].episodes == env.envs[0].episodes


def test_autoreset_reseeds_whole_groups_with_their_python_state():
    env = make(num_groups=2, group_size=2, seed=3, autoreset_mode="same_step")
    env.reset()
    for _ in range(55):  # crosses the 50-step limit: both groups are re-seeded in place
        obs, reward, term, trunc, info = env.step(np.full((4, 2), 0.3))
        for g in range(2):
            rows = env.group_rows([g])
            assert (obs[rows] == obs[rows[0]]).all() and (reward[rows] == reward[rows[0]]).all()
    assert [e.steps for e in env.envs] == [5, 5, 5, 5]
    assert same(py_state(env.envs[0]), py_state(env.envs[1]))
    assert same(py_state(env.envs[2]), py_state(env.envs[3]))


def test_clone_state_across_groups_is_exact_and_python_state_matters():
    env = make(num_groups=3, group_size=2, seed=2)
    env.reset()
    rng = np.random.default_rng(1)
    for _ in range(8):  # the groups drift apart
        env.step(rng.uniform(-1, 1, (6, 2)))
    env.clone_state([0], [2, 3])
    # a copy of MjData and the RNG alone (the old row copy) into row 4 misses the Python state
    src, naive = env.envs[0], env.envs[4]
    mujoco.mj_copyData(naive.data, naive.model, src.data)
    naive.np_random = copy.deepcopy(src.np_random)
    assert all(same(py_state(env.envs[0]), py_state(env.envs[r])) for r in (2, 3))
    rows, success, naive_differs = [0, 2, 3], False, False
    for _ in range(25):
        a = controller(env, [0] * 6)  # row 0's controller for every row
        obs, reward, term, trunc, info = env.step(a)
        assert (obs[rows] == obs[0]).all() and (reward[rows] == reward[0]).all()
        assert (info["is_success"][rows] == info["is_success"][0]).all()
        assert (env.elapsed_steps[rows] == env.elapsed_steps[0]).all()
        success |= bool(info["is_success"][0])
        naive_differs |= reward[4] != reward[0] or not np.array_equal(obs[4], obs[0])
    assert success  # the controller reaches the goal: success is compared, not just False
    assert naive_differs  # the goal/counter/previous distance are Python state
    assert all(same(py_state(env.envs[0]), py_state(env.envs[r])) for r in (2, 3))


def test_clone_keeps_each_rows_own_mujoco_objects_and_maps_back_references():
    env = make(num_groups=2, group_size=1, seed=0)
    env.reset()
    for e in env.envs:
        e.helper = {"env": e, "data": e.data, "goal_alias": None}
    env.envs[0].helper["goal_alias"] = env.envs[0].goal
    env.clone_state([0], [1])
    dst, src = env.envs[1], env.envs[0]
    assert dst.model is not src.model and dst.data is not src.data
    assert dst.observation_space is not src.observation_space
    assert dst.mujoco_renderer is not src.mujoco_renderer
    assert dst.helper["env"] is dst and dst.helper["data"] is dst.data
    assert dst.helper["goal_alias"] is dst.goal and dst.goal is not src.goal  # aliasing kept


def test_set_state_into_a_second_env_instance_is_exact_through_weights_only():
    a = make(num_groups=2, group_size=2, seed=0)
    b = make(num_groups=3, group_size=1, seed=9)
    a.reset()
    b.reset()
    rng = np.random.default_rng(2)
    for _ in range(7):
        a.step(rng.uniform(-1, 1, (4, 2)))
    snap = a.get_state([0, 3])
    assert "objects" not in snap
    b.set_state([2, 0], weights_only_round_trip(snap))
    assert same(py_state(a.envs[0]), py_state(b.envs[2]))
    assert same(py_state(a.envs[3]), py_state(b.envs[0]))
    assert list(b.elapsed_steps) == [7, 0, 7]
    success = False
    for _ in range(25):
        act = controller(a, [0, 0, 3, 3])
        oa, ra, _, _, ia = a.step(act)
        ob, rb, _, _, ib = b.step(act[[3, 1, 0]])
        assert np.array_equal(oa[[0, 3]], ob[[2, 0]]) and np.array_equal(ra[[0, 3]], rb[[2, 0]])
        assert np.array_equal(ia["is_success"][[0, 3]], ib["is_success"][[2, 0]])
        assert np.array_equal(ia["travelled"][[0, 3]], ib["travelled"][[2, 0]])
        success |= bool(ia["is_success"][0])
    assert success
    assert a.envs[0].np_random.random() == b.envs[2].np_random.random()


def test_state_dict_round_trip_resumes_exactly_across_episode_ends():
    def build():
        return make(num_groups=2, group_size=2, seed=4, autoreset_mode="next_step")

    env = build()
    env.reset()
    rng = np.random.default_rng(3)
    for _ in range(30):
        env.step(rng.uniform(-1, 1, (4, 2)))
    other = build()
    other.load_state_dict(weights_only_round_trip(env.state_dict()))
    for _ in range(90):  # two episode ends: group re-seeds draw from the restored RNGs
        a = rng.uniform(-1, 1, (4, 2))
        out_a, out_b = env.step(a), other.step(a)
        for x, y in zip(out_a[:4], out_b[:4], strict=True):
            assert np.array_equal(x, y)
        assert np.array_equal(out_a[4]["is_success"], out_b[4]["is_success"])
    assert all(same(py_state(x), py_state(y)) for x, y in zip(env.envs, other.envs, strict=True))


class Helper:
    """An object that neither encodes as arrays nor pickles (it holds a lambda)."""

    def __init__(self, env) -> None:
        self.env, self.count, self.scale = env, 0, lambda x: 2 * x


def test_unpicklable_attribute_copies_exactly_but_checkpoint_names_it():
    env = make(num_groups=2, group_size=1, seed=0)
    env.reset()
    for e in env.envs:
        e.helper = Helper(e)
    env.envs[0].helper.count = 5
    env.clone_state([0], [1])
    assert env.envs[1].helper.count == 5 and env.envs[1].helper.env is env.envs[1]
    with pytest.raises(ValueError) as info:
        env.state_dict()
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"env {GOAL_POINT_ID!r} cannot be checkpointed: GoalPointEnv.helper")
    assert "holds a Helper" in text
    snap = env.get_state([0])  # in memory: a deep copy instead
    assert "objects" in snap
    env.envs[0].helper.count = 6
    env.set_state([1], snap)
    assert env.envs[1].helper.count == 5 and env.envs[1].helper.env is env.envs[1]


def test_static_helper_is_saved_as_a_digest_and_a_changed_one_is_named():
    env = make(num_groups=2, group_size=1, seed=0)
    env.reset()
    snap = env.get_state()
    assert "objects" not in snap and "digest" in snap["python"]["layout"]  # unchanged since built
    other = make(num_groups=2, group_size=1, seed=1)
    other.load_state_dict(weights_only_round_trip(env.state_dict()))
    assert same(py_state(env.envs[1]), py_state(other.envs[1]))
    env.envs[0].layout.bounds["high"] = 0.1  # a helper changed after the build
    snap = env.get_state([0])
    assert "objects" in snap  # get_state keeps a deep copy of it
    env.set_state([1], snap)
    assert env.envs[1].layout.bounds["high"] == 0.1
    assert env.envs[1].layout is not env.envs[0].layout
    saved = weights_only_round_trip(env.state_dict())  # a checkpoint holds its digest
    with pytest.raises(
        ValueError, match=r"GoalPointEnv\.layout differs from the saved one"
    ) as info:
        make(num_groups=2, group_size=1, seed=1).load_state_dict(saved)
    assert "\n" not in str(info.value)


def test_per_episode_model_edits_are_copied_and_saved():
    a = make(num_groups=2, group_size=2, seed=0, edit_model=True)
    a.reset()
    assert set(a.model_edits.tracked) == {"body_mass", "site_pos"}
    masses = [e.model.body_mass[1] for e in a.envs]
    assert masses[0] == masses[1] and masses[2] == masses[3] and masses[0] != masses[2]
    rng = np.random.default_rng(4)
    for _ in range(5):
        a.step(np.repeat(rng.uniform(-1, 1, (2, 2)), 2, axis=0))
    a.clone_state([0], [2, 3])
    b = make(num_groups=1, group_size=4, seed=5, edit_model=True)
    b.reset()
    b.set_state([0, 1, 2, 3], weights_only_round_trip(a.get_state()))
    for _ in range(20):
        act = np.repeat(rng.uniform(-1, 1, (1, 2)), 4, axis=0)
        oa, ra, *_ = a.step(act)
        ob, rb, *_ = b.step(act)
        assert (oa == oa[0]).all() and (ra == ra[0]).all()  # one group's model in every row
        assert np.array_equal(oa, ob) and np.array_equal(ra, rb)
    assert b.envs[3].model.body_mass[1] == masses[0]
    assert np.array_equal(b.envs[3].model.site_pos[0, :2], a.envs[0].goal)


def test_nested_mujoco_env_is_copied_into_the_rows_own():
    def build(seed):
        return make_group_env(
            NESTED_ID, num_groups=2, group_size=2, seed=seed, autoreset_mode="disabled"
        )

    env = build(0)
    env.reset()
    rng = np.random.default_rng(5)
    for _ in range(4):
        env.step(rng.uniform(-1, 1, (4, 2)))
    env.clone_state([0], [2, 3])
    src, dst = env.envs[0], env.envs[2]
    assert dst.inner is not src.inner and dst.inner.data is not src.inner.data
    assert dst.bonus == src.bonus == 4 and np.array_equal(dst.inner.goal, src.inner.goal)
    other = build(3)
    other.load_state_dict(weights_only_round_trip(env.state_dict()))
    for _ in range(20):
        act = np.repeat(rng.uniform(-1, 1, (1, 2)), 4, axis=0)
        oa, ra, *_ = env.step(act)
        ob, rb, *_ = other.step(act)
        assert np.array_equal(oa, ob) and np.array_equal(ra, rb)
        assert (oa[[2, 3]] == oa[0]).all() and (ra[[2, 3]] == ra[0]).all()


# ------------------------------------------------------------------- success and learners
def test_success_reaches_evaluation():
    from simrl.runs.evaluate import evaluate_policy

    env = make(num_groups=4, group_size=1, seed=0)
    result = evaluate_policy(lambda obs: controller(env, range(4)), env, seed=5)
    assert result.success_rate == 1.0 and len(result.returns) == 4
    idle = evaluate_policy(lambda obs: np.zeros((4, 2)), env, seed=5)
    assert idle.success_rate is not None and idle.success_rate < 1.0


@pytest.mark.parametrize("horizon", [0, 20])  # full episodes; episodes continued across iterations
def test_grpo_checkpoint_round_trip_resumes_exactly(horizon):
    from simrl.algos.grpo import GRPOConfig, make_trainer
    from simrl.nn import core_preset
    from simrl.nn.compute import ComputeConfig, resolve_compute
    from simrl.sim.config import EnvConfig

    cfg = GRPOConfig(num_groups=2, group_size=4, minibatch_size=128, epochs=2, horizon=horizon)
    cpu = resolve_compute(ComputeConfig(device="cpu", num_threads=1))

    def trainer():
        env = EnvConfig(id=MODULE_ID)
        model = core_preset("small", width=16)
        return make_trainer(env, model, cfg, cpu, seed=0, total_env_steps=10_000)

    def params(tr):
        return torch.cat([p.detach().reshape(-1) for p in tr.policy.parameters()])

    straight = trainer()
    metrics = [straight.iterate() for _ in range(4)]
    assert all(0.0 <= m["success_rate"] <= 1.0 for m in metrics)
    first = trainer()
    for _ in range(2):
        first.iterate()
    state = first.state_dict()
    assert (state["env"] is not None) == (horizon > 0)  # episodes in flight are saved
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    resumed = trainer()
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    for _ in range(2):
        resumed.iterate()
    assert torch.equal(params(straight), params(resumed))
    assert resumed.env_steps == straight.env_steps


ALGO_OVERRIDES = {
    "grpo": ["total_env_steps=2000", "algo.num_groups=2", "algo.group_size=2"],
    "ppo": ["algo=ppo", "total_env_steps=512", "algo.n_envs=2", "algo.n_steps=64"],
}


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_cli_train_on_a_module_id_reports_success_rate(tmp_path, algo):
    run_dir = tmp_path / "run"
    proc = _cli(
        "env=gym",
        f"env.id={MODULE_ID}",
        "+env.options.goal_range=0.2",
        *ALGO_OVERRIDES[algo],
        "eval_episodes=2",
        "progress=false",
        "tensorboard=false",
        f"hydra.run.dir={run_dir}",
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["env_steps"] in (2000, 512)
    assert (run_dir / "checkpoints" / "last.pt").exists()  # PPO's holds the env's state_dict
    assert isinstance(summary["success_rate"], float) and 0.0 <= summary["success_rate"] <= 1.0


def test_start_state_bank_records_and_restores_python_state(tmp_path):
    from simrl.sim.start_states import BankStarts, StartBank, record_demos

    demo_env = make(num_groups=3, group_size=1, seed=0)
    bank = record_demos(demo_env, lambda obs: controller(demo_env, range(3)), seed=0)
    assert bank.num_demos == 3
    bank = StartBank.load(bank.save(tmp_path / "bank.npz"))
    env = make(num_groups=2, group_size=2, seed=1)
    env.set_start_states(BankStarts(bank, 1.0))
    env.reset()
    steps = env.elapsed_steps
    assert [e.steps for e in env.envs] == steps.tolist()  # the Python counter came with it
    for r in range(4):
        demo, step = bank.demo[env._start_row[r]], bank.step[env._start_row[r]]
        assert step == steps[r]
        assert np.array_equal(env.envs[r].goal, bank.states["python"]["goal"]["ndarray"][demo * 50])


# ----------------------------------------------------------------------- other envs, codec
def test_ant_set_state_restores_derived_fields_exactly():
    """Ant reads a derived field (torso xpos) before stepping: the snapshot carries it."""
    a = make_group_env("Ant-v5", num_groups=2, seed=0, autoreset_mode="disabled")
    b = make_group_env("Ant-v5", num_groups=2, seed=7, autoreset_mode="disabled")
    a.reset()
    b.reset()
    rng = np.random.default_rng(1)
    for _ in range(30):
        a.step(rng.uniform(-1, 1, (2, 8)))
    b.set_state([0, 1], a.get_state())
    for _ in range(30):
        act = rng.uniform(-1, 1, (2, 8))
        oa, ra, *_ = a.step(act)
        ob, rb, *_ = b.step(act)
        assert np.array_equal(oa, ob) and np.array_equal(ra, rb)


def test_bad_warning_counts_as_divergence():
    env = make(num_groups=2, group_size=1, seed=0)
    env.reset()
    env.envs[1].data.warning.number[int(mujoco.mjtWarning.mjWARN_BADQACC)] = 1
    obs, reward, term, trunc, info = env.step(np.zeros((2, 2)))
    assert list(info["diverged"]) == [False, True] and list(trunc) == [False, True]
    assert env.envs[1].data.warning.number.sum() == 0  # the re-seed cleared it


def test_python_state_encoding_round_trips_exactly():
    rows = [
        {
            "none": None,
            "flag": True,
            "count": 3,
            "big": 2**100 + 7,
            "x": 0.1,
            "name": "abc",
            "arr32": np.arange(3, dtype=np.float32) + 0.5,
            "mask": np.array([True, False]),
            "scalar": np.float32(1.5),
            "rng": np.random.default_rng(11),
            "legacy": np.random.RandomState(5),
            "nested": ({"a": [1, 2.5]}, "z"),
            "maybe": np.ones(2),
        },
        {
            "none": None,
            "flag": False,
            "count": -(2**70),
            "big": 1,
            "x": -3e300,
            "name": "a much longer name than the first one",
            "arr32": np.full(3, -1, np.float32),
            "mask": np.array([False, True]),
            "scalar": np.float32(-2.0),
            "rng": np.random.default_rng(12),
            "legacy": np.random.RandomState(6),
            "nested": ({"a": [3, -1.0]}, ""),
            "maybe": None,
        },
    ]
    for name in rows[0]:
        node = encode([r[name] for r in rows], name)
        back = decode(to_numpy(weights_only_round_trip(node)), 2)
        for orig, got in zip([r[name] for r in rows], back, strict=True):
            assert type(got) is type(orig), name
            if isinstance(orig, np.random.Generator):
                assert got.bit_generator.state == orig.bit_generator.state
            elif isinstance(orig, np.random.RandomState):
                assert got.random() == copy.deepcopy(orig).random()
            elif isinstance(orig, (np.ndarray, np.generic)):
                assert got.dtype == orig.dtype and np.array_equal(got, orig)
            else:
                assert got == orig, name
    with pytest.raises(ValueError, match=r"helper\[0\] holds a Helper"):
        encode([[Helper(None)], [Helper(None)]], "helper")


def to_numpy(tree):
    if isinstance(tree, dict):
        return {k: to_numpy(v) for k, v in tree.items()}
    return tree.numpy() if isinstance(tree, torch.Tensor) else tree


def test_goal_point_is_a_plain_gymnasium_env():
    env = gym.make(GOAL_POINT_ID)
    assert isinstance(env.unwrapped, GoalPointEnv)
    obs, info = env.reset(seed=0)
    assert set(obs) == {"observation", "achieved_goal", "desired_goal"} and "is_success" in info
    env.close()
