"""`run_training`: drive one Trainer to its env-step budget and leave a complete run directory.

Run directory: config.yaml, metrics.csv (one row per update), tb/ (TensorBoard), checkpoints/
(last.pt, best.pt), summary.json, learning_curve.png. Everything is written atomically; a resumed
run (RunConfig.resume) continues the same run and, on CPU, ends with the same parameters as an
uninterrupted one.

Clocks: `wall_s`, `train_s`, `env_steps_per_s` and update times leave out the meters' overhead
(metered updates are charged what a plain update of their size costs; `simrl.runs.update_meter`).
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from simrl.files import atomic_write_text
from simrl.nn.compute import ComputeConfig, resolve_compute
from simrl.runs.checkpoint import (
    CheckpointError,
    check_compatible,
    check_same_run,
    load_checkpoint,
    load_trainer_state,
    make_payload,
    save_checkpoint,
)
from simrl.runs.evaluate import eval_seed, evaluate_policy, make_eval_env
from simrl.runs.loggers import open_tracker
from simrl.runs.metrics_writer import MetricsWriter
from simrl.runs.plain import to_plain, to_scalar
from simrl.runs.progress import RunProgress
from simrl.runs.spec import RunCallback, TrainSpec
from simrl.runs.state import MAX_NONFINITE_STREAK, RunState, nonfinite_update, rename_clashes
from simrl.runs.summary import build_summary, print_run_report, write_summary
from simrl.runs.update_meter import UpdateMeter

STOP_SIGNALS = tuple(
    s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGUSR2", None)) if s is not None
)


def run_training(
    spec: TrainSpec,
    run_dir: str | Path,
    *,
    callbacks: Sequence[RunCallback] = (),
    trainer_factory: Callable[..., Any] | None = None,
    env_factory: Callable[..., Any] | None = None,
) -> dict[str, Any]:
    """Train `spec` until `spec.run.total_env_steps`, writing the run directory; return the summary.

    `spec.compute` (device, threads, precision) is resolved here, once, and handed to the trainer.
    `trainer_factory(env_cfg, model_cfg, algo_cfg, compute, seed=, total_env_steps=)` defaults to
    the registry's `make_trainer` for `spec.algo`; `env_factory` (same signature as
    `simrl.sim.make_group_env`) builds the evaluation env; each of `callbacks` is told of every
    `last.pt` written (`RunCallback.on_checkpoint`). Bad settings or an unusable `run.resume`
    checkpoint raise a one-line ValueError before any work. The summary's `status` is "completed", "stopped" or
    "failed" (NaN guard or an error; errors are re-raised after the summary is written).

    SIGINT (Ctrl-C) and SIGTERM stop the run after the current iteration: it is checkpointed and
    the summary (`status: stopped`, `stop_signal`) describes that checkpoint; a second Ctrl-C
    abandons the iteration (the summary then describes the last checkpoint). A stop signal that
    a launcher listened to before the run (submitit's preemption signal) is handed on to it
    after saving, so the launcher can requeue the job; the requeued run resumes.
    """
    if not isinstance(spec, TrainSpec):
        raise TypeError(
            f"run_training takes a simrl.runs.TrainSpec(algo, env, model, algo_cfg, run, compute) "
            f"as its first argument, got {type(spec).__name__} {spec!r:.60}"
        )
    algo, env_cfg, model_cfg, run = spec.algo, spec.env, spec.model, spec.run
    compute_cfg = spec.compute or ComputeConfig()
    resolved = resolve_compute(compute_cfg, int(getattr(model_cfg, "width", 0) or 0))
    if trainer_factory is None:
        from simrl.algos.registry import get_algo

        trainer_factory = get_algo(algo).make_trainer
    payload = load_checkpoint(run.resume) if run.resume else None
    if payload is not None:
        check_compatible(
            payload,
            algo=algo,
            env_id=env_cfg.id,
            obs_dim=payload["obs_dim"],
            act_dim=payload["act_dim"],
        )
    if env_factory is None:
        from simrl.sim import make_group_env as env_factory

    e_seed = eval_seed(run.seed)
    eval_env = make_eval_env(env_factory, env_cfg, run.eval_episodes, e_seed)
    trainer = None
    try:
        obs_dim = int(np.prod(eval_env.single_observation_space.shape))
        act_dim = int(np.prod(eval_env.single_action_space.shape))
        if payload is not None:
            check_compatible(
                payload, algo=algo, env_id=env_cfg.id, obs_dim=obs_dim, act_dim=act_dim
            )
            check_same_run(
                payload,
                {"env": to_plain(env_cfg), "run": {"seed": run.seed}},
            )  # (a different model is named by load_trainer_state)
        torch.manual_seed(run.seed)
        trainer = trainer_factory(
            env_cfg,
            model_cfg,
            spec.algo_cfg,
            resolved,
            seed=run.seed,
            total_env_steps=run.total_env_steps,
        )
        session = _Session(
            spec, compute_cfg, resolved, Path(run_dir), tuple(callbacks), trainer, eval_env,
            e_seed, obs_dim, act_dim,
        )  # fmt: skip
        if payload is not None:
            session.restore(payload)
        return session.train()
    finally:
        for obj in (trainer, eval_env):
            close = getattr(obj, "close", None)
            if callable(close):
                close()


class _Session:
    """One invocation of the run loop (a fresh run or a resumed one)."""

    def __init__(
        self, spec, compute_cfg, compute, run_dir, callbacks, trainer, eval_env, eval_seed,
        obs_dim, act_dim,
    ) -> None:  # fmt: skip
        algo, run = spec.algo, spec.run
        self.algo, self.env_cfg, self.run, self.run_dir = algo, spec.env, run, run_dir
        self.compute, self.callbacks = compute, callbacks
        self.trainer, self.eval_env, self.eval_seed = trainer, eval_env, eval_seed
        self.obs_dim, self.act_dim = obs_dim, act_dim
        self.meter = UpdateMeter(compute.device, run.meters, clock=lambda: time.perf_counter())
        self.configs = {
            "env": to_plain(spec.env),
            "model": to_plain(spec.model),
            "algo": to_plain(spec.algo_cfg),
            "run": to_plain(replace(run, resume=None)),
            "compute": to_plain(compute_cfg),
        }
        config_dict = spec.config_dict
        if config_dict is None:
            config_dict = {"algo_name": algo, **self.configs}
        self.config = to_plain(config_dict)
        self.state = RunState()
        self.resumed_from: str | None = None
        self.ckpt_dir = run_dir / "checkpoints"
        self.last_ckpt_env_steps = 0
        self.last_ckpt_iteration = -1
        self.last_good_checkpoint: str | None = None

    # -- checkpoints -------------------------------------------------------------------------
    def restore(self, payload: dict[str, Any]) -> None:
        load_trainer_state(self.trainer, payload)
        if int(self.trainer.iteration) != int(payload["iteration"]) or int(
            self.trainer.env_steps
        ) != int(payload["env_steps"]):
            raise CheckpointError(
                f"checkpoint {payload['path']}: trainer counters after loading "
                f"(iteration {self.trainer.iteration}, env_steps {self.trainer.env_steps}) differ from "
                f"the checkpoint's ({payload['iteration']}, {payload['env_steps']})"
            )
        self.state = RunState.from_dict(payload.get("run_state") or {})
        self.meter.load_state_dict(self.state.meter)
        self.resumed_from = payload["path"]
        self.last_ckpt_iteration = int(payload["iteration"])
        self.last_ckpt_env_steps = int(payload["env_steps"])
        self.last_good_checkpoint = payload["path"]

    def save(self, name: str) -> Path:
        path = self.ckpt_dir / name
        payload = make_payload(
            algo=self.algo,
            env_id=self.env_cfg.id,
            obs_dim=self.obs_dim,
            act_dim=self.act_dim,
            iteration=self.trainer.iteration,
            env_steps=self.trainer.env_steps,
            trainer_state=self.trainer.state_dict(),
            configs=self.configs,
            config=self.config,
            run_state={**self.state.as_dict(), "meter": self.meter.state_dict()},
        )
        save_checkpoint(path, payload)
        if name == "last.pt":
            self.last_ckpt_iteration = int(self.trainer.iteration)
            self.last_ckpt_env_steps = int(self.trainer.env_steps)
            self.last_good_checkpoint = str(path)
            for callback in self.callbacks:
                callback.on_checkpoint(path, int(self.trainer.iteration))
        return path

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        res = evaluate_policy(
            lambda o: self.trainer.act(o, deterministic=True), self.eval_env, self.eval_seed
        )
        self.state.eval_s += time.perf_counter() - t0
        point = {
            "iteration": int(self.trainer.iteration),
            "env_steps": int(self.trainer.env_steps),
            "wall_s": self.state.wall_s,
            "return_mean": res.return_mean,
            "return_std": res.return_std,
            "success_rate": res.success_rate,
        }
        self.state.eval_curve.append(point)
        return point

    # -- main loop -----------------------------------------------------------------------------
    def train(self) -> dict[str, Any]:
        import yaml

        run, trainer = self.run, self.trainer
        self.run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(
            self.run_dir / "config.yaml", yaml.safe_dump(self.config, sort_keys=False)
        )
        writer = MetricsWriter(
            self.run_dir,
            tensorboard=run.tensorboard and run.logger == "tensorboard",
            history=self.state.history,
            columns=self.state.columns,
            tracker=open_tracker(run.logger, self.run_dir, self.config),
            hparams=self.config,
        )
        title = f"{self.algo} {self.env_cfg.id}"
        progress = RunProgress(run.total_env_steps, int(trainer.env_steps), run.progress, title)
        self.progress = progress
        status, error = "completed", None
        self.streak, self.pending = 0, False
        self._session_start = time.perf_counter()
        self._wall_offset = self.state.wall_s + self.meter.excluded_s()  # as measured
        self._session_steps0, self._session_train0 = int(trainer.env_steps), self.train_s
        previous = self._catch_signals()
        try:
            with progress:
                while trainer.env_steps < run.total_env_steps and self.stop_signal is None:
                    error = self._iteration(writer, progress)
                    if error is not None:
                        status = "failed"
                        break
            if self.stop_signal is not None and status != "failed":
                status, error = "stopped", f"stopped by {signal.Signals(self.stop_signal).name}"
                self._save_if_consistent()
                progress.message(f"{error}; checkpoint: {self.last_good_checkpoint or 'none'}")
        except KeyboardInterrupt:
            status, error = "stopped", "interrupted by user"
            self._save_if_consistent()
            progress.message(f"interrupted; last checkpoint: {self.last_good_checkpoint or 'none'}")
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            self._restore_signals(previous)
            self.finish(status, error, writer)
            raise
        with self._signals_deferred():  # the summary and plots are written whole
            summary = self.finish(status, error, writer)
        self._restore_signals(previous)
        self._hand_on_signal(previous)
        return summary

    # -- signals -------------------------------------------------------------------------------
    def _catch_signals(self) -> dict[int, Any]:
        """SIGINT, SIGTERM (and SIGUSR2 when a launcher such as submitit handles it) stop the run
        after the current iteration, with a checkpoint; a second Ctrl-C abandons the iteration."""
        self.stop_signal: int | None = None
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for sig in STOP_SIGNALS:
            old = signal.getsignal(sig)
            if sig not in (signal.SIGINT, signal.SIGTERM) and not callable(old):
                continue  # only signals someone listens to (e.g. submitit's preemption signal)
            previous[sig] = old
            signal.signal(sig, self._on_signal)
        return previous

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum
            self.progress.message(
                f"{signal.Signals(signum).name}: finishing this iteration, then saving and stopping"
            )
        elif signum == signal.SIGINT:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def _signals_deferred(self) -> Any:
        """While the run's outputs are written, a further Ctrl-C / SIGTERM only says so: an
        interrupted plot or summary would leave the run dir inconsistent."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def note(signum: int, frame: Any) -> None:
            self.progress.message(
                f"{signal.Signals(signum).name}: writing the summary, then exiting"
            )

        old = {sig: signal.signal(sig, note) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)

    @staticmethod
    def _restore_signals(previous: dict[int, Any]) -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def _hand_on_signal(self, previous: dict[int, Any]) -> None:
        """After saving, pass the stop signal to a handler that was installed before the run
        (e.g. submitit's, which requeues a preempted job); Python's defaults are not called."""
        handler = previous.get(self.stop_signal) if self.stop_signal is not None else None
        passive = handler is signal.default_int_handler or getattr(handler, "startup_only", False)
        if callable(handler) and not passive:
            handler(self.stop_signal, None)

    def _save_if_consistent(self) -> None:
        """Checkpoint the trainer now unless an iteration was cut short or is being skipped for
        NaNs (then the last checkpoint is the last consistent state, and the summary says so)."""
        if not self.pending and self.streak == 0:
            if self.last_ckpt_iteration != self.trainer.iteration:
                self.save("last.pt")

    def _optimizer_bytes(self) -> int:
        """The learner state the trainer keeps between updates (its optimizer's), for the meter."""
        return int(self.trainer.learner_stats().get("optimizer_state_bytes") or 0)

    def _tick(self) -> None:
        """Run wall time = earlier sessions + this session so far (loop, eval, checkpoints),
        less the meters' overhead."""
        elapsed = self._wall_offset + time.perf_counter() - self._session_start
        self.state.wall_s = elapsed - self.meter.excluded_s()

    @property
    def train_s(self) -> float:
        """Time spent collecting and updating so far, less the meters' overhead."""
        return self.state.train_s - self.meter.excluded_s()

    def _iteration(self, writer: MetricsWriter, progress: RunProgress) -> str | None:
        """One trainer iteration plus its bookkeeping; returns an error when the NaN guard trips."""
        run, trainer, state = self.run, self.trainer, self.state
        self.pending = True  # trainer state and history disagree until the row is recorded
        steps_before = int(trainer.env_steps)
        t0 = time.perf_counter()
        batch = trainer.collect()
        t1 = time.perf_counter()
        metrics = self.meter.run(
            lambda: trainer.update(batch), int(batch.samples), self._optimizer_bytes
        )
        state.train_s += time.perf_counter() - t0  # as measured; `self.train_s` is fair
        dt = t1 - t0 + metrics["update_time_s"]  # the update's fair time (metering)
        self._tick()
        metrics = rename_clashes({k: to_scalar(v) for k, v in metrics.items()})
        it, steps = int(trainer.iteration), int(trainer.env_steps)
        if steps <= steps_before:
            raise RuntimeError(
                f"trainer.collect() consumed no env steps at iteration {it} (env_steps stays "
                f"{steps}); stopping instead of looping forever"
            )
        if nonfinite_update(metrics, state):
            self.streak += 1
            state.nonfinite_total += 1
            progress.message(
                f"iteration {it}: non-finite loss/gradients, update skipped ({self.streak} in a row)"
            )
        else:
            self.streak = 0
        healthy = self.streak == 0
        final = steps >= run.total_env_steps
        every = run.eval_every_steps
        evaluated = healthy and (
            final
            or (run.eval_every > 0 and it % run.eval_every == 0)
            or (every > 0 and steps // every > steps_before // every)
        )
        point = self.evaluate() if evaluated else None
        row = {
            **metrics,
            "iteration": it,
            "env_steps": steps,
            "wall_s": state.wall_s,
            "iter_time_s": dt,
            "env_steps_per_s": (steps - steps_before) / dt if dt > 0 else math.nan,
            "eval_return_mean": point["return_mean"] if point else None,
            "eval_return_std": point["return_std"] if point else None,
            "eval_success_rate": point["success_rate"] if point else None,
        }
        writer.write(row)
        state.columns = writer.columns
        state.history.append({k: row.get(k) for k in writer.columns})
        self.pending = False
        if self.streak >= MAX_NONFINITE_STREAK:
            error = (
                f"stopped after {self.streak} non-finite updates in a row (iterations "
                f"{it - self.streak + 1}..{it}); last good checkpoint: "
                f"{self.last_good_checkpoint or 'none'}"
            )
            progress.message(error, style="bold red")
            return error
        self._tick()  # wall time now includes this iteration's evaluation
        if point is not None and point["return_mean"] > state.best_eval_return:
            state.best_eval_return = point["return_mean"]
            self.save("best.pt")
        if healthy and (final or (run.checkpoint_every > 0 and it % run.checkpoint_every == 0)):
            self.save("last.pt")
        session_train = self.train_s - self._session_train0
        last_eval = state.eval_curve[-1] if state.eval_curve else {}
        progress.update(
            steps,
            metrics.get("return_mean"),
            last_eval.get("success_rate"),
            (steps - self._session_steps0) / session_train if session_train > 0 else math.nan,
            last_eval.get("return_mean"),
            evaluated,
            it,
        )
        return None

    # -- outputs -------------------------------------------------------------------------------
    def finish(self, status: str, error: str | None, writer: MetricsWriter) -> dict[str, Any]:
        writer.close()
        self._tick()
        summary = build_summary(
            algo=self.algo,
            env_id=self.env_cfg.id,
            run=self.run,
            compute=self.compute,
            meter=self.meter,
            trainer=self.trainer,
            state=self.state,
            status=status,
            error=error,
            resumed_from=self.resumed_from,
            checkpoint=self.last_good_checkpoint,
        )
        summary["checkpoint_iteration"] = self.last_ckpt_iteration
        summary["checkpoint_env_steps"] = self.last_ckpt_env_steps
        if status == "stopped":  # the run as it can be continued: its checkpoint
            summary["stop_signal"] = (
                signal.Signals(self.stop_signal).name if self.stop_signal else "SIGINT"
            )
            summary["iterations"] = self.last_ckpt_iteration
            summary["env_steps"] = self.last_ckpt_env_steps
        write_summary(self.run_dir / "summary.json", summary)
        writer.log_summary(summary)  # hparams with final figures; closes a wandb/mlflow run
        plot = self.run_dir / "learning_curve.png"
        try:
            from simrl.runs.plots import plot_learning_curve

            plot_learning_curve(
                self.state.history, self.state.eval_curve, plot, f"{self.algo} on {self.env_cfg.id}"
            )
        except Exception as exc:  # a plot must never cost the run its summary
            summary["plot_error"] = f"{type(exc).__name__}: {exc}"
            plot = None
        paths = {
            "run dir": str(self.run_dir),
            "summary": str(self.run_dir / "summary.json"),
            "metrics": str(self.run_dir / "metrics.csv"),
            "plot": str(plot) if plot else None,
            "checkpoint": self.last_good_checkpoint,
            "tensorboard": str(self.run_dir / "tb") if writer.tb_dir else None,
        }
        print_run_report(summary, paths)
        return summary
