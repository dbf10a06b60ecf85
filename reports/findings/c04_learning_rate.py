"""C4: a larger learning rate learns faster at first but can overshoot or diverge;
a tiny one is slow.

Two comparisons over every seed: (1) of the rates above the smallest, the one
with the lowest mean loss after one epoch beats the smallest rate on that loss
("a tiny one is slow, a larger one learns faster at first"); (2) of the rates
below the largest, the one with the lowest mean final loss beats the largest
rate on final loss ("too large overshoots"), unless the largest rate diverged
in some seed, which is the overshoot itself (the comparison is then shown but
does not decide). A diverged run's loss counts as the worst finite loss of
the suite (a lower bound of how bad it was). Policy `ALL`: a smallest or a
largest rate that is best beyond noise contradicts the claim, one best only
within noise leaves it inconclusive.
"""

from __future__ import annotations

import pandas as pd

from reports.findings.base import Evidence, finding
from reports.findings.groups import (compare_labels, evidence, fmt, label_runs, new_figure,
                                     summary_table)
from reports.findings.verdict import ALL

TITLE = "A larger learning rate learns faster at first but can overshoot; a tiny one is slow"
LOSS_EFFECT = 0.1


def _with_divergence_penalty(groups: pd.DataFrame, metric: str) -> pd.DataFrame:
    worst = pd.to_numeric(groups[metric], errors="coerce").max()
    value = pd.to_numeric(groups[metric], errors="coerce")
    penalized = value.where(~((groups["status"] == "diverged") & value.isna()), worst)
    return groups.assign(**{metric: penalized})


@finding("C4", title=TITLE, policy=ALL, effect=f"{LOSS_EFFECT} training loss")
def rule(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty or "learning_rate" not in runs:
        return Evidence("Needs runs with a learning_rate axis.")
    groups = label_runs(runs, lambda r: f"lr={float(r['learning_rate']):g}"
                        if pd.notna(r["learning_rate"]) else None)
    groups = groups.assign(lr=pd.to_numeric(groups["learning_rate"], errors="coerce"))
    if "status" not in groups:
        groups = groups.assign(status="ok")
    for metric in ("epoch1_loss", "final_loss"):
        groups = _with_divergence_penalty(groups, metric) if metric in groups else groups
    order = [f"lr={lr:g}" for lr in sorted(groups["lr"].unique())]
    table = summary_table(groups, ["epoch1_loss", "final_loss"], order)
    table.insert(1, "learning_rate", [float(g[3:]) for g in table["group"]])
    if len(order) < 3:
        return Evidence(f"Needs at least 3 learning rates; got {len(order)}.", table,
                        _figure(table))
    tiny, top = order[0], order[-1]
    early = table[table["group"] != tiny].dropna(subset=["epoch1_loss_mean"])
    final = table[table["group"] != top].dropna(subset=["final_loss_mean"])
    if early.empty or final.empty:
        return Evidence("No finite losses recorded.", table, _figure(table))
    fastest = early.loc[early["epoch1_loss_mean"].idxmin(), "group"]
    best = final.loc[final["final_loss_mean"].idxmin(), "group"]
    slow = compare_labels(groups, fastest, tiny, "epoch1_loss", effect=LOSS_EFFECT)
    over = compare_labels(groups, best, top, "final_loss", effect=LOSS_EFFECT)
    n_div = int((groups.loc[groups["group"] == top, "status"] == "diverged").sum())
    diverged = table[table["diverged"] > 0] if "diverged" in table else table.iloc[0:0]
    div_text = ("Diverged runs: " + ", ".join(f"{r.group}: {int(r.diverged)}"
                                              for r in diverged.itertuples()) + "."
                if len(diverged) else "No run diverged.")
    summary = (f"Loss after 1 epoch: {fmt(slow.mean_b)} at the tiny {tiny} vs "
               f"{fmt(slow.mean_a)} at {fastest} ({slow.outcome}); final loss "
               f"{fmt(over.mean_a)} at {best} vs {fmt(over.mean_b)} at the largest {top} "
               f"({over.outcome}). {div_text}")
    # Divergence at the largest rate is itself the overshoot; otherwise its final
    # loss must be worse than the best other rate's beyond noise.
    checks, side = ([slow], [over]) if n_div else ([slow, over], [])
    return Evidence(summary, evidence(table, checks, side), _figure(table), checks=checks)


def _figure(table: pd.DataFrame):
    fig, (ax,) = new_figure(1, 5.5, 3.4)
    x = table["learning_rate"].astype(float)
    for metric, style in (("epoch1_loss", "o-"), ("final_loss", "s-")):
        mean = table[f"{metric}_mean"].astype(float)
        ci = table[f"{metric}_ci"].astype(float).fillna(0.0)
        ax.errorbar(x, mean, yerr=ci, fmt=style, capsize=3, label=metric)
    for lr, d in zip(x, table.get("diverged", [0] * len(x))):
        if d:
            ax.axvline(lr, color="red", alpha=0.3)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss (diverged = worst)")
    ax.set_title("C4: loss after epoch 1 and at the end (red: diverged runs)", fontsize=9)
    ax.legend(fontsize=8)
    return fig
