"""C13: data augmentation reduces overfitting on small image sets.

Caveat, stated in the summary: Keras measures training accuracy on the
augmented batches, so part of a narrower gap can come from harder training
batches; the test accuracy condition guards against a gap that narrows only
because training got worse. Policy `ALL`: the gap is the check, test accuracy
a guard.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, is_off,
                                     label_runs, new_figure, summary_table)
from reports.findings.verdict import ALL, costs

TITLE = "Data augmentation reduces overfitting on small image sets"
PLAIN, AUG = "no augmentation", "augmentation"
EFFECT = 0.02


def _label(row: pd.Series) -> str:
    pipeline = row.get("pipeline")
    return PLAIN if is_off(pipeline) or str(pipeline) == "identity" else AUG


@finding("C13", title=TITLE, policy=ALL,
         effect=f"{EFFECT} generalization gap; {EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    groups = label_runs(runs, _label) if not runs.empty else runs.assign(group=[])
    gap = compare_labels(groups, AUG, PLAIN, "gen_gap", higher=False, effect=EFFECT)
    acc = compare_labels(groups, AUG, PLAIN, "test_accuracy", effect=EFFECT)
    order = [g for g in (PLAIN, AUG) if g in set(groups.get("group", []))]
    table = summary_table(groups, ["gen_gap", "test_accuracy", "best_epoch"], order)
    summary = (f"Generalization gap (train - val accuracy at the best epoch) "
               f"{fmt(gap.mean_a)} with augmentation vs {fmt(gap.mean_b)} without "
               f"({gap.outcome}); test accuracy {fmt(acc.mean_a)} vs {fmt(acc.mean_b)} "
               f"({acc.outcome}). Training accuracy is measured on augmented batches.")
    if costs(acc):
        summary += (" Why the claim fails here: on 8x8 digits a shift of one pixel is 12.5% of "
                    "the image and a rotation or zoom resamples only 64 pixels, blurring the "
                    "strokes, so augmentation narrows the gap by making training harder, not "
                    "by generalizing better. The gains the literature reports (e.g. Simard et "
                    "al. 2003, distortions of 28x28 MNIST) are at sizes the bundled, "
                    "never-downloaded datasets do not include.")
    figure = None
    if order:
        fig, axes = new_figure(2, 8, 3.2)
        bar_figure(groups, "gen_gap", "C13: generalization gap", order, ax=axes[0])
        bar_figure(groups, "test_accuracy", "C13: test accuracy", order, ax=axes[1])
        figure = fig
    return Evidence(summary, evidence(table, [gap, acc]), figure, checks=[gap], guards=[acc])
