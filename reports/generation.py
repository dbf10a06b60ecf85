"""The generation section of a report: sample grids, the quality table, the comparison.

For a suite of generative runs (records with a `generation` field, written
by `benchmarks.run.generation`), `analyze_generation` computes, per cell
(statistics over seeds):

- how it trained: runs, `ok`, `diverged`, `collapsed` (samples covering
  fewer than half the classes), and `stable` = ok and not collapsed; a cell
  trains stably when every seed is stable;
- the sample quality: Fréchet distance on the quality classifier's features
  (an FID with our own feature extractor, lower is better) as mean ± 95% CI,
  class coverage, classifier confidence, and the VAE's test ELBO;
- the comparison: the cell with the lowest mean Fréchet distance against
  every other cell by the one rule of `reports.stats.compare` (Welch p <
  0.05 and non-overlapping 95% intervals), so a sentence says whether it
  beats seed noise;
- a grid of seed 0's first samples per cell (`reports.plots.sample_grid`).

Like `reports.analysis`, it computes; `reports.html` / `reports.markdown`
only render `GenerationReport`.

Example:

>>> g = analyze_generation("runs/zoo.sqlite", "gan_optimizers", runs, ["optimizer"])
>>> g.sentences[0]
'stable: adam(beta_1=0.5), rmsprop; not stable: ...'
"""

from __future__ import annotations

import dataclasses
import json
import warnings

import numpy as np
import pandas as pd

from reports import data, plots, stats

FRECHET = "test_frechet_distance"
COLUMNS = {"test_coverage": "coverage", "test_confidence": "confidence",
           "test_elbo": "test ELBO"}


@dataclasses.dataclass
class GenerationReport:
    """Per-cell sample quality and stability, the comparison sentences, the sample grids.

    Attributes:
        table: One row per cell: the cell's label and axes, run counts
            (`runs, ok, diverged, collapsed, stable`), `frechet (mean ± 95% CI)`,
            `frechet_mean`, and the means of coverage, confidence, test ELBO.
        sentences: The computed verdicts: which cells train stably, and the
            best cell on the Fréchet distance against each other cell.
        grids: `(cell label, figure)` of seed 0's samples per cell.
        curves: The validation Fréchet distance per epoch (mean ± std over
            seeds, one line per cell), or None when the runs did not record it.
    """

    table: pd.DataFrame
    sentences: list[str]
    grids: list[tuple[str, object]]
    curves: object | None = None


def cell_label(values: dict) -> str:
    """A cell's axis values as text; an optimizer table reads `adam(beta_1=0.5)`.

    Example:

    >>> cell_label({"optimizer": '{"beta_1": 0.5, "name": "adam"}'})
    'adam(beta_1=0.5)'
    >>> cell_label({"latent_size": 8})
    'latent_size=8'
    """
    parts = []
    for axis, value in values.items():
        text = plots.label(value)
        try:
            table = json.loads(value) if isinstance(value, str) else None
        except ValueError:
            table = None
        if isinstance(table, dict) and "name" in table:
            args = ", ".join(f"{k}={plots.label(v)}" for k, v in table.items() if k != "name")
            text = f"{table['name']}({args})"
        named = len(values) == 1 and isinstance(value, str)  # "rmsprop", not "latent_size=8"
        parts.append(text if named else f"{axis}={text}")
    return ", ".join(parts) or "all runs"


def load_samples(store, suite: str) -> pd.DataFrame:
    """One row per run with generated samples: `run_id, seed, samples, sample_shape`."""
    def rows_of(record):
        generation = record.get("generation") or {}
        if generation.get("samples"):
            yield {"samples": generation["samples"], "sample_shape": generation["sample_shape"]}

    rows, _ = data._long(store, suite, rows_of)  # the store's runs, as the other loaders read them
    return pd.DataFrame(rows, columns=["run_id", "seed", "samples", "sample_shape"])


def _mean(group: pd.DataFrame, column: str) -> float:
    return stats.summarize(group[column])["mean"] if column in group else np.nan


def _cell_row(label: str, key: dict, group: pd.DataFrame) -> dict:
    status = group["status"]
    collapsed = ((group["test_collapsed"] == 1) if "test_collapsed" in group
                 else pd.Series(False, index=group.index))
    ok = status == "ok"
    fid = stats.summarize(group[FRECHET]) if FRECHET in group else stats.summarize([])
    text = "" if not np.isfinite(fid["mean"]) else f"{fid['mean']:.4g}" + (
        f" ± {fid['ci']:.2g}" if np.isfinite(fid["ci"]) else "")
    row = {"cell": label, **key, "runs": len(group), "ok": int(ok.sum()),
           "diverged": int((status == "diverged").sum()),
           "collapsed": int((ok & collapsed).sum()), "stable": int((ok & ~collapsed).sum()),
           "frechet (mean ± 95% CI)": text, "frechet_mean": fid["mean"], "n": fid["n"]}
    row.update({name: _mean(group, column) for column, name in COLUMNS.items()
                if column in group and group[column].notna().any()})
    return row


def _sentences(table: pd.DataFrame, values: dict) -> list[str]:
    stable = table.loc[table["stable"] == table["runs"], "cell"].tolist()
    unstable = [f"{r.cell} ({r.stable} of {r.runs} seeds stable: {r.diverged} diverged, "
                f"{r.collapsed} collapsed)" for r in table.itertuples()
                if r.stable != r.runs]
    out = [f"Trains stably (every seed ok and not collapsed): {', '.join(stable) or 'none'}"
           + (f"; not stably: {'; '.join(unstable)}." if unstable else ".")]
    ranked = table[table["n"] > 0].sort_values("frechet_mean")
    if len(ranked) >= 2:
        best = ranked.iloc[0]["cell"]
        for other in ranked["cell"].iloc[1:]:
            c = stats.compare(values[best], values[other], "Fréchet distance", (best, other),
                              higher=False)
            out.append(c.sentence())
    return out


def analyze_generation(store, suite: str, runs: pd.DataFrame, axes: list[str],
                       epochs: pd.DataFrame | None = None) -> GenerationReport | None:
    """The generation section of a suite's report, or None when no run scored samples.

    Args:
        store: The store path(s) the runs came from (for the samples).
        suite: The suite's name.
        runs: `reports.data.load_runs` rows of the suite.
        axes: The suite's varying axes (one cell per combination).
        epochs: `reports.data.load_epochs` rows, for the per-epoch validation
            Fréchet distance (`curves`). Defaults to None.

    Returns:
        A `GenerationReport`, or None for a suite without generative runs.
    """
    if FRECHET not in runs or not runs[FRECHET].notna().any():
        return None
    by = axes or ["cell_id"]
    rows, values, labels = [], {}, {}
    for key, group in runs.groupby(by, dropna=False, sort=False):
        key = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        label = cell_label(key) if axes else "all runs"
        rows.append(_cell_row(label, key if axes else {}, group))
        values[label] = group[FRECHET]
        labels.update({run_id: label for run_id in group["run_id"]})
    table = pd.DataFrame(rows).sort_values("frechet_mean", na_position="last")
    grids = []
    samples = load_samples(store, suite)
    seed0 = samples[samples["run_id"].isin(labels)].sort_values("seed")
    for label in table["cell"]:
        mine = seed0[seed0["run_id"].map(labels) == label]
        if len(mine):
            first = mine.iloc[0]
            grids.append((f"{label} (seed {first['seed']})",
                          plots.sample_grid(first["samples"], first["sample_shape"])))
    curves = None
    if epochs is not None and (epochs["metric"] == "val_frechet_distance").any():
        try:
            curves = plots.learning_curves(epochs, axes or "suite", "val_frechet_distance")
        except Exception as e:  # noqa: BLE001 - a plot must not stop the report
            warnings.warn(f"the validation Fréchet distance curves could not be drawn: "
                          f"{type(e).__name__}: {e}", stacklevel=2)
    return GenerationReport(table=table.reset_index(drop=True),
                            sentences=_sentences(table, values), grids=grids, curves=curves)
