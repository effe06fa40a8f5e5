"""Start-state banks and curricula: exact demo states, the schedule, who draws from the bank."""

from __future__ import annotations

import numpy as np
import pytest

from simrl.sim import make_group_env
from simrl.sim.config import EnvConfig
from simrl.sim.make import make_training_env
from simrl.sim.start_states import (
    BankStarts,
    CurriculumConfig,
    ReverseCurriculum,
    StartBank,
    record_demos,
)
from simrl.sim.tasks.scripted import scripted_policy

PUSH = "simrl/Push-v0"


@pytest.fixture(scope="module")
def bank() -> StartBank:
    env = make_group_env(PUSH, num_groups=12, seed=0, autoreset_mode="disabled")
    try:
        return record_demos(env, seed=21)
    finally:
        env.close()


def _demo_obs(bank: StartBank, demo: int, step: int) -> np.ndarray:
    return bank.states["obs"][bank.index(np.array([demo]), np.array([step]))][0]


def test_bank_holds_solved_demos(bank):
    """Only demos solved at their final step are kept; `solved_at` marks lasting success."""
    assert bank.num_demos >= 10  # the scripted pusher solves ~99%
    assert len(bank) == bank.num_demos * 100
    assert (bank.solved_at > 0).all() and (bank.solved_at < 100).all()
    assert bank.options == {"domain_randomization": False, "reward": "staged"}


def test_bank_state_reproduces_the_demo_bit_for_bit(bank):
    """A state drawn from the bank gives the demo's observation at that step, and stepping it with
    the scripted actions reproduces the demo's next observations exactly."""
    env = make_group_env(PUSH, num_groups=2, group_size=2, seed=99, autoreset_mode="disabled")
    env.reset()
    demo, step = 3, 30
    obs = env.set_state([1, 2], bank.take(bank.index(np.array([demo, demo]), np.array([step] * 2))))
    np.testing.assert_array_equal(obs[1], _demo_obs(bank, demo, step))
    np.testing.assert_array_equal(obs[2], _demo_obs(bank, demo, step))
    assert env.elapsed_steps[1] == step  # the episode clock continues from the demo's
    policy = scripted_policy(PUSH)
    for k in range(step + 1, step + 15):
        obs, *_ = env.step(policy(obs))
        np.testing.assert_array_equal(obs[1], _demo_obs(bank, demo, k))
        np.testing.assert_array_equal(obs[2], obs[1])


def test_bank_save_load_and_refusals(bank, tmp_path):
    path = bank.save(tmp_path / "push_bank.npz")
    loaded = StartBank.load(path)
    np.testing.assert_array_equal(loaded.states["state"], bank.states["state"])
    np.testing.assert_array_equal(loaded.solved_at, bank.solved_at)
    assert loaded.options == bank.options and loaded.env_id == PUSH
    # another task, or other options of the same task, refuse it with one line
    for env_id, options, fragment in (
        ("simrl/PickPlace-v0", {}, "recorded on 'simrl/Push-v0'"),
        (PUSH, {"domain_randomization": True}, "recorded with options"),
    ):
        env = make_group_env(env_id, num_groups=1, **options)
        with pytest.raises(ValueError, match=fragment) as err:
            env.set_start_states(BankStarts(loaded, 0.5))
        assert "\n" not in str(err.value)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a bank")
    with pytest.raises(ValueError, match="not a start-state bank"):
        StartBank.load(junk)


def test_group_resets_draw_from_the_bank_and_evaluation_never_does(bank):
    """With prob=1 every re-seeded group starts from one bank state (all G rows identical);
    an env built the way evaluation builds it (no curriculum) never does."""
    env = make_group_env(PUSH, num_groups=6, group_size=3, seed=1, autoreset_mode="disabled")
    env.set_start_states(BankStarts(bank, prob=1.0))
    obs, _ = env.reset(seed=4)
    bank_obs = bank.states["obs"]
    for g in range(6):
        rows = obs[g * 3 : g * 3 + 3]
        assert (rows == rows[0]).all()
        assert (bank_obs == rows[0]).all(axis=1).any()
    # evaluation env: built from id and options only
    from simrl.runs.evaluate import make_eval_env

    cfg = EnvConfig(id=PUSH, curriculum=CurriculumConfig(name="bank", prob=1.0, demos=4))
    eval_env = make_eval_env(make_group_env, cfg, 8, seed=5)
    assert eval_env.start_states is None
    eval_obs, _ = eval_env.reset(seed=5)
    assert (eval_env.elapsed_steps == 0).all()
    assert not (bank_obs[None] == eval_obs[:, None]).all(axis=2).any()


def test_training_env_gets_the_curriculum_and_ppo_adapter_draws_from_it():
    """`make_training_env` (both learners) attaches the curriculum; the SB3 adapter's resets and
    autoresets go through it."""
    from simrl.algos.ppo.env import make_vec_env

    cfg = EnvConfig(
        id=PUSH, curriculum=CurriculumConfig(name="bank", prob=1.0, demos=6, demo_seed=2)
    )
    venv, group_env = make_vec_env(cfg, n_envs=4, seed=0)
    starts = group_env.start_states
    assert isinstance(starts, BankStarts)
    obs = venv.reset()
    bank_obs = starts.bank.states["obs"]
    assert all((bank_obs == o).all(axis=1).any() for o in obs)
    assert (group_env.elapsed_steps > 0).any()  # mid-demo starts keep the demo's clock
    # run until every row has ended at least once: the same-step autoresets draw from the bank too
    ended = np.zeros(4, bool)
    for _ in range(100):
        venv.step_async(np.zeros((4, 3)))
        obs, _, done, infos = venv.step_wait()
        for i in np.flatnonzero(done):
            ended[i] = True
            assert (bank_obs == obs[i]).all(axis=1).any()
    assert ended.all()
    assert starts.metrics()["curriculum/bank_frac"] == 1.0
    venv.close()
    grpo_env = make_training_env(cfg, num_groups=2, group_size=2, seed=0, autoreset_mode="disabled")
    assert isinstance(grpo_env.start_states, BankStarts)
    grpo_env.close()


def test_reverse_curriculum_moves_back_only_at_the_threshold(bank):
    """`back` grows by step_back after a window whose success rate reaches the threshold, and
    never after a window below it; starts lie `back` (+ spread) steps before success."""
    cur = ReverseCurriculum(bank, prob=1.0, threshold=0.75, window=8, step_back=5, spread=0)
    rows = np.zeros(4, np.int64)
    cur.report(rows, np.array([True, True, True, False]))  # 4 of a window of 8: no decision
    assert cur.back == 0
    cur.report(rows, np.array([True, True, False, False]))  # 5/8 = 0.625 < 0.75
    assert cur.back == 0 and cur.last_rate == 0.625
    cur.report(rows, np.array([True] * 4))
    cur.report(rows, np.array([True, True, True, False]))  # 7/8 >= 0.75
    assert cur.back == 5
    picks = cur.pick(np.random.default_rng(0), 64)
    np.testing.assert_array_equal(
        bank.step[picks], np.maximum(bank.solved_at[bank.demo[picks]] - 5, 0)
    )
    cur.back = int(bank.solved_at.max())
    assert cur.complete and (cur.draw(np.random.default_rng(1), 16) == -1).all()


def test_env_reports_final_success_of_bank_episodes(bank):
    """The env reports each bank-started episode once, with its final-step success: the scripted
    controller from late demo states succeeds, so the curriculum advances."""
    env = make_group_env(PUSH, num_groups=4, group_size=2, seed=2, autoreset_mode="disabled")
    cur = ReverseCurriculum(bank, prob=1.0, threshold=0.9, window=8, step_back=10, spread=2)
    env.set_start_states(cur)
    policy = scripted_policy(PUSH)
    obs, _ = env.reset(seed=1)
    for _ in range(120):  # past the end: rows keep stepping but report once
        obs, *_ = env.step(policy(obs))
    assert cur.back == 10 and cur.last_rate >= 0.9
    assert cur.episodes == 0  # exactly one window of 8 episodes was reported


def test_curriculum_state_round_trips_through_the_env(bank):
    env = make_group_env(PUSH, num_groups=2, group_size=2, seed=0, autoreset_mode="disabled")
    env.set_start_states(ReverseCurriculum(bank, 0.5, 0.5, 4, 5, 1))
    env.start_states.back = 15
    env.reset(seed=3)
    state = env.state_dict()
    other = make_group_env(PUSH, num_groups=2, group_size=2, seed=9, autoreset_mode="disabled")
    with pytest.raises(ValueError, match="start states"):
        other.load_state_dict(state)
    other.set_start_states(ReverseCurriculum(bank, 0.5, 0.5, 4, 5, 1))
    other.load_state_dict(state)
    assert other.start_states.back == 15
    np.testing.assert_array_equal(other.state_dict()["start_row"], state["start_row"])


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", "nosuch"), ("prob", 1.5), ("threshold", 0.0), ("window", 0), ("spread", -1)],
)
def test_curriculum_config_errors(field, value):
    with pytest.raises(ValueError, match=f"{field}=") as err:
        CurriculumConfig(**{field: value}).validate()
    assert "\n" not in str(err.value)
