"""Loss and metrics by name and task.

Classification models output probabilities (softmax), so the default loss is
`sparse_categorical_crossentropy` on integer labels. Any loss that needs a
target per class ("mse", "categorical_crossentropy", "hinge", ...) gets the
labels one-hot encoded in the tf.data map (`label_map`), which is how claim
C12 (cross-entropy vs mean squared error) is run. Regression and
reconstruction default to "mse". Metrics: accuracy for classification (sparse
or categorical to match the labels, always named "accuracy"), mae otherwise.
Importing this module does not import TensorFlow.

Example:

>>> from benchmarks.run.losses import resolve_loss
>>> loss, metrics, label_map = resolve_loss("mse", "classification", num_classes=10)
"""

from __future__ import annotations

from zoo.registry import did_you_mean

# Losses computed on integer class ids; every other loss gets one-hot labels.
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)
LOSSES = (
    "sparse_categorical_crossentropy",
    "categorical_crossentropy",
    "mse",
    "mean_squared_error",
    "mae",
    "mean_absolute_error",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
)
DEFAULT_LOSS = {"classification": "sparse_categorical_crossentropy", "regression": "mse",
                "reconstruction": "mse"}
# Losses that only make sense with one target per class.
_CLASSIFICATION_ONLY = ("sparse_categorical_crossentropy", "categorical_crossentropy",
                        "categorical_hinge", "kl_divergence")


def check_loss(name, task: str | None = None) -> None:
    """Raises a clear `ValueError` for an unknown loss (or one that misfits the task).

    Args:
        name: None (the task's default) or a name from `LOSSES`.
        task: Optionally the dataset task, to reject e.g. cross-entropy on regression.

    Raises:
        ValueError: naming the closest known losses.
    """
    if name is None:
        return
    if name not in LOSSES:
        raise ValueError(
            f"Unknown loss {name!r}.{did_you_mean(str(name), LOSSES)} Expected one of: "
            f"{', '.join(LOSSES)}, or None for the task's default. Received: loss={name!r}"
        )
    if task in ("regression", "reconstruction") and name in _CLASSIFICATION_ONLY:
        raise ValueError(
            f"The loss {name!r} needs class labels but the dataset's task is {task!r}: "
            f"use 'mse', 'mae', 'huber' or None. Received: loss={name!r}"
        )


def resolve_loss(name, task: str, num_classes: int | None = None):
    """Returns `(loss, metrics, label_map)` for a loss name and a task.

    Args:
        name: None for the task default, or a name from `LOSSES`.
        task: "classification", "regression" or "reconstruction".
        num_classes: Number of classes (classification only).

    Returns:
        A Keras loss object, a list of Keras metric objects, and a
        `(x, y) -> (x, y)` function to map over batches (one-hot labels) or None.

    Raises:
        ValueError: for an unknown loss or one that misfits the task.
    """
    import keras

    check_loss(name, task)
    name = name or DEFAULT_LOSS[task]
    loss = keras.losses.get(name)
    if task != "classification":
        return loss, [keras.metrics.MeanAbsoluteError(name="mae")], None
    if name in SPARSE_LOSSES:
        return loss, [keras.metrics.SparseCategoricalAccuracy(name="accuracy")], None

    def one_hot(x, y):
        import tensorflow as tf

        return x, tf.one_hot(tf.cast(tf.reshape(y, [-1]), "int32"), int(num_classes))

    return loss, [keras.metrics.CategoricalAccuracy(name="accuracy")], one_hot
