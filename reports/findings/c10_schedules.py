"""C10: a decaying learning-rate schedule reaches a better final result than a
constant rate.

The decaying schedule with the best mean test accuracy is compared with the
constant rate (that comparison decides); every other schedule's comparison is
shown beside it. Policy `ALL`.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, is_off,
                                     label_runs, summary_table, values)
from reports.findings.verdict import ALL

TITLE = "A decaying learning-rate schedule beats a constant rate"
METRIC = "test_accuracy"
EFFECT = 0.01


@finding("C10", title=TITLE, policy=ALL, effect=f"{EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "schedule" not in runs:
        return Evidence("Needs runs with a schedule axis.")
    groups = label_runs(runs, lambda r: "constant" if is_off(r["schedule"])
                        else str(r["schedule"]))
    names = list(dict.fromkeys(groups["group"]))
    decaying = [n for n in names if n != "constant"]
    table = summary_table(groups, [METRIC, "test_loss", "final_val_loss"], names)
    if "constant" not in names or not decaying:
        return Evidence(f"Needs a constant and a decaying schedule; got {names}.", table)
    best = max(decaying, key=lambda n: values(groups, n, METRIC).mean()
               if values(groups, n, METRIC).notna().any() else -1.0)
    main = compare_labels(groups, best, "constant", METRIC, effect=EFFECT)
    side = [compare_labels(groups, n, "constant", METRIC, effect=EFFECT)
            for n in decaying if n != best]
    summary = ("Test accuracy: " + ", ".join(
        f"{n} {fmt(values(groups, n, METRIC).mean())}" for n in names)
        + f". Best decaying schedule: {main.sentence()}")
    figure = bar_figure(groups, METRIC, "C10: test accuracy by schedule", names)
    return Evidence(summary, evidence(table, [main], side), figure, checks=[main])
