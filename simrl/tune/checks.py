"""simrl-tune's up-front checks against training: the metric a run writes, the space's limits.

`objective_metrics()` lists the numbers a run's summary.json holds (the keys `build_summary`
writes, the meters' and learners' figures), so `tune.metric` is checked against them.
`check_space_limits` checks every bound and choice of the search space with the same validation
layer as the training settings (`simrl.config.fields`: type, finiteness, the field's `limit(...)`), so a
range training would refuse is refused before the first trial.
"""

from __future__ import annotations

import dataclasses
import typing
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from simrl.config.fields import ConfigValueError, check_value
from simrl.messages import UsageError as ConfigError
from simrl.messages import nearest
from simrl.runs.spec import TrainSpec

# summary.json keys that identify or describe a run rather than measure it
NOT_METRICS = (
    "algo", "env_id", "seed", "status", "error", "resumed_from", "checkpoint", "eval_curve",
    "precision_requested", "precision_effective", "peak_memory_method", "meters", "device",
)  # fmt: skip


@lru_cache(maxsize=1)
def objective_metrics() -> tuple[str, ...]:
    """The numeric summary.json keys of a run (what `tune.metric` may name), sorted."""
    from simrl.runs.summary import LEARNER_KEYS, REQUIRED_SUMMARY_KEYS, build_summary
    from simrl.runs.update_meter import UpdateMeter

    keys = set(REQUIRED_SUMMARY_KEYS) | set(LEARNER_KEYS) | set(UpdateMeter("cpu").stats())
    try:
        keys |= set(_stub_summary(build_summary))
    except (AttributeError, TypeError):  # build_summary needs more of a run: the keys above
        pass
    return tuple(sorted(keys - set(NOT_METRICS)))


def _stub_summary(build_summary: Any) -> dict[str, Any]:
    """`build_summary` of an empty run (stand-ins without figures): its own keys."""
    from simrl.runs.config import RunConfig

    empty = SimpleNamespace(
        eval_curve=[], history=[], train_s=0.0, wall_s=0.0, eval_s=0.0, best_eval_return=None,
        nonfinite_total=0,
    )  # fmt: skip
    trainer = SimpleNamespace(learner_stats=dict, env_steps=0, iteration=0)
    return build_summary(
        algo="", env_id="", run=RunConfig(), compute=SimpleNamespace(as_dict=dict),
        meter=SimpleNamespace(stats=dict), trainer=trainer, state=empty, status="completed",
        error=None, resumed_from=None, checkpoint=None,
    )  # fmt: skip


def check_metric(metric: str) -> None:
    """`tune.metric` must name a number that every run's summary.json holds."""
    known = objective_metrics()
    if metric not in known:
        raise ConfigError(
            "tune.metric",
            metric,
            "is not a number a run writes to summary.json",
            known,
        )


def _owners(built: TrainSpec) -> dict[str, tuple[type, ...]]:
    """Command-line group -> the settings dataclasses whose fields its keys name."""
    from simrl.nn import CoreConfig
    from simrl.nn.compute import ComputeConfig
    from simrl.runs.config import RunConfig
    from simrl.sim.config import EnvConfig
    from simrl.sim.start_states import CurriculumConfig

    return {
        "algo": (type(built.algo_cfg),),
        "model": (CoreConfig,),
        "env": (EnvConfig,),
        "curriculum": (CurriculumConfig,),
        "": (RunConfig, ComputeConfig),
    }


def _field_of(key: str, spec: Any, built: TrainSpec) -> tuple[type, dataclasses.Field, Any] | None:
    """(owner class, field, value mapping) of a space key; None where nothing can be derived
    (free-form `env.options.*`, the `precision` group); ConfigError for an unknown key."""
    group, _, name = key.rpartition(".")
    owners = _owners(built)
    if group not in owners:
        return None
    mapping = None
    if group == "algo":
        module = __import__(type(built.algo_cfg).__module__, fromlist=["x"])
        name, mapping = getattr(module, "TRL_ALIASES", {}).get(name, (name, None))
    fields = {f.name: (cls, f) for cls in owners[group] for f in dataclasses.fields(cls) if f.init}
    if name not in fields:
        near = [f"{group}.{n}" if group else n for n in nearest(name, fields)]
        raise ConfigError(
            f"tune.space.{key}", spec, f"names no setting; nearest: {', '.join(near)}"
        )
    cls, f = fields[name]
    return cls, f, mapping


def check_space_limits(space: dict[str, Any], built: TrainSpec) -> None:
    """Every bound and choice of the (flattened, well-formed) space is a value training accepts."""
    for key, spec in space.items():
        found = _field_of(key, spec, built)
        if found is None:
            continue
        cls, f, mapping = found
        tp = typing.get_type_hints(cls).get(f.name, Any)
        if spec["type"] == "float" and typing.get_origin(tp) is None and tp is int:
            raise ConfigError(
                f"tune.space.{key}.type", "float", f"samples fractions for the integer {key}",
                ["int", "categorical"],
            )  # fmt: skip
        values = (
            [("choices", c) for c in spec["choices"]]
            if spec["type"] == "categorical"
            else [("low", spec["low"]), ("high", spec["high"])]
        )
        for part, value in values:
            mapped = mapping.get(value, value) if mapping else value
            try:
                check_value(cls.__name__, f.name, mapped, tp, f.metadata.get("limits"))
            except ConfigValueError as exc:
                where = f"tune.space.{key}.{part}"
                raise ConfigError(
                    where, value, f"is outside what training accepts: {key} {exc.reason}"
                ) from None


def default_study_name(built: TrainSpec) -> str:
    """`<algo>_<env id>` (slashes made file-safe): `grpo_Reacher-v5`, `ppo_simrl_Push-v0`."""
    return f"{built.algo}_{built.env.id}".replace("/", "_").replace(" ", "_")


def study_run(storage: str, study_name: str) -> dict[str, str] | None:
    """The env and algorithm an existing study tunes (None when there is no such study); read
    from the study's attributes, else from its first trial's run directory. Creates nothing."""
    import json
    from pathlib import Path

    if storage.startswith("sqlite:///") and not Path(storage[len("sqlite:///") :]).exists():
        return None
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        return None
    if study.user_attrs.get("env_id"):
        return {k: str(study.user_attrs.get(k)) for k in ("env_id", "algo")}
    for t in study.get_trials(deepcopy=False):
        try:
            summary = json.loads((Path(t.user_attrs["run_dir"]) / "summary.json").read_text())
            return {"env_id": str(summary["env_id"]), "algo": str(summary.get("algo"))}
        except (KeyError, OSError, ValueError, TypeError):
            continue
    return {}


def check_same_study(storage: str, study_name: str, built: TrainSpec) -> None:
    """A study never mixes envs or algorithms: one line when the named study tunes another."""
    found = study_run(storage, study_name)
    if not found:
        return
    for key, want in (("env_id", built.env.id), ("algo", built.algo)):
        have = found.get(key)
        if have not in (None, "None", want):
            raise ConfigError(
                "tune.study_name",
                study_name,
                f"holds trials of {key} {have} in {storage}; this search trains {want}: give "
                f"another tune.study_name (default: {default_study_name(built)})",
            )
