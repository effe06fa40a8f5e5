"""Adaptive start states, recorded demonstrations and the outcome reward.

References: a toy archive with known success rates (the sampler must prefer p near one half over
p near 0 or 1, and draw the task's resets at `reset_frac`); a recording's replay against the same
actions played directly; the env's own `info["is_success"]` for the outcome reward.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from simrl.nn.trees import to_array_tree, to_tensor_tree
from simrl.sim import make_group_env
from simrl.sim.adaptive_starts import AdaptiveStarts
from simrl.sim.config import EnvConfig
from simrl.sim.make import make_training_env
from simrl.sim.recordings import (
    load_recording,
    record_recording,
    replay_recording,
    save_recording,
)
from simrl.sim.start_states import CurriculumConfig, StartBank
from simrl.sim.tasks.scripted import scripted_policy

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the testenvs package

from testenvs.goal_point import GOAL_POINT_ID  # noqa: E402

PUSH = "simrl/Push-v0"
GOAL_POINT = f"testenvs.goal_point:{GOAL_POINT_ID}"
ADAPTIVE = {"name": "adaptive", "demos": 3, "trail_every": 10}


def _toy_bank(rates: np.ndarray) -> StartBank:
    """One one-state 'demo' per success rate (solved at step 0: every state is kept)."""
    k = len(rates)
    states = {"elapsed": np.zeros(k, np.int64), "obs": np.arange(k, dtype=float)[:, None]}
    return StartBank("toy", {}, states, np.arange(k), np.zeros(k), np.zeros(k))


def test_sampler_concentrates_on_intermediate_success_and_keeps_resets():
    """Ten candidates of each true success rate 0, 0.02, 0.5, 0.98, 1 (uniform would draw 20% at
    0.5): after a warm-up most archive draws go to p = 0.5, and the task's resets are drawn at
    `reset_frac` (binomial tolerance, 4 sigma)."""
    rates = np.repeat([0.0, 0.02, 0.5, 0.98, 1.0], 10)
    starts = AdaptiveStarts(_toy_bank(rates), reset_frac=0.3, trail_every=0)
    starts.bank.check("toy", {})
    rng, outcomes = np.random.default_rng(0), np.random.default_rng(1)
    G, n = 8, 32
    draws, resets = [], 0
    for it in range(150):
        uids = starts.draw(rng, n)
        resets += int((uids < 0).sum())
        picked = uids[uids >= 0]
        if it >= 50:
            draws.append(picked)
        success = outcomes.uniform(size=(len(picked), G)) < rates[picked][:, None]
        groups = np.repeat(np.arange(len(picked)), G)
        starts.report(np.repeat(picked, G), success.ravel(), groups=groups)
    drawn = np.concatenate(draws)
    assert (rates[drawn] == 0.5).mean() > 0.6
    total = 150 * n
    assert abs(resets / total - 0.3) < 4 * np.sqrt(0.3 * 0.7 / total)
    p = starts.success_rate()
    assert abs(p[rates == 0.5].mean() - 0.5) < 0.15 and (p[rates == 0.0] < 0.1).all()
    m = starts.metrics()
    assert m["curriculum/archive_size"] == 50 and 0 < m["curriculum/informative_frac"] < 1


def test_archive_grows_from_resets_and_solved_rollouts_and_evicts_past_capacity():
    """A reset-started group that succeeds is kept with its counts; the snapshots along a solved
    row become candidates; the archive never holds more than `capacity`."""
    rates = np.zeros(4)
    starts = AdaptiveStarts(_toy_bank(rates), reset_frac=0.5, capacity=6, trail_every=5)
    snap = {"elapsed": np.array([0, 0]), "obs": np.array([[10.0], [11.0]])}
    uids = starts.track_resets(np.array([0, 4]), snap)  # two groups of 4 rows: rows 0-3, 4-7
    trail = {"elapsed": np.array([5, 5]), "obs": np.array([[20.0], [21.0]])}
    starts.record_trail(np.array([1, 5]), np.repeat(uids, 1), trail)
    rows = np.arange(8)
    success = np.array([0, 1, 0, 0, 0, 0, 0, 0], bool)  # group 0 mixed, group 1 all fail
    starts.report(np.repeat(uids, 4), success, env_rows=rows, groups=rows // 4)
    b = starts.bank
    assert len(b) == 6  # 4 demo states + the mixed reset start + the solved row's trail state
    kept = b.take(np.array([uids[0]]))
    assert kept["obs"][0, 0] == 10.0 and b.succ[b.slots(np.array([uids[0]]))[0]] == 1
    assert 20.0 in b.rows.tree["obs"][:, 0] and 21.0 not in b.rows.tree["obs"][:, 0]
    assert starts.pending.n == 0 and starts.trail.n == 0
    more = starts.track_resets(np.array([0]), {"elapsed": np.array([0]), "obs": np.array([[12.0]])})
    starts.report(np.repeat(more, 4), np.ones(4, bool), env_rows=rows[:4], groups=rows[:4] // 4)
    assert len(b) == 6  # capacity: the lowest weight (all-success, then oldest) left


def test_env_tracks_groups_and_evaluation_never_draws_from_the_archive():
    """Through a Push env: archive-started groups copy one archive state to all G rows, reset
    groups are tracked, bank episodes are reported; an evaluation env has no start states."""
    cfg = EnvConfig(id=PUSH, curriculum=CurriculumConfig(**ADAPTIVE, reset_frac=0.5))
    env = make_training_env(cfg, num_groups=8, group_size=2, seed=0, autoreset_mode="disabled")
    starts = env.start_states
    assert isinstance(starts, AdaptiveStarts) and len(starts.bank) > 0
    archive_obs = starts.bank.rows.tree["obs"]
    obs, _ = env.reset(seed=1)
    for g in range(8):
        assert (obs[2 * g] == obs[2 * g + 1]).all()
    from_archive = [(archive_obs == obs[2 * g]).all(axis=1).any() for g in range(8)]
    assert any(from_archive) and not all(from_archive)
    assert starts.pending.n == 8 - sum(from_archive)
    policy = scripted_policy(PUSH)
    for _ in range(100):
        obs, *_ = env.step(policy(obs))
    m = starts.metrics()
    assert m["curriculum/reset_success"] >= 0.5  # the scripted pusher solves its resets
    assert m["curriculum/added_reset"] + m["curriculum/added_rollout"] > 0
    env.close()
    from simrl.runs.evaluate import make_eval_env

    eval_env = make_eval_env(make_group_env, cfg, 8, seed=5)
    assert eval_env.start_states is None and not eval_env.outcome_reward
    eval_obs, _ = eval_env.reset(seed=5)
    assert (eval_env.elapsed_steps == 0).all()
    assert not (archive_obs[None] == eval_obs[:, None]).all(axis=2).any()


def test_ppo_adapter_resets_draw_from_the_same_sampler():
    from simrl.algos.ppo.env import make_vec_env

    cfg = EnvConfig(id=PUSH, curriculum=CurriculumConfig(**ADAPTIVE, reset_frac=0.0))
    venv, group_env = make_vec_env(cfg, n_envs=4, seed=0)
    starts = group_env.start_states
    assert isinstance(starts, AdaptiveStarts)
    archive_obs = starts.bank.rows.tree["obs"].copy()
    obs = venv.reset()
    assert all((archive_obs == o).all(axis=1).any() for o in obs)
    ended = np.zeros(4, bool)
    for _ in range(100):
        venv.step_async(np.zeros((4, 3)))
        obs, _, done, _ = venv.step_wait()
        for i in np.flatnonzero(done):
            ended[i] = True
            assert (starts.bank.rows.tree["obs"] == obs[i]).all(axis=1).any()
    assert ended.all() and starts.metrics()["curriculum/bank_frac"] == 1.0
    venv.close()


def test_sampler_state_round_trips_through_a_weights_only_checkpoint(tmp_path):
    """Saved mid-episode (pending resets and trails) and restored: the next draws, reports and
    archive are the same as the original's."""
    cfg = EnvConfig(id=PUSH, curriculum=CurriculumConfig(**ADAPTIVE, reset_frac=0.5))

    def play(env, steps, seed=None):
        obs = env.reset(seed=seed)[0] if seed is not None else env._obs.copy()
        policy = scripted_policy(PUSH)
        for _ in range(steps):
            obs, *_ = env.step(policy(obs))
        return obs

    a = make_training_env(cfg, num_groups=4, group_size=2, seed=0, autoreset_mode="next_step")
    play(a, 130, seed=2)
    path = tmp_path / "state.pt"
    torch.save(to_tensor_tree(a.state_dict()), path)
    b = make_training_env(cfg, num_groups=4, group_size=2, seed=7, autoreset_mode="next_step")
    b.load_state_dict(to_array_tree(torch.load(path, weights_only=True)))
    obs_a, obs_b = play(a, 120), play(b, 120)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(a.start_states.bank.uid, b.start_states.bank.uid)
    np.testing.assert_array_equal(a.start_states.bank.succ, b.start_states.bank.succ)
    assert a.start_states.metrics() == pytest.approx(b.start_states.metrics(), nan_ok=True)


def test_recorded_demonstration_replays_bit_for_bit(tmp_path):
    """A recording (reset seeds + actions) saved, loaded and replayed gives the same states as
    playing those actions directly on a fresh env; a demo state set into an env and stepped with
    the recorded actions reproduces the next recorded states."""
    rec = record_recording(PUSH, {}, [3, 8], scripted_policy(PUSH))
    path = save_recording(tmp_path / "demos.npz", rec.env_id, rec.options, rec.seeds, rec.actions)
    loaded = load_recording(path)
    np.testing.assert_array_equal(loaded.actions, rec.actions)

    def make(**kw):
        return make_group_env(PUSH, **kw)

    bank = replay_recording(loaded, make)
    assert bank.num_demos == 2 and len(bank) == 200
    direct = make_group_env(PUSH, seed=8, autoreset_mode="disabled")
    direct.reset(seed=8)
    for t in range(100):
        snap = direct.get_state()
        row = bank.index(np.array([1]), np.array([t]))
        np.testing.assert_array_equal(bank.states["state"][row], snap["state"])
        np.testing.assert_array_equal(bank.states["obs"][row], snap["obs"])
        direct.step(rec.actions[1, t][None])
    env = make_group_env(PUSH, seed=0, autoreset_mode="disabled")
    env.reset(seed=0)
    obs = env.set_state([0], bank.take(bank.index(np.array([0]), np.array([40]))))
    for t in range(40, 60):
        np.testing.assert_array_equal(
            obs[0], bank.states["obs"][bank.index(np.array([0]), np.array([t]))][0]
        )
        obs, *_ = env.step(rec.actions[0, t][None])


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"actions": "nan"}, "NaN/Inf"),
        ({"env_id": "simrl/PickPlace-v0"}, "recording is of 'simrl/PickPlace-v0'"),
        ({"options": {"reward": "sparse"}}, "recording has options"),
        ({"seeds": []}, "no demonstrations"),
    ],
)
def test_bad_recordings_are_refused_with_one_line(tmp_path, change, fragment):
    actions = np.zeros((1, 5, 3))
    seeds, env_id, options = [0], PUSH, {"domain_randomization": False, "reward": "staged"}
    if change.get("actions") == "nan":
        actions[0, 2, 1] = np.nan
    env_id = change.get("env_id", env_id)
    options = change.get("options", options)
    if "seeds" in change:
        seeds, actions = [], np.zeros((0, 5, 3))
    with pytest.raises(ValueError, match=fragment) as err:
        path = tmp_path / "r.npz"
        np.savez(
            path,
            meta=np.frombuffer(
                __import__("json")
                .dumps({"format": "simrl.demo_recording/1", "env_id": env_id, "options": options})
                .encode(),
                np.uint8,
            ),
            seeds=np.asarray(seeds, np.int64),
            actions=actions,
        )
        replay_recording(load_recording(path), lambda **kw: make_group_env(PUSH, **kw))
    assert "\n" not in str(err.value)


def test_outcome_reward_is_one_exactly_on_success_steps_of_a_generic_env():
    """GoalPoint's own reward is -distance + progress (+1 on success); with the outcome reward the
    training env gives 1.0 exactly where `info["is_success"]`, else 0.0."""
    own = EnvConfig(id=GOAL_POINT)
    outcome = EnvConfig(id=GOAL_POINT, outcome_reward=True)
    a = make_training_env(own, num_groups=4, group_size=1, seed=0, autoreset_mode="same_step")
    b = make_training_env(outcome, num_groups=4, group_size=1, seed=0, autoreset_mode="same_step")
    a.reset(seed=3)
    obs, _ = b.reset(seed=3)
    seen_success = seen_fail = False
    for _ in range(120):  # toward the goal: the obs holds the goal and the position
        act = np.clip(_toward_goal(b), -1, 1)
        _, ra, *_ = a.step(act)
        obs, rb, *_, info = b.step(act)
        success = np.asarray(info["is_success"], bool)
        np.testing.assert_array_equal(rb, success.astype(np.float64))
        assert not np.array_equal(ra, rb)  # the env's own reward is another signal
        seen_success |= success.any()
        seen_fail |= (~success).any()
    assert seen_success and seen_fail
    with pytest.raises(ValueError, match="reports no success"):
        make_group_env("Reacher-v5", num_groups=1).set_outcome_reward(True)


def _toward_goal(env) -> np.ndarray:
    """Motor commands pushing each GoalPoint row's point mass toward its goal."""
    actions = []
    for e in env.envs:
        u = e.unwrapped
        actions.append(5.0 * (u.goal - u.data.qpos[:2]) - 0.5 * u.data.qvel[:2])
    return np.asarray(actions)


def test_adaptive_runs_demo_free_on_the_generic_path():
    """No demonstrations: the archive starts empty (every group from the task's resets) and
    takes the env's id and options; reset starts whose group succeeded join it."""
    cfg = EnvConfig(id=GOAL_POINT, curriculum=CurriculumConfig(name="adaptive", demos=0))
    env = make_training_env(cfg, num_groups=4, group_size=2, seed=0, autoreset_mode="disabled")
    starts = env.start_states
    assert len(starts.bank) == 0 and starts.bank.env_id == env.env_id
    obs, _ = env.reset(seed=0)
    assert starts.pending.n == 4
    for _ in range(50):
        obs, *_ = env.step(np.clip(_toward_goal(env), -1, 1))
    assert len(starts.bank) > 0 and starts.metrics()["curriculum/archive_reset"] > 0
    obs, _ = env.reset(seed=1)  # now groups may start from archive states (exact copies)
    assert starts.metrics()["curriculum/bank_frac"] > 0
    env.close()


def test_hindsight_start_states_carry_the_goal_the_object_reached():
    """Push toward a wrong goal (the scripted pusher shown a decoy goal): groups from the task's
    resets fail but move the cube; a group's start state comes back with the goal where its cube
    ended, and replaying that row's actions from it solves that goal."""
    cfg = EnvConfig(
        id=PUSH,
        curriculum=CurriculumConfig(name="adaptive", demos=0, reset_frac=1.0, trail_every=20),
    )
    env = make_training_env(cfg, num_groups=4, group_size=1, seed=0, autoreset_mode="disabled")
    starts = env.start_states
    policy = scripted_policy(PUSH)
    obs, _ = env.reset(seed=2)
    start = env.get_state()
    decoy = np.array([0.35, 0.0, 0.02]) + np.array([[0.12, 0, 0], [-0.12, 0, 0]] * 2)

    def fooled(o: np.ndarray) -> np.ndarray:
        o = o.copy()
        o[:, 33:36] = decoy  # the goal (obs layout: simrl/sim/tasks/cube.py)
        o[:, 36:39] = decoy - o[:, 17:20]  # goal - cube
        return o

    actions = []
    for _ in range(100):
        actions.append(policy(fooled(obs)))
        obs, *_, info = env.step(actions[-1])
    b = starts.bank
    hind = b.source == 3
    assert hind.any() and np.isfinite(b.goal[hind]).all() and not np.isfinite(b.goal[~hind]).any()
    first = np.flatnonzero(hind & (b.rows.tree["elapsed"] == 0))[0]
    snap = b.take(b.uid[[first]])
    row = int(np.flatnonzero((start["state"] == snap["state"][0]).all(axis=1))[0])
    assert not info["is_success"][row]  # failed its own goal ...
    replay = make_group_env(PUSH, seed=0, autoreset_mode="disabled")
    replay.reset(seed=0)
    replay.set_state([0], {k: v for k, v in snap.items() if k != "goal"})
    replay._b_set_goal(np.array([0]), snap["goal"])
    for a in actions:
        *_, replay_info = replay.step(a[row][None])
    assert replay_info["is_success"][0]  # ... and solves the goal its cube reached
    assert starts.metrics()["curriculum/added_hindsight"] == hind.sum()


def _variant_env(**curriculum):
    """Push, 8 groups of 2 from the task's resets only, with reset variants; and the plain env's
    observations of the same resets (seed 5) as the reference."""
    cfg = EnvConfig(
        id=PUSH,
        curriculum=CurriculumConfig(
            name="adaptive", demos=0, reset_frac=1.0, hindsight=False, **curriculum
        ),
    )
    env = make_training_env(cfg, num_groups=8, group_size=2, seed=0, autoreset_mode="disabled")
    plain = make_group_env(PUSH, num_groups=8, group_size=2, seed=0, autoreset_mode="disabled")
    ref, _ = plain.reset(seed=5)
    return env, ref, plain


def _fractions(moved: np.ndarray, start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """j with `moved` = start + j / (steps + 1) (end - start), checked to be whole (0..steps + 1)."""
    frac = np.linalg.norm(moved - start, axis=1) / np.linalg.norm(end - start, axis=1)
    j = np.round(frac * (steps + 1))
    np.testing.assert_allclose(frac * (steps + 1), j, atol=1e-5)
    assert set(j) <= set(range(steps + 2)) and len(set(j)) > 1  # this seed: several fractions
    return j


def _solve_one_and_draw_it(env, j: np.ndarray, want: np.ndarray, source: str) -> tuple:
    """Report a success in the first moved group g (failures elsewhere): only it enters the
    archive, with its counts (1 of 2) and its override (`want[g]`); then every group starts from
    the archive. Returns (the new observations, g)."""
    starts = env.start_states
    g = int(np.flatnonzero(j > 0)[0])
    success = np.zeros(16, bool)
    success[2 * g] = True
    starts.report(env._start_row.copy(), success, np.arange(16), np.arange(16) // 2)
    b = starts.bank
    assert len(b) == 1 and (b.trials[0], b.succ[0]) == (2, 1)
    assert b.source[0] == {"nearer": 4, "arm": 5}[source]
    np.testing.assert_allclose((b.goal if source == "nearer" else b.arm)[0], want[g], atol=1e-12)
    m = starts.metrics()
    assert m[f"curriculum/added_{source}"] == 1
    assert m["curriculum/variant_success"] == 1 / (2 * (j > 0).sum())
    starts.prob = 1.0
    obs, _ = env.reset(seed=6)
    return obs, g


def test_nearer_goal_starts_lie_on_the_way_from_the_object_to_the_goal():
    """`goal_steps=3`: each group from the task's resets gets its goal j / 4 of the way from the
    cube to the task's goal, j in 0..3 (hand computed from the reset's cube and goal; 0: the
    task's goal), visible in its observation; a row whose cube is within 5 cm of that goal is
    solved at once. Untried variants never enter the archive; one whose group had a success does,
    with its goal, and a group drawn from it starts with that goal again."""
    env, ref, _ = _variant_env(goal_steps=3)
    obs, _ = env.reset(seed=5)
    cube, goal = ref[::2, 17:20], ref[::2, 33:36]  # obs layout: simrl/sim/tasks/cube.py
    j = _fractions(obs[::2, 33:36], cube, goal, 3)  # 4: the task's goal, not moved
    want = cube + (j / 4)[:, None] * (goal - cube)
    assert 0 not in j and j.max() == 4
    j[j == 4] = 0
    np.testing.assert_allclose(obs[::2, 33:36], want, atol=1e-12)
    np.testing.assert_allclose(obs[:, :30], ref[:, :30], atol=1e-12)  # arm and cube untouched
    moved = np.isfinite(env.start_states.pending_goal).all(axis=1)
    np.testing.assert_array_equal(moved, j > 0)
    *_, info = env.step(np.zeros((16, 3)))
    near = np.linalg.norm(want - cube, axis=1) < 0.05
    np.testing.assert_array_equal(info["is_success"][::2], near)
    assert len(env.start_states.bank) == 0
    obs, g = _solve_one_and_draw_it(env, j, want, "nearer")
    np.testing.assert_allclose(obs[:, 33:36], np.repeat(want[[g]], 16, axis=0), atol=1e-12)


def test_nearer_arm_starts_move_the_grip_toward_the_object_and_are_kept_when_solved():
    """`arm_steps=3`: each group from the task's resets starts with its grip point j / 4 of the
    way to 6 cm above the cube, j in 0..3 (hand computed from the reset's grip and cube; 0: the
    reset as is), at rest, the cube and goal untouched, and zero actions keep the arm there. An
    untried start never enters the archive; one whose group had a success does, with its arm,
    and a group drawn from it starts there again."""
    env, ref, plain = _variant_env(arm_steps=3)
    obs, _ = env.reset(seed=5)
    grip, cube = ref[::2, 14:17], ref[::2, 17:20]
    np.testing.assert_allclose(grip, plain.task.grip_pos()[::2], atol=1e-12)
    above = cube + np.array([0.0, 0.0, 0.06])
    j = _fractions(obs[::2, 14:17], grip, above, 3)  # 0: not moved
    want = grip + (j / 4)[:, None] * (above - grip)
    assert 4 not in j
    np.testing.assert_allclose(obs[::2, 14:17], want, atol=1e-6)
    np.testing.assert_allclose(obs[:, 17:20], ref[:, 17:20], atol=1e-12)
    np.testing.assert_allclose(obs[:, 33:36], ref[:, 33:36], atol=1e-12)
    assert np.abs(env.task.qvel[:, env.task.arm_v]).max() == 0.0
    moved = np.isfinite(env.start_states.pending_arm).all(axis=1)
    np.testing.assert_array_equal(moved, j > 0)
    for _ in range(5):
        obs, *_ = env.step(np.zeros((16, 3)))
    np.testing.assert_allclose(obs[::2, 14:17], want, atol=0.01)
    assert len(env.start_states.bank) == 0  # nothing tried and solved yet
    obs, g = _solve_one_and_draw_it(env, j, want, "arm")
    np.testing.assert_allclose(obs[:, 14:17], np.repeat(want[[g]], 16, axis=0), atol=1e-6)
    np.testing.assert_allclose(obs[:, 17:20], np.repeat(cube[[g]], 16, axis=0), atol=1e-12)


def test_adaptive_variant_levels_start_where_success_is_intermediate():
    """`variant_levels=adaptive`, K = 4 arm levels with known success rates 0, 0, 0.02, 0.5, 1
    (j = 0 is the reset itself): after a warm-up most variant groups start at the level of
    p = 0.5, the reset itself keeps its uniform share 1 / (K + 1) (binomial tolerance, 4 sigma),
    and the levels' success rates are estimated from their own groups. `uniform` draws every
    level alike."""
    rates = np.array([0.0, 0.0, 0.02, 0.5, 1.0])
    far, near = np.zeros((1, 3)), np.ones((1, 3))
    counts = {}
    for mode in ("adaptive", "uniform"):
        starts = AdaptiveStarts(None, reset_frac=1.0, trail_every=0, arm_steps=4,
                                variant_levels=mode)  # fmt: skip
        rng, outcomes = np.random.default_rng(0), np.random.default_rng(1)
        drawn = []
        for it in range(300):
            n = 16
            arm = starts.arm_starts(rng, np.repeat(far, n, 0), np.repeat(near, n, 0))
            j = np.where(np.isfinite(arm[:, 0]), np.rint(arm[:, 0] * 5), 0).astype(int)
            snap = {"elapsed": np.zeros(n, np.int64), "obs": np.zeros((n, 1))}
            uids = starts.track_resets(np.arange(n) * 4, snap, arm=arm)
            np.testing.assert_array_equal(starts.pending_level[-n:, 1], j)
            success = outcomes.uniform(size=(n, 4)) < rates[j][:, None]
            starts.report(np.repeat(uids, 4), success.ravel(), env_rows=np.arange(4 * n))
            if it >= 100:
                drawn.append(j)
        counts[mode] = np.bincount(np.concatenate(drawn), minlength=5) / (200 * 16)
    total = 200 * 16
    for share in (counts["adaptive"][0], *counts["uniform"]):
        assert abs(share - 0.2) < 4 * np.sqrt(0.2 * 0.8 / total)
    assert counts["adaptive"][3] > 0.5  # uniform: 0.2
    p = (starts.levels.stats["arm"][0] + 0.5) / (starts.levels.stats["arm"][1] + 1.0)
    assert abs(p[3] - 0.5) < 0.2 and p[4] > 0.9 and p[1] < 0.05  # uniform's own estimates
    assert starts.metrics()["curriculum/arm_level"] == pytest.approx(
        np.arange(5) @ counts["uniform"] / 4, abs=0.05
    )


def test_push_approach_option_moves_the_arm_toward_the_push_point():
    """Push with `approach="push"`: reset variants move the grip point j / 4 of the way toward the
    push point (4 cm behind the cube on the far side from the goal, 3 cm high) raised by 2 cm,
    hand computed from the reset's cube and goal; a bad value is refused in one line."""
    cfg = EnvConfig(
        id=PUSH,
        options={"approach": "push"},
        curriculum=CurriculumConfig(
            name="adaptive", demos=0, reset_frac=1.0, hindsight=False, arm_steps=3
        ),
    )
    env = make_training_env(cfg, num_groups=8, group_size=2, seed=0, autoreset_mode="disabled")
    plain = make_group_env(PUSH, num_groups=8, group_size=2, seed=0, autoreset_mode="disabled")
    ref, _ = plain.reset(seed=5)
    obs, _ = env.reset(seed=5)
    grip, cube, goal = ref[::2, 14:17], ref[::2, 17:20], ref[::2, 33:36]
    away = (cube - goal)[:, :2] / np.linalg.norm((cube - goal)[:, :2], axis=1, keepdims=True)
    point = np.concatenate([cube[:, :2] + 0.04 * away, np.full((8, 1), 0.03 + 0.02)], axis=1)
    j = _fractions(obs[::2, 14:17], grip, point, 3)
    np.testing.assert_allclose(obs[::2, 14:17], grip + (j / 4)[:, None] * (point - grip), atol=1e-6)
    np.testing.assert_allclose(obs[:, 17:20], ref[:, 17:20], atol=1e-12)  # cube untouched
    with pytest.raises(
        ValueError, match=r"^option approach='side' for task 'simrl/Push-v0' is not"
    ):
        make_group_env(PUSH, num_groups=1, group_size=1, seed=0, approach="side")


def test_nearer_arm_starts_refused_for_an_env_without_an_arm():
    cfg = EnvConfig(
        id="simrl/Reach-v0",  # an arm, but no object to approach
        curriculum=CurriculumConfig(name="adaptive", demos=0, arm_steps=2),
    )
    with pytest.raises(ValueError, match=r"curriculum.arm_steps=2 needs a task with an arm"):
        make_training_env(cfg, num_groups=1, group_size=2, seed=0, autoreset_mode="disabled")


@pytest.mark.parametrize(
    ("steps", "levels", "bins"), [(0, "uniform", 0), (2, "uniform", 0), (2, "adaptive", 8)]
)
def test_grpo_resume_with_the_adaptive_sampler_continues_the_same_run(steps, levels, bins):
    """A GRPO trainer's checkpoint (weights-only) carries the sampler: two iterations, save, load
    into a fresh trainer, two more give the same weights and archive as four straight (also
    with nearer-goal and nearer-arm reset variants in flight, and goal-direction counts)."""
    import io

    from simrl.algos.grpo import GRPOConfig, make_trainer
    from simrl.nn import core_preset
    from simrl.nn.compute import ComputeConfig, resolve_compute

    cpu = resolve_compute(ComputeConfig(device="cpu", num_threads=1))
    env_cfg = EnvConfig(
        id=PUSH,
        options={"reward": "sparse"},
        curriculum=CurriculumConfig(
            name="adaptive",
            demos=2,
            reset_frac=0.5,
            arm_steps=steps,
            goal_steps=steps,
            variant_levels=levels,
            direction_bins=bins,
        ),
    )
    algo = GRPOConfig(num_groups=4, group_size=2, minibatch_size=256, epochs=1)

    def trainer():
        return make_trainer(env_cfg, core_preset("small"), algo, cpu, seed=0, total_env_steps=10**5)

    straight = trainer()
    for _ in range(4):
        straight.iterate()
    first = trainer()
    for _ in range(2):
        first.iterate()
    buf = io.BytesIO()
    torch.save(first.state_dict(), buf)
    buf.seek(0)
    resumed = trainer()
    resumed.load_state_dict(torch.load(buf, weights_only=True))
    for _ in range(2):
        resumed.iterate()
    for a, b in zip(straight.policy.parameters(), resumed.policy.parameters(), strict=True):
        assert torch.equal(a, b)
    sa, sb = straight.env.start_states, resumed.env.start_states
    np.testing.assert_array_equal(sa.bank.uid, sb.bank.uid)
    np.testing.assert_array_equal(sa.bank.succ, sb.bank.succ)
    for kind in ("goal", "arm"):
        np.testing.assert_array_equal(sa.levels.stats[kind], sb.levels.stats[kind])
    if bins:
        np.testing.assert_array_equal(sa.directions.stats, sb.directions.stats)
        assert sa.directions.stats[2].sum() > 0  # reset groups were counted
