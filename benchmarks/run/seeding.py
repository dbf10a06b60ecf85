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
