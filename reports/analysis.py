"""Everything one suite's report shows, computed once and rendered many ways.

`analyze_suite(store, name)` reads the suite's runs and returns a
`SuiteReport`: the varying axes, the status counts, per-cell statistics over
seeds, a per-axis comparison with a "best vs runner-up" sentence for each
axis, the best configuration (chosen on validation, reported on test), an
optional two-axis pivot, figures, the suite's finding and, for runs on
several Keras backends, the backend comparison (`reports.backends`). `reports.html` and
`reports.markdown` only render it; nothing there re-computes a number.
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd

from reports import data, plots, stats
from reports.backends import compare_backends
from reports.findings import FINDINGS, LOAD_ERRORS, Finding, evaluate
from reports.findings.c07_regularizers import regularization

REGULARIZATION_AXES = ("regularizer", "dropout", "early_stopping", "weight_decay")


@dataclasses.dataclass
class SuiteReport:
    """One suite's tables, sentences, figures and finding (see module docstring)."""

    name: str
    description: str
    claim: str | None
    runs: pd.DataFrame
    epochs: pd.DataFrame
    axes: list[str]
    metric: str | None
    select: str | None
    status: pd.DataFrame
    cells: pd.DataFrame
    axis_tables: dict[str, pd.DataFrame]
    sentences: dict[str, str]
    best: dict | None
    pivot: pd.DataFrame | None
    figures: list[tuple[str, object]]
    finding: Finding | None
    provenance: pd.DataFrame
    fixed: dict = dataclasses.field(default_factory=dict)
    tuning: object | None = None  # reports.tuning.TuningReport, set for Keras Tuner suites
    generation: object | None = None  # reports.generation.GenerationReport, generative suites
    backends: object | None = None  # reports.backends.BackendComparison, runs on 2+ backends

    @property
    def best_text(self) -> str:
        """E.g. "optimizer=adam, learning_rate=0.01: test_accuracy 0.95 ± 0.01 (3 seeds),
        chosen on best_val_accuracy 0.94"."""
        if not self.best:
            return "no finished run has a validation metric"
        config = ", ".join(f"{k}={plots.label(v)}" for k, v in self.best["config"].items())
        rep, sel = self.best["report"] or {}, self.best["select"]
        out = config
        if rep and rep.get("n"):
            ci = f" ± {rep['ci']:.3g}" if np.isfinite(rep["ci"]) else ""
            out += f": {self.metric} {rep['mean']:.4g}{ci} ({rep['n']} seed{'s' * (rep['n'] > 1)})"
        return out + f", chosen on {self.select} {sel['mean']:.4g}"


def varying_axes(runs: pd.DataFrame) -> list[str]:
    """Config columns with more than one distinct value, in config order."""
    out = []
    for column in data.config_columns(runs):
        values = runs[column].astype(object).where(runs[column].notna(), None)
        if values.map(lambda v: json.dumps(v, default=str)).nunique() > 1:
            out.append(column)
    return out


def primary_axis(axes: list[str]) -> str:
    """The axis a suite is mostly about: the first of `axes` in the axis table's order.

    The table (`zoo.axes`) lists optimizer before activation, ..., before
    learning_rate; an axis it does not know comes last.
    """
    from zoo.axes import report_order

    order = {name: i for i, name in enumerate(report_order())}
    return min(axes, key=lambda a: (order.get(a, len(order)), axes.index(a)))


def _first_present(runs: pd.DataFrame, names) -> str | None:
    return next((n for n in names if n in runs and runs[n].notna().any()), None)


def choose_metrics(runs: pd.DataFrame) -> tuple[str | None, str | None]:
    """(reported test metric, validation metric used to select the best cell)."""
    metric = _first_present(runs, ["test_accuracy", "test_mae", "test_frechet_distance",
                                   "test_loss"]) or next(
        (c for c in runs.columns if c.startswith("test_") and runs[c].notna().any()), None)
    base = metric[len("test_"):] if metric else "loss"
    # Sample quality is scored after every epoch and the last epoch's weights are tested.
    order = ["final", "best"] if base == "frechet_distance" else ["best", "final"]
    select = _first_present(runs, [f"{when}_val_{base}" for when in order]
                            + ["best_val_loss", "final_val_loss"])
    return metric, select


def _axis_values(runs: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """Axis columns as hashable display-safe values (JSON text for dicts stays)."""
    return runs.assign(**{a: runs[a].astype(object).where(runs[a].notna(), None) for a in axes})


def _figures(report_runs: pd.DataFrame, epochs: pd.DataFrame, grads: pd.DataFrame,
             axes: list[str], metric: str | None, tables: dict) -> list[tuple[str, object]]:
    out = []
    curve_metric = next((m for m in ("val_accuracy", "val_loss", "loss")
                         if m in set(epochs["metric"])), None)
    if curve_metric and axes:
        cells = report_runs.groupby(axes, dropna=False).ngroups
        by = axes if cells <= 12 else [primary_axis(axes)]
        out.append(_drawn("Learning curves", plots.learning_curves, epochs, by, curve_metric))
    elif curve_metric:
        out.append(_drawn("Learning curves", plots.learning_curves, epochs, "suite",
                          curve_metric))
    if metric:
        for axis, table in tables.items():
            out.append(_drawn(f"{metric} by {axis}", plots.bars, table, axis, metric))
        if len(axes) >= 2:
            table = stats.pivot(report_runs, axes[0], axes[1], metric)
            out.append(_drawn(f"{metric}: {axes[0]} x {axes[1]}", plots.heatmap, table, metric))
        if "learning_rate" in axes:
            others = [a for a in axes if a != "learning_rate"]
            out.append(_drawn("Learning-rate sensitivity", plots.lr_sensitivity, report_runs,
                              metric, others[0] if others else None))
    by = next((a for a in ("activation", "initializer") if a in axes), None)
    if not grads.empty and by:
        out.append(_drawn(f"Per-layer gradient norms by {by}", plots.grad_norms, grads, by))
    if "batch_size" in axes:
        out.append(_drawn("Throughput and accuracy vs batch size", plots.batch_size_tradeoff,
                          report_runs, metric or "test_accuracy"))
    if any(a in axes for a in REGULARIZATION_AXES):
        labelled = report_runs.assign(regularization=report_runs.apply(regularization, axis=1))
        out.append(_drawn("Generalization gap by regularization", plots.gen_gap, labelled,
                          "regularization"))
    if axes and "target_seconds" in report_runs and report_runs["target_reached"].notna().any():
        method = primary_axis(axes)
        out.append(_drawn(f"Performance profile of {method} (seconds to target)",
                          lambda: plots.performance_profile(suite_profile(report_runs, method),
                                                            f"{method}, seconds to target")))
    return [(title, fig) for title, fig in out if fig is not None]


def _drawn(title: str, draw, *args, **kwargs):
    """`(title, figure)`; a plot that cannot be drawn from these runs becomes a
    note instead of stopping the report."""
    try:
        return title, draw(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - shown on the page
        warnings.warn(f"plot {title!r} could not be drawn: {type(e).__name__}: {e}",
                      stacklevel=2)
        return title, None


def suite_profile(runs: pd.DataFrame, method: str, time: str = "target_seconds"
                  ) -> pd.DataFrame:
    """Performance profile of the values of `method`: a problem is one
    combination of the suite (and dataset, model) with every other varying
    axis and the seed; never reaching the target counts as infinite."""
    keys = [c for c in dict.fromkeys(["suite", "dataset", "model"] + varying_axes(runs))
            if c in runs and c != method] + ["seed"]
    frame = _axis_values(runs, [method] + keys).assign(_time=stats.time_to_target(runs, time))
    frame[keys] = frame[keys].astype(str)
    table = frame.pivot_table(index=keys, columns=method, values="_time", aggfunc="min")
    return stats.performance_profile(table)


def analyze_suite(store: str, name: str, suite_row: dict | None = None) -> SuiteReport:
    """Computes one suite's report from the store.

    Args:
        store: Path of the SQLite results store.
        name: Suite name (must have runs; see `reports.data.check_suite`).
        suite_row: The suite's row from `load_suites` (description, claim).
    """
    row = suite_row or {}
    runs = data.load_runs(store, name)
    epochs = data.load_epochs(store, name)
    grads = data.load_grad_norms(store, name)
    axes = varying_axes(runs)
    runs = _axis_values(runs, axes)
    metric, select = choose_metrics(runs)
    status = (runs["status"].value_counts().rename_axis("status").reset_index(name="runs"))
    cells = pd.DataFrame()
    tables, sentences = {}, {}
    best = None
    pivot = None
    if metric:
        cells = stats.rank(stats.aggregate(runs, axes or ["cell_id"], metric),
                           stats.higher_is_better(metric))
        for axis in axes:
            tables[axis] = stats.compare_axis(runs, axis, metric)
            c = stats.best_vs_runner_up(runs, axis, metric)
            if c is not None:
                sentences[axis] = c.sentence()
        if len(axes) >= 2:
            pivot = stats.pivot(runs, axes[0], axes[1], metric)
    if select:
        best = stats.best_config(runs, axes, select, metric or select)
    claim = row.get("claim") if isinstance(row.get("claim"), str) and row.get("claim") else None
    found = None
    if claim and claim in FINDINGS:
        found = evaluate(claim, runs, epochs)
    elif claim:
        broken = "; ".join(f"{m}: {e}" for m, e in LOAD_ERRORS.items())
        found = Finding(claim, claim, "inconclusive",
                        f"No rule is registered for claim {claim!r}."
                        + (f" Rule modules that failed to import: {broken}." if broken else ""))
    figures = _figures(runs, epochs, grads, axes, metric, tables)
    from reports.generation import analyze_generation

    generation = analyze_generation(store, name, runs, axes, epochs)
    return SuiteReport(name=name, description=row.get("description") or "", claim=claim,
                       runs=runs, epochs=epochs, axes=axes, metric=metric, select=select,
                       status=status, cells=cells, axis_tables=tables, sentences=sentences,
                       best=best, pivot=pivot, figures=figures, finding=found,
                       provenance=data.load_provenance(store, name),
                       fixed=fixed_settings(runs, axes),
                       backends=compare_backends(runs, metric, _workload(axes)),
                       generation=generation)


def _workload(axes: list[str]) -> list[str]:
    """The varying axes other than `backend`; with `model` among them, without the model
    axes, whose values follow from each model's card."""
    from zoo.axes import AXES, MODEL

    return [a for a in axes if a != "backend" and not (
        "model" in axes and a in AXES and AXES[a].kind == MODEL)]


def fixed_settings(runs: pd.DataFrame, axes: list[str]) -> dict:
    """Config values shared by every run (the suite's `[fixed]` part and defaults)."""
    out = {}
    for column in data.config_columns(runs):
        if column not in axes and len(runs):
            value = runs[column].iloc[0]
            out[column] = None if value is None or (isinstance(value, float) and
                                                    np.isnan(value)) else value
    return out
