"""C9: too small or too large initial weights make signals vanish or explode;
Glorot / He keep them stable.

Initializers named "glorot_*", "he_*" or "lecun_*" (without a ":scale") are
the standard ones; any other (e.g. "random_normal:0.001", "random_normal:1.0")
is a scale under test. Each scale must end with a higher training loss than
the best standard initializer, beyond seed noise; a diverged run counts as
the worst finite loss of the suite. The log10 ratio of the first to the last
layer's gradient norm (0 = balanced) is shown as the signal-flow evidence.
Policy `ALL`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (bar_figure, compare_labels, evidence, fmt, label_runs,
                                     new_figure, summary_table, values)
from reports.findings.verdict import ALL

TITLE = "Weight initialization scale matters; Glorot / He keep signals stable"
STANDARD = ("glorot", "he_", "lecun")
LOSS_EFFECT = 0.1


def _is_standard(name: str) -> bool:
    return str(name).startswith(STANDARD) and ":" not in str(name)


@finding("C9", title=TITLE, policy=ALL, effect=f"{LOSS_EFFECT} training loss")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "initializer" not in runs:
        return Evidence("Needs runs with an initializer axis.")
    groups = label_runs(runs, lambda r: str(r["initializer"]))
    loss = pd.to_numeric(groups.get("final_loss"), errors="coerce")
    if "status" in groups:
        loss = loss.where(~((groups["status"] == "diverged") & loss.isna()), loss.max())
    ratio = pd.to_numeric(groups.get("grad_ratio"), errors="coerce").abs()
    groups = groups.assign(final_loss=loss, log10_grad_ratio=np.log10(ratio))
    names = list(dict.fromkeys(groups["group"]))
    table = summary_table(groups, ["final_loss", "log10_grad_ratio", "test_accuracy"], names)
    standard = [n for n in names if _is_standard(n)]
    scaled = [n for n in names if not _is_standard(n)]
    if not standard or not scaled:
        return Evidence(f"Needs a Glorot/He initializer and a scaled one; got {names}.", table)
    means = {n: values(groups, n, "final_loss").mean() for n in standard}
    best = min(standard, key=lambda n: means[n] if np.isfinite(means[n]) else np.inf)
    checks = [compare_labels(groups, best, n, "final_loss", effect=LOSS_EFFECT) for n in scaled]
    flow = {r["group"]: r["log10_grad_ratio_mean"] for _, r in table.iterrows()}
    summary = ("Final training loss: " + ", ".join(
        f"{n} {fmt(values(groups, n, 'final_loss').mean())}" for n in names)
        + f". Best standard initializer: {best}. " + " ".join(c.sentence() for c in checks)
        + " log10(first / last layer gradient norm): "
        + ", ".join(f"{n} {fmt(v)}" for n, v in flow.items())
        + " (nan: a gradient norm vanished to 0 or overflowed).")
    fig, axes = new_figure(2, 10, 3.4)
    bar_figure(groups, "final_loss", "C9: final training loss (diverged = worst)", names,
               ax=axes[0])
    bar_figure(groups, "log10_grad_ratio", "C9: log10 first/last layer gradient norm", names,
               ax=axes[1])
    return Evidence(summary, evidence(table, checks), fig, checks=checks)
