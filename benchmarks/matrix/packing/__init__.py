"""Several runs trained together, as one Keras model: the seeds of a cell, and several cells.

Small models leave most of a CPU idle, and a short run spends most of its
time tracing and dispatching, not multiplying. When a cell's runs differ only
by their seed, `run_packed(config, seeds)` trains the K members as ONE
Keras model: every Dense kernel becomes a stacked `(K, in, out)` kernel used
through one batched `einsum` (`StackedDense`), the loss is the sum of the
members' losses (so each member's gradient is exactly its own), and the
optimizer keeps separate, elementwise state per member. It returns one
`(status, record, error)` per seed, each record as `run_one` would have
written it: its own history, best epoch, early stopping, test metrics,
gradient norms and dead units.

Why stacked kernels: the alternative, K sub-models as K outputs of one
Functional model with per-output losses, was measured side by side on 8
MLPs on digits: its first epoch took 19 s (tracing K sub-graphs, K losses,
2K metrics) against 3.2 s for the stack, with similar steady epochs. The
per-member losses and metrics are likewise computed in one op over the
member axis (`packed_loss`, `MemberMeans`), not once per member.

What is shared and what is not:

- Weights: each member is built with `seed_everything(seed)`, exactly as
  `run_one` builds it, and its weights are copied into the stack.
- Batch order: NOT shared. Member k's training batches come from its own
  `tf.data` pipeline, shuffled with its own seed as in `run_one`, and the K
  batches are stacked. So a packed member follows the same trajectory as the
  unpacked run of the same seed (up to floating-point summation order; see
  tests/benchmarks/test_packing.py), and its record can stand in for it.
- Early stopping and divergence are per member: a member that stops (or
  diverges) keeps training in the pack until every member stopped, but its
  history, gradient norms and weights are cut at its own stopping epoch
  (best weights restored as `keras.callbacks.EarlyStopping` does).
- Time is shared: `wall_time`, `epoch_times`, `first_epoch_time` and target
  seconds measure the whole pack; `samples_per_sec` and `mfu` count the
  samples of all K members (what the machine did). `options["packed"]`
  records `{"members": K, "seeds": [...]}` so reports can tell.

The pack goes through the same run lifecycle as a single run
(`benchmarks.run.Run`): `PackedMembers` (`train.py`) supplies only what
differs: stacking (`stacking.py`), the pack's loss, per-member metrics,
logs and stopping (`members.py`). The diagnostics are the run's own
callbacks with `members=K`.

Several cells share one graph too (`cells.CellPack`, `run_packed(...,
configs=[...])`): each cell's seeds are a stack with the cell's OWN
optimizer, loss and metrics, side by side on slices of one input; the
planner (`benchmarks.matrix.planner.group_runs`) decides which runs share a
graph from the axis table (`zoo.axes.sharing_axes`). Timing is then shared
by the pack's cells (`options["packed"]["cells"]`).

Falls back to separate `run_one` calls (`unpackable_reason` says why) for
models with layers other than Flatten/Dense/Activation/Add/Reshape (e.g.
BatchNormalization, convolutions, RNNs), dropout in a seed pack (its masks
would come from one stream; a pack of cells stacks each dropout run alone,
with its own random stream), bias or activity regularizers (L1/L2 kernel
penalties split per member), optimizers whose update couples members
(`clipnorm`, `global_clipnorm` across the seeds of a stack, Adafactor),
mixed precision, distribution strategies and augmenting pipelines.

Example:

>>> from benchmarks.matrix.packing import run_packed
>>> results = run_packed({"dataset": "digits", "model": "mlp", "epochs": 3}, [0, 1, 2, 3])
>>> [status for status, record, error in results]
['ok', 'ok', 'ok', 'ok']
"""

from benchmarks.matrix.packing.cells import CellPack
from benchmarks.matrix.packing.members import member_logs, packed_loss
from benchmarks.matrix.packing.seeds import PackedMembers
from benchmarks.matrix.packing.stacking import stack_models
from benchmarks.matrix.packing.train import run_packed
from benchmarks.matrix.planner import PACKABLE_MODELS, unpackable_reason

__all__ = ["PACKABLE_MODELS", "CellPack", "PackedMembers", "member_logs", "packed_loss", "run_packed",
           "stack_models", "unpackable_reason"]
