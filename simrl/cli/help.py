"""What `--help` lists: the options of each config group and each env's default budget
(resolvers `${simrl.groups:...}` and `${simrl.budgets:}` in conf/config.yaml's help template)."""

from __future__ import annotations

from omegaconf import OmegaConf


def group_options(*groups: str) -> str:
    """`group: option, option` lines for the groups of conf/ (the --help listing)."""
    from importlib.resources import files

    root = files("simrl.conf")
    lines = []
    for group in groups:
        folder = root.joinpath(*str(group).split("/"))
        names = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
        lines.append(f"  {group}: {', '.join(names)}")
    return "\n".join(lines)


def env_budgets() -> str:
    """`reach 100000, push 1000000, ...`: each env option's default `total_env_steps` (--help)."""
    from importlib.resources import files

    import yaml

    out = []
    for p in sorted(files("simrl.conf").joinpath("env").iterdir(), key=lambda p: p.name):
        if p.name.endswith(".yaml"):
            budget = (yaml.safe_load(p.read_text()) or {}).get("total_env_steps")
            if budget is not None:
                out.append(f"{p.name[:-5]} {budget}")
    return ", ".join(out)


def register_help() -> None:
    """Register the help template's resolvers (idempotent)."""
    for name, fn in (("simrl.groups", group_options), ("simrl.budgets", env_budgets)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
