"""C3: ReLU units can die; leaky ReLU / ELU keep units alive.

A unit is dead when its activation's gradient is zero for every input of a
probe set. A leaky_relu or elu unit always has a non-zero gradient, so it is
never dead *by construction* (the harness records 0.0 for them): their dead
fraction says nothing. What can be compared is, at the high learning rate that
makes ReLU units die, the outcome (test accuracy) of leaky ReLU / ELU vs ReLU
(a diverged run has NaN weights: its test accuracy counts as 0). The claim is
supported when the ReLU dead fraction at the highest rate is above the
lowest rate's beyond seed noise and at least `MIN_DEAD` (`verdict.at_least`:
a real but smaller increase is not dying), and no alternative activation does
worse than ReLU there beyond noise (guards; having an alternative is a
premise). Policy `ALL`.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, label_runs,
                                     new_figure, summary_table)
from reports.findings.verdict import ALL, at_least, fact

TITLE = "ReLU units can die; leaky ReLU / ELU keep units alive"
MIN_DEAD = 0.05
ACCURACY_EFFECT = 0.02
ALIVE_BY_CONSTRUCTION = ("leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus")


@finding("C3", title=TITLE, policy=ALL,
         effect=f"{MIN_DEAD} dead-unit fraction; {ACCURACY_EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "learning_rate" not in runs or "activation" not in runs:
        return Evidence("Needs runs with learning_rate and activation axes.")
    lrs = sorted(pd.to_numeric(runs["learning_rate"], errors="coerce").dropna().unique())
    if len(lrs) < 2:
        return Evidence("Needs at least two learning rates.")
    low, high = lrs[0], lrs[-1]

    def label(row):
        lr = float(row["learning_rate"])
        tag = "high lr" if lr == high else ("low lr" if lr == low else None)
        return None if tag is None else f"{row['activation']} @ {tag}"

    groups = label_runs(runs, label)
    if "status" in groups and "test_accuracy" in groups:
        # A run that diverged ended with NaN weights and no usable predictions: its
        # test accuracy counts as 0.
        acc = pd.to_numeric(groups["test_accuracy"], errors="coerce")
        groups = groups.assign(test_accuracy=acc.where(
            ~((groups["status"] == "diverged") & acc.isna()), 0.0))
    present = list(dict.fromkeys(groups["group"]))
    relu_hi, relu_lo = "relu @ high lr", "relu @ low lr"
    dying = compare_labels(groups, relu_hi, relu_lo, "dead_fraction", higher=True,
                           effect=MIN_DEAD)
    alts = sorted({a for a in runs["activation"].astype(str) if a in ALIVE_BY_CONSTRUCTION})
    guards = [compare_labels(groups, f"{alt} @ high lr", relu_hi, "test_accuracy",
                             effect=ACCURACY_EFFECT)
              for alt in alts]
    has_alternative = fact(bool(alts), "The runs have an activation other than ReLU.")
    summary = (f"ReLU dead-unit fraction {fmt(dying.mean_a)} at lr={fmt(high)} vs "
               f"{fmt(dying.mean_b)} at lr={fmt(low)} ({dying.outcome}; dying counts when it "
               f"is >= {MIN_DEAD} and beyond seed noise). Leaky ReLU / ELU units are never dead "
               f"by construction (their gradient is never zero), so they are compared with "
               f"ReLU on test accuracy at lr={fmt(high)}: "
               + " ".join(c.sentence() for c in guards) + _diverged(groups))
    table = summary_table(groups, ["dead_fraction", "test_accuracy", "final_val_loss"], present)
    figure = None
    if present:
        fig, axes = new_figure(2, 10, 3.4)
        bar_figure(groups, "dead_fraction", "C3: dead-unit fraction (0 by construction for "
                   "leaky/elu)", present, ax=axes[0])
        bar_figure(groups, "test_accuracy", "C3: test accuracy", present, ax=axes[1])
        figure = fig
    return Evidence(summary, evidence(table, [dying] + guards), figure,
                    checks=[at_least(dying, MIN_DEAD)], guards=guards,
                    premises=[has_alternative])


def _diverged(groups: pd.DataFrame) -> str:
    if "status" not in groups:
        return ""
    counts = groups[groups["status"] == "diverged"].groupby("group").size()
    return (" Diverged runs (test accuracy 0): " + ", ".join(
        f"{g}: {n}" for g, n in counts.items()) + ".") if len(counts) else ""
