"""C6: momentum and adaptive methods converge faster than plain SGD.

Compares epochs to the suite's target (`target_epoch`) of each momentum or
adaptive optimizer with plain `sgd`, over every seed. A run that never reached
the target (or failed, or diverged) took longer than the whole run: for the
test it counts as `epochs + 1`, a lower bound of its true time (so the
penalty never exaggerates a gap), and as inf in the tables. When the suite
also sweeps the learning rate, only the optimizers' default rates
(`learning_rate` None) are compared, as the claim says. Seconds to target are
shown beside (a never-reached run counts as the longest wall time in the
suite) but do not decide the verdict. Policy `MOST`: one check per optimizer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import plots
from reports.findings.base import Evidence, compare_groups, evidence_table, finding
from reports.findings.verdict import MOST, tally

PLAIN = "sgd"
EPOCH_EFFECT = 1.0
CLAIMED = ("momentum", "nesterov", "rmsprop", "adam", "adamw", "nadam", "adamax")


def _defaults_only(runs: pd.DataFrame) -> pd.DataFrame:
    if "learning_rate" in runs and runs["learning_rate"].isna().any():
        return runs[runs["learning_rate"].isna()]
    return runs


@finding("C6", title="Momentum and adaptive optimizers reach a target accuracy in fewer "
                     "epochs than plain SGD", policy=MOST, effect="1 epoch to the target")
def optimizers_converge_faster(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if "optimizer" not in runs or PLAIN not in set(runs["optimizer"]):
        return Evidence("The runs have no plain `sgd` optimizer to compare with.")
    has_target = "target_reached" in runs and runs["target_reached"].notna().any()
    if not has_target:
        configured = "target" in runs and runs["target"].map(
            lambda t: isinstance(t, str) and t not in ("", "null")).any()
        if configured:
            return Evidence("No finished run recorded its time to the target yet.")
        return Evidence("The suite sets no target, so epochs to target cannot be compared. Add "
                        "`target = {metric = \"val_accuracy\", value = 0.9}` to the suite.")
    runs = _defaults_only(runs)
    max_epochs = pd.to_numeric(runs.get("epochs"), errors="coerce").max()
    if not np.isfinite(max_epochs):
        max_epochs = runs["epochs_run"].max()
    longest = runs["wall_time"].max() if "wall_time" in runs else np.nan
    # Seconds only of runs whose time is their own (not shared with other cells in a pack).
    own = runs["timing"].eq("own") if "timing" in runs else pd.Series(True, index=runs.index)
    runs = runs.assign(
        epochs_to_target=runs["target_epoch"].where(runs["target_epoch"].notna(), max_epochs + 1),
        seconds_to_target=runs["target_seconds"].where(runs["target_seconds"].notna(),
                                                       longest).where(own))
    claimed = [o for o in CLAIMED if o in set(runs["optimizer"])]
    checks = [compare_groups(runs, "epochs_to_target", {"optimizer": o}, {"optimizer": PLAIN},
                             higher=False, effect=EPOCH_EFFECT) for o in claimed]
    seconds = [compare_groups(runs, "seconds_to_target", {"optimizer": o},
                              {"optimizer": PLAIN}, higher=False) for o in claimed]
    summary = tally(checks, "optimizer comparisons (epochs to target)")
    reached = runs.groupby("optimizer")["target_reached"].agg(
        lambda s: f"{int((s == True).sum())}/{len(s)}")  # noqa: E712
    evidence = pd.concat([evidence_table(checks), evidence_table(seconds, in_verdict=False)],
                         ignore_index=True)
    evidence["reached_a"] = evidence["claim_side"].map(reached)
    evidence["reached_b"] = evidence["other_side"].map(reached)
    summary += (f" Never reaching the target counts as {max_epochs + 1:g} epochs "
                f"(a lower bound).")
    figure = None
    if epochs is not None and not epochs.empty and "optimizer" in epochs:
        metric = runs["target_metric"].dropna()
        metric = metric.iloc[0] if len(metric) else "val_accuracy"
        figure = plots.learning_curves(epochs[epochs["run_id"].isin(runs["run_id"])],
                                       "optimizer", metric)
        value = runs["target_value"].dropna()
        if figure is not None and len(value):
            figure.axes[0].axhline(value.iloc[0], color="black", ls="--", lw=1, label="target")
            figure.axes[0].legend(fontsize="small")
    if figure is None:
        figure = plots.panels(runs, "optimizer", ["epochs_to_target", "seconds_to_target"])
    return Evidence(summary, evidence, figure, checks=checks)
