"""C1: without a non-linear activation a deep network is no better than a linear model.

Runs are labelled "logistic" (the `logistic` model, or an `mlp` of depth 0),
"linear MLP" (activation `linear`) and "non-linear MLP" (any other
activation). The non-linear MLP must beat both beyond seed noise; the linear
MLP must not beat logistic regression beyond noise by more than `MARGIN`
test accuracy (a stack of linear layers is still a linear classifier, so it
can at most match it): a guard, its margin applied by `verdict.tolerate`.
Policy `ALL`.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, label_runs,
                                     summary_table)
from reports.findings.verdict import ALL, tolerate

TITLE = "Without a non-linear activation a deep network is no better than a linear model"
METRIC = "test_accuracy"
MARGIN = 0.02
ORDER = ["logistic", "linear MLP", "non-linear MLP"]


def _label(row: pd.Series):
    model = str(row.get("model", "mlp"))
    depth = pd.to_numeric(pd.Series([row.get("depth")]), errors="coerce").iloc[0]
    if model == "logistic" or (model == "mlp" and depth == 0):
        return "logistic"
    if "mlp" not in model:
        return None
    return "linear MLP" if str(row.get("activation")) == "linear" else "non-linear MLP"


@finding("C1", title=TITLE, policy=ALL, effect=f"{MARGIN} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    groups = label_runs(runs, _label)
    order = [g for g in ORDER if g in set(groups["group"])]
    nl_lin = compare_labels(groups, "non-linear MLP", "linear MLP", METRIC, effect=MARGIN)
    nl_log = compare_labels(groups, "non-linear MLP", "logistic", METRIC, effect=MARGIN)
    log_lin = compare_labels(groups, "logistic", "linear MLP", METRIC, effect=MARGIN)
    summary = (f"Test accuracy: logistic {fmt(log_lin.mean_a)}, linear MLP "
               f"{fmt(log_lin.mean_b)}, non-linear MLP {fmt(nl_lin.mean_a)}. "
               f"{nl_lin.sentence()} {nl_log.sentence()} Linear MLP vs logistic (must not be "
               f"better by more than {MARGIN}): {log_lin.sentence()}")
    table = summary_table(groups, [METRIC, "final_loss"], order)
    figure = bar_figure(groups, METRIC, "C1: test accuracy", order) if order else None
    return Evidence(summary, evidence(table, [nl_lin, nl_log, log_lin]), figure,
                    checks=[nl_lin, nl_log], guards=[tolerate(log_lin, MARGIN)])
