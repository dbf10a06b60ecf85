"""Fast execution defaults, chosen by measurement per run size.

A run's config may leave `steps_per_execution` and `jit_compile` at "auto"
(the suite default); `resolve_execution` turns them into the values in
force, which land in the record's `options`. A suite overrides either one in
`[options]` or `[fixed]` (`steps_per_execution = 1`, `jit_compile = true`),
and `pack_seeds` (see `benchmarks.matrix.planner`) the same way.

The rules, and the measurements behind them (`python -m benchmarks.perf`,
MLP on digits, batch 32, 2-core CPU; see the README's Performance section):

- `steps_per_execution = min(32, steps per epoch)`. Keras runs that many
  training steps inside one `tf.function` call (a `tf.while_loop`), so the
  per-step Python and dispatch overhead, which dominates small models, is
  paid once per 32 steps: a steady-state epoch took 0.034 s instead of
  0.085 s (2.5x), with identical losses (the same math, the same order).
  Batch-level callbacks fire once per execution; the harness's diagnostics
  are epoch-level, so nothing it records changes (tests/benchmarks/test_perf.py).
- `jit_compile = False` on CPU. XLA added 1.5-4.5 s of compilation to the
  first epoch and did not make the steady state measurably faster for these
  model sizes, so a 10-20 epoch run is slower with it. On GPU/TPU "auto"
  is left to Keras (XLA when every layer supports it).
- `tf.data`: splits are cached in memory before the per-epoch shuffle and
  prefetched (`zoo.datasets.Dataset.tf_dataset`); nothing to choose per run.
- Backends (`config["backend"]`): on PyTorch "auto" is one step per call
  (Keras runs no multi-step loop there); on JAX `jit_compile` "auto" is
  True, as Keras without XLA runs JAX op by op (`backends.resolve_jit`).
- Threads: one TensorFlow thread pool per worker, sized by the executor
  (`cores // workers`), so parallel runs do not oversubscribe the cores.

Example:

>>> resolve_execution({"steps_per_execution": "auto", "jit_compile": "auto"},
...                   n_train=1078, batch_size=32, device="cpu")
{'steps_per_execution': 32, 'jit_compile': False}
"""

from __future__ import annotations

import math

AUTO = "auto"
MAX_STEPS_PER_EXECUTION = 32
# What Keras itself does without being told (the baseline `perf` compares with).
KERAS_DEFAULTS = {"steps_per_execution": 1, "jit_compile": AUTO}


def steps_per_epoch(n_train: int, batch_size: int) -> int:
    """Training steps in one epoch (the last batch may be partial)."""
    return max(1, math.ceil(int(n_train) / max(1, int(batch_size))))


def resolve_execution(config: dict, n_train: int, batch_size: int, device: str = "cpu"
                      ) -> dict:
    """The `steps_per_execution` and `jit_compile` a run uses.

    Args:
        config: The resolved config; "auto" (or a missing key) means "pick".
        n_train: Training examples.
        batch_size: Training batch size (an int).
        device: The device description of the run ("cpu...", "gpu...", ...).
            Defaults to "cpu".

    Returns:
        `{"steps_per_execution": int, "jit_compile": bool | "auto"}`.

    Raises:
        ValueError: for a `steps_per_execution` that is neither "auto" nor a
            positive int.
    """
    backend = config.get("backend") or "tensorflow"
    spe = config.get("steps_per_execution", AUTO)
    if spe in (AUTO, None) and backend == "torch":
        spe = 1  # Keras on PyTorch runs one step per call
    elif spe in (AUTO, None):
        spe = min(MAX_STEPS_PER_EXECUTION, steps_per_epoch(n_train, batch_size))
        if int(config.get("replicas") or 1) > 1 or "Mirrored" in str(device):
            # Keras's multi-step loop fails under MirroredStrategy on the last,
            # partial batch (InvalidArgumentError in while/cond): one step per call.
            spe = 1
    elif isinstance(spe, bool) or not isinstance(spe, int) or spe < 1:
        raise ValueError(f'steps_per_execution must be "auto" or a positive int. '
                         f"Received: steps_per_execution={spe!r}")
    jit = config.get("jit_compile", AUTO)
    if jit in (AUTO, None):
        from benchmarks.run.backends import resolve_jit

        jit = resolve_jit(backend, device)
    return {"steps_per_execution": int(spe), "jit_compile": jit}

