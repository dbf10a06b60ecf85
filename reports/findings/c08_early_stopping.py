"""C8: early stopping saves epochs and keeps the best weights.

Epochs run must be fewer with early stopping beyond noise (the check); the test
accuracy of the kept weights must not be worse beyond noise (a guard). Policy `ALL`.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, is_off,
                                     label_runs, new_figure, summary_table)
from reports.findings.verdict import ALL

TITLE = "Early stopping saves epochs and keeps the best weights"
ORDER = ["no early stopping", "early stopping"]
EPOCHS_EFFECT, ACCURACY_EFFECT = 5.0, 0.02


@finding("C8", title=TITLE, policy=ALL,
         effect=f"{EPOCHS_EFFECT:g} epochs; {ACCURACY_EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "early_stopping" not in runs:
        return Evidence("Needs runs with an early_stopping axis.")
    groups = label_runs(runs, lambda r: ORDER[0] if is_off(r["early_stopping"]) else ORDER[1])
    saves = compare_labels(groups, ORDER[1], ORDER[0], "epochs_run", higher=False,
                           effect=EPOCHS_EFFECT)
    keeps = compare_labels(groups, ORDER[1], ORDER[0], "test_accuracy",
                           effect=ACCURACY_EFFECT)
    table = summary_table(groups, ["epochs_run", "best_epoch", "test_accuracy"],
                          [g for g in ORDER if g in set(groups["group"])])
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
    return Evidence(summary, evidence(table, [saves, keeps]), figure, checks=[saves],
                    guards=[keeps])
