"""C12: for classification, cross-entropy trains faster than mean squared error.

Epochs to the suite's validation-accuracy target decide (a run that never
reached it counts as `epochs + 1`); the two losses have different scales, so
their values are never compared, only accuracy (shown beside). Policy `ALL`.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (compare_labels, curves_figure, evidence, fmt, is_off,
                                     label_runs, summary_table, target_comparison, target_value)
from reports.findings.verdict import ALL

TITLE = "For classification, cross-entropy trains faster than mean squared error"
CE, MSE = "cross-entropy", "mse"


def _label(row: pd.Series):
    loss = row.get("loss")
    name = "" if is_off(loss) else str(loss).lower()
    if not name or "crossentropy" in name or "cross_entropy" in name:
        return CE
    return MSE if name in ("mse", "mean_squared_error") else None


@finding("C12", title=TITLE, policy=ALL, effect="1 epoch to the target")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty:
        return Evidence("No runs.")
    groups = label_runs(runs, _label)
    speed = target_comparison(groups, CE, MSE)
    acc = compare_labels(groups, CE, MSE, "test_accuracy", effect=0.02)
    order = [g for g in (CE, MSE) if g in set(groups["group"])]
    table = summary_table(groups, ["target_epoch", "test_accuracy"], order)
    summary = (f"Epochs to validation accuracy {fmt(target_value(runs))} (never = epochs + 1): "
               f"cross-entropy {fmt(speed.mean_a)} vs MSE {fmt(speed.mean_b)}. "
               f"{speed.sentence('epochs')} Test accuracy {fmt(acc.mean_a)} vs "
               f"{fmt(acc.mean_b)}.")
    figure = curves_figure(epochs, groups, "val_accuracy", "C12: validation accuracy",
                           target_value(runs))
    return Evidence(summary, evidence(table, [speed], [acc]), figure, checks=[speed])
