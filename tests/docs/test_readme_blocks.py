"""The README's examples run as written, so the README cannot drift from the code.

Which blocks run: every fenced ```python block, and a ```bash block only where an HTML comment
right above it says `<!-- readme-test: run -->`. A python block is left out with
`<!-- readme-test: skip -->`. Smaller budgets for the test go in the same comment, as
replacements applied to the block's text before it runs:
`<!-- readme-test: run; sub total_env_steps=20000 => total_env_steps=2000 -->` (`;`-separated,
several `sub` allowed). Blocks run in README order in one temporary folder (a bash block can train
the run that a later python block loads), each in a fresh process with this interpreter's `bin/`
first on PATH; MUJOCO_GL=egl for rendering. `SIMRL_README=path` tests another file (a draft).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = Path(os.environ.get("SIMRL_README", ROOT / "README.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.M | re.S)
MARK = re.compile(r"<!--\s*readme-test:((?:(?!-->).)*)-->\s*$", re.S)


@dataclass
class Block:
    """One fenced block: its language, code, line in the README and test directives."""

    lang: str
    code: str
    line: int
    run: bool = False
    subs: list[tuple[str, str]] = field(default_factory=list)


def parse_directives(comment: str) -> tuple[bool | None, list[tuple[str, str]]]:
    """(run: True / False / None for not said, [(old, new)]) of a readme-test comment."""
    run: bool | None = None
    subs = []
    for part in (p.strip() for p in comment.split(";")):
        if part == "run":
            run = True
        elif part == "skip":
            run = False
        elif part.startswith("sub "):
            old, sep, new = part[4:].partition("=>")
            if not sep:
                raise ValueError(f"readme-test directive {part!r}: expected 'sub OLD => NEW'")
            subs.append((old.strip(), new.strip()))
        elif part:
            raise ValueError(f"readme-test directive {part!r}: expected run, skip or sub")
    return run, subs


def readme_blocks(text: str) -> list[Block]:
    """The blocks of `text` that run, with their replacements applied."""
    blocks = []
    for match in FENCE.finditer(text):
        lang, code = match.group(1), match.group(2)
        before = text[: match.start()].rstrip("\n")
        mark = MARK.search(before[-400:])
        run, subs = parse_directives(mark.group(1).strip()) if mark else (None, [])
        if run is None:
            run = lang == "python"
        if not run:
            continue
        line = text.count("\n", 0, match.start()) + 1
        for old, new in subs:
            if old not in code:
                raise ValueError(f"README line {line}: {old!r} is not in the block")
            code = code.replace(old, new)
        blocks.append(Block(lang, code, line, True, subs))
    return blocks


def test_directives_and_selection() -> None:
    text = (
        "```python\nprint(1)\n```\n"
        "```bash\nsimrl-train -m seed=0,1\n```\n"
        "<!-- readme-test: run; sub steps=9 => steps=1 -->\n```bash\necho steps=9\n```\n"
        "<!-- readme-test: skip -->\n```python\nraise SystemExit(1)\n```\n"
    )
    blocks = readme_blocks(text)
    assert [(b.lang, b.code) for b in blocks] == [
        ("python", "print(1)\n"),
        ("bash", "echo steps=1\n"),
    ]
    with pytest.raises(ValueError, match="expected run, skip or sub"):
        parse_directives("sometimes")


def test_readme_examples_run(tmp_path: Path) -> None:
    blocks = readme_blocks(README.read_text())
    assert blocks, f"{README} has no runnable blocks"
    env = {
        **os.environ,
        "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl"),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    for block in blocks:
        if block.lang == "python":
            cmd = [sys.executable, "-c", block.code]
        elif block.lang in ("bash", "sh", "shell", "console"):
            cmd = ["bash", "-euo", "pipefail", "-c", block.code]
        else:
            pytest.fail(f"{README.name} line {block.line}: cannot run a {block.lang!r} block")
        proc = subprocess.run(
            cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, (
            f"{README.name} line {block.line} ({block.lang}) failed with {proc.returncode}:\n"
            f"{block.code}\n--- stderr ---\n{proc.stderr[-3000:]}"
        )
