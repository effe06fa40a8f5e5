"""Start states from exact snapshots: a bank of demonstration states and the curricula that use it.

Only a simulator whose state can be copied exactly can start an episode in the middle of a
demonstration. Two pieces:

- `StartBank`: snapshots (`GroupEnv.get_state` rows) of demonstrations, with each state's demo
  and step and each demo's first step of lasting success. `record_demos` plays a controller
  (the tasks' scripted ones by default) and keeps the demos that end solved; `save`/`load` store
  a bank as `.npz` (no pickles) tagged with its env id and task options, and a bank is refused by
  an env of another id or options.
- Curricula that a `GroupEnv` consults when it re-seeds a group (`GroupEnv.set_start_states`):
  `BankStarts` draws, with probability `prob`, a uniformly random bank state instead of the
  task's own reset; `ReverseCurriculum` starts from states `back` steps before each demo's
  success and moves `back` towards the demo's start each time the success rate of the episodes
  started from the bank reaches `threshold` over a block of `window` episodes (Salimans & Chen
  2018, "Learning Montezuma's Revenge from a Single Demonstration"; Florensa et al. 2017,
  "Reverse Curriculum Generation"). Once every start is at step 0 it stops drawing from the bank.
  `simrl.sim.adaptive_starts.AdaptiveStarts` (`curriculum=adaptive`) keeps an archive of start
  states with estimated success rates and starts groups where success is intermediate.

Demonstrations come from a saved bank, from a recording of reset seeds and actions replayed
exactly (`simrl.sim.recordings`), or from the tasks' scripted controllers (`record_demos`).

The env reports every episode that started from the bank with its success at the final step (the
evaluation convention), so both learners (GRPO's rollouts and PPO's SB3 adapter) drive the same
curriculum through the env. Evaluation envs never get start states.
"""

from __future__ import annotations

import json
import logging
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from simrl.config.fields import ConfigValueError, check_fields, limit
from simrl.files import atomic_write_bytes

BANK_FORMAT = "simrl.start_bank/1"
CURRICULA = ("none", "bank", "reverse_demo", "adaptive")
VARIANT_LEVELS = ("uniform", "adaptive")  # adaptive: how a reset variant's level j is drawn
MAX_DEMOS = 4096  # scripted demonstrations recorded at most (one env row each)


@dataclass
class CurriculumConfig:
    """How training episodes start (evaluation always uses the task's own resets).

    name: none (the task's own resets) | bank (uniform over the bank's states, mixed in with
    probability `prob`) | reverse_demo (the reverse curriculum; see the module docstring) |
    adaptive (an archive of start states sampled where success is intermediate; see
    `simrl.sim.adaptive_starts`). Demonstrations come from `bank` (a saved bank), else from
    `demo_file` (a recording, `simrl.sim.recordings`), else `demos` scripted ones.
    """

    name: str = limit("none", choices=CURRICULA, what="a curriculum")
    prob: float = limit(0.5, ge=0.0, le=1.0)  # chance that a re-seeded group starts from the bank
    bank: str | None = None  # a saved bank (.npz); None: record `demos` scripted demos at start
    demo_file: str | None = None  # a recording (.npz: reset seeds + actions), replayed at start
    demos: int = limit(256, ge=0, le=MAX_DEMOS)  # scripted demos recorded (0: none, adaptive only)
    demo_seed: int = limit(0, ge=0)  # seed of the recorded demonstrations
    threshold: float = limit(0.5, gt=0.0, le=1.0)  # reverse_demo: success rate that moves back
    window: int = limit(64, ge=1)  # reverse_demo: bank episodes per decision
    step_back: int = limit(5, ge=1)  # reverse_demo: steps the start moves back per advance
    spread: int = limit(5, ge=0)  # reverse_demo: starts drawn up to this many steps further back
    reset_frac: float = limit(0.25, ge=0.0, le=1.0)  # adaptive: share of the task's own resets
    capacity: int = limit(2048, ge=1, le=1_000_000)  # adaptive: most start states in the archive
    prior: float = limit(0.5, gt=0.0, le=100.0)  # adaptive: Beta(prior, prior) on success rates
    sharpness: float = limit(2.0, gt=0.0, le=16.0)  # adaptive: weight (4 p (1 - p)) ** sharpness
    explore: float = limit(0.05, ge=0.0, le=10.0)  # adaptive: + explore / sqrt(1 + visits)
    memory: int = limit(64, ge=1)  # adaptive: episodes a success rate remembers (older fade)
    trail_every: int = limit(10, ge=0)  # adaptive: steps between states kept along rollouts
    hindsight: bool = True  # adaptive: failed reset groups give start states for reached goals
    hindsight_move: float = limit(0.05, ge=0.0)  # adaptive: how far the object must have moved
    goal_steps: int = limit(0, ge=0, le=64)  # adaptive: goal tasks: reset variants, nearer goals
    arm_steps: int = limit(0, ge=0, le=64)  # adaptive: arm tasks: reset variants, arm nearer
    # adaptive: how a reset variant's level j is drawn: uniform in 0..K, or adaptive (j = 0 keeps
    # its uniform share; levels 1..K by the weight of their own success rate)
    variant_levels: str = limit("uniform", choices=VARIANT_LEVELS)
    # adaptive: goal tasks: task resets drawn again where the goal's direction (this many bins)
    # gives groups that all fail or all succeed (0: off; see simrl.sim.goal_directions)
    direction_bins: int = limit(0, ge=0, le=64)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """One-line ValueError naming the field, its value and what is allowed."""
        check_fields(self)
        demo_free = self.bank is None and self.demo_file is None and self.demos == 0
        if demo_free and self.name in ("bank", "reverse_demo"):
            raise ConfigValueError(
                "CurriculumConfig",
                "demos",
                0,
                f"leaves curriculum={self.name} without demonstrations (0 is for adaptive only)",
                allowed=[f"1..{MAX_DEMOS}", "a bank", "a demo_file"],
            )


# ------------------------------------------------------------------------------------ the bank
def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}/"))
        else:
            out[f"{prefix}{key}"] = np.asarray(value)
    return out


def _unflatten(flat: dict[str, np.ndarray]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split("/")
        node = tree
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return tree


class StartBank:
    """Exact snapshots of demonstration states: `states` is a `get_state` snapshot of K rows."""

    def __init__(
        self,
        env_id: str,
        options: dict[str, Any],
        states: dict[str, Any],
        demo: np.ndarray,
        step: np.ndarray,
        solved_at: np.ndarray,
    ) -> None:
        self.env_id = env_id
        self.options = dict(sorted(options.items()))
        self.states = states  # arrays with leading dimension K (one row per state)
        self.demo = np.asarray(demo, np.int64)
        self.step = np.asarray(step, np.int64)
        self.solved_at = np.asarray(solved_at, np.int64)  # per demo: first step of lasting success
        self._first = np.searchsorted(self.demo, np.arange(len(self.solved_at)))  # demo's step 0

    def __len__(self) -> int:
        return len(self.demo)

    @property
    def num_demos(self) -> int:
        return len(self.solved_at)

    def index(self, demo: np.ndarray, step: np.ndarray) -> np.ndarray:
        """Bank rows of (demo, step) pairs."""
        return self._first[demo] + step

    def take(self, rows: np.ndarray) -> dict[str, Any]:
        """A `set_state` snapshot of bank rows `rows` (repeats allowed)."""

        def pick(x: Any) -> Any:
            if isinstance(x, dict):
                return {k: pick(v) for k, v in x.items()}
            if isinstance(x, np.ndarray) and x.ndim and len(x) == len(self):
                return x[rows]
            return x

        return {**pick(self.states), "env_id": self.env_id}

    def check(self, env_id: str, options: dict[str, Any]) -> None:
        """Refuse (one-line ValueError) a bank recorded for another env id or other options."""
        options = dict(sorted(options.items()))
        if env_id != self.env_id:
            raise ValueError(
                f"start-state bank was recorded on {self.env_id!r}, this env is {env_id!r}"
            )
        if options != self.options:
            raise ValueError(
                f"start-state bank of {self.env_id!r} was recorded with options {self.options}, "
                f"this env has {options}"
            )

    def save(self, path: str | Path) -> Path:
        """Write the bank as an uncompressed .npz (atomically); arrays only, no pickles."""
        meta = {"format": BANK_FORMAT, "env_id": self.env_id, "options": self.options}
        arrays = {f"states/{k}": v for k, v in _flatten(self.states).items()}
        arrays.update(demo=self.demo, step=self.step, solved_at=self.solved_at)
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
        path = Path(path)
        atomic_write_bytes(path, lambda f: np.savez(f, **arrays))
        return path

    @classmethod
    def load(cls, path: str | Path) -> StartBank:
        """Read a bank written by `save`; anything else is a one-line ValueError."""
        try:
            with np.load(path, allow_pickle=False) as data:
                flat = {k: data[k] for k in data.files}
            meta = json.loads(flat.pop("meta").tobytes().decode())
        except (
            OSError,
            ValueError,
            KeyError,
            EOFError,
            zipfile.BadZipFile,
            UnicodeDecodeError,
        ) as exc:
            raise ValueError(f"{path}: not a start-state bank ({type(exc).__name__})") from None
        if meta.get("format") != BANK_FORMAT:
            raise ValueError(f"{path}: not a start-state bank (format {meta.get('format')!r})")
        states = _unflatten({k[7:]: v for k, v in flat.items() if k.startswith("states/")})
        return cls(
            meta["env_id"], meta["options"], states, flat["demo"], flat["step"], flat["solved_at"]
        )


def record_demos(
    env: Any,
    policy: Callable[[np.ndarray], np.ndarray] | None = None,
    seed: int = 0,
) -> StartBank:
    """Play `policy` (default: the task's scripted controller) for one episode on every row of
    `env` (a GroupEnv with group_size 1, autoreset disabled) and keep the solved demos' states.

    A demo is kept when it is solved at its final step; its `solved_at` is the first step from
    which it stays solved. States are the snapshots before each action (steps 0 .. T-1).
    """
    if policy is None:
        from simrl.sim.tasks.scripted import scripted_policy

        policy = scripted_policy(env.env_id)
    if not getattr(env, "has_success", False):
        raise ValueError(f"env {env.env_id!r} has no success signal to judge demonstrations by")
    obs, _ = env.reset(seed=seed)
    horizon = int(env.max_episode_steps)
    snaps, success = [], []
    for _ in range(horizon):
        snaps.append(env.get_state())
        obs, _, _, _, info = env.step(policy(obs))
        success.append(np.asarray(info["is_success"], bool))
    solved = np.stack(success, axis=1)  # (n, T): solved after step t
    keep = np.flatnonzero(solved[:, -1])
    if keep.size == 0:
        raise ValueError(f"no demonstration of {env.env_id!r} ended solved; nothing to bank")
    # first step t such that the state before step t+1 (i.e. after step t) stays solved
    failed_after = np.where(~solved[keep], np.arange(horizon), -1).max(axis=1)
    solved_at = failed_after + 2  # state index (before an action) from which it stays solved
    solved_at = np.minimum(solved_at, horizon - 1)

    def stack(trees: list[Any]) -> Any:
        first = trees[0]
        if isinstance(first, dict):
            return {k: stack([t[k] for t in trees]) for k in first if k != "env_id"}
        return np.stack([np.asarray(t)[keep] for t in trees], axis=1).reshape(
            len(keep) * horizon, *np.asarray(first).shape[1:]
        )

    states = stack(snaps)
    demo = np.repeat(np.arange(len(keep)), horizon)
    step = np.tile(np.arange(horizon), len(keep))
    return StartBank(env.env_id, env.task_options(), states, demo, step, solved_at)


# ---------------------------------------------------------------------------------- curricula
class StartStates:
    """What a GroupEnv asks when it re-seeds groups: a bank row per group, or -1 (task reset)."""

    def __init__(self, bank: StartBank, prob: float) -> None:
        self.bank = bank
        self.prob = float(prob)
        self.drawn = 0  # groups started from the bank since the last `metrics()`
        self.seeded = 0  # groups re-seeded since the last `metrics()`

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Bank rows for n re-seeded groups (-1: the task's own reset)."""
        use = rng.uniform(size=n) < self.active_prob()
        rows = np.full(n, -1, np.int64)
        if use.any():
            rows[use] = self.pick(rng, int(use.sum()))
        self.seeded += n
        self.drawn += int(use.sum())
        return rows

    def active_prob(self) -> float:
        return self.prob

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n bank rows."""
        raise NotImplementedError

    # what the env asks of start states beyond `draw`/`report` (AdaptiveStarts uses them)
    trail_every = 0  # keep a snapshot of each tracked row every this many steps (0: never)
    tracks_resets = False  # also track episodes that begin at the task's own resets

    def report(  # noqa: B027 (optional)
        self,
        rows: np.ndarray,
        success: np.ndarray,
        env_rows: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        achieved: np.ndarray | None = None,
    ) -> None:
        """Episodes that started from bank rows `rows` ended with final-step `success` (on env
        rows `env_rows` of groups `groups`; `achieved`: their final achieved goals, if any)."""

    def forget(self, env_rows: np.ndarray) -> None:  # noqa: B027 (optional)
        """Env rows `env_rows` begin a new episode (or were overwritten): drop what was kept."""

    def metrics(self) -> dict[str, float]:
        """Curriculum figures for metrics.csv (bank fraction since the last call, progress)."""
        out = {"curriculum/bank_frac": self.drawn / self.seeded if self.seeded else 0.0}
        self.drawn = self.seeded = 0
        return out

    def state_dict(self) -> dict[str, Any]:
        return {"bank_size": len(self.bank)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if int(state.get("bank_size", -1)) != len(self.bank):
            raise ValueError(
                f"curriculum state is of a bank of {state.get('bank_size')} states, "
                f"this one has {len(self.bank)}"
            )


class BankStarts(StartStates):
    """Uniformly random bank states, mixed in with probability `prob` (no schedule)."""

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.integers(0, len(self.bank), size=n)


class ReverseCurriculum(StartStates):
    """Start from demo states `back` steps before success; move back as success rises."""

    def __init__(
        self,
        bank: StartBank,
        prob: float,
        threshold: float,
        window: int,
        step_back: int,
        spread: int,
    ) -> None:
        super().__init__(bank, prob)
        self.threshold, self.window = float(threshold), int(window)
        self.step_back, self.spread = int(step_back), int(spread)
        self.back = 0  # steps before each demo's solved_at
        self.episodes = 0  # bank episodes reported at the current `back`
        self.successes = 0
        self.last_rate = float("nan")  # success rate of the last complete window

    @property
    def complete(self) -> bool:
        """Every start is at its demo's first state: the bank has nothing left to teach."""
        return self.back >= int(self.bank.solved_at.max())

    def active_prob(self) -> float:
        return 0.0 if self.complete else self.prob

    def pick(self, rng: np.random.Generator, n: int) -> np.ndarray:
        demo = rng.integers(0, self.bank.num_demos, size=n)
        jitter = rng.integers(0, self.spread + 1, size=n)
        step = np.maximum(self.bank.solved_at[demo] - self.back - jitter, 0)
        return self.bank.index(demo, step)

    def report(
        self,
        rows: np.ndarray,
        success: np.ndarray,
        env_rows: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        achieved: np.ndarray | None = None,
    ) -> None:
        self.episodes += len(rows)
        self.successes += int(np.count_nonzero(success))
        if self.episodes >= self.window:
            self.last_rate = self.successes / self.episodes
            if self.last_rate >= self.threshold and not self.complete:
                self.back += self.step_back
            self.episodes = self.successes = 0

    def metrics(self) -> dict[str, float]:
        out = super().metrics()
        out["curriculum/back"] = float(self.back)
        out["curriculum/bank_success"] = self.last_rate
        return out

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "back": self.back,
            "episodes": self.episodes,
            "successes": self.successes,
            "last_rate": self.last_rate,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.back = int(state["back"])
        self.episodes = int(state["episodes"])
        self.successes = int(state["successes"])
        self.last_rate = float(state["last_rate"])


def demo_bank(cfg: CurriculumConfig, make_env: Callable[..., Any]) -> StartBank | None:
    """The demonstrations `cfg` names: its `bank` file, else its `demo_file` recording (replayed),
    else `demos` scripted ones recorded now (None when `demos` is 0)."""
    if cfg.bank is not None:
        return StartBank.load(cfg.bank)  # checked against the env by GroupEnv.set_start_states
    if cfg.demo_file is not None:
        from simrl.sim.recordings import load_recording, replay_recording

        return replay_recording(load_recording(cfg.demo_file), make_env)
    if cfg.demos == 0:
        return None
    env = make_env(
        num_groups=cfg.demos, group_size=1, seed=cfg.demo_seed, autoreset_mode="disabled"
    )
    log = logging.getLogger(__name__)
    log.info("recording %d scripted demonstrations (curriculum.demos) ...", cfg.demos)
    t0 = time.perf_counter()
    try:
        bank = record_demos(env, seed=cfg.demo_seed)
    finally:
        env.close()
    log.info("recorded %d demonstrations in %.1f s", cfg.demos, time.perf_counter() - t0)
    return bank


def build_start_states(cfg: CurriculumConfig, make_env: Callable[..., Any]) -> StartStates | None:
    """The curriculum `cfg` asks for (None for "none"), its demonstrations loaded or recorded.

    `make_env(num_groups=..., group_size=..., seed=..., autoreset_mode=...)` builds an env of the
    training env's id and options (the demonstrations are recorded on one).
    """
    if cfg.name == "none":
        return None
    bank = demo_bank(cfg, make_env)
    if cfg.name == "adaptive":
        from simrl.sim.adaptive_starts import AdaptiveStarts

        return AdaptiveStarts.from_config(cfg, bank)
    assert bank is not None  # CurriculumConfig refuses demos=0 without a file for these
    if cfg.name == "bank":
        return BankStarts(bank, cfg.prob)
    return ReverseCurriculum(bank, cfg.prob, cfg.threshold, cfg.window, cfg.step_back, cfg.spread)
