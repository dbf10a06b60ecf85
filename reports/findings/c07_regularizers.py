"""C7: regularization narrows the train/validation gap of an overfitting model.

Each run gets a `regularization` label from its config: the `regularizer`
(e.g. "l2:1e-4"), `dropout` > 0, `early_stopping` and `weight_decay`, joined
by "+", or "none". Each regularized label is compared with "none" on the
generalization gap of the model each run ends with (`gen_gap_final`: train
minus validation accuracy at the last epoch, or at the restored epoch under
early stopping; lower is better), over every seed. The gap at the best
validation epoch (`gen_gap`) and the validation accuracy at the best epoch
are compared too and shown, but only the final model's gap decides: an
unregularized model trained to the end is the one that overfits, and the gap
at its best epoch would credit it with early stopping it did not do. The
claim is about a model that overfits: when the unregularized runs show no gap
beyond seed noise (the 95% CI of their gap includes 0) the premise fails and
the finding is inconclusive. Policy `MOST`: one check per regularizer.
"""

from __future__ import annotations

import json

import pandas as pd

from reports import plots, stats
from reports.findings.base import Evidence, compare_groups, evidence_table, finding
from reports.findings.groups import literature
from reports.findings.verdict import MOST, fact, tally

NONE = "none"
GAP_EFFECT = 0.02


def _truthy(value) -> bool:
    if value is None or (isinstance(value, float) and value != value):
        return False
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return value.lower() not in ("", "none", "false", "0")
    return bool(value)


def regularization(row: pd.Series) -> str:
    """The regularization label of one run, e.g. "l2:1e-4+dropout:0.5" or "none"."""
    parts = []
    reg = row.get("regularizer")
    if _truthy(reg) and str(reg).lower() != NONE:
        parts.append(str(reg))
    dropout = pd.to_numeric(pd.Series([row.get("dropout")]), errors="coerce").iloc[0]
    if dropout == dropout and dropout > 0:
        parts.append(f"dropout:{dropout:g}")
    if _truthy(row.get("early_stopping")):
        parts.append("early_stopping")
    if _truthy(row.get("weight_decay")):
        parts.append(f"weight_decay:{row.get('weight_decay')}")
    return "+".join(parts) or NONE


@finding("C7", title="Regularization narrows the gap between training and validation "
                     "performance when a model overfits", policy=MOST,
         effect=f"{GAP_EFFECT} generalization gap (accuracy)")
def regularization_narrows_gap(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if runs.empty:
        return Evidence("No runs.")
    runs = runs.assign(regularization=runs.apply(regularization, axis=1))
    labels = [v for v in plots.order_values(runs["regularization"].tolist()) if v != NONE]
    if NONE not in set(runs["regularization"]) or not labels:
        return Evidence("Needs unregularized runs (\"none\") and at least one regularizer.")
    accuracy = "best_val_accuracy" if "best_val_accuracy" in runs else "final_val_accuracy"
    gap = ("gen_gap_final" if "gen_gap_final" in runs and runs["gen_gap_final"].notna().any()
           else "gen_gap")
    checks = [compare_groups(runs, gap, {"regularization": v},
                             {"regularization": NONE}, higher=False, effect=GAP_EFFECT)
              for v in labels]
    side = [compare_groups(runs, metric, {"regularization": v}, {"regularization": NONE})
            for metric in dict.fromkeys(["gen_gap", accuracy]) if metric in runs and metric != gap
            for v in labels]
    summary = tally(checks, "regularizer comparisons (generalization gap)")
    summary += "".join(" " + literature("Srivastava et al. (2014)", "dropout reduces "
                                        "overfitting", c)
                       for c in checks if c.a.startswith("dropout"))
    base = stats.summarize(runs.loc[runs["regularization"] == NONE, gap])
    overfits = fact(base["ci_low"] > 0, "The unregularized model overfits beyond seed noise.")
    if not base["ci_low"] > 0:
        summary = (f"The unregularized model does not overfit beyond seed noise (gap "
                   f"{base['mean']:.3g}, 95% CI {base['ci_low']:.3g} to {base['ci_high']:.3g}), "
                   f"so the claim is not tested. " + summary)
    evidence = pd.concat([evidence_table(checks), evidence_table(side, in_verdict=False)],
                         ignore_index=True)
    figure = plots.panels(runs, "regularization", list(dict.fromkeys([gap, "gen_gap", accuracy])),
                          order=[NONE] + labels,
                          title="Generalization gap and validation accuracy by regularization "
                                "(mean, 95% CI)")
    return Evidence(summary, evidence, figure, checks=checks, premises=[overfits])
