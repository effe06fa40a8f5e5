"""`simrl-report DIR target=R`: when each seed first reached a target return.

Hand-computed on the `sweep` fixture (curves: return - 2 at 400 env steps, return at 800):
algo.lr=1e-3 seeds end at -6 and -4, so for target -5 seed 0 (-8, -6) never gets there and seed 1
(-6, -4) first does at 800; algo.lr=3e-3 (-5, -3 and -4, -2) reaches it at 400 on both seeds.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from simrl.cli.report import main
from simrl.results import first_reached
from simrl.results.sweep_report import load_groups, target_cell


def test_first_reached_per_seed(sweep: Path) -> None:
    groups = {g.label: g for g in load_groups(sweep)}
    assert first_reached(groups["algo.lr=1e-3"], -5.0) == [None, 800]
    assert first_reached(groups["algo.lr=3e-3"], -5.0) == [400, 400]
    assert first_reached(groups["algo.lr=3e-3"], 0.0) == [None, None]
    assert target_cell(groups["algo.lr=1e-3"], -5.0) == "1/2: - / 800"
    assert target_cell(groups["algo.lr=3e-3"], -5.0) == "2/2: 400 / 400"


def test_report_with_target_writes_the_column(sweep: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "rep"
    main([str(sweep), f"out={out}", "plots=false", "target=-5"])
    md = (out / "report.md").read_text()
    assert "first reached -5 (env steps per seed)" in md
    assert "| 1/2: - / 800 |" in md and "| 2/2: 400 / 400 |" in md
    rows = {r["group"]: r for r in csv.DictReader((out / "report.csv").open())}
    assert rows["algo.lr=1e-3"]["target_first_reached"] == "- 800"
    assert rows["algo.lr=3e-3"]["target"] == "-5"


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("target=high", "target=high must be a finite number"),
        ("rewrite=true", "rewrite=true only applies to mode=compare"),
        ("mode=nope", "mode=nope is not a simrl-report mode"),
    ],
)
def test_bad_report_keys_refused(sweep: Path, tmp_path: Path, capsys, arg, message) -> None:
    out = tmp_path / "rep"
    with pytest.raises(SystemExit) as exc:
        main([str(sweep), f"out={out}", arg])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()
