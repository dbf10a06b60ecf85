"""C16: starting from weights trained on a related task reaches a target with fewer
labels (accuracy at an equal label budget).

For each label budget (`train_samples`), the pre-trained then fine-tuned runs
are compared with the from-scratch runs on test accuracy over every seed; the
comparisons are combined with policy `MOST` (`reports.findings.verdict`:
supported when at least one budget favours transfer beyond seed noise, none
contradicts it, and those favouring it are at least as many as those within
noise).
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, is_off,
                                     label_runs, summary_table)
from reports.findings.verdict import MOST, tally

TITLE = "Transfer learning beats training from scratch at an equal label budget"
SCRATCH, TRANSFER = "from scratch", "pre-trained"
EFFECT = 0.02


def _label(row: pd.Series) -> str:
    kind = SCRATCH if is_off(row["pretrain"]) else TRANSFER
    budget = row.get("train_samples")
    return f"{kind}, {fmt(budget)} labels" if pd.notna(budget) else f"{kind}, all labels"


@finding("C16", title=TITLE, policy=MOST, effect=f"{EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "pretrain" not in runs:
        return Evidence("Needs runs with a pretrain axis.")
    groups = label_runs(runs, _label)
    budgets = sorted({g.split(", ", 1)[1] for g in groups["group"]},
                     key=lambda b: float(b.split()[0]) if b[0].isdigit() else float("inf"))
    checks = [compare_labels(groups, f"{TRANSFER}, {b}", f"{SCRATCH}, {b}", "test_accuracy",
                             effect=EFFECT)
              for b in budgets]
    head = tally(checks, "label budgets")
    order = [f"{k}, {b}" for b in budgets for k in (SCRATCH, TRANSFER)
             if f"{k}, {b}" in set(groups["group"])]
    table = summary_table(groups, ["test_accuracy"], order)
    summary = ("Test accuracy on the target classes, pre-trained vs from scratch: " + "; ".join(
        f"{b}: {fmt(c.mean_a)} vs {fmt(c.mean_b)} ({c.outcome})" for b, c in zip(budgets, checks))
        + f". {head}")
    figure = bar_figure(groups, "test_accuracy", "C16: transfer vs scratch", order) if order \
        else None
    return Evidence(summary, evidence(table, checks), figure, checks=checks)
