"""C8: early stopping saves epochs and keeps the best weights."""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Finding, finding
from reports.findings.groups import (INCONCLUSIVE, bar_figure, compare_labels, decide_all,
                                     evidence, fmt, is_off, label_runs, new_figure, summary_table)

TITLE = "Early stopping saves epochs and keeps the best weights"
ORDER = ["no early stopping", "early stopping"]


@finding("C8", title=TITLE)
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Finding:
    """Epochs run: fewer with early stopping beyond noise (required). Test
    accuracy of the kept (restored best) weights: not worse beyond noise."""
    if runs.empty or "early_stopping" not in runs:
        return Finding("C8", TITLE, INCONCLUSIVE, "Needs runs with an early_stopping axis.")
    groups = label_runs(runs, lambda r: ORDER[0] if is_off(r["early_stopping"]) else ORDER[1])
    saves = compare_labels(groups, ORDER[1], ORDER[0], "epochs_run", higher=False)
    keeps = compare_labels(groups, ORDER[1], ORDER[0], "test_accuracy")
    table = summary_table(groups, ["epochs_run", "best_epoch", "test_accuracy"],
                          [g for g in ORDER if g in set(groups["group"])])
    result = decide_all([saves], [keeps])
    summary = (f"Epochs run: {fmt(saves.mean_a)} with early stopping vs {fmt(saves.mean_b)} "
               f"without ({saves.outcome}); test accuracy of the kept weights "
               f"{fmt(keeps.mean_a)} vs {fmt(keeps.mean_b)}. {keeps.sentence()}")
    figure = None
    if not groups.empty:
        fig, axes = new_figure(2, 8, 3.2)
        order = [g for g in ORDER if g in set(groups["group"])]
        bar_figure(groups, "epochs_run", "C8: epochs run", order, ax=axes[0])
        bar_figure(groups, "test_accuracy", "C8: test accuracy", order, ax=axes[1])
        figure = fig
    return Finding("C8", TITLE, result, summary, evidence(table, [saves, keeps]), figure)
