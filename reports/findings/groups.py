"""Labelled groups of runs for the claim rules: per-group statistics, pairwise
comparisons beyond seed noise, evidence rows and a bar plot.

A claim rule labels each run (e.g. "logistic", "linear MLP", "relu MLP"),
then asks whether one group beats another on a metric. The decision is
`reports.stats.compare` (Welch p < 0.05 AND non-overlapping 95% intervals);
this module only shapes its inputs and outputs so every rule reads the same.

The rules return these comparisons as checks; their verdict comes from the
policy each claim declares (`reports.findings.verdict`).

Example:

>>> groups = label_runs(runs, lambda r: "relu" if r["activation"] == "relu" else "other")
>>> c = compare_labels(groups, "relu", "other", "test_accuracy")
>>> c.outcome
'a better'
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pandas as pd

from reports import stats
from reports.findings.base import EVIDENCE_COLUMNS, compare_groups, evidence_table

def label_runs(runs: pd.DataFrame, label: Callable[[pd.Series], str | None]) -> pd.DataFrame:
    """Returns `runs` with a `group` column; rows labelled None are dropped."""
    if runs.empty:
        return runs.assign(group=pd.Series(dtype=object))
    labels = runs.apply(label, axis=1)
    out = runs.assign(group=labels)
    return out[out["group"].notna()]


def values(groups: pd.DataFrame, group: str, metric: str) -> pd.Series:
    """The per-run values of `metric` in one group (NaN where missing)."""
    if metric not in groups:
        return pd.Series([np.nan] * int((groups["group"] == group).sum()), dtype=float)
    return pd.to_numeric(groups.loc[groups["group"] == group, metric], errors="coerce")


def compare_labels(groups: pd.DataFrame, a: str, b: str, metric: str,
                   higher: bool | None = None, transform=None, effect: float | None = None
                   ) -> stats.Comparison:
    """`reports.findings.base.compare_groups` of label `a` (the side the claim
    favours) vs label `b` on `metric`, with the smallest `effect` that matters."""
    return compare_groups(groups, metric, {"group": a}, {"group": b}, names=(a, b),
                          higher=higher, transform=transform, effect=effect)


def summary_table(groups: pd.DataFrame, metrics: list[str], order: list[str] | None = None
                  ) -> pd.DataFrame:
    """One row per group: runs, statuses, and mean / std / 95% CI / n per metric."""
    order = order or list(dict.fromkeys(groups["group"]))
    rows = []
    for name in order:
        part = groups[groups["group"] == name]
        row = {"group": name, "runs": len(part)}
        if "status" in part:
            row["diverged"] = int((part["status"] == "diverged").sum())
            row["failed"] = int((part["status"] == "failed").sum())
        for m in metrics:
            s = stats.summarize(values(groups, name, m))
            row.update({f"{m}_mean": s["mean"], f"{m}_std": s["std"], f"{m}_ci": s["ci"],
                        f"{m}_n": s["n"]})
        rows.append(row)
    return pd.DataFrame(rows)


def evidence(table: pd.DataFrame, checks: list[stats.Comparison],
             side: list[stats.Comparison] = ()) -> pd.DataFrame:
    """One table in `EVIDENCE_COLUMNS` form: the comparisons that decide the
    verdict, then `side` comparisons (`in_verdict` False), then each group's
    mean / 95% CI half width / n per metric of `table` (a `summary_table`),
    with `result` "group mean" and the diverged / failed run counts."""
    parts = [evidence_table(list(checks))]
    if side:
        parts.append(evidence_table(list(side), in_verdict=False))
    rows = []
    metrics = [c[:-5] for c in table.columns if c.endswith("_mean")]
    for _, r in table.iterrows():
        for m in metrics:
            note = ", ".join(f"{int(r[k])} {k}" for k in ("diverged", "failed")
                             if k in r and pd.notna(r[k]) and r[k])
            rows.append({"comparison": str(r["group"]), "metric": m,
                         "claim_side": str(r["group"]), "mean_a": r[f"{m}_mean"],
                         "ci_a": r[f"{m}_ci"], "n_a": r[f"{m}_n"],
                         "result": "group mean" + (f" ({note})" if note else ""),
                         "in_verdict": False})
    parts.append(pd.DataFrame(rows, columns=EVIDENCE_COLUMNS))
    return pd.concat([p for p in parts if not p.empty], ignore_index=True)


def literature(reference: str, expects: str, check) -> str:
    """A sentence citing a published result and whether this check's direction
    matches it: "matches" when the check is for the claim beyond noise, "does not
    match" when against or equivalent, "cannot tell" otherwise.

    Example:

    >>> literature("Srivastava et al. (2014)", "dropout reduces overfitting", check)
    'Srivastava et al. (2014) report that dropout reduces overfitting; here the direction matches.'
    """
    outcome = getattr(check, "outcome", None)
    verdict = {"a better": "matches", "b better": "does not match",
               "equivalent": "does not match (the difference is too small to matter)"}.get(
        outcome, "cannot tell (within noise)")
    return f"{reference} report that {expects}; here the direction {verdict}."


def fmt(x) -> str:
    """Short number for summaries ("nan" for missing)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def new_figure(ncols: int = 1, width: float = 5.5, height: float = 3.4):
    """A matplotlib Figure with `ncols` axes, outside pyplot's global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def bar_figure(groups: pd.DataFrame, metric: str, title: str, order: list[str] | None = None,
               log: bool = False, ax=None):
    """Bar chart of the group means of `metric` with 95% CI error bars and the
    individual seeds as dots. Returns the matplotlib Figure (Agg backend)."""
    order = order or list(dict.fromkeys(groups["group"]))
    if ax is None:
        fig, (ax,) = new_figure(1, max(4.0, 1.3 * len(order) + 1.5), 3.2)
    else:
        fig = ax.figure
    means, cis = [], []
    for i, name in enumerate(order):
        v = values(groups, name, metric)
        s = stats.summarize(v)
        means.append(s["mean"])
        cis.append(0.0 if not math.isfinite(s["ci"]) else s["ci"])
        finite = v[np.isfinite(v)]
        ax.plot([i] * len(finite), finite, "k.", alpha=0.6, zorder=3)
    ax.bar(range(len(order)), np.nan_to_num(means), yerr=cis, capsize=4, color="#8fb3d9")
    ax.set_xticks(range(len(order)))
    ax.set_xticklabels(order, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    if log:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=9)
    return fig


def is_off(value) -> bool:
    """Whether a config cell means "off" (False, 0, None, NaN, "false", "none")."""
    if value is None or value is False:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (int, float)) and value == 0:
        return True
    return str(value).strip().lower() in ("false", "0", "none", "", "null", "off")


def epochs_to_target(groups: pd.DataFrame, group: str) -> pd.Series:
    """Epochs to the target per run of a group, censored: a run that never
    reached the target (or failed / diverged) counts as `epochs + 1`, one epoch
    more than it was allowed, so it ranks last but keeps the seed count."""
    part = groups[groups["group"] == group]
    if part.empty:
        return pd.Series(dtype=float)
    reached = stats.time_to_target(part, "target_epoch")
    budget = pd.to_numeric(part["epochs"], errors="coerce") if "epochs" in part else None
    if budget is None or budget.isna().all():
        budget = pd.Series(reached[np.isfinite(reached)].max() if np.isfinite(reached).any()
                           else np.nan, index=part.index)
    return reached.where(np.isfinite(reached), budget + 1)


def target_comparison(groups: pd.DataFrame, fast: str, slow: str, effect: float = 1.0
                      ) -> stats.Comparison:
    """Label `fast` vs `slow` on epochs to the target (`epochs_to_target`:
    never reached = epochs + 1), fewer being better; `effect` in epochs."""
    return stats.compare(epochs_to_target(groups, fast), epochs_to_target(groups, slow),
                         "epochs_to_target", (fast, slow), higher=False, effect=effect)


def speed_checks(groups: pd.DataFrame, fast: str, slow: str, loss: str = "final_loss",
                 effects: tuple[float, float] = (1.0, 0.05)) -> list[stats.Comparison]:
    """Whether label `fast` trains faster than `slow`: fewer epochs to the target
    (never reached = epochs + 1), and a lower final training loss (which tells
    them apart when both reach the target as soon). `effects`: the smallest
    differences that matter (epochs, loss). Returns
    `[epochs-to-target comparison, final-loss comparison]`."""
    return [target_comparison(groups, fast, slow, effects[0]),
            compare_labels(groups, fast, slow, loss, higher=False, effect=effects[1])]


def curves_figure(epochs: pd.DataFrame, groups: pd.DataFrame, metric: str, title: str,
                  target: float | None = None):
    """Mean +- std learning curves of `metric` per group (from `load_epochs`)."""
    if epochs is None or epochs.empty or "run_id" not in epochs or "run_id" not in groups:
        return None
    label = groups.set_index("run_id")["group"]
    part = epochs[(epochs["metric"] == metric) & epochs["run_id"].isin(label.index)]
    if part.empty:
        return None
    fig, (ax,) = new_figure(1)
    part = part.assign(group=part["run_id"].map(label))
    for name, g in part.groupby("group", sort=False):
        curve = g.groupby("epoch")["value"].agg(["mean", "std"])
        ax.plot(curve.index, curve["mean"], label=str(name))
        ax.fill_between(curve.index, curve["mean"] - curve["std"].fillna(0),
                        curve["mean"] + curve["std"].fillna(0), alpha=0.2)
    if target is not None and np.isfinite(target):
        ax.axhline(target, color="k", ls="--", lw=0.8, label="target")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return fig


def target_value(runs: pd.DataFrame) -> float | None:
    """The target value of a suite's runs (from `target_value`), or None."""
    if "target_value" not in runs:
        return None
    v = pd.to_numeric(runs["target_value"], errors="coerce").dropna()
    return float(v.iloc[0]) if len(v) else None
