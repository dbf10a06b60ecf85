"""How a run's members train: `OneModel`, the K = 1 case of the run lifecycle.

`benchmarks.run.lifecycle.Run` builds one model per seed (a member) and asks
its `members` object only what differs between a single run and a pack
(`benchmarks.matrix.packing.PackedMembers`):

- `stacked`: None for a plain model, K when the members are stacked into
  one (the diagnostics then take `members=K`).
- `combine(run, models) -> model`: the model `fit` trains (may raise
  `Unsupported`).
- `datasets(pipelines) -> (train, val, test)`: the fit's datasets from each
  member's `(train, val, test)`.
- `probe_loss(loss)`: the loss the gradient norms differentiate.
- `callbacks(run) -> {name: callback}`: per-member stopping (early
  stopping, divergence), after the shared diagnostics.
- `outcomes(run, history, callbacks) -> [Measured]`: each member's history,
  evaluated epoch, divergence and stopping epoch.
- `evaluate(run, model, test) -> [dict]`: each member's test results,
  merged into its record.
- `member_options(run, i) -> dict`: what member i adds to its record's
  `options`.

Example:

>>> from benchmarks.run.lifecycle import Run
>>> Run({"dataset": "digits", "model": "mlp", "epochs": 2}, [0], members=OneModel()).execute()
"""

from __future__ import annotations

from benchmarks.run.record import Measured


class Unsupported(Exception):
    """The members cannot train together for this config (e.g. a layer packing cannot stack).

    `Run.execute` lets it through, so the caller can fall back (to one run
    per seed); every other exception fails the run.
    """


class OneModel:
    """One seed, one model, trained as built: the members of a single run or a tuning trial."""

    stacked = None

    def combine(self, run, models: list):
        """The one built model."""
        return models[0]

    def datasets(self, pipelines: list) -> tuple:
        """The member's own `(train, val, test)`."""
        return pipelines[0]

    def probe_loss(self, loss):
        """The model's loss."""
        return loss

    def callbacks(self, run) -> dict:
        """Divergence (`TerminateOnNaN`, `DivergenceMonitor`) and early stopping."""
        import keras

        from benchmarks.run.diagnostics import DivergenceMonitor
        from benchmarks.run.steps import early_stopping_args

        cbs = {"nan": keras.callbacks.TerminateOnNaN(), "divergence": DivergenceMonitor()}
        es_args = early_stopping_args(run.cfg["early_stopping"])
        if es_args is not None:
            cbs["early_stopping"] = keras.callbacks.EarlyStopping(**es_args)
        return cbs

    def outcomes(self, run, history, callbacks: dict) -> list[Measured]:
        """The fit's history; the epoch early stopping restored; the first non-finite epoch."""
        from benchmarks.run.diagnostics import is_finite

        hist = getattr(history, "history", None) or {}
        es = callbacks.get("early_stopping")
        evaluated = (es.best_epoch + 1 if es is not None and es.best_weights is not None
                     else None)
        diverged = callbacks["divergence"].diverged_epoch
        if diverged is None:  # TerminateOnNaN may stop before the epoch's logs are complete
            bad = [i for i, v in enumerate(hist.get("loss", [])) if not is_finite(v)]
            diverged = bad[0] + 1 if bad else None
        return [Measured(history=hist, evaluated_epoch=evaluated, diverged_epoch=diverged)]

    def evaluate(self, run, model, test) -> list[dict]:
        """`{"test": metrics}` (and the test predictions when the config records them)."""
        results = {"test": {k: float(v) for k, v in
                            model.evaluate(test, return_dict=True, verbose=0).items()}}
        if run.cfg.get("record_predictions"):  # ensembles (claim C15): benchmarks/run/ensemble.py
            from benchmarks.run.ensemble import test_predictions

            results.update(test_predictions(model, test, run.context["ds"]))
        return [results]

    def member_options(self, run, i: int) -> dict:
        """Nothing: a single run's options are `prepare_run`'s."""
        return {}
