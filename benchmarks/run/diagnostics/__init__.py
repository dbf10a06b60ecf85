"""What a run measures besides its metrics, for one model or K packed members.

- `training`: `EpochTimer`, `DivergenceMonitor`, `LearningRateLog`,
  `is_finite`, `reached_target`.
- `gradients`: `GradientProbe` and the `GradientNorms` callback (per-layer
  gradient norms on a fixed batch, per member).
- `dead_units`: `DeadUnitProbe` and the `DeadUnits` callback (dead
  ReLU-family units on a probe set, per member).
- `layers`: `walk_layers`, `layer_kernels`, `kernel_layers`,
  `activation_name`, `flops_per_example`, `stack_members`.

A probe or callback takes `members=K` for a packed model (inputs and outputs
`(batch, K, ...)`, kernels `(K, ...)`) and `members=None` (the default) for a
plain one; its results are lists with one entry per member (one for a plain
model).

Example:

>>> from benchmarks.run.diagnostics import DeadUnits, GradientNorms
>>> grads, dead = GradientNorms(x, y, loss), DeadUnits(x)
>>> model.fit(train, epochs=3, callbacks=[grads, dead])
>>> grads.history[0]["dense_0"], dead.final[0][0]
"""

from benchmarks.run.diagnostics.dead_units import (CAN_DIE, NEVER_DEAD, NEVER_DEAD_NOTE,
                                                   DeadUnitProbe, DeadUnits)
from benchmarks.run.diagnostics.gradients import GradientNorms, GradientProbe
from benchmarks.run.diagnostics.layers import (activation_name, flops_per_example,
                                               kernel_layers, layer_kernels, stack_members,
                                               walk_layers)
from benchmarks.run.diagnostics.training import (DivergenceMonitor, EpochTimer,
                                                 LearningRateLog, is_finite, reached_target)

__all__ = ["CAN_DIE", "NEVER_DEAD", "NEVER_DEAD_NOTE", "DeadUnitProbe", "DeadUnits",
           "DivergenceMonitor", "EpochTimer", "GradientNorms", "GradientProbe",
           "LearningRateLog", "activation_name", "flops_per_example", "is_finite",
           "kernel_layers", "layer_kernels", "reached_target", "stack_members", "walk_layers"]
