"""C14: convolutional and recurrent networks beat an MLP on signals whose patterns
shift in position (MNIST-1D).

CNN vs MLP and RNN (GRU) vs MLP test accuracy, each beyond noise (policy
`ALL`); MLP vs logistic regression is shown beside.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, label_runs,
                                     summary_table)
from reports.findings.verdict import ALL

TITLE = "Convolutional and recurrent networks beat an MLP on shifted 1-D signals"
METRIC = "test_accuracy"
EFFECT = 0.02
FAMILIES = (("cnn", "CNN"), ("conv", "CNN"), ("gru", "RNN"), ("lstm", "RNN"), ("rnn", "RNN"),
            ("mlp", "MLP"), ("logistic", "logistic"))
ORDER = ["logistic", "MLP", "CNN", "RNN"]


def _family(row: pd.Series):
    name = str(row.get("model", "")).lower()
    return next((fam for key, fam in FAMILIES if key in name), None)


@finding("C14", title=TITLE, policy=ALL, effect=f"{EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    groups = label_runs(runs, _family) if not runs.empty else runs.assign(group=[])
    order = [g for g in ORDER if g in set(groups.get("group", []))]
    cnn = compare_labels(groups, "CNN", "MLP", METRIC, effect=EFFECT)
    rnn = compare_labels(groups, "RNN", "MLP", METRIC, effect=EFFECT)
    mlp = compare_labels(groups, "MLP", "logistic", METRIC, effect=EFFECT)
    table = summary_table(groups, [METRIC], order)
    ranking = table.sort_values(f"{METRIC}_mean", ascending=False) if not table.empty else table
    summary = ("Test accuracy ordering: " + " > ".join(
        f"{r['group']} {fmt(r[f'{METRIC}_mean'])}" for _, r in ranking.iterrows())
        + f". {cnn.sentence()} {rnn.sentence()}")
    figure = bar_figure(groups, METRIC, "C14: MNIST-1D test accuracy", order) if order else None
    return Evidence(summary, evidence(table, [cnn, rnn], [mlp]), figure, checks=[cnn, rnn])
