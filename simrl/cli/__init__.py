"""Command-line entry points (Hydra apps over `conf/`, installed as `simrl.conf`).

- `simrl-train` (`simrl.cli.train`): one run or a sweep (`-m`), any Hydra launcher.
- `simrl-eval` (`simrl.cli.eval`): evaluate a checkpoint or run directory.
- `simrl-bench` (`simrl.cli.bench`): GRPO vs PPO side by side.
- `simrl-report` (`simrl.cli.report`): aggregate a sweep (table, CSV, markdown, curves).
- `simrl-tune` (`simrl.cli.tune`): Optuna search over simrl-train runs, resumable (SQLite).

Shared pieces: `schema` (structured configs), `validate` (one-line config errors), `app`
(check the command line, then run Hydra), `aggregate` (pure run-dir statistics), `callbacks`.
Every module with an entry point also runs as `python -m simrl.cli.<name>`.
"""
