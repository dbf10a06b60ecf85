"""Identity and feature-scaling pipelines (`standardize`, `minmax`)."""

from __future__ import annotations

import numpy as np

from zoo.pipelines import PIPELINES
from zoo.pipelines.base import Pipeline, check_array_input, run_layer

ALL_TASKS = ("classification", "regression", "reconstruction")


@PIPELINES.register(
    description="Pass inputs through unchanged.",
    tasks=ALL_TASKS,
    input_kind="any",
    tags=("basic",),
)
def identity(spec):
    return Pipeline(spec)


class Standardize(Pipeline):
    """Zero mean, unit variance per feature, with training-split statistics.

    A `keras.layers.Normalization` adapted on the training inputs.

    Args:
        spec: Input `DatasetSpec`.
        axis: Axis kept separate (one mean / variance per index on it):
            -1 = per feature (flat) or per channel (images, sequences);
            None = one mean and variance for all values. Defaults to -1.
    """

    def __init__(self, spec, axis=-1):
        super().__init__(spec)
        check_array_input("standardize", spec)
        self.axis = axis
        self.layer = None

    def adapt(self, x_train, y_train=None):
        import keras

        self.layer = keras.layers.Normalization(axis=self.axis)
        self.layer.adapt(np.asarray(x_train, dtype="float32"))

    def transform(self, x):
        return run_layer(self.layer, np.asarray(x, dtype="float32"))

    def output_spec(self, spec):
        return spec.replace(input_dtype="float32")


class MinMax(Pipeline):
    """Scales each feature to [0, 1] with the training split's min and max.

    A `keras.layers.Normalization` with `mean=min` and `variance=(max-min)^2`;
    validation / test values outside the training range map outside [0, 1]
    unless `clip=True`. Constant features map to 0.

    Args:
        spec: Input `DatasetSpec`.
        axis: Axis kept separate (as in `standardize`). Defaults to -1.
        clip: Clip transformed values to [0, 1]. Defaults to False.
    """

    def __init__(self, spec, axis=-1, clip=False):
        super().__init__(spec)
        check_array_input("minmax", spec)
        self.axis, self.clip = axis, clip
        self.layer = None

    def adapt(self, x_train, y_train=None):
        import keras

        x = np.asarray(x_train, dtype="float32")
        if self.axis is None:
            reduce = tuple(range(x.ndim))
        else:
            reduce = tuple(a for a in range(x.ndim) if a != self.axis % x.ndim)
        lo, hi = x.min(axis=reduce), x.max(axis=reduce)
        span = np.where(hi > lo, hi - lo, 1.0)
        self.min, self.max = lo, hi
        self.layer = keras.layers.Normalization(axis=self.axis, mean=lo, variance=span ** 2)

    def transform(self, x):
        out = run_layer(self.layer, np.asarray(x, dtype="float32"))
        return np.clip(out, 0.0, 1.0) if self.clip else out

    def output_spec(self, spec):
        return spec.replace(input_dtype="float32")


@PIPELINES.register(
    description="Standardize features to zero mean and unit variance (statistics from the "
    "training split; keras.layers.Normalization).",
    tasks=ALL_TASKS,
    input_kind="any",
    tags=("basic", "scaling", "C11"),
    reference="LeCun et al. (1998), Efficient BackProp, section 4.3",
    axes=("axis",),
    defaults={"axis": -1},
)
def standardize(spec, axis=-1):
    return Standardize(spec, axis=axis)


@PIPELINES.register(
    description="Min-max scale features to [0, 1] (training split's min and max).",
    tasks=ALL_TASKS,
    input_kind="any",
    tags=("basic", "scaling"),
    axes=("axis", "clip"),
    defaults={"axis": -1, "clip": False},
)
def minmax(spec, axis=-1, clip=False):
    return MinMax(spec, axis=axis, clip=clip)
