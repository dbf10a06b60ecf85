"""One run's lifecycle, written once: for a single run, a pack of K seeds, a tuning trial.

`Run(config, seeds, options, members)` goes through the steps, each a
method: `prepare` (devices, a clean Keras session, seeds, data, resolved
execution options) -> `build` (each member seeded and built in the strategy
scope, under the precision policy, with its own input pipelines; then the
members combined into the model that trains) -> `fit` (with the diagnostics
callbacks) -> `measure` (`benchmarks.run.record.measure`, once per member)
-> evaluate the test split. `execute()` runs what is left of them and
returns one `(status, record, error)` per seed; it never raises for a
training problem.

What differs between a single run and a pack is a `members` object:
`OneModel` here (K = 1: the model trains as built), `PackedMembers` in
`benchmarks.matrix.packing` (K models stacked into one). It says how the
built members combine, which datasets and per-member callbacks (early
stopping, divergence) the fit uses, what each member's history and stopping
epoch were, and how the test metrics split per member. The diagnostics
(`EpochTimer`, `LearningRateLog`, `GradientNorms`, `DeadUnits`) are the same
callbacks for every run, given `members=K` for a pack.

`run_one(config, seed, options)` is `Run(config, [seed], options).execute()[0]`.
A Keras Tuner trial calls `Run.build` in `HyperModel.build` and
`Run.execute(model, callbacks, initial_epoch)` in `HyperModel.fit`.

Which weights are evaluated: the weights the run ends with, EXCEPT with
early stopping (`config["early_stopping"]`: true = patience 5, an int
patience, or a dict of `keras.callbacks.EarlyStopping` arguments), which
restores the weights of its best epoch (lowest `val_loss`) before the test
evaluation. `best_epoch` is argmin `val_loss` (1-based) either way; `evaluated_epoch`
says which epoch's weights the `test` metrics come from.

Status: "ok"; "diverged" when a loss became NaN/inf (training stops there,
the history is kept up to that epoch, no test metrics); "failed" for any
exception (the record holds what was measured before it, `error` is
"ExceptionType: message" plus the traceback tail).

`options` only change how a run executes, not what it computes:
`tensorboard_dir` (write TensorBoard logs + HParams there), `peak_flops`
(for MFU: FLOP/s, or "auto" to measure it once per process with
`benchmarks.run.devices.matmul_peak_flops`), `threads` (TensorFlow intra/inter-op
threads), `run_id`.

Execution: `steps_per_execution` / `jit_compile` set to "auto" are resolved
per run by `benchmarks.run.execution.resolve_execution`. On CPU without XLA, op
determinism is on, so the same config and seed give identical records.

Example:

>>> from benchmarks.run import run_one
>>> status, record, error = run_one(
...     {"dataset": "digits", "model": "mlp", "epochs": 2, "width": 16}, seed=0)
>>> status, len(record["history"]["loss"])
('ok', 2)
"""

from __future__ import annotations

import contextlib
import dataclasses
import time

from benchmarks.run.generative_members import members_for
from benchmarks.run.members import Unsupported
from benchmarks.run.record import empty_record, format_error, measure, reset_peak_memory
from benchmarks.run.steps import build_model, prepare_run
from zoo.axes import cell_defaults


def run_one(config: dict, seed: int, options: dict | None = None):
    """Trains one config with one seed; returns `(status, record, error)`.

    Args:
        config: A resolved config (docs/ARCHITECTURE.md); missing keys take
            the axis table's defaults (`zoo.axes.cell_defaults`), model axes their card's defaults.
        seed: The run's seed (weights, dropout, shuffling).
        options: Execution options (`tensorboard_dir`, `peak_flops`,
            `threads`, `run_id`). Defaults to None.

    Returns:
        `(status, record, error)`: status "ok" | "diverged" | "failed", a
        record with every `benchmarks.run.record.FIELDS` key, and an error
        message or None.
    """
    return Run(config, [seed], options).execute()[0]


class Run:
    """The lifecycle of one run of K members (K = 1 for a single run).

    Args:
        config: A resolved config; missing keys take the axis table's defaults (`zoo.axes.cell_defaults`).
        seeds: One seed per member.
        options: Execution options (see `run_one`). Defaults to None.
        members: How the members train together: `OneModel()` (the default,
            one seed; `benchmarks.run.generative_members.GenerativeMembers` for a VAE or
            GAN) or `benchmarks.matrix.packing.PackedMembers`.

    Attributes:
        cfg: The config with every the axis table's defaults (`zoo.axes.cell_defaults`) key.
        records: One record per member, filled as the steps go.
        context: What `prepare` found: `strategy`, `ds`, `augmenter`,
            `n_train`, `batch_size` (and `loss`, `metrics`, `label_map` once built).
        pipelines: Per member, its `(train, validation, test)` datasets (validation
            and test None but for the last member: they depend on no seed).

    Example:

    >>> run = Run({"dataset": "digits", "model": "mlp", "epochs": 2}, [0])
    >>> model = run.build()
    >>> [status for status, record, error in run.execute(model)]
    ['ok']
    """

    def __init__(self, config: dict, seeds: list[int], options: dict | None = None,
                 members=None, configs: list[dict] | None = None):
        self.cfg = {**cell_defaults(), **config}
        self.seeds = [int(s) for s in seeds]
        # Member i's own config (a pack of several cells); they agree on every axis
        # that cannot differ inside one graph (`zoo.axes.sharing_axes`).
        self.configs = ([{**cell_defaults(), **c} for c in configs] if configs
                        else [self.cfg] * len(self.seeds))
        if len(self.configs) != len(self.seeds):
            raise ValueError(f"A run needs one config per seed: {len(self.configs)} configs "
                             f"for {len(self.seeds)} seeds.")
        # Member i's loss and metrics, once built.
        self.losses, self.metrics = [None] * len(self.seeds), [None] * len(self.seeds)
        self.options = dict(options or {})
        self.members = members if members is not None else members_for(self.cfg)
        self.records = [empty_record() for _ in self.seeds]
        self.context, self.pipelines, self.flops = None, [], None
        self._reload = True  # whether loading the data draws random numbers (members > 0)
        self.start = time.perf_counter()

    def prepare(self) -> dict:
        """Devices, a clean Keras session, the first member's seed and the data."""
        if self.context is None:
            reset_peak_memory()  # the run's own peak_memory_mb in a reused worker
            self.context = prepare_run(self.cfg, self.seeds[0], self.options, self.records[0])
            resolved = {k: self.cfg[k] for k in ("steps_per_execution", "jit_compile")}
            for cfg in self.configs:  # "auto" execution options, resolved once for the pack
                cfg.update(resolved)
        return self.context

    def build(self):
        """Builds every member (each with its seed and input pipelines); returns the model to fit.

        Raises:
            Unsupported: when the members cannot train together (packing).
        """
        from benchmarks.run import devices, inputs
        from benchmarks.run.diagnostics import flops_per_example

        context = self.prepare()
        models, self.pipelines = [], []
        with devices.precision_policy(self.cfg["precision"]):
            for i, seed in enumerate(self.seeds):
                models.append(self._build_member(i))
                self.losses[i], self.metrics[i] = context["loss"], context["metrics"]
                # Member i's shuffling is drawn under its own seed, as its single run draws it;
                # validation and test depend on no seed: the last member's serve the pack.
                self.pipelines.append(inputs.make_datasets(
                    context["ds"], context["batch_size"], seed, context["label_map"],
                    context["augmenter"], evaluation=i == len(self.seeds) - 1))
            # Per member: cells of one pack may differ in shape.
            self.flops = [flops_per_example(m) for m in models]
            return self.members.combine(self, models)

    def _build_member(self, i: int):
        """Member i seeded and built exactly as its single run would be."""
        import random

        import numpy as np

        from benchmarks.run import inputs
        from benchmarks.run.seeding import seed_everything

        if i:  # member 0 was seeded by prepare
            seed_everything(self.seeds[i],
                            deterministic=bool(self.records[0]["options"].get("deterministic")))
            if self._reload:  # draw what loading the data draws, as member i's run does
                state = (random.getstate(), np.random.get_state()[1].tobytes())
                inputs.prepare_dataset(self.cfg)
                self._reload = state != (random.getstate(), np.random.get_state()[1].tobytes())
        cfg = self.configs[i]
        model = build_model(cfg, self.context, self.records[i])
        if cfg.get("pretrain"):  # transfer learning (claim C16): benchmarks/run/transfer.py
            from benchmarks.run.transfer import pretrain_into

            self.records[i]["pretrain"] = pretrain_into(model, cfg, self.seeds[i],
                                                        self.context["batch_size"])
        return model

    def fit(self, model, callbacks=(), initial_epoch: int = 0) -> list[str]:
        """Trains with the diagnostics callbacks, measures, evaluates; one status per member.

        Args:
            model: The model `build` returned.
            callbacks: Extra Keras callbacks, run after the harness's (e.g. Keras
                Tuner's). Defaults to ().
            initial_epoch: First epoch (Hyperband resumes). Defaults to 0.

        Returns:
            "ok" or "diverged" per member.
        """
        from benchmarks.run import devices

        with devices.precision_policy(self.cfg["precision"]):
            self._build_optimizer(model)
            train, val, test = self.members.datasets(self.pipelines)
            cbs = self._callbacks()
            try:
                history = model.fit(train, validation_data=val, epochs=self.cfg["epochs"],
                                    initial_epoch=initial_epoch,
                                    callbacks=list(cbs.values()) + list(callbacks),
                                    shuffle=False, verbose=0)
            except Exception:  # keep what the finished epochs measured, then fail
                with contextlib.suppress(Exception):
                    self._measure(getattr(model, "history", None), cbs)
                raise
            self._measure(history, cbs)
            statuses = ["ok" if r["diverged_epoch"] is None else "diverged"
                        for r in self.records]
            if "ok" in statuses:
                for record, status, results in zip(self.records, statuses,
                                                   self.members.evaluate(self, model, test)):
                    if status == "ok":
                        record.update(results)
        return statuses

    def execute(self, model=None, callbacks=(), initial_epoch: int = 0) -> list[tuple]:
        """Runs the steps not run yet; one `(status, record, error)` per member.

        Args:
            model: The model of an earlier `build` call, or None to build it.
            callbacks, initial_epoch: As for `fit`.

        Returns:
            `[(status, record, error)]` in the order of the seeds; a failure
            fails every member, with the error message.

        Raises:
            Unsupported: from `build`, for the caller to fall back.
        """
        try:
            if model is None:
                model = self.build()
            statuses, error = self.fit(model, callbacks, initial_epoch), None
        except Unsupported:
            raise
        except Exception as exc:  # a run never takes its worker down
            statuses, error = ["failed"] * len(self.seeds), format_error(exc)
            for record in self.records:
                record["error_type"] = type(exc).__name__
        wall_time = time.perf_counter() - self.start
        for record in self.records:
            record["wall_time"] = wall_time
        return [(status, record, error) for status, record in zip(statuses, self.records)]

    def _build_optimizer(self, model) -> None:
        """Creates the optimizer's variables now, as Keras does under a distribution strategy.

        Without one, Keras builds the optimizer inside the first trace of the
        train function; a `tf.function` that creates variables is traced a
        second time, so every run traced its training step twice (0.2-0.7 s
        of its first epoch). The variables are the same zeros either way, so
        the run computes the same numbers (tests/benchmarks/test_trace_once.py).
        Generative models keep Keras's way: their optimizers train parts.
        """
        from zoo.models.generative import is_generative

        optimizer = getattr(model, "optimizer", None)
        if optimizer is None or optimizer.built or is_generative(self.cfg["model"]):
            return
        with self.context["strategy"].scope():
            optimizer.build(model.trainable_variables)

    def _callbacks(self) -> dict:
        """Named callbacks in the order they run (the timer first, dead units last)."""
        from benchmarks.run import diagnostics as diag
        from benchmarks.run.inputs import probe_batch

        ctx, stacked = self.context, self.members.stacked
        x_probe, y_probe = probe_batch(ctx["ds"], 256, ctx["label_map"])
        cbs = {"timer": diag.EpochTimer(), "lr": diag.LearningRateLog(),
               "grads": diag.GradientNorms(x_probe, y_probe,
                                           self.members.probe_loss(ctx["loss"]), stacked,
                                           fuse_dead_units=True),
               **self.members.callbacks(self)}
        if self.options.get("tensorboard_dir"):
            from benchmarks.run.tensorboard_logs import tensorboard_callbacks

            for i, cb in enumerate(tensorboard_callbacks(self.options["tensorboard_dir"],
                                                         self.cfg, self.seeds[0],
                                                         self.options.get("run_id"))):
                cbs[f"tensorboard_{i}"] = cb
        cbs["dead"] = diag.DeadUnits(x_probe, stacked, fused=cbs["grads"])  # last: restored
        return cbs

    def _measure(self, history, cbs: dict) -> None:
        """Fills every member's record from the fit's history and callbacks."""
        grads, dead = cbs["grads"], cbs["dead"]
        base = self.records[0]
        shared = {key: base[key] for key in ("host", "versions", "device")}
        base_options = dict(base["options"] or {})
        for i, (record, outcome) in enumerate(zip(self.records,
                                                  self.members.outcomes(self, history, cbs))):
            extra = self.members.member_options(self, i)
            if i or extra:  # one pack: measured once, by prepare
                record.update(shared, options={**base_options, **extra})
            measured = dataclasses.replace(
                outcome, learning_rates=cbs["lr"].member_values(i),
                grad_layers=list(grads.history[i]) or grads.layers,
                grad_norms=grads.history[i], dead=dead.final[i],
                dead_history=dead.history[i], dead_note=dead.note)
            measure(record, measured, cbs["timer"],
                    samples=self.context["n_train"] * len(self.seeds), flops=self.flops[i],
                    pack_flops=sum(self.flops) / len(self.flops),
                    task=self.context["ds"].spec.task, target=self.configs[i]["target"],
                    peak_flops=self.options.get("peak_flops"))
