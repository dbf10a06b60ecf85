"""`tabular`: raw tables (missing values, strings) -> one float32 matrix."""

from __future__ import annotations

import numpy as np

from zoo.pipelines import PIPELINES
from zoo.pipelines.base import Pipeline, run_layer

MISSING_SUFFIX = "__missing"


def _columns(x, spec) -> dict:
    """A dict of columns: raw tables as they are, matrices split per column."""
    if isinstance(x, dict):
        return x
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(
            f"Pipeline 'tabular' needs a table: a dict of columns or a 2-D matrix, but "
            f"dataset {spec.name!r} has examples of shape {tuple(x.shape[1:])}. Use "
            f"'standardize' or 'identity' instead. Received: input_kind={spec.input_kind!r}"
        )
    names = spec.feature_names if len(spec.feature_names) == x.shape[1] else [
        f"f{j}" for j in range(x.shape[1])]
    return {str(n): x[:, j] for j, n in enumerate(names)}


class Tabular(Pipeline):
    """Impute, normalize and one-hot encode a table with `keras.utils.FeatureSpace`.

    Numeric columns: missing values (NaN) are replaced by the training
    mean, with a 0/1 missing-indicator column when the training split has
    missing values there (`missing_indicator=True`), then normalized.
    String columns: a string lookup one-hot encoding (unseen strings go to
    one out-of-vocabulary slot; "" is a category of its own). The result is
    one float32 matrix: the output spec has input kind "flat".

    Args:
        spec: Input `DatasetSpec`.
        missing_indicator: Add indicator columns for imputed values.
            Defaults to True.
        normalize: Normalize numeric columns (else only impute).
            Defaults to True.
    """

    def __init__(self, spec, missing_indicator=True, normalize=True):
        super().__init__(spec)
        self.missing_indicator, self.normalize = missing_indicator, normalize
        self.kinds = dict(spec.extra.get("columns", {}))

    def _kind(self, name, values):
        if name in self.kinds:
            return self.kinds[name]
        return "numeric" if np.asarray(values).dtype.kind in "biuf" else "categorical"

    def _fill(self, columns):
        out = {}
        for name, values in columns.items():
            if self.kinds[name] == "categorical":
                out[name] = np.asarray([str(v) for v in values], dtype=object)
                continue
            values = np.asarray(values, dtype="float32")
            missing = np.isnan(values)
            out[name] = np.where(missing, self.means[name], values).astype("float32")
            if name in self.indicators:
                out[name + MISSING_SUFFIX] = missing.astype("float32")
        return out

    def adapt(self, x_train, y_train=None):
        import keras
        import tensorflow as tf

        columns = _columns(x_train, self.spec)
        self.kinds = {n: self._kind(n, v) for n, v in columns.items()}
        self.means, self.indicators, features = {}, set(), {}
        FS = keras.utils.FeatureSpace
        for name, values in columns.items():
            if self.kinds[name] == "categorical":
                features[name] = FS.string_categorical(num_oov_indices=1, output_mode="one_hot")
                continue
            values = np.asarray(values, dtype="float64")
            observed = values[~np.isnan(values)]
            self.means[name] = float(observed.mean()) if observed.size else 0.0
            features[name] = FS.float_normalized() if self.normalize else FS.float()
            if self.missing_indicator and observed.size < values.size:
                self.indicators.add(name)
                features[name + MISSING_SUFFIX] = FS.float()
        self.space = FS(features, output_mode="concat")
        filled = self._fill(columns)
        self.space.adapt(tf.data.Dataset.from_tensor_slices(filled).batch(1024))
        self.width = int(self.transform({k: v[:1] for k, v in columns.items()}
                                        if isinstance(x_train, dict) else x_train[:1]).shape[1])

    def transform(self, x):
        return run_layer(self.space, self._fill(_columns(x, self.spec)))

    def output_spec(self, spec):
        extra = {**spec.extra, "columns": dict(self.kinds), "imputed_means": dict(self.means),
                 "missing_indicators": sorted(self.indicators)}
        return spec.replace(input_kind="flat", input_shape=(self.width,), input_dtype="float32",
                            feature_names=(), extra=extra)


@PIPELINES.register(
    description="Tables with missing values and string columns -> one float32 matrix: "
    "mean imputation (+ missing indicators), normalization, one-hot strings "
    "(keras.utils.FeatureSpace, adapted on the training split).",
    tasks=("classification", "regression"),
    input_kind="tabular",
    tags=("tabular", "missing-values", "categorical", "C11"),
    reference="keras.utils.FeatureSpace",
    axes=("missing_indicator", "normalize"),
    defaults={"missing_indicator": True, "normalize": True},
)
def tabular(spec, missing_indicator=True, normalize=True):
    return Tabular(spec, missing_indicator=missing_indicator, normalize=normalize)
