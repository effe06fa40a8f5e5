"""Deterministic evaluation against hand-computed returns; evaluate_checkpoint with video."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from _runs_fakes import (
    FakeAlgoConfig,
    FakeGroupEnv,
    FakeModelConfig,
    fake_actor,
    fake_factory,
    make_fake_env,
)

from simrl.runs import evaluate_checkpoint, evaluate_policy, run_training
from simrl.runs.config import RunConfig
from simrl.runs.evaluate import eval_seed
from simrl.runs.spec import TrainSpec
from simrl.sim.config import EnvConfig


def test_zero_policy_return_is_hand_computed() -> None:
    # target (0.5, -0.5), action 0: reward per step -(0.25 + 0.25) = -0.5; 5 steps -> -2.5
    env = FakeGroupEnv(num_groups=4, horizon=5, target=(0.5, -0.5))
    res = evaluate_policy(lambda o: np.zeros((o.shape[0], 2)), env, seed=0)
    np.testing.assert_allclose(res.returns, [-2.5] * 4)
    assert res.success_rate == 0.0 and res.return_std == 0.0
    np.testing.assert_array_equal(res.lengths, [5] * 4)


def test_early_ended_rows_are_masked() -> None:
    # ragged: odd rows end after 4 steps -> -2.0; even rows after 5 -> -2.5
    env = FakeGroupEnv(num_groups=4, horizon=5, target=(0.5, -0.5), ragged=True)
    res = evaluate_policy(lambda o: np.zeros((o.shape[0], 2)), env, seed=0)
    np.testing.assert_allclose(res.returns, [-2.5, -2.0, -2.5, -2.0])
    assert res.return_mean == pytest.approx(-2.25)


def test_success_and_action_clipping() -> None:
    # perfect policy: return 0, success 1. Action 5.0 is clipped to 1.0: err (0.5^2 + 1.5^2) = 2.5/step
    env = FakeGroupEnv(num_groups=2, horizon=5, target=(0.5, -0.5))
    perfect = evaluate_policy(lambda o: o[:, :2].copy(), env, seed=0)
    assert perfect.return_mean == 0.0 and perfect.success_rate == 1.0
    clipped = evaluate_policy(lambda o: np.full((o.shape[0], 2), 5.0), env, seed=0)
    np.testing.assert_allclose(clipped.returns, [-12.5, -12.5])


def test_success_reached_and_lost() -> None:
    # row 0 acts perfectly throughout; row 1 perfectly for its first 3 steps (obs[:, 2] = t / 5 is
    # 0, 0.2, 0.4), then 5.0 (clipped to 1): it was a success at steps 1-3 but not at the end
    env = FakeGroupEnv(num_groups=2, horizon=5, target=(0.5, -0.5))

    def act(o: np.ndarray) -> np.ndarray:
        a = o[:, :2].copy()
        if o[1, 2] > 0.5:
            a[1] = 5.0
        return a

    res = evaluate_policy(act, env, seed=0)
    np.testing.assert_array_equal(res.successes, [True, False])
    np.testing.assert_array_equal(res.reached, [True, True])
    assert (res.success_rate, res.reached_rate, res.lost_rate) == (0.5, 1.0, 0.5)
    d = res.as_dict()
    assert (d["reached_success_rate"], d["lost_success_rate"]) == (1.0, 0.5)
    never = evaluate_policy(lambda o: np.zeros((o.shape[0], 2)), env, seed=0)
    assert (never.reached_rate, never.lost_rate) == (0.0, 0.0)


def test_eval_seed_is_derived_and_distinct() -> None:
    assert eval_seed(0) == eval_seed(0)
    assert eval_seed(0) != eval_seed(1)
    assert all(eval_seed(s) != s for s in range(5))


def test_evaluate_checkpoint_rebuilds_and_films(tmp_path: Path) -> None:
    run = RunConfig(seed=1, total_env_steps=80, eval_episodes=4, progress=False, tensorboard=False)
    summary = run_training(
        TrainSpec("fake", EnvConfig(id="Fake-v0"), FakeModelConfig(), FakeAlgoConfig(), run, config_dict={}),
        tmp_path / "run", trainer_factory=fake_factory, env_factory=make_fake_env,
    )  # fmt: skip
    out = evaluate_checkpoint(
        tmp_path / "run",
        episodes=4,
        video=True,
        out_dir=tmp_path / "eval",
        env_factory=make_fake_env,
        actor_factory=fake_actor,
        print_table=False,
    )
    # same weights, same eval seed and episode count -> exactly the run's final evaluation
    assert out["return_mean"] == pytest.approx(summary["final_return_mean"], abs=1e-12)
    assert out["episodes"] == 4 and len(out["returns"]) == 4
    video = Path(out["video"])
    assert video.exists() and video.stat().st_size > 0 and video.suffix in (".mp4", ".gif")
    assert (
        json.loads((tmp_path / "eval" / "eval.json").read_text())["return_mean"]
        == out["return_mean"]
    )


def test_video_falls_back_to_gif_without_ffmpeg(tmp_path: Path, monkeypatch) -> None:
    from simrl.runs.video import write_video

    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import now raises ImportError
    frames = [np.full((8, 10, 3), i * 20, dtype=np.uint8) for i in range(5)]
    out = write_video(frames, tmp_path / "v.mp4", fps=10)
    assert out == tmp_path / "v.gif" and out.read_bytes()[:6] == b"GIF89a"
    with pytest.raises(ValueError, match="no frames"):
        write_video([], tmp_path / "w.mp4")


def test_render_failure_is_one_clear_line() -> None:
    env = FakeGroupEnv(num_groups=1)

    def broken(row: int = 0):
        raise OSError("cannot create GL context\nmore detail")

    env.render = broken
    with pytest.raises(
        RuntimeError, match=r"rendering failed \(OSError: cannot create GL context\)"
    ):
        evaluate_policy(lambda o: np.zeros((o.shape[0], 2)), env, seed=0, render_row=0)
