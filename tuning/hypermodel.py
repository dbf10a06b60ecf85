"""The `keras_tuner.HyperModel` of a space, built on the benchmark harness.

`SpaceHyperModel.build(hp)` resolves the trial's config (`Space.config`) and
starts the run lifecycle every benchmark run goes through
(`benchmarks.run.Run`): `Run.build` prepares the data and pipeline, builds
and compiles the registry model with its optimizer, schedule, loss and
metrics. `fit(hp, model, ...)` finishes it with `Run.execute(model, ...)`:
the harness's `model.fit` call and callbacks (diagnostics, early stopping,
divergence, timing) plus Keras Tuner's (objective reporting, best-epoch
checkpoint), measured into the same record as a benchmark run
(`benchmarks.run.record.FIELDS`).
`batch_size` and `epochs` are tuned here, in `fit`, when they are axes of
the space; Hyperband's epoch budget (`epochs`, `initial_epoch`) wins.

`TrialRecorder` is the mixin the tuners of `tuning.search` put in front of a
Keras Tuner tuner: its `run_trial` claims the trial's run in the store,
lets the tuner build and fit, and makes sure the run is finished: `ok` /
`diverged` with the record, or `failed` with the error, raised as
`keras_tuner.errors.FailedTrialError` so the search goes on.
"""

from __future__ import annotations

import traceback

import keras_tuner

from benchmarks.store.identity import cell_id, run_id
from tuning.space import Space


class SpaceHyperModel(keras_tuner.HyperModel):
    """Builds and trains the models of a `Space`'s trials with the harness.

    Args:
        space: The validated `Space`.
        store: An open `benchmarks.store.Store` the trials are written to.
        tuner: The tuner's name ("random", ...), stored with each trial.
        options: Execution options passed to the harness. Defaults to None.

    Example:

    >>> hypermodel = SpaceHyperModel(space, Store("runs/zoo.sqlite"), tuner="random")
    >>> tuner = tuning.search.make_tuner(space, hypermodel, "random", max_trials=3)
    >>> tuner.search()  # trials are recorded by the tuner's `TrialRecorder`
    """

    def __init__(self, space: Space, store, tuner: str, options: dict | None = None):
        super().__init__(name=space.name, tunable=True)
        self.space = space
        self.store = store
        self.tuner = tuner
        self.options = dict(options or {})
        self.trial = None  # {"trial_id", "run_id", "config", "finished"} of the current trial
        self._run = None  # the trial's `benchmarks.run.Run`, between build and fit

    # -- Keras Tuner interface -------------------------------------------------------------

    def declare_hyperparameters(self, hp):
        self.space.declare(hp)

    def build(self, hp):
        """Builds and compiles the model of the trial `hp` describes (`Run.build`)."""
        from benchmarks.run import Run

        self._run = Run(self.trial_config(hp.values), [self.space.seed], self.options)
        return self._run.build()

    def fit(self, hp, model, *args, callbacks=None, epochs=None, initial_epoch=0, **kwargs):
        """Trains `model` through the run lifecycle (`Run.execute`) and records the trial.

        Args:
            hp: The trial's `HyperParameters`.
            model: The model `build` returned (Hyperband may have loaded weights).
            callbacks: Keras Tuner's callbacks, run after the harness's.
            epochs: Hyperband's epoch budget; else the trial's `epochs`.
            initial_epoch: Hyperband's first epoch. Defaults to 0.

        Returns:
            `{metric: value}` at the best epoch of the objective (what the
            oracle scores).

        Raises:
            keras_tuner.errors.FailedTrialError: when the run failed, or
                diverged before any finite objective value.
        """
        run = self._run
        if epochs is not None:
            run.cfg["epochs"] = int(epochs)
        [(status, record, error)] = run.execute(model, callbacks=list(callbacks or []),
                                                initial_epoch=int(initial_epoch or 0))
        self.finish(status, record, error)
        if status == "failed":
            raise keras_tuner.errors.FailedTrialError(error)
        metrics = objective_metrics(record, self.space.objective)
        if metrics is None:
            raise keras_tuner.errors.FailedTrialError(
                f"the run {status} before any finite {self.space.objective['name']}")
        return metrics

    # -- trials and the store ---------------------------------------------------------------

    def trial_config(self, values: dict) -> dict:
        """The resolved config of a trial's hyperparameter values (Hyperband's too)."""
        config = self.space.config(values)
        if "tuner/epochs" in values:
            config["epochs"] = int(values["tuner/epochs"])
            config["initial_epoch"] = int(values.get("tuner/initial_epoch", 0))
        return config

    def identity(self, config: dict) -> str:
        """The run id of a trial: space name, tuner, resolved config and seed."""
        return run_id({**config, "space": self.space.name, "tuner": self.tuner},
                      self.space.seed)

    def begin(self, trial) -> tuple[bool, dict | None]:
        """Claims a trial's run, unless it already finished.

        Returns:
            `(finished_before, objective_metrics_or_None)`.
        """
        config = self.trial_config(trial.hyperparameters.values)
        rid = self.identity(config)
        self.trial = {"trial_id": trial.trial_id, "run_id": rid, "config": config,
                      "finished": False}
        done = []
        if self.store.statuses(self.space.name).get(rid) in ("ok", "diverged"):
            done = [r for r in self.store.runs(self.space.name, kind="tune")
                    if r["run_id"] == rid]
        if done:
            self.trial["finished"] = True
            return True, objective_metrics(done[0]["record"], self.space.objective)
        self.store.claim(rid, self.space.name, cell_id(config), self.space.seed, config,
                         kind="tune", tuner=self.tuner, trial_id=str(trial.trial_id))
        return False, None

    def finish(self, status: str, record: dict | None, error: str | None = None) -> None:
        """Writes the current trial's final status and record (once)."""
        if self.trial is None or self.trial["finished"]:
            return
        self.store.finish(self.trial["run_id"], status, record or {}, error)
        self.trial["finished"] = True


class TrialRecorder:
    """Tuner mixin: each trial is claimed in the store before and finished after it runs.

    Put it before a `keras_tuner.Tuner` subclass; the tuner's hypermodel must
    be a `SpaceHyperModel`.
    """

    def _populate_initial_space(self):
        # The space declares every hyperparameter, conditional ones included, so
        # Keras Tuner need not build models (and load data) to discover them.
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)

    def run_trial(self, trial, *args, **kwargs):
        hypermodel = self.hypermodel
        finished, stored = hypermodel.begin(trial)
        if finished:  # finished before an interruption: do not train again
            if stored is None:
                raise keras_tuner.errors.FailedTrialError(
                    f"run {hypermodel.trial['run_id']} diverged before any finite "
                    f"{hypermodel.space.objective['name']} (kept from an earlier attempt)")
            return stored
        try:
            return super().run_trial(trial, *args, **kwargs)
        except keras_tuner.errors.FailedTrialError as e:
            hypermodel.finish("failed", {}, str(e))
            raise
        except Exception as e:
            message = f"{type(e).__name__}: {e}\n{traceback.format_exc()[-2000:]}"
            hypermodel.finish("failed", {}, message)
            raise keras_tuner.errors.FailedTrialError(message) from e


def objective_metrics(record: dict, objective: dict) -> dict | None:
    """Validation metrics at the objective's best epoch, or None without a finite value.

    Args:
        record: A run record (its `history`).
        objective: `{"name", "direction"}`.

    Returns:
        `{metric: value}` of every `val_*` metric and `loss` at that epoch.
    """
    import math

    history = (record or {}).get("history") or {}
    values = history.get(objective["name"]) or []
    finite = [(v, i) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not finite:
        return None
    best = (max if objective["direction"] == "max" else min)(finite)[1]
    out = {}
    for key, series in history.items():
        if isinstance(series, list) and len(series) > best and series[best] is not None:
            value = float(series[best])
            if math.isfinite(value):
                out[key] = value
    return out
