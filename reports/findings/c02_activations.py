"""C2: sigmoid and tanh make gradients vanish in deep networks; ReLU-family
activations keep them flowing.

Two comparisons per saturating activation (sigmoid, tanh, ...) against the
pooled ReLU family (relu, leaky_relu, elu, ...), over every seed:

- gradient flow: `|log10(grad_ratio)|`, the distance of the first-layer /
  last-layer gradient-norm ratio from 1 (lower is better; a vanishing
  gradient gives a ratio far below 1);
- training loss after the suite's epochs (`final_loss`, lower is better).

Policy `MOST`: the claim is about a family (each saturating activation).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports import plots
from reports.findings.base import Evidence, compare_groups, evidence_table, finding
from reports.findings.groups import literature
from reports.findings.verdict import MOST, tally

SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign")
RELU_FAMILY = ("relu", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "relu6", "mish")
FLOW = "|log10 grad_ratio|"
DECADE = 1.0  # smallest effect on gradient flow: a factor of 10 in the ratio
LOSS_EFFECT = 0.1


@finding("C2", title="Sigmoid and tanh make gradients vanish in deep networks; ReLU-family "
                     "activations keep them flowing", policy=MOST,
         effect="a decade of first/last-layer gradient ratio; 0.1 training loss")
def gradients_vanish(runs: pd.DataFrame, epochs: pd.DataFrame) -> Evidence:
    present = set(runs["activation"]) if "activation" in runs else set()
    saturating = [a for a in SATURATING if a in present]
    relu = [a for a in RELU_FAMILY if a in present]
    if not saturating or not relu:
        return Evidence(f"Needs at least one saturating activation ({', '.join(SATURATING)}) "
                        f"and one ReLU-family activation; the runs have {sorted(present)}.")
    ratio = pd.to_numeric(runs.get("grad_ratio"), errors="coerce").astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        runs = runs.assign(**{FLOW: np.abs(np.log10(ratio.where(ratio > 0)))})
    family = {"activation": relu}
    name = "relu family"
    checks = []
    for act in saturating:
        checks.append(compare_groups(runs, FLOW, family, {"activation": act}, (name, act),
                                     higher=False, effect=DECADE))
        checks.append(compare_groups(runs, "final_loss", family, {"activation": act},
                                     (name, act), higher=False, effect=LOSS_EFFECT))
    order = relu + saturating
    figure = plots.panels(runs, "activation", [FLOW, "final_loss"], order=order,
                          title="Gradient flow (distance of first/last-layer norm ratio from 1, "
                                "log10) and final training loss")
    cites = " ".join(literature("Glorot & Bengio (2010)", f"{c.b} saturates and makes "
                                "gradients vanish in deep networks", c)
                     for c in checks if c.metric == FLOW)
    return Evidence(tally(checks) + " " + cites, evidence_table(checks), figure, checks=checks)
