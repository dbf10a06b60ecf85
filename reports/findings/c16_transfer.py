"""C16: starting from weights trained on a related task reaches a target with fewer
labels (accuracy at an equal label budget)."""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Finding, finding
from reports.findings.groups import (INCONCLUSIVE, bar_figure, compare_labels, decide_all,
                                     evidence, fmt, is_off, label_runs, summary_table)

TITLE = "Transfer learning beats training from scratch at an equal label budget"
SCRATCH, TRANSFER = "from scratch", "pre-trained"


@finding("C16", title=TITLE)
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Finding:
    """Pre-trained then fine-tuned vs from scratch, test accuracy on the target
    classes with the same labelled examples, beyond seed noise."""
    if runs.empty or "pretrain" not in runs:
        return Finding("C16", TITLE, INCONCLUSIVE, "Needs runs with a pretrain axis.")
    groups = label_runs(runs, lambda r: SCRATCH if is_off(r["pretrain"]) else TRANSFER)
    c = compare_labels(groups, TRANSFER, SCRATCH, "test_accuracy")
    order = [g for g in (SCRATCH, TRANSFER) if g in set(groups["group"])]
    budget = (pd.to_numeric(runs["train_samples"], errors="coerce").dropna().unique()
              if "train_samples" in runs else [])
    table = summary_table(groups, ["test_accuracy", "target_epoch"], order)
    result = decide_all([c])
    summary = (f"Label budget {', '.join(fmt(b) for b in budget) or 'all'}: test accuracy "
               f"{fmt(c.mean_a)} pre-trained vs {fmt(c.mean_b)} from scratch. {c.sentence()}")
    figure = bar_figure(groups, "test_accuracy", "C16: transfer vs scratch", order) if order \
        else None
    return Finding("C16", TITLE, result, summary, evidence(table, [c]), figure)
