"""C5: mini-batches trade noise for speed.

The smallest batch size of the suite is compared with the largest (`"full"`
counts as the largest), over every seed, on the four things the claim says:

- throughput: the largest batch processes more samples per second;
- wall time: the smallest batch takes longer for the same epochs;
- roughness: the smallest batch's training-loss curve is rougher
  (`loss_roughness`, mean |second difference| of the per-epoch loss);
- updates: at equal epochs the largest (full) batch, making the fewest
  updates, ends with a lower test accuracy.

Policy `MOST`: the trade-off has four sides, each a check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import plots
from reports.findings.base import Evidence, compare_groups, evidence_table, finding
from reports.findings.groups import literature
from reports.findings.verdict import MOST, tally

ACCURACY = ("test_accuracy", "final_val_accuracy", "final_accuracy")
LOG_RATIO = 0.1    # throughput and wall time: a factor of 10**0.1 = 1.26
ROUGHNESS = 0.01   # mean |second difference| of the per-epoch loss
ACCURACY_EFFECT = 0.02


@finding("C5", title="Mini-batches trade noise for speed: small batches are slow and noisy, "
                     "large batches fast and smooth but make few updates", policy=MOST,
         effect="a factor of 1.26 in samples/s and wall time; 0.01 loss roughness; "
                "0.02 accuracy")
def batches_trade_noise_for_speed(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    if "batch_size" not in runs or runs["batch_size"].nunique() < 2:
        return Evidence("Needs at least two batch sizes.")
    order = plots.order_values(runs["batch_size"].dropna().tolist())
    small, large = order[0], order[-1]
    a_small, a_large = {"batch_size": small}, {"batch_size": large}
    names_large = (f"batch {large}", f"batch {small}")
    names_small = names_large[::-1]
    accuracy = next((m for m in ACCURACY if m in runs and runs[m].notna().any()), ACCURACY[0])
    checks = [
        compare_groups(runs, "samples_per_sec", a_large, a_small, names_large, higher=True,
                       transform=_log10, effect=LOG_RATIO),
        compare_groups(runs, "wall_time", a_large, a_small, names_large, higher=False,
                       transform=_log10, effect=LOG_RATIO),
        compare_groups(runs, "loss_roughness", a_large, a_small, names_large, higher=False,
                       effect=ROUGHNESS),
        compare_groups(runs, accuracy, a_small, a_large, names_small, higher=True,
                       effect=ACCURACY_EFFECT),
    ]
    figure = plots.panels(runs, "batch_size",
                          ["samples_per_sec", "wall_time", "loss_roughness", accuracy],
                          order=order, title="Batch size: throughput, wall time, loss "
                                             "roughness and accuracy (mean, 95% CI)")
    cite = literature("Keskar et al. (2017)", "large batches generalize worse than small "
                      "ones (sharp minima)", checks[-1])
    return Evidence(tally(checks) + " Samples/s and wall time are compared in log10 (their "
                    "margins are log10 ratios). " + cite + " Here the epochs are equal, so "
                    "the large batch also makes far fewer updates.", evidence_table(checks),
                    figure, checks=checks)


def _log10(values: pd.Series) -> pd.Series:
    return np.log10(values.where(values > 0))
