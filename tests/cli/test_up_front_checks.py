"""Every value is checked before work: one line naming the key, exit 2, nothing written.

Covers real upper limits (integer width, memory), Hydra's own flags (which must not bypass the
checks), group choices given as paths, non-finite env options, `render_mode=human` without a
display, and Ctrl-C at start-up. The fuzz test draws bad values for every numeric setting of the
command line (from the settings dataclasses themselves) and checks each is refused in-process by
the same check `simrl-train` runs, naming the key.
"""

from __future__ import annotations

import dataclasses
import random
import signal
import subprocess
import sys
import time
import typing
from pathlib import Path

import pytest

from simrl.algos.grpo.config import GRPOConfig
from simrl.algos.ppo.config import PPOConfig
from simrl.cli.train import check_train
from simrl.config.sweep import check_overrides
from simrl.nn import CoreConfig
from simrl.runs.config import RunConfig
from simrl.sim.start_states import CurriculumConfig

from .conftest import TINY, run_cli, summary


def _refused(args: list[str], cwd: Path, expect: str, env: dict | None = None) -> None:
    proc = run_cli("train", *args, cwd=cwd, env=env)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith("simrl-train: error: "), proc.stderr
    assert expect in lines[0], lines[0]
    assert sorted(p.name for p in cwd.iterdir()) == [], list(cwd.iterdir())


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        ("seed=18446744073709551616", "seed=18446744073709551616 must be an integer in [0, 4294967295]"),
        ("algo.group_size=99999999999999999999999", "algo.group_size=99999999999999999999999"),
        ("model.width=10000000000", "model.width=10000000000 must be an integer in [1, 65536]"),
        ("model.width=32768", "model.width=32768 needs about"),
        ("eval_episodes=1e11", "eval_episodes=1e11"),
        ("algo.lr=1e300", "algo.lr=1e+300 must be a number in (0, 10]"),
        ("algo.num_groups=60000", "algo.group_size=4 gives num_groups x group_size = 240000 rows"),
        ("checkpoint_every=99999999999", "checkpoint_every=99999999999 must be an integer >= 0"),
    ],
)  # fmt: skip
def test_values_beyond_real_limits_are_refused_up_front(tmp_path, override, expect):
    _refused([override], tmp_path, expect)


def test_arm_variants_for_a_task_without_an_arm_and_object_are_refused_up_front(tmp_path):
    _refused(
        ["env=reach", "curriculum=adaptive", "curriculum.demos=0", "curriculum.arm_steps=2"],
        tmp_path,
        "curriculum.arm_steps=2 needs a task with an arm and an object to approach",
    )


def test_goal_directions_for_a_task_without_goals_are_refused_up_front(tmp_path):
    _refused(
        ["env=reach", "curriculum=adaptive", "curriculum.demos=0", "curriculum.direction_bins=8"],
        tmp_path,
        "curriculum.direction_bins=8 needs a goal task",
    )


def test_hydra_config_flags_do_not_bypass_the_checks(tmp_path):
    (tmp_path / "confs").mkdir()
    work = tmp_path / "work"
    work.mkdir()
    _refused(["-cd", str(tmp_path / "confs"), "algo.clip_low=-1"], work, "algo.clip_low=-1.0")
    _refused([f"--config-dir={tmp_path / 'confs'}", "algo.clip_low=-1"], work, "algo.clip_low")
    _refused(["--config-name", "other"], work, "--config-name: simrl-train always uses its own")
    _refused(["-cd", str(tmp_path / "missing")], work, "is not a directory")


def test_config_dir_presets_are_composed_and_checked(tmp_path):
    """A preset from `--config-dir` is part of what the up-front check composes."""
    exp = tmp_path / "confs" / "experiment"
    exp.mkdir(parents=True)
    (exp / "mine.yaml").write_text("# @package _global_\nalgo:\n  clip_low: -3\n")
    work = tmp_path / "work"
    work.mkdir()
    _refused(["-cd", str(tmp_path / "confs"), "experiment=mine"], work, "algo.clip_low=-3")


@pytest.mark.parametrize(
    ("override", "expect"),
    [
        ("experiment=../algo/ppo", "experiment=../algo/ppo is not an option of group experiment; allowed: "),
        ("algo=../config", "algo=../config is not an option of group algo; allowed: grpo, ppo"),
        ("+env.options.reset_noise_scale=nan", "env.options.reset_noise_scale=nan must be a finite number"),
    ],
)  # fmt: skip
def test_group_paths_and_non_finite_options_are_named(tmp_path, override, expect):
    _refused(["env=gym", "env.id=Hopper-v5", override], tmp_path, expect)


def test_human_rendering_without_a_display_is_refused(tmp_path):
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
    _refused(
        ["env=gym", "env.id=Hopper-v5", "+env.options.render_mode=human"],
        tmp_path,
        "env.options.render_mode=human needs a display",
        env=env,
    )


@pytest.mark.parametrize("delay", [1.5, 3.0])
def test_ctrl_c_at_start_up_is_one_line_and_leaves_no_run_dir(tmp_path, delay):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simrl.cli.train",
            *TINY,
            "total_env_steps=200000",
            "hydra.run.dir=r",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as at a terminal: a suite started as a background job inherits SIGINT ignored,
        # and Python keeps an inherited ignore
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # the tiny run finished first on a fast machine: nothing to test
        pytest.skip("the run ended before the signal")
    # 130, or death by SIGINT re-raised at interpreter exit (which a shell also shows as 130)
    assert proc.returncode in (130, -signal.SIGINT), err[-2000:]
    assert "Traceback" not in err
    run = tmp_path / "r"
    if (run / "summary.json").exists():  # the run had started: stopped with a checkpoint
        assert "stopped by SIGINT" in err and summary(run)["status"] == "stopped", err[-2000:]
    else:  # still starting up: one line, and no husk of a run dir
        assert err.strip().splitlines()[-1].endswith("interrupted (Ctrl-C)"), err[-2000:]
        assert not run.exists()


# ---------------------------------------------------------------- fuzz: every numeric setting
# (command-line group, settings class, extra overrides that select it)
NUMERIC_OWNERS = [
    ("algo", GRPOConfig, []),
    ("algo", PPOConfig, ["algo=ppo"]),
    ("model", CoreConfig, []),
    ("curriculum", CurriculumConfig, []),
    ("", RunConfig, []),
]
BAD = ["nan", "inf", "-inf", "-1e30", "1e30", "99999999999999999999999", "'text'", "[1,2]"]


def _numeric_keys() -> list[tuple[str, list[str]]]:
    keys = []
    for group, cls, extra in NUMERIC_OWNERS:
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            inner = [a for a in typing.get_args(hints[f.name]) if a is not type(None)]
            tp = inner[0] if inner else hints[f.name]
            if f.init and tp in (int, float):
                keys.append((f"{group}.{f.name}" if group else f.name, extra))
    return keys


def test_every_numeric_setting_refuses_bad_values():
    """Bad values drawn at random (seeded) for each numeric key: the check that `simrl-train`
    runs before any work raises one line that names the key."""
    rng = random.Random(0)
    keys = _numeric_keys()
    assert len(keys) > 40
    for key, extra in keys:
        for value in rng.sample(BAD, 3):
            override = f"{key}={value}"
            with pytest.raises(ValueError) as err:
                check_overrides("config", [*extra, override], False, check_train)
            text = str(err.value)
            assert "\n" not in text and key in text, (override, text)
