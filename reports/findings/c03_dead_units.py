"""C3: ReLU units can die; leaky ReLU / ELU keep units alive.

A unit is dead when its activation's gradient is zero for every input of a
probe set. A leaky_relu or elu unit always has a non-zero gradient, so it is
never dead *by construction* (the harness records 0.0 for them). The suite
trains every activation at learning rates where each of them trains (a
diverged run would say nothing about dead units: that is a premise, checked
here), and at each rate:

- check: ReLU's dead fraction is above the alternatives' (0) beyond seed
  noise and at least `MIN_DEAD` (`verdict.at_least`: a measurable but
  negligible fraction is not "units die");
- guards: no alternative activation has a test accuracy worse than ReLU's by
  more than `ACCURACY_EFFECT` (keeping units alive must not cost accuracy).

Premises: an alternative activation was run; no run diverged. Policy `ALL`.
The dead fractions of every activation and rate are shown beside.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, label_runs,
                                     new_figure, summary_table)
from reports.findings.verdict import ALL, at_least, fact

TITLE = "ReLU units can die; leaky ReLU / ELU keep units alive"
MIN_DEAD = 0.02
ACCURACY_EFFECT = 0.02
ALIVE_BY_CONSTRUCTION = ("leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus")


@finding("C3", title=TITLE, policy=ALL,
         effect=f"{MIN_DEAD} dead-unit fraction; {ACCURACY_EFFECT} test accuracy")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "learning_rate" not in runs or "activation" not in runs:
        return Evidence("Needs runs with learning_rate and activation axes.")
    lrs = sorted(pd.to_numeric(runs["learning_rate"], errors="coerce").dropna().unique())
    groups = label_runs(runs, lambda r: f"{r['activation']} @ lr {float(r['learning_rate']):g}"
                        if pd.notna(r["learning_rate"]) else None)
    if "status" in groups and "test_accuracy" in groups:
        # A diverged run has NaN weights and no usable predictions: accuracy 0.
        acc = pd.to_numeric(groups["test_accuracy"], errors="coerce")
        groups = groups.assign(test_accuracy=acc.where(
            ~((groups["status"] == "diverged") & acc.isna()), 0.0))
    alts = sorted({a for a in runs["activation"].astype(str) if a in ALIVE_BY_CONSTRUCTION})
    checks, guards = [], []
    for lr in lrs:
        relu = f"relu @ lr {lr:g}"
        alive = [f"{a} @ lr {lr:g}" for a in alts]
        if alive:
            both = groups.assign(group=groups["group"].replace({g: "alternatives" for g in alive}))
            dying = compare_labels(both, relu, "alternatives", "dead_fraction", higher=True,
                                   effect=MIN_DEAD)
            checks.append(at_least(dying, MIN_DEAD))
        guards += [compare_labels(groups, g, relu, "test_accuracy", effect=ACCURACY_EFFECT)
                   for g in alive]
    n_diverged = int((groups.get("status", pd.Series(dtype=str)) == "diverged").sum())
    premises = [fact(bool(alts), "The runs have an activation other than ReLU."),
                fact(n_diverged == 0, "Every run trained (none diverged).")]
    present = list(dict.fromkeys(groups["group"]))
    table = summary_table(groups, ["dead_fraction", "test_accuracy", "final_val_loss"], present)
    summary = ("ReLU dead-unit fraction by learning rate: " + ", ".join(
        f"lr {lr:g}: {fmt(c.mean_a)}" for lr, c in zip(lrs, checks))
        + f" (leaky ReLU / ELU: 0 by construction; a check needs >= {MIN_DEAD} beyond seed "
          f"noise). " + " ".join(c.sentence() for c in checks + guards)
        + (f" {n_diverged} runs diverged, so the rates are not ones where every activation "
           f"trains: the claim is not tested." if n_diverged else " No run diverged."))
    figure = None
    if present:
        fig, axes = new_figure(2, 10, 3.4)
        bar_figure(groups, "dead_fraction", "C3: dead-unit fraction (0 by construction for "
                   "leaky/elu)", present, ax=axes[0])
        bar_figure(groups, "test_accuracy", "C3: test accuracy", present, ax=axes[1])
        figure = fig
    return Evidence(summary, evidence(table, checks + guards), figure, checks=checks,
                    guards=guards, premises=premises)

