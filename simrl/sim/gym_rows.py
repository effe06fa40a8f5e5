"""Generic path: any registered MuJoCo-based Gymnasium env, one Gymnasium env per row.

What it accepts (`simrl.sim.registry.check_env_id`): any id registered with Gymnasium whose
unwrapped env has a `mujoco.MjModel` ``model`` and `mujoco.MjData` ``data`` (Gymnasium's MuJoCo
envs, a user's own `MujocoEnv` subclass, other packages' MuJoCo envs), also as
``"module:EnvId"`` (the module is imported to register the id). Options go to `gymnasium.make`.
The action space must be a 1-D Box.

Rows step the unwrapped env. Its TimeLimit is replaced by GroupEnv's own step counter (same
`max_episode_steps`); OrderEnforcing and PassiveEnvChecker hold no episode state and are skipped
too. Any other wrapper (one the registration adds) would be skipped as well, so such an id is
refused with one line naming the wrapper.

Exact copies of the whole env (`clone_state`, group resets): a row copy takes

- the full MjData (`mj_copyData`: the mjSTATE_INTEGRATION state, which qpos/qvel alone is not
  (contacts use the solver warm start; time, act, ctrl matter too), plus the derived fields some
  rewards read before stepping, e.g. Ant's x_position_before);
- every Python attribute of the env object (goals, counters, previous observations, its
  `np_random`, helper objects, nested envs), deep-copied while the MjModel, renderers and spaces
  stay each row's own (`simrl.sim.pystate` lists the rules);
- the MjModel fields the env edits per episode (domain randomisation in `reset`, e.g. an object's
  position or a body's mass), found by comparing models with row 0's as built (`ModelEdits`).

A group reset resets its first row and copies that whole env into the others, so every row
carries the Python state (and model edits) the reset produced.

Snapshots (`get_state`, and `state_dict` for checkpoints) hold only dicts of numpy arrays with a
leading row axis, so `torch.load(weights_only=True)` and start-state banks take them: the
mjSTATE_INTEGRATION vector, every fixed-size MjData array (so derived fields are restored as they
were, not recomputed), the warning counters, the edited MjModel fields and the Python attributes
encoded by `simrl.sim.pystate` (helper objects that cannot be encoded as pickle digests, checked
on loading). Loading writes the model fields, sets the state, runs `mj_forward` (contacts and
constraint rows, the variable-size part of MjData, are recomputed at the state; only an env
reading ``data.contact`` before stepping could notice) and writes the saved arrays back. A
Python attribute that neither encodes nor pickles makes `state_dict` raise one line naming it and
its type; `get_state` keeps a deep copy of it (and of a helper changed since the env was built)
instead: exact in memory, not checkpoint-safe (GRPO then restarts such episodes on resume).

Observations: a Dict (or any non-1-D) observation space is flattened with Gymnasium's
`flatten_space` order: the Dict's own key order (Gymnasium sorts the keys of a Dict built from a
plain dict), each value flattened in C order. `single_observation_space_unflattened` keeps the
env's own space, `observation_slices` maps each top-level Dict key to its slice of the flat row,
and ``gymnasium.spaces.utils.unflatten(env.single_observation_space_unflattened, obs[i])``
rebuilds a row's dict.

Success: when the env reports ``info["is_success"]`` (preferred) or ``info["success"]`` in the info
of its reset or its first step (probed once at construction on row 0, which every reset
overwrites), `has_success` is True (`success_key` names the key) and every step reports
``info["is_success"]`` as a bool array; rollouts, evaluation (success at an episode's final
step), metrics and the run summary use it. Other numeric entries of row 0's info become arrays.

Speed: a step is one list comprehension of ``env.step`` over the rows, then vectorised numpy for
observations, rewards, divergence checks (MuJoCo's bad-value warnings, read through cached views)
and infos; `scripts/bench_generic.py` measures it against a plain loop over the same envs.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np
from gymnasium.spaces.utils import flatten, flatten_space

from simrl.sim.group_base import GroupEnv
from simrl.sim.pystate import (
    NotExportable,
    copy_attributes,
    export_attributes,
    import_attributes,
    static_digests,
)

_INTEGRATION = mujoco.mjtState.mjSTATE_INTEGRATION
_BAD = sorted(
    int(w)
    for w in (
        mujoco.mjtWarning.mjWARN_BADQACC,
        mujoco.mjtWarning.mjWARN_BADQPOS,
        mujoco.mjtWarning.mjWARN_BADQVEL,
        mujoco.mjtWarning.mjWARN_BADCTRL,
    )
)
_SKIPPED_FIELDS = frozenset({"plugin_data"})  # plugin instance pointers, not state
_NUMBER = (bool, int, float, np.integer, np.floating, np.bool_)
EXPORTABLE = (
    "checkpoints hold None, bool, int, float, str, numpy arrays, scalars and RNGs, tuples, lists "
    "and dicts of them, and anything else that pickles as a digest checked on loading"
)


def data_fields(model: mujoco.MjModel) -> list[tuple[str, tuple[int, ...], np.dtype]]:
    """The fixed-size MjData arrays of `model`: (name, shape, dtype).

    Fixed-size = non-empty in a fresh MjData; the variable-size arena arrays (contacts,
    constraint rows, islands) are empty there and are recomputed by `mj_forward` instead.
    """
    fresh = mujoco.MjData(model)
    out = []
    for name in dir(fresh):
        if name.startswith("_") or name in _SKIPPED_FIELDS:
            continue
        value = getattr(fresh, name)
        if isinstance(value, np.ndarray) and value.size:
            out.append((name, value.shape, value.dtype))
    return out


_MAX_TRACKED_BYTES = 64 * 1024  # larger model arrays (meshes, textures, BVH) count as static


def _model_get(model: mujoco.MjModel, name: str) -> np.ndarray:
    if name.startswith("opt."):
        return np.asarray(getattr(model.opt, name[4:]))
    return getattr(model, name)


def _model_set(model: mujoco.MjModel, name: str, value: Any) -> None:
    if name.startswith("opt."):
        current = getattr(model.opt, name[4:])
        if isinstance(current, np.ndarray):
            current[...] = value
        else:
            setattr(model.opt, name[4:], type(current)(np.asarray(value).item()))
    else:
        getattr(model, name)[...] = value


class ModelEdits:
    """The MjModel fields an env edits per episode (domain randomisation), which row copies and
    snapshots must then carry too.

    Candidates: the numeric MjModel arrays up to 64 KiB and the MjOption values (``opt.<name>``);
    larger arrays (mesh vertices, textures, BVH) are taken as static. A candidate is tracked from
    the first time a row's model differs from row 0's model as built: every row is checked once
    built, and each group's first row after each of its resets (where envs randomise).
    """

    def __init__(self, model: mujoco.MjModel) -> None:
        names = [
            n
            for n in dir(model)
            if not n.startswith("_") and n not in ("names", "paths", "text_data")
        ]
        names = [n for n in names if isinstance(getattr(model, n), np.ndarray)]
        names += [f"opt.{n}" for n in dir(model.opt) if not n.startswith("_")]
        self.candidates = []
        self._ref: dict[str, np.ndarray] = {}
        for name in names:
            value = _model_get(model, name)
            if value.dtype.kind in "biuf" and value.size and value.nbytes <= _MAX_TRACKED_BYTES:
                self.candidates.append(name)
                self._ref[name] = value.copy()
        self._ref_bytes = {name: v.tobytes() for name, v in self._ref.items()}
        self.tracked: dict[str, None] = {}  # an ordered set

    def check(self, model: mujoco.MjModel) -> None:
        """Track the candidates in which `model` differs from the reference."""
        ref, tracked = self._ref_bytes, self.tracked
        for name in self.candidates:
            if name not in tracked and _model_get(model, name).tobytes() != ref[name]:
                tracked[name] = None

    def copy(self, src: mujoco.MjModel, dst: mujoco.MjModel) -> None:
        for name in self.tracked:
            _model_set(dst, name, _model_get(src, name))

    def export(self, models: list[mujoco.MjModel]) -> dict[str, np.ndarray]:
        return {n: np.stack([_model_get(m, n) for m in models]) for n in self.tracked}

    def load(self, model: mujoco.MjModel, saved: dict[str, np.ndarray], row: int) -> None:
        """Row `row` of `saved` into `model`; tracked fields it lacks go back to the reference."""
        for name, values in saved.items():
            if name not in self._ref:
                raise ValueError(f"snapshot MjModel field {name!r} is not one this env can set")
            self.tracked.setdefault(name, None)
            _model_set(model, name, values[row])
        for name in self.tracked:
            if name not in saved:
                _model_set(model, name, self._ref[name])


def _success_key(info: dict[str, Any]) -> str | None:
    for key in ("is_success", "success"):
        if key in info:
            return key
    return None


def _where(err: BaseException) -> str:
    """'Type: first line of the message (at file:line: source)' of an exception, one line."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    text = type(err).__name__ + (f": {lines[0]}" if lines else "")
    frames = traceback.extract_tb(err.__traceback__)
    if frames:
        last = frames[-1]
        parts = Path(last.filename).parts[-3:]
        text += f" (at {'/'.join(parts)}:{last.lineno}: {(last.line or '').strip()})"
    return text


def _arr(x: Any) -> np.ndarray:
    return x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else np.asarray(x)


class MissingPackageError(ValueError):
    """The env's registration is there but a package it needs is not installed."""


class GymGroupVecEnv(GroupEnv):
    """`num_groups * group_size` unwrapped Gymnasium MuJoCo envs, stepped in a Python loop."""

    def __init__(
        self,
        env_id: str,
        num_groups: int = 1,
        group_size: int = 1,
        seed: int | None = 0,
        autoreset_mode: str = "next_step",
        **env_options: Any,
    ) -> None:
        from simrl.sim.registry import gym_spec, mujoco_refusal, wrapper_refusal

        spec = gym_spec(env_id)
        n = int(num_groups) * int(group_size)
        wrapped: list[gym.Env] = []
        try:
            try:
                for _ in range(n):
                    wrapped.append(gym.make(spec.id, disable_env_checker=True, **env_options))
            except TypeError as err:
                first = (str(err).strip().splitlines() or [""])[0]
                raise ValueError(f"bad option for {env_id!r}: {first}") from None
            except gym.error.DependencyNotInstalled as err:  # names the package and its install
                first = (str(err).strip().splitlines() or [""])[0]
                raise MissingPackageError(
                    f"env id {env_id!r} needs a package that is not installed: {first}"
                ) from None
            except Exception as err:  # the env's own code failed: one line saying where
                raise ValueError(f"gymnasium.make({spec.id!r}) failed: {_where(err)}") from err
            refusal = mujoco_refusal(spec.id, wrapped[0]) or wrapper_refusal(spec.id, wrapped[0])
            if refusal is not None:
                raise ValueError(refusal)
            self.envs = [w.unwrapped for w in wrapped]
            e0 = self.envs[0]
            space = e0.action_space
            if not isinstance(space, gym.spaces.Box) or len(space.shape) != 1:
                raise ValueError(
                    f"env id {spec.id!r} has action space {space}; the generic path needs a 1-D Box"
                )
            flat_space = self._plan_observations(spec.id, e0.observation_space)
            self.model_edits = ModelEdits(e0.model)  # before the probe's reset edits anything
            self._static = static_digests(e0)  # helpers unchanged since built: saved as digests
            self.success_key = self._probe_success(e0)
            for env in self.envs:
                self.model_edits.check(env.model)
        except BaseException:
            for w in wrapped:
                w.close()
            raise
        limit = wrapped[0].spec.max_episode_steps if wrapped[0].spec else None
        super().__init__(
            env_id=spec.id,
            num_groups=num_groups,
            group_size=group_size,
            seed=seed,
            autoreset_mode=autoreset_mode,
            observation_space=flat_space,
            action_space=space,
            max_episode_steps=limit,
            has_success=self.success_key is not None,
        )
        self.model = e0.model
        self._options = dict(env_options)
        dt = getattr(e0, "dt", None)
        self.dt = float(dt if dt is not None else e0.model.opt.timestep)
        self.metadata["render_fps"] = int(np.round(1.0 / self.dt))
        self._nstate = mujoco.mj_stateSize(self.model, _INTEGRATION)
        self._fields = data_fields(self.model)
        self._field_shapes = {name: shape for name, shape, _ in self._fields}
        self._nwarn = len(e0.data.warning.number)
        self._warn = [env.data.warning.number for env in self.envs]  # views, read every step
        self._no_warning = bytes(self._warn[0].nbytes)
        self._renderer: mujoco.Renderer | None = None

    # ------------------------------------------------------------------ construction helpers
    def _plan_observations(self, env_id: str, space: gym.Space) -> gym.spaces.Box:
        """Flat Box of `space` and how each row's observation is written into it."""
        self.single_observation_space_unflattened = space
        self.observation_slices: dict[str, slice] | None = None
        self._dict_plan: tuple[tuple[str, ...], bool] | None = None  # keys, ravel the leaves
        self._box_obs = isinstance(space, gym.spaces.Box) and len(space.shape) == 1
        if self._box_obs:
            return space
        try:
            flat = flatten_space(space)
        except NotImplementedError:
            flat = None
        if not isinstance(flat, gym.spaces.Box):
            raise ValueError(
                f"env id {env_id!r} has observation space {space}, which does not flatten to a Box"
            )
        if isinstance(space, gym.spaces.Dict):
            self.observation_slices = {}
            start = 0
            for key, sub in space.spaces.items():
                size = int(flatten_space(sub).shape[0])
                self.observation_slices[key] = slice(start, start + size)
                start += size
            if all(isinstance(s, gym.spaces.Box) for s in space.spaces.values()):
                ravel = any(len(sub.shape) != 1 for sub in space.spaces.values())
                self._dict_plan = (tuple(space.spaces), ravel)
        return flat

    def _write_obs(self, obs: Sequence[Any], rows: slice | np.ndarray = slice(None)) -> None:
        """Write the observations of `rows` (one per row, in order) into the flat buffer."""
        if self._box_obs:
            self._obs[rows] = obs
        elif self._dict_plan is not None:  # Dict of Boxes: one concatenate over all rows
            keys, ravel = self._dict_plan
            leaves = [np.ravel(o[k]) if ravel else o[k] for o in obs for k in keys]
            self._obs[rows] = np.concatenate(leaves).reshape(len(obs), -1)
        else:
            space = self.single_observation_space_unflattened
            self._obs[rows] = [flatten(space, o) for o in obs]

    @staticmethod
    def _probe_success(env: Any) -> str | None:
        """'is_success' or 'success' if the env reports it at reset or its first step."""
        _, info = env.reset(seed=0)
        key = _success_key(info)
        if key is None:
            space = env.action_space
            mid = np.where(
                np.isfinite(space.low) & np.isfinite(space.high), (space.low + space.high) / 2, 0.0
            ).astype(space.dtype)
            _, _, _, _, info = env.step(mid)
            key = _success_key(info)
        return key

    # ------------------------------------------------------------------ helpers
    def _copy_env(self, src: int, dst: int) -> None:
        s, d = self.envs[src], self.envs[dst]
        self.model_edits.copy(s.model, d.model)
        mujoco.mj_copyData(d.data, d.model, s.data)
        copy_attributes(s, d, done={id(s.data): d.data})

    def integration_state(self, row: int) -> np.ndarray:
        """The mjSTATE_INTEGRATION vector of one row (what makes stepping exact)."""
        env = self.envs[row]
        out = np.empty(self._nstate)
        mujoco.mj_getState(env.model, env.data, out, _INTEGRATION)
        return out

    def _gather(self, infos: Sequence[dict[str, Any]]) -> dict[str, np.ndarray]:
        """Per-row infos -> arrays: numeric entries of row 0's info (bool, int64 or float64 as
        row 0's value; rows lacking one get False, 0 or NaN), and bool ``is_success``."""
        n, key = len(infos), self.success_key
        out = {}
        for k, value in infos[0].items():
            if not isinstance(value, _NUMBER) or (k == "is_success" and key is not None):
                continue
            if isinstance(value, (bool, np.bool_)):
                out[k] = np.fromiter([inf.get(k, False) for inf in infos], bool, n)
            elif isinstance(value, (int, np.integer)):
                out[k] = np.fromiter([inf.get(k, 0) for inf in infos], np.int64, n)
            else:
                out[k] = np.fromiter([inf.get(k, np.nan) for inf in infos], np.float64, n)
        if key is not None:
            out["is_success"] = np.fromiter([bool(inf.get(key, False)) for inf in infos], bool, n)
        return out

    def _watch_warnings(self, row: int) -> None:
        """Cache a view of the row's warning counters (again after resets and loads, in case the
        env replaced its MjData there)."""
        self._warn[row] = self.envs[row].data.warning.number

    # ------------------------------------------------------------------ backend hooks
    def _b_reset_groups(self, groups: np.ndarray) -> None:
        for g in groups.tolist():
            lead = g * self.group_size
            seed = int(self._rng.integers(2**63 - 1))
            obs, _ = self.envs[lead].reset(seed=seed)
            self.model_edits.check(self.envs[lead].model)
            self._write_obs([obs], slice(lead, lead + 1))
            self._watch_warnings(lead)
            for r in range(lead + 1, lead + self.group_size):
                self._copy_env(lead, r)
            self._obs[lead + 1 : lead + self.group_size] = self._obs[lead]

    def _b_step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        n = self.num_envs
        outs = [env.step(a) for env, a in zip(self.envs, actions, strict=True)]
        obs, rewards, terms, _, infos = zip(*outs, strict=True)  # rows -> columns, in C
        self._write_obs(obs)
        reward = np.array(rewards, np.float64)
        terminated = np.array(terms, bool)
        zero = self._no_warning
        hot = [i for i, w in enumerate(self._warn) if w.tobytes() != zero]  # any warning at all
        diverged = np.zeros(n, bool)
        if hot:
            diverged[hot] = [bool(self._warn[i][_BAD].any()) for i in hot]
        diverged |= ~np.isfinite(self._obs).all(axis=1) | ~np.isfinite(reward)
        return self._obs, reward, terminated, self._gather(infos), diverged

    skips_inactive_rows = True  # rows are independent envs: an ended episode costs nothing

    def _b_step_rows(
        self, actions: np.ndarray, rows: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Step only `rows` (the same per-row calls as `_b_step`); the other rows keep their
        observation and report reward 0, no episode end and the info defaults of `_gather`."""
        n = self.num_envs
        if rows.size == n:
            return self._b_step(actions)
        reward = np.zeros(n, np.float64)
        terminated = np.zeros(n, bool)
        diverged = np.zeros(n, bool)
        if not rows.size:
            info = {"is_success": np.zeros(n, bool)} if self.success_key is not None else {}
            return self._obs, reward, terminated, info, diverged
        idx = rows.tolist()
        outs = [self.envs[i].step(actions[i]) for i in idx]
        obs, rewards, terms, _, infos = zip(*outs, strict=True)
        self._write_obs(obs, rows)
        reward[rows] = rewards
        terminated[rows] = terms
        zero = self._no_warning
        hot = [i for i in idx if self._warn[i].tobytes() != zero]
        if hot:
            diverged[hot] = [bool(self._warn[i][_BAD].any()) for i in hot]
        diverged[rows] |= ~np.isfinite(self._obs[rows]).all(axis=1) | ~np.isfinite(reward[rows])
        gathered = self._gather(infos)
        info = {}
        for key, values in gathered.items():
            fill = False if values.dtype == bool else (0 if values.dtype.kind == "i" else np.nan)
            full = np.full(n, fill, values.dtype)
            full[rows] = values
            info[key] = full
        return self._obs, reward, terminated, info, diverged

    def _b_copy(self, src: np.ndarray, dst: np.ndarray) -> None:
        for s, d in zip(src.tolist(), dst.tolist(), strict=True):
            self._copy_env(s, d)

    def _snapshot(self, rows: np.ndarray, strict: bool) -> dict[str, Any]:
        envs = [self.envs[r] for r in rows.tolist()]
        k = len(envs)
        state = np.empty((k, self._nstate))
        fields = {name: np.empty((k, *shape), dtype) for name, shape, dtype in self._fields}
        number = np.empty((k, self._nwarn), np.int32)
        lastinfo = np.empty_like(number)
        for j, env in enumerate(envs):
            data = env.data
            mujoco.mj_getState(env.model, data, state[j], _INTEGRATION)
            for name, arr in fields.items():
                arr[j] = getattr(data, name)
            number[j] = data.warning.number
            lastinfo[j] = data.warning.lastinfo
        try:
            python, fallback = export_attributes(envs, strict=strict, static=self._static)
        except NotExportable as err:
            raise ValueError(
                f"env {self.env_id!r} cannot be checkpointed: {type(envs[0]).__name__}.{err} "
                f"({EXPORTABLE}; clone_state and get_state still copy it exactly)"
            ) from None
        snap = {
            "state": state,
            "model": self.model_edits.export([env.model for env in envs]),
            "fields": fields,
            "warnings": {"number": number, "lastinfo": lastinfo},
            "python": python,
        }
        if fallback is not None:
            snap["objects"] = fallback
        return snap

    def _b_get(self, rows: np.ndarray) -> dict[str, Any]:
        """Snapshot of rows; attributes the encoding cannot hold are kept as deep copies."""
        return self._snapshot(rows, strict=False)

    def _b_export(self, rows: np.ndarray) -> dict[str, Any]:
        """Checkpoint-safe snapshot of rows; raises one line for an attribute it cannot hold."""
        return self._snapshot(rows, strict=True)

    def _b_set(self, rows: np.ndarray, snap: dict[str, Any]) -> None:
        rows_l = rows.tolist()
        state = np.ascontiguousarray(_arr(snap["state"]), np.float64)
        if state.shape != (len(rows_l), self._nstate):
            raise ValueError(
                f"snapshot state has shape {state.shape}, this env needs "
                f"({len(rows_l)}, {self._nstate})"
            )
        fields = {name: _arr(v) for name, v in snap.get("fields", {}).items()}
        for name, arr in fields.items():
            shape = self._field_shapes.get(name)
            if shape is None or arr.shape[1:] != shape:
                raise ValueError(
                    f"snapshot MjData field {name!r} has shape {arr.shape[1:]}, this env's "
                    f"{'has no such field' if shape is None else shape}"
                )
        warnings = {k: _arr(v) for k, v in (snap.get("warnings") or {}).items()}
        model_fields = {k: _arr(v) for k, v in (snap.get("model") or {}).items()}
        for j, r in enumerate(rows_l):
            env = self.envs[r]
            data = env.data
            self.model_edits.load(env.model, model_fields, j)
            mujoco.mj_setState(env.model, data, state[j], _INTEGRATION)
            mujoco.mj_forward(env.model, data)
            for name, arr in fields.items():
                getattr(data, name)[...] = arr[j]
            if warnings:
                data.warning.number[...] = warnings["number"][j]
                data.warning.lastinfo[...] = warnings["lastinfo"][j]
        for r in rows_l:
            self._watch_warnings(r)
        envs = [self.envs[r] for r in rows_l]
        if "python" in snap:
            import_attributes(envs, snap["python"], snap.get("objects"))
        elif "np_random" in snap:  # checkpoints written before Python attributes were saved
            from simrl.sim.sampling import generator_from_state

            for env, rng in zip(envs, snap["np_random"], strict=True):
                env.np_random = generator_from_state(rng)

    def task_options(self) -> dict[str, Any]:
        return dict(self._options)

    # ------------------------------------------------------------------ rendering
    def render(self, row: int = 0, width: int = 480, height: int = 480) -> np.ndarray:
        """RGB frame (H, W, 3) uint8 of one row (offscreen; MUJOCO_GL=egl on headless hosts)."""
        env = self.envs[int(self._check_rows([row])[0])]
        if self._renderer is None:
            self._renderer = mujoco.Renderer(env.model, height, width)
        self._renderer.update_scene(env.data, camera=-1)
        return self._renderer.render().copy()

    def close(self, **kwargs: Any) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        for env in self.envs:
            env.close()
        self.closed = True
