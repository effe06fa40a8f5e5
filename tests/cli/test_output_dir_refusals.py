"""Output directories that cannot be made (under a regular file, unwritable) and out-of-range or
empty simrl-eval settings: one line naming the key, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from simrl.config.dirs import out_dir_problem


def _one_line_exit_2(main, argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_out_dir_problems(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    assert out_dir_problem(tmp_path / "new" / "deeper") is None
    assert out_dir_problem(tmp_path / "file") == "is a regular file, not a directory"
    assert "is under" in out_dir_problem(tmp_path / "file" / "x")
    monkeypatch.setattr("os.access", lambda path, mode: False)  # as a non-root user would see
    assert out_dir_problem(tmp_path / "new").endswith("which is not writable")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "args, expect",
    [
        (["checkpoint="], "simrl-eval: error: checkpoint='' is empty"),
        (["checkpoint=run", "episodes=99999999999"], "simrl-eval: error: episodes=99999999999 "
         "must be an integer in [1, 65536]"),
        (["checkpoint=run", "out=file/x"], "simrl-eval: error: out=file/x is under"),
        (["checkpoint=run", "--out", "file/x"], "simrl-eval: error: out=file/x is under"),
        (["checkpoint=file"], "simrl-eval: error: checkpoint file: cannot be read"),
    ],
)  # fmt: skip
def test_eval_refuses_up_front(args, expect, tmp_path, monkeypatch, capsys):
    from simrl.cli.eval import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "run").mkdir()
    (tmp_path / "file").write_text("not a checkpoint")
    before = _tree(tmp_path)
    assert _one_line_exit_2(main, args, capsys).startswith(expect)
    assert _tree(tmp_path) == before


def test_bench_output_dir_under_a_file_is_refused(tmp_path, monkeypatch, capsys):
    from simrl.cli.bench import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("x")
    line = _one_line_exit_2(main, ["hydra.run.dir=file/bench"], capsys)
    assert line.startswith("simrl-bench: error: hydra.run.dir=file/bench is under")
    assert _tree(tmp_path) == ["file"]


def test_report_output_dir_under_a_file_is_refused(tmp_path, capsys):
    from simrl.cli.report import main

    (tmp_path / "runs").mkdir()
    (tmp_path / "file").write_text("x")
    line = _one_line_exit_2(
        main, [str(tmp_path / "runs"), f"out={tmp_path / 'file' / 'r'}"], capsys
    )
    assert line.startswith("simrl-report: error: out=") and "regular file" in line
    assert _tree(tmp_path) == ["file", "runs"]
