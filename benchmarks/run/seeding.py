"""Seeding every random source of a run.

`keras.utils.set_random_seed` seeds Python's `random`, NumPy and the
TensorFlow/Keras seed generators (weight initialization, dropout, shuffling
through the seeded tf.data pipeline). On CPU, TensorFlow's op determinism is
switched on too, so the same config and seed give bit-identical histories.
A worker process runs many runs, so determinism is set for every run: it
is switched off again for a run that asks for XLA (`jit_compile`), because
Keras silently drops `jit_compile=True` while op determinism is on.

Example:

>>> from benchmarks.run.seeding import seed_everything
>>> seed_everything(0)
"""

from __future__ import annotations

import contextlib


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seeds Python, NumPy, TensorFlow and Keras; optionally deterministic ops.

    Args:
        seed: The run's seed (an int >= 0).
        deterministic: Call `tf.config.experimental.enable_op_determinism()`
            (True) or switch it off if an earlier run switched it on (False).
            Use it on CPU without XLA; some GPU ops have no deterministic
            kernel and then raise. Defaults to True.

    Raises:
        TypeError: if the seed is not an int.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"A seed must be an int. Received: seed={seed!r}")
    import keras

    keras.utils.set_random_seed(int(seed))
    set_op_determinism(deterministic)


def set_op_determinism(enabled: bool) -> None:
    """Switches TensorFlow's op determinism on or off for the rest of the process.

    Args:
        enabled: True to call `tf.config.experimental.enable_op_determinism()`,
            False to undo it (TensorFlow has no public call for that).
    """
    import tensorflow as tf

    if enabled:
        tf.config.experimental.enable_op_determinism()
        return
    from tensorflow.python.framework import config as tf_config

    if tf_config.is_op_determinism_enabled():
        tf_config.disable_op_determinism()


@contextlib.contextmanager
def fused_cpu_kernels():
    """Traces graphs with op determinism off while inside, on a CPU-only process.

    Op determinism makes TensorFlow trace some ops as larger graphs: sparse
    softmax cross-entropy becomes log-softmax + gather, whose gradient alone
    is about 40 ms of tracing for an MLP. Its fused CPU kernel computes each
    example's row on its own, so it is deterministic already. Use it around
    `get_concrete_function` of a diagnostic probe (its numbers equal the
    deterministic graph's; `tests/benchmarks/test_diagnostics_trace.py`),
    never around a training step, whose numerics stay those of every
    earlier run. On a process with a GPU, or with determinism off, it does
    nothing.

    Example:

    >>> with fused_cpu_kernels():
    ...     concrete = probe_fn.get_concrete_function(x, y)
    """
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    switch = tf_config.is_op_determinism_enabled() and not tf.config.list_logical_devices("GPU")
    if switch:
        tf_config.disable_op_determinism()
    try:
        yield
    finally:
        if switch:
            tf.config.experimental.enable_op_determinism()
