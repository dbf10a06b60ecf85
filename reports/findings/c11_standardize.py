"""C11: standardizing input features speeds up training.

Standardized vs raw features on two checks: epochs to the target (never reached
= epochs + 1) and final training loss, which tells them apart when both reach
the target as soon. Policy `MOST`: one check beyond noise in favour with the
other within noise supports the claim; the two disagreeing beyond noise is
inconclusive.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (curves_figure, evidence, fmt, is_off, label_runs,
                                     speed_checks, summary_table, target_value)
from reports.findings.verdict import MOST

TITLE = "Standardizing input features speeds up training"
RAW, STD = "raw features", "standardized"


def _label(row: pd.Series):
    pipeline = row.get("pipeline")
    if is_off(pipeline) or str(pipeline) == "identity":
        return RAW
    return STD if "standard" in str(pipeline) else None


@finding("C11", title=TITLE, policy=MOST, effect="1 epoch to the target; 0.05 training loss")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty:
        return Evidence("No runs.")
    groups = label_runs(runs, _label)
    checks = speed_checks(groups, STD, RAW)
    order = [g for g in (RAW, STD) if g in set(groups["group"])]
    table = summary_table(groups, ["target_epoch", "final_loss", "test_accuracy"], order)
    to_target, by_loss = checks
    summary = (f"Epochs to val target {fmt(target_value(runs))} (never = epochs + 1): "
               f"standardized {fmt(to_target.mean_a)} vs raw {fmt(to_target.mean_b)} "
               f"({to_target.outcome}); final training loss {fmt(by_loss.mean_a)} vs "
               f"{fmt(by_loss.mean_b)} ({by_loss.outcome}).")
    figure = curves_figure(epochs, groups, "val_accuracy", "C11: validation accuracy",
                           target_value(runs))
    return Evidence(summary, evidence(table, checks), figure, checks=checks)
