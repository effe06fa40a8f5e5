"""Command-line entry points (Hydra apps over `conf/`, installed as `simrl.conf`).

- `simrl-train` (`simrl.cli.train`): one run or a sweep (`-m`), any Hydra launcher.
- `simrl-eval` (`simrl.cli.eval`): evaluate a checkpoint or run directory.
- `simrl-bench` (`simrl.cli.bench`): GRPO vs PPO side by side.
- `simrl-report` (`simrl.cli.report`): aggregate a sweep (table, CSV, markdown, curves).
- `simrl-tune` (`simrl.cli.tune`): Optuna search over simrl-train runs, resumable (SQLite).
- `simrl-export` (`simrl.cli.export`): a trained policy as ONNX, TorchScript or an SB3 zip.

The apps only compose: `app` reads the command line, has every run it starts checked up front
(`simrl.config.sweep`), then hands it to Hydra; each app's job calls the library and prints. The
typed config, its checks and the directories it names live in `simrl.config`; pre-flight checks
in `simrl.runs.preflight`. `help` fills --help's lists. Every module with an entry point also runs
as `python -m simrl.cli.<name>`.
"""

import os as _os
import sys as _sys


def _interrupted_quietly(exc_type, exc, tb) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C while an entry point is still importing (before its own handling starts): one
    line instead of a traceback of the import machinery, and exit status 130 as elsewhere."""
    if issubclass(exc_type, KeyboardInterrupt):
        name = _os.path.basename(_sys.argv[0] or "simrl")
        print(f"{name}: interrupted (Ctrl-C)", file=_sys.stderr, flush=True)
        _os._exit(130)
    _sys.__excepthook__(exc_type, exc, tb)


_sys.excepthook = _interrupted_quietly
