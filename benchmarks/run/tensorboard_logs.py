"""TensorBoard logging of a run: scalars per epoch and its hyperparameters.

Example:

>>> callbacks = tensorboard_callbacks("runs/tensorboard/demo/ab12", config, seed=0)
>>> model.fit(train, callbacks=callbacks)
"""

from __future__ import annotations

import json


def hparams_of(config: dict, seed: int) -> dict:
    """Config values as HParams values (bool, int, float or str)."""
    out = {}
    for key, value in {**config, "seed": seed}.items():
        if isinstance(value, (bool, int, float, str)):
            out[key] = value
        else:
            out[key] = json.dumps(value, sort_keys=True, default=str)
    return out


def tensorboard_callbacks(log_dir: str, config: dict, seed: int, run_id: str | None = None):
    """Writes the run's hyperparameters and returns `[keras.callbacks.TensorBoard]`.

    Args:
        log_dir: Folder of this run's logs (e.g. `runs/tensorboard/<suite>/<run_id>`).
        config: The resolved config (logged with the HParams plugin).
        seed: The run's seed.
        run_id: Trial id shown by the HParams dashboard. Defaults to None.
    """
    import keras
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    writer = tf.summary.create_file_writer(log_dir)
    with writer.as_default():
        hp.hparams(hparams_of(config, seed), trial_id=run_id)
    writer.close()
    return [keras.callbacks.TensorBoard(log_dir=log_dir, write_graph=False)]
