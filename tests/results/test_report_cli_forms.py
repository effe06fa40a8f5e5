"""simrl-report takes `key=value` like the other apps (the older flags still work), says only
what it wrote, and refuses bad arguments with one line."""

from __future__ import annotations

import pytest

from simrl.cli.report import main


def test_report_takes_key_value(sweep, tmp_path, capsys):
    main([str(sweep), f"out={tmp_path / 'a'}"])
    out = capsys.readouterr().out
    assert (tmp_path / "a" / "report.md").exists() and (tmp_path / "a" / "curves.png").exists()
    assert f"report written to {tmp_path / 'a'} (report.md, report.csv, runs.csv, curves.png" in out
    main([f"dir={sweep}", f"out={tmp_path / 'b'}", "plots=false"])
    assert (tmp_path / "b" / "report.md").exists()
    main([str(sweep), "--out", str(tmp_path / "c")])
    assert (tmp_path / "c" / "report.md").exists()


@pytest.mark.parametrize("off", [["--no-plots"], ["plots=false"]])
def test_report_without_plots_does_not_claim_them(off, sweep, tmp_path, capsys):
    main([str(sweep), f"out={tmp_path / 'r'}", *off])
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line == (
        f"report written to {tmp_path / 'r'} (report.md, report.csv, runs.csv, no plots (plots=false))"
    )
    assert (
        "curves" not in line.replace("no plots", "")
        and not (tmp_path / "r" / "curves.png").exists()
    )


@pytest.mark.parametrize(
    "args, expect",
    [
        (["out=x"], "simrl-report: error: dir='' is required"),
        (["{sweep}", "outt=x"], "simrl-report: error: outt=x is not a simrl-report setting; "
         "allowed: dir, out, plots"),
        (["{sweep}", "plots=maybe"], "simrl-report: error: plots=maybe must be true or false"),
        (["{sweep}", "--bogus"], "simrl-report: error: --bogus=''"),
        (["{missing}"], "simrl-report: error: dir="),
    ],
)  # fmt: skip
def test_report_bad_arguments_are_one_line(args, expect, sweep, tmp_path, capsys):
    argv = [a.format(sweep=sweep, missing=tmp_path / "missing") for a in args]
    before = sorted(sweep.rglob("*"))
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(expect), err
    assert sorted(sweep.rglob("*")) == before
