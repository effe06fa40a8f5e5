"""Curriculum files and options a run cannot use are refused before anything is written.

A start-state bank (`curriculum.bank`) or a demonstration recording (`curriculum.demo_file`) that
is missing, not a file, empty, not an .npz, of another task or options, or holds NaN; a demo count
out of range; an outcome reward or adaptive curriculum on an env that reports no success: exit
status 2, one line naming the key, no run directory.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simrl.sim import make_group_env
from simrl.sim.recordings import record_recording, save_recording
from simrl.sim.start_states import StartBank, record_demos
from simrl.sim.tasks.scripted import scripted_policy

from .conftest import GOAL_POINT, TESTS_ON_PATH, TINY, run_cli

REACH = "simrl/Reach-v0"  # the default env of simrl-train


def _bank(env_id: str, path: Path, **options) -> Path:
    env = make_group_env(env_id, num_groups=2, seed=0, autoreset_mode="disabled", **options)
    try:
        return record_demos(env, seed=0).save(path)
    finally:
        env.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Bad curriculum inputs, each made the way a user could end up with it."""
    root = tmp_path_factory.mktemp("inputs")
    out = {"missing": root / "nosuch.npz", "directory": root, "passwd": Path("/etc/passwd")}
    out["empty"] = root / "empty.npz"
    out["empty"].write_bytes(b"")
    out["text"] = root / "notes.npz"
    out["text"].write_text("not an archive\n")
    out["other_task"] = _bank("simrl/Push-v0", root / "push_bank.npz")
    out["other_options"] = _bank(REACH, root / "reach_sparse.npz", reward="sparse")
    good = StartBank.load(_bank(REACH, root / "reach_bank.npz"))
    good.states["state"][3, 0] = np.nan
    out["nan_bank"] = good.save(root / "nan_bank.npz")
    rec = record_recording(REACH, {}, [1], scripted_policy(REACH))
    out["rec_other_env"] = save_recording(
        root / "push_rec.npz", "simrl/Push-v0", {}, rec.seeds, np.zeros((1, 50, 3))
    )
    meta = {"format": "simrl.demo_recording/1", "env_id": REACH, "options": rec.options}
    actions = rec.actions.copy()
    actions[0, 7, 2] = np.nan
    out["rec_nan"] = root / "nan_rec.npz"
    np.savez(
        out["rec_nan"],
        meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
        seeds=rec.seeds,
        actions=actions,
    )
    out["rec_no_demos"] = root / "none_rec.npz"
    np.savez(
        out["rec_no_demos"],
        meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
        seeds=np.zeros(0, np.int64),
        actions=np.zeros((0, 50, 3)),
    )
    return out


def _refused(args: list[str], cwd: Path, expect: list[str], env: dict | None = None) -> None:
    proc = run_cli("train", *TINY, *args, cwd=cwd, env=env)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("simrl-train: error: "), proc.stderr
    for fragment in expect:
        assert fragment in lines[0], lines[0]
    assert not (cwd / "outputs").exists() and not (cwd / "multirun").exists()
    assert not list(cwd.iterdir())  # nothing written at all


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("missing", "not a start-state bank"),
        ("directory", "not a start-state bank"),
        ("empty", "not a start-state bank"),
        ("text", "not a start-state bank"),
        ("passwd", "not a start-state bank"),
        ("other_task", "recorded on 'simrl/Push-v0'"),
        ("other_options", "recorded with options"),
        ("nan_bank", "NaN"),
    ],
)
def test_bad_bank_is_refused(files, tmp_path, name, why):
    path = files[name]
    _refused(
        ["curriculum=bank", f"curriculum.bank={path}"], tmp_path, [f"curriculum.bank={path}", why]
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("missing", "no such file"),
        ("directory", "is not a file"),
        ("empty", "not a demonstration recording"),
        ("passwd", "not a demonstration recording"),
        ("other_task", "not a demonstration recording"),  # a bank is not a recording
        ("rec_other_env", "recording is of 'simrl/Push-v0'"),
        ("rec_nan", "NaN/Inf"),
        ("rec_no_demos", "no demonstrations"),
    ],
)
def test_bad_demo_file_is_refused(files, tmp_path, name, why):
    path = files[name]
    args = ["curriculum=adaptive", f"curriculum.demo_file={path}"]
    _refused(args, tmp_path, [f"curriculum.demo_file={path}", why])


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (["curriculum=adaptive", "curriculum.demos=5000"], ["curriculum.demos=5000", "[0, 4096]"]),
        (["curriculum=adaptive", "curriculum.demos=-1"], ["curriculum.demos=-1"]),
        (
            ["curriculum=reverse_demo", "curriculum.demos=0"],
            ["curriculum.demos=0", "adaptive only"],
        ),
        (["curriculum=adaptive", "curriculum.reset_frac=1.5"], ["curriculum.reset_frac=1.5"]),
        (["curriculum=adaptive", "+curriculum.nosuch=1"], ["curriculum.nosuch", "no such key"]),
        (["env=reacher", "env.outcome_reward=true"], ["env.outcome_reward=true", "reports none"]),
        (["env=reacher", "curriculum=adaptive", "curriculum.demos=0"], ["curriculum=adaptive"]),
    ],
)
def test_bad_curriculum_options_are_refused(tmp_path, args, expect):
    _refused(args, tmp_path, expect)


def test_scripted_demos_need_a_scripted_controller(tmp_path):
    """A generic env with success but no scripted controller: demos must come from a file (or
    none, with curriculum=adaptive)."""
    args = ["env=gym", f"env.id={GOAL_POINT}", "curriculum=adaptive", "curriculum.demos=5"]
    _refused(args, tmp_path, ["curriculum.demos=5", "scripted controller"], env=TESTS_ON_PATH)
