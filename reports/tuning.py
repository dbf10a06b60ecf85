"""The tuning part of a suite's report: for suites whose runs are Keras Tuner trials.

`analyze_tuning(store, name, runs, epochs)` returns a `TuningReport` (or
None when the suite has no `kind == "tune"` runs): the trials with their
objective, the best trial, the objective by trial (with the running best),
each hyperparameter against the objective, and a comparison of the best
tuned configuration with the best grid cell of every benchmark suite in the
store on the same dataset and model.

The objective (`{"name", "direction"}`) comes from the space stored as the
suite's spec (`zoo tune` writes it); a trial's objective value is the best
value of that validation metric over its epochs, as Keras Tuner scores it.
Grid cells are scored the same way, averaged over their seeds. Test metrics
are reported, never used to choose.

Reads the store through `reports.data` only (no TensorFlow, no benchmarks).
This is analysis: `reports.html.tuning_sections` and
`reports.markdown.tuning_sections` render it, and nothing here imports them.

Example:

>>> t = analyze_tuning("runs/zoo.sqlite", "tune_mlp_digits", runs, epochs)
>>> t.best["trial_id"], t.best["objective"]
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from reports import data, plots
from reports.analysis import varying_axes


@dataclasses.dataclass
class TuningReport:
    """What the tuning section shows (see module docstring).

    Args:
        objective: Validation metric the search optimized, e.g. "val_accuracy".
        direction: "max" or "min".
        test_metric: The matching test metric column, e.g. "test_accuracy".
        hyperparameters: Tuned axes (columns of `trials`).
        trials: One row per trial: tuner, trial_id, status, objective, the
            test metric and the hyperparameters, in trial order.
        best: The best trial's row as a dict, or None when no trial finished.
        comparison: Best tuned configuration vs the best grid cell of each
            benchmark suite on the same dataset and model, or None.
        figures: `(title, Figure)` pairs.
    """

    objective: str
    direction: str
    test_metric: str
    hyperparameters: list[str]
    trials: pd.DataFrame
    best: dict | None
    comparison: pd.DataFrame | None
    figures: list[tuple[str, object]]

    @property
    def best_text(self) -> str:
        if not self.best:
            return "no trial finished"
        hps = ", ".join(f"{k}={plots.label(self.best.get(k))}" for k in self.hyperparameters
                        if k in self.best and not _missing(self.best.get(k)))
        test = self.best.get(self.test_metric)
        test_text = "" if _missing(test) else f", {self.test_metric} {test:.4g}"
        return (f"trial {self.best['trial_id']} ({self.best['tuner']}): {self.objective} "
                f"{self.best['objective']:.4g}{test_text}; {hps}")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _spec(store: str, name: str) -> dict:
    suites = data.load_suites(store)
    row = suites[suites["name"] == name]
    return data._loads(row.iloc[0]["spec"]) if len(row) else {}


def run_objective(epochs: pd.DataFrame, metric: str, direction: str) -> pd.Series:
    """Best value of `metric` over each run's epochs (indexed by run_id)."""
    values = epochs[(epochs["metric"] == metric)].dropna(subset=["value"])
    values = values[np.isfinite(values["value"].astype(float))]
    grouped = values.groupby("run_id")["value"]
    return grouped.max() if direction == "max" else grouped.min()


def analyze_tuning(store: str, name: str, runs: pd.DataFrame, epochs: pd.DataFrame
                   ) -> TuningReport | None:
    """Computes the tuning section of suite `name` (None when it has no tuning trials).

    Args:
        store: Path of the SQLite results store.
        name: The suite (space) name.
        runs: `reports.data.load_runs(store, name)`.
        epochs: `reports.data.load_epochs(store, name)`.
    """
    if "kind" not in runs or not (runs["kind"] == "tune").any():
        return None
    spec = _spec(store, name)
    objective = spec.get("objective") or {"name": "val_loss", "direction": "min"}
    metric, direction = objective["name"], objective["direction"]
    test_metric = "test_" + metric.removeprefix("val_")
    space = spec.get("space") or {}
    hps = [h for h in space if h in runs] or varying_axes(runs)
    tune = runs[runs["kind"] == "tune"].copy()
    tune["objective"] = tune["run_id"].map(run_objective(epochs, metric, direction))
    tune.loc[tune["status"] != "ok", "objective"] = np.nan
    tune["_order"] = pd.to_numeric(tune["trial_id"], errors="coerce")
    tune = tune.sort_values(["tuner", "_order", "trial_id"]).reset_index(drop=True)
    extra = [c for c in ("epochs", "initial_epoch") if c in tune and c not in hps
             and tune[c].astype(str).nunique() > 1]
    columns = ["tuner", "trial_id", "status", "objective", test_metric] + hps + extra + [
        "run_id"]
    trials = tune[[c for c in columns if c in tune]]
    finished = trials.dropna(subset=["objective"])
    best = None
    if len(finished):
        pick = finished["objective"].idxmax() if direction == "max" else \
            finished["objective"].idxmin()
        best = trials.loc[pick].to_dict()
    comparison = _compare_with_grid(store, tune, best, metric, direction, test_metric, hps)
    figures = [f for f in (
        ("Objective by trial", objective_by_trial(trials, metric, direction)),
        ("Each hyperparameter against the objective",
         hyperparameter_scatter(trials, hps, metric, space)),
    ) if f[1] is not None]
    return TuningReport(objective=metric, direction=direction, test_metric=test_metric,
                        hyperparameters=hps + extra, trials=trials, best=best,
                        comparison=comparison, figures=figures)


def _compare_with_grid(store, tune, best, metric, direction, test_metric, hps):
    """Best tuned trial vs the best grid cell of each bench suite on the same data/model."""
    if best is None or "dataset" not in tune or "model" not in tune:
        return None
    dataset, model = tune["dataset"].iloc[0], tune["model"].iloc[0]
    everything = data.load_runs(store)
    if "dataset" not in everything or "model" not in everything:
        return None
    bench = everything[(everything["kind"] == "bench") & (everything["dataset"] == dataset)
                       & (everything["model"] == model) & (everything["status"] == "ok")]
    rows = [{"source": "tuned (best trial)", "suite": tune["suite"].iloc[0],
             "configuration": ", ".join(f"{h}={plots.label(best.get(h))}" for h in hps
                                        if not _missing(best.get(h))),
             metric: best["objective"], test_metric: best.get(test_metric), "runs": 1}]
    for suite, runs in bench.groupby("suite"):
        scores = run_objective(data.load_epochs(store, suite), metric, direction)
        runs = runs.assign(objective=runs["run_id"].map(scores)).dropna(subset=["objective"])
        if not len(runs):
            continue
        cells = runs.groupby("cell_id").agg(objective=("objective", "mean"),
                                            test=(test_metric, "mean") if test_metric in runs
                                            else ("objective", "size"),
                                            n=("run_id", "size"))
        top = cells["objective"].idxmax() if direction == "max" else cells["objective"].idxmin()
        cell_runs = runs[runs["cell_id"] == top]
        config = ", ".join(f"{c}={plots.label(cell_runs[c].iloc[0])}"
                           for c in varying_axes(runs))
        rows.append({"source": "best grid cell", "suite": suite,
                     "configuration": config or "the only cell",
                     metric: cells.loc[top, "objective"],
                     test_metric: cells.loc[top, "test"] if test_metric in runs else np.nan,
                     "runs": int(cells.loc[top, "n"])})
    if len(rows) == 1:
        return None
    return pd.DataFrame(rows)


def objective_by_trial(trials: pd.DataFrame, metric: str, direction: str):
    """Objective of each trial in trial order, with the running best, per tuner."""
    finished = trials.dropna(subset=["objective"])
    if not len(finished):
        return None
    fig, (ax,) = plots._figure()
    for tuner, group in trials.groupby("tuner", sort=True):
        x = np.arange(1, len(group) + 1)
        y = group["objective"].to_numpy(dtype=float)
        ax.plot(x, y, "o", alpha=0.7, label=f"{tuner} trials")
        series = pd.Series(y)
        best = series.cummax() if direction == "max" else series.cummin()
        ax.step(x, best.ffill().to_numpy(), where="post", label=f"{tuner} best so far")
        failed = np.isnan(y)
        if failed.any():
            ax.plot(x[failed], np.full(failed.sum(), np.nanmin(y) if np.isfinite(y).any()
                                       else 0), "x", color="#c62828", label="failed")
    ax.set_xlabel("trial (in order)")
    ax.set_ylabel(metric)
    ax.legend(fontsize=8)
    return fig


def hyperparameter_scatter(trials: pd.DataFrame, hps: list[str], metric: str, space: dict):
    """One panel per hyperparameter: its value against the objective."""
    finished = trials.dropna(subset=["objective"])
    hps = [h for h in hps if h in finished and finished[h].notna().any()]
    if not len(finished) or not hps:
        return None
    fig, axes = plots._figure(len(hps))
    for ax, h in zip(axes, hps):
        frame = finished.dropna(subset=[h])
        values = frame[h]
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().all() and values.map(lambda v: not isinstance(v, bool)).all() \
                and (space.get(h, {}).get("kind") in ("int", "float") or numeric.nunique() > 4):
            ax.scatter(numeric, frame["objective"], alpha=0.8)
            if (space.get(h, {}).get("sampling") == "log"
                    or (numeric.min() > 0 and numeric.max() / numeric.min() > 100)):
                ax.set_xscale("log")
        else:
            order = plots.order_values(list(values))
            index = {v: i for i, v in enumerate(order)}
            x = values.map(index).to_numpy(dtype=float)
            jitter = np.linspace(-0.08, 0.08, len(x)) if len(x) > 1 else np.zeros(1)
            ax.scatter(x + jitter, frame["objective"], alpha=0.8)
            ax.set_xticks(range(len(order)), [plots.label(v) for v in order])
        ax.set_xlabel(h)
        ax.set_ylabel(metric)
    return fig
