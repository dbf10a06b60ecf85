"""Loss and metrics by name and task.

Classification models output probabilities (softmax), so the default loss is
`sparse_categorical_crossentropy` on integer labels. Any loss that needs a
target per class ("mse", "categorical_crossentropy", "hinge", ...) gets the
labels one-hot encoded in the tf.data map (`label_map`), which is how claim
C12 (cross-entropy vs mean squared error) is run. `label_smoothing` > 0
(the axis) makes the cross-entropy `CategoricalCrossentropy(label_smoothing=...)`
on one-hot labels (Keras's sparse cross-entropy has no smoothing); other
losses take no smoothing (`check_loss` says so). Regression and
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
# Losses label smoothing applies to (as CategoricalCrossentropy on one-hot labels).
SMOOTHABLE = ("sparse_categorical_crossentropy", "categorical_crossentropy")
# Losses that only make sense with one target per class.
_CLASSIFICATION_ONLY = ("sparse_categorical_crossentropy", "categorical_crossentropy",
                        "categorical_hinge", "kl_divergence")


def label_encoding(loss, label_smoothing: float = 0.0) -> str:
    """How a classification run's labels are encoded: "sparse" (class ids) or "one-hot".

    Runs that share a graph (`benchmarks.matrix.planner.pack_key`) see the
    same label tensors, so they must agree on it.

    Example:

    >>> label_encoding(None), label_encoding("mse"), label_encoding(None, 0.1)
    ('sparse', 'one-hot', 'one-hot')
    """
    sparse = loss in (None, *SPARSE_LOSSES) and not float(label_smoothing or 0.0)
    return "sparse" if sparse else "one-hot"


def check_loss(name, task: str | None = None, label_smoothing: float = 0.0) -> None:
    """Raises a clear `ValueError` for an unknown loss (or one that misfits the task).

    Args:
        name: None (the task's default) or a name from `LOSSES`.
        task: Optionally the dataset task, to reject e.g. cross-entropy on regression.
        label_smoothing: The `label_smoothing` axis: > 0 needs a cross-entropy
            loss on a classification task. Defaults to 0.

    Raises:
        ValueError: naming the closest known losses.
    """
    from zoo.references import is_reference, resolve

    if is_reference(name):  # user code: a keras.losses.Loss class or (y_true, y_pred) function
        resolve(name, "loss")
        if label_smoothing:
            raise ValueError(f"label_smoothing applies to the built-in cross-entropy, not to "
                             f"the loss {name!r}: set label_smoothing = 0. "
                             f"Received: label_smoothing={label_smoothing!r}")
        return
    if name is not None and name not in LOSSES:
        raise ValueError(
            f"Unknown loss {name!r}.{did_you_mean(str(name), LOSSES)} Expected one of: "
            f"{', '.join(LOSSES)}, or None for the task's default. Received: loss={name!r}"
        )
    if name in _CLASSIFICATION_ONLY and task in ("regression", "reconstruction"):
        raise ValueError(
            f"The loss {name!r} needs class labels but the dataset's task is {task!r}: "
            f"use 'mse', 'mae', 'huber' or None. Received: loss={name!r}"
        )
    if label_smoothing and (name not in (None, *SMOOTHABLE) or task not in (None,
                                                                          "classification")):
        raise ValueError(
            f"label_smoothing applies to the cross-entropy of a classification task, not to "
            f"loss {name!r} on task {task!r}: set label_smoothing = 0 or use loss = "
            f"\"categorical_crossentropy\" (or the default). Received: "
            f"label_smoothing={label_smoothing!r}")


def resolve_loss(name, task: str, num_classes: int | None = None,
                 label_smoothing: float = 0.0):
    """Returns `(loss, metrics, label_map)` for a loss name and a task.

    Args:
        name: None for the task default, a name from `LOSSES`, or a reference
            `"module:attr"` to a `keras.losses.Loss` class or a `(y_true,
            y_pred)` function; for classification it gets the class ids (as
            `sparse_categorical_crossentropy` does) and the model's probabilities.
        task: "classification", "regression" or "reconstruction".
        num_classes: Number of classes (classification only).
        label_smoothing: Smoothing of the cross-entropy targets, in [0, 1).
            Defaults to 0 (hard labels).

    Returns:
        A Keras loss object, a list of Keras metric objects, and a
        `(x, y) -> (x, y)` function to map over batches (one-hot labels) or None.

    Raises:
        ValueError: for an unknown loss or one that misfits the task.
    """
    import keras

    from zoo.references import is_reference, resolve

    check_loss(name, task, label_smoothing)
    name = name or DEFAULT_LOSS[task]
    if is_reference(name):  # user loss on the labels as they are (class ids for classification)
        fn = resolve(name, "loss")
        loss = fn() if isinstance(fn, type) else fn
        metric = (keras.metrics.SparseCategoricalAccuracy(name="accuracy")
                  if task == "classification" else keras.metrics.MeanAbsoluteError(name="mae"))
        return loss, [metric], None
    loss = keras.losses.get(name)
    if label_smoothing:  # one-hot targets: sparse cross-entropy has no smoothing
        name = "categorical_crossentropy"
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=float(label_smoothing))
    if task != "classification":
        return loss, [keras.metrics.MeanAbsoluteError(name="mae")], None
    if name in SPARSE_LOSSES:
        return loss, [keras.metrics.SparseCategoricalAccuracy(name="accuracy")], None

    def one_hot(x, y):
        import tensorflow as tf

        return x, tf.one_hot(tf.cast(tf.reshape(y, [-1]), "int32"), int(num_classes))

    return loss, [keras.metrics.CategoricalAccuracy(name="accuracy")], one_hot
