"""The search driver: a Keras Tuner tuner over a `Space`, every trial in the store.

`run_search(space, store_path, tuner="random")` builds the tuner named by
`--tuner` (RandomSearch, GridSearch, BayesianOptimization or Hyperband; the
oracle and every trial's training seeded with the space's seed, the
objective a `keras_tuner.Objective`), runs it, and returns the trials of the
search as read back from the store.

Records: the tuner's `run_trial` asks the `TrialRecorder` (see
`tuning.hypermodel`) to claim the trial's run in the store (`kind="tune"`,
tuner name, trial id, the hyperparameters in the config) before training and
finishes it with the harness's record after. A trial that fails is recorded
`failed` and raised as `keras_tuner.errors.FailedTrialError`, so the search
goes on.

Resume: Keras Tuner's working directory is
`runs/tuning/<space>/<tuner>-<fingerprint of the space>` (`directory`
replaces `runs/tuning`) and the tuner is created with `overwrite=False`, so
rerunning the same command reloads the oracle and continues; an edited space
gets a new folder, i.e. a new search. A run id depends only on the space
name, tuner, hyperparameters and seed, so a trial retried after a crash finds
its row: a finished one is not trained again (its stored objective is
reported to the oracle), a `running` or `failed` one is redone in place. GridSearch uses
`tuning.grid.ResumableGridSearchOracle` (keras-tuner#1055).

Distributed: with `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and
`KERASTUNER_ORACLE_PORT` set, Keras Tuner runs the oracle in the process whose
tuner id contains "chief" and trials in the others; each worker writes its
own trials to the store (SQLite in WAL mode with `BEGIN IMMEDIATE` and a busy
timeout lets several local processes write; see the README for several machines).

Example:

>>> from tuning.space import load_space
>>> space = load_space("mlp_digits", overrides=["epochs=1"])
>>> trials = run_search(space, "runs/zoo.sqlite", tuner="random", max_trials=3)
>>> len(trials)
3
"""

from __future__ import annotations

import hashlib
import json
import os

import keras_tuner

from benchmarks.store import Store
from tuning.grid import ResumableGridSearchOracle
from tuning.hypermodel import SpaceHyperModel, TrialRecorder
from tuning.space import Space, SpaceError

TUNERS = ("random", "grid", "bayesian", "hyperband")
DEFAULT_DIRECTORY = os.path.join("runs", "tuning")
DEFAULT_MAX_TRIALS = 10
HYPERBAND_FACTOR = 3


class TrialLines:
    """Writes one line per finished trial to `self.report` (a text stream, or None).

    `zoo tune` sends Keras Tuner's own banners to its log and these lines to
    the terminal (`benchmarks.matrix.logs.redirected`).
    """

    report = None

    def on_trial_end(self, trial):
        super().on_trial_end(trial)
        if self.report is None:
            return
        trial = self.oracle.get_trial(trial.trial_id)
        score = "-" if trial.score is None else f"{trial.score:.4f}"
        print(f"zoo tune: trial {trial.trial_id} {str(trial.status).lower()} "
              f"{self.oracle.objective.name}={score} "
              f"{json.dumps(trial.hyperparameters.values, default=str)}", file=self.report,
              flush=True)


class SpaceTuner(TrialLines, TrialRecorder, keras_tuner.Tuner):
    """A `keras_tuner.Tuner` (random, grid, bayesian oracles) recording trials in the store."""


class SpaceHyperband(TrialLines, TrialRecorder, keras_tuner.Hyperband):
    """`keras_tuner.Hyperband` recording trials in the store."""


def working_directory(space: Space, tuner: str, directory: str | None = None) -> str:
    """Keras Tuner's project folder: `<directory or runs/tuning>/<space name>/<tuner>-<fp>`.

    `<fp>` is `space_fingerprint(space)`: editing the space (or `--set`) starts
    a new search in a new folder instead of resuming one that searched
    something else; the same space always resumes.
    """
    return os.path.join(directory or DEFAULT_DIRECTORY, space.name,
                        f"{tuner}-{space_fingerprint(space)}")


def space_fingerprint(space: Space) -> str:
    """8 hex characters identifying what a space searches (not where its file is)."""
    from benchmarks.store.identity import canonical_json

    spec = {k: v for k, v in space.to_spec().items() if k not in ("path", "description")}
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()[:8]


def oracle_seed(seed: int) -> int:
    """The oracle's seed for a space's seed: Keras Tuner draws a random seed for 0.

    Keras Tuner 1.4.8 does `seed or random.randint(...)`, so seed 0 would make
    the search irreproducible; the oracle gets `seed + 1` instead (training
    still uses the space's seed).
    """
    return seed + 1 if seed >= 0 else seed


def check_tuner(space: Space, tuner: str, max_trials: int | None = None) -> None:
    """Checks the tuner settings before anything is written or trained.

    Raises:
        SpaceError: for an unknown tuner, a bad `max_trials`, or Hyperband
            with `epochs` in `[space]`.
    """
    from zoo.registry import did_you_mean

    if tuner not in TUNERS:
        raise SpaceError(f"Unknown tuner {tuner!r}.{did_you_mean(tuner, TUNERS)} Expected one of:"
                         f" {', '.join(TUNERS)}. Received: tuner={tuner!r}")
    if max_trials is not None and (not isinstance(max_trials, int) or max_trials < 1):
        raise SpaceError(f"--max-trials must be a positive integer. Received: "
                         f"max_trials={max_trials!r}")
    if tuner == "hyperband" and "epochs" in space.axes:
        raise SpaceError(f"{space.path}: [space] epochs: Hyperband chooses the epochs of "
                         f"each trial itself (up to the space's epochs). Remove epochs from "
                         f"[space] or pin it with --set epochs=N. Received: tuner='hyperband'")


def make_tuner(space: Space, hypermodel: SpaceHyperModel, tuner: str = "random",
               max_trials: int | None = None, directory: str | None = None,
               overwrite: bool = False):
    """Builds the Keras Tuner tuner for a space.

    Args:
        space: The validated `Space`.
        hypermodel: Its `SpaceHyperModel` (which holds the store).
        tuner: One of `TUNERS`. Defaults to "random".
        max_trials: Trials to run at most. Defaults to the whole grid for
            "grid" and 10 for "random" / "bayesian"; Hyperband sizes itself
            from the epochs (its `max_trials` is ignored).
        directory: Root of Keras Tuner's working folders. Defaults to
            `runs/tuning`.
        overwrite: Start over instead of resuming. Defaults to False.

    Returns:
        A `keras_tuner.Tuner`.

    Raises:
        SpaceError: for an unknown tuner, a bad `max_trials`, or Hyperband
            with `epochs` in `[space]`.
    """
    check_tuner(space, tuner, max_trials)
    objective = keras_tuner.Objective(space.objective["name"], space.objective["direction"])
    common = dict(objective=objective, seed=oracle_seed(space.seed), max_retries_per_trial=0,
                  # a failed trial is a result; stop only when nothing can train at all
                  max_consecutive_failed_trials=max(3, max_trials or DEFAULT_MAX_TRIALS))
    folder = working_directory(space, tuner, directory)
    where = dict(directory=os.path.dirname(folder), project_name=os.path.basename(folder),
                 overwrite=overwrite)
    if tuner == "hyperband":
        return SpaceHyperband(hypermodel, max_epochs=int(space.suite.epochs),
                              factor=HYPERBAND_FACTOR, hyperband_iterations=1, **common, **where)
    if tuner == "grid":
        oracle = ResumableGridSearchOracle(max_trials=max_trials, **common)
    elif tuner == "bayesian":
        oracle = keras_tuner.oracles.BayesianOptimizationOracle(
            max_trials=max_trials or DEFAULT_MAX_TRIALS, **common)
    else:
        oracle = keras_tuner.oracles.RandomSearchOracle(
            max_trials=max_trials or DEFAULT_MAX_TRIALS, **common)
    return SpaceTuner(oracle=oracle, hypermodel=hypermodel, **where)


def run_search(space: Space, store_path: str, tuner: str = "random",
               max_trials: int | None = None, directory: str | None = None,
               overwrite: bool = False, options: dict | None = None,
               verbose: int = 1, report=None) -> list[dict]:
    """Runs (or resumes) a search and returns its trials from the store.

    Args:
        space: The validated `Space`.
        store_path: SQLite store file.
        tuner: One of `TUNERS`. Defaults to "random".
        max_trials: See `make_tuner`.
        directory: See `make_tuner`.
        overwrite: Start the Keras Tuner project over. Defaults to False.
        options: Execution options passed to the harness (e.g.
            `{"tensorboard_dir": ...}`).
        verbose: Keras Tuner's display verbosity. Defaults to 1.
        report: A text stream that gets one line per finished trial
            (`TrialLines`), or None. Defaults to None.

    Returns:
        The store rows (dicts) of this space's trials with this tuner,
        ordered by trial id.
    """
    check_tuner(space, tuner, max_trials)
    with Store(store_path) as store:
        store.put_suite(space.name, description=space.description, source=space.source,
                        spec=space.to_spec())
        hypermodel = SpaceHyperModel(space, store, tuner=tuner, options=options)
        search = make_tuner(space, hypermodel, tuner, max_trials, directory, overwrite)
        search.report = report
        search.search(verbose=verbose)
        return trials(store, space, tuner)


def trials(store: Store, space: Space, tuner: str) -> list[dict]:
    """The store rows of a space's trials with one tuner, ordered by trial id."""
    rows = [r for r in store.runs(space.name, kind="tune") if r["tuner"] == tuner]
    def order(row):  # Keras Tuner pads ids to the width of max_trials: "7" < "0010"
        trial = str(row["trial_id"])
        return (int(trial) if trial.isdigit() else float("inf"), trial, row["run_id"])

    return sorted(rows, key=order)
