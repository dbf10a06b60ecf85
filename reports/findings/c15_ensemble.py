"""C15: an ensemble of networks beats its average member.

Each run of the suite keeps its test-set predicted probabilities
(`record_predictions = true`: record keys `test_predictions` / `test_labels`,
`load_runs` columns `predictions` / `prediction_labels`). Per cell, the K
seeds' probabilities are averaged; the ensemble's test accuracy is compared
with the members' accuracies. Seed noise is the spread of the members: the
ensemble beats its average member only when it is above the upper end of the
95% confidence interval of the mean member accuracy, and loses to it only
below the lower end; within +-0.005 of the whole interval it is equivalent
(`stats.compare_to_value`). Each cell is one check; policy `ALL`.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from reports import stats
from reports.findings.base import Evidence, evidence_table, finding
from reports.findings.groups import fmt, new_figure
from reports.findings.verdict import ALL

TITLE = "An ensemble of networks beats its average member"
EFFECT = 0.005


def _array(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        value = json.loads(value)
    return np.asarray(value, dtype=float)


def ensemble_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per cell: members, mean / CI of member accuracy, ensemble accuracy."""
    rows = []
    if runs.empty or "predictions" not in runs:
        return pd.DataFrame(rows)
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    for cell, part in ok.groupby("cell_id", sort=False):
        probs, accs, labels = [], [], None
        for _, r in part.iterrows():
            p, y = _array(r.get("predictions")), _array(r.get("prediction_labels"))
            if p is None or y is None or p.ndim != 2 or len(p) != len(y):
                continue
            if labels is not None and (len(y) != len(labels) or not np.array_equal(y, labels)):
                continue  # a member evaluated on another test set cannot join
            labels = y
            probs.append(p)
            accs.append(float((p.argmax(1) == y).mean()))
        if len(probs) < 2:
            continue
        ens = float((np.mean(probs, axis=0).argmax(1) == labels).mean())
        s = stats.summarize(accs)
        rows.append({"cell_id": cell, "members": len(probs), "member_mean": s["mean"],
                     "member_std": s["std"], "member_ci_low": s["ci_low"],
                     "member_ci_high": s["ci_high"],
                     "member_best": max(accs), "ensemble": ens, "member_accuracies": accs,
                     "gain": ens - s["mean"], "beyond_noise": ens > s["ci_high"]})
    return pd.DataFrame(rows)


@finding("C15", title=TITLE, policy=ALL, effect=f"{EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    table = ensemble_table(runs)
    if table.empty:
        return Evidence("Need at least two members of one cell with recorded test "
                        "predictions (suite option record_predictions = true).", table)
    checks = [stats.compare_to_value(r.ensemble, r.member_accuracies, "test_accuracy",
                                     (f"ensemble of {int(r.members)}", "mean member"),
                                     effect=EFFECT)
              for r in table.itertuples()]
    summary = "; ".join(
        f"ensemble of {int(r.members)}: {fmt(r.ensemble)} test accuracy vs mean member "
        f"{fmt(r.member_mean)} +- {fmt(r.member_std)} (95% CI {fmt(r.member_ci_low)} to "
        f"{fmt(r.member_ci_high)}, best member {fmt(r.member_best)}), gain {fmt(r.gain)}: "
        f"{c.sentence()}" for r, c in zip(table.itertuples(), checks)) + (
        " Members' test predictions are joined only when their labels match in order, and "
        "the ensemble averages their probabilities (not their labels).")
    table = table.drop(columns=["member_accuracies"])
    fig, (ax,) = new_figure(1, 5, 3.2)
    x = np.arange(len(table))
    ax.errorbar(x - 0.1, table["member_mean"], yerr=(table["member_ci_high"]
                                                      - table["member_mean"]).fillna(0),
                fmt="o", capsize=4, label="mean member (95% CI)")
    ax.plot(x + 0.1, table["ensemble"], "r*", ms=12, label="ensemble")
    ax.set_xticks(x)
    ax.set_xticklabels([f"cell {c[:6]}" for c in table["cell_id"]], fontsize=8)
    ax.set_ylabel("test accuracy")
    ax.set_title("C15: ensemble vs its members", fontsize=9)
    ax.legend(fontsize=8)
    return Evidence(summary, pd.concat([table, evidence_table(checks)], ignore_index=True),
                    fig, checks=checks)
