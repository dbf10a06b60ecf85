"""The Pipeline interface and `apply`, which adapts on the training split only."""

from __future__ import annotations

import inspect

from zoo.datasets.base import Dataset
from zoo.spec import DatasetSpec


class Pipeline:
    """Preprocessing adapted on training data, applied to every split.

    Subclasses override `adapt` (learn statistics from the training inputs,
    and labels when the pipeline is supervised, e.g. feature selection),
    `transform` (deterministic numpy-in / numpy-out), and optionally
    `output_spec` and `augmenter` (a Keras layer applied to training batches
    only, e.g. random flips).

    Args:
        spec: The input `DatasetSpec`.
    """

    def __init__(self, spec: DatasetSpec):
        self.spec = spec

    def adapt(self, x_train, y_train=None) -> None:
        """Learns statistics from the training split only. Defaults to nothing.

        Args:
            x_train: Training inputs.
            y_train: Training labels, for supervised preprocessing. `apply`
                passes them when `adapt` accepts a second argument (an
                override with only `x_train` keeps working).
        """

    def transform(self, x):
        """Returns transformed inputs. Defaults to the identity."""
        return x

    def output_spec(self, spec: DatasetSpec) -> DatasetSpec:
        """Returns the spec of transformed data. Defaults to `spec`."""
        return spec

    def augmenter(self):
        """Returns a Keras layer for training batches, or None."""
        return None


def build(name: str, spec: DatasetSpec, **kwargs) -> Pipeline:
    """Builds pipeline `name` for `spec`.

    Raises:
        ValueError: for an unknown pipeline or an option it does not accept.
    """
    from zoo.pipelines import PIPELINES
    from zoo.registry import check_options

    builder = PIPELINES.get(name)
    check_options("Pipeline", name, builder, kwargs, positional=1)
    return builder(spec, **kwargs)


def apply(name: str, dataset: Dataset, **kwargs) -> tuple[Dataset, object]:
    """Adapts pipeline `name` on the training split and transforms all splits.

    Args:
        name: Pipeline registry name (`zoo pipelines`).
        dataset: The `Dataset` to transform.
        **kwargs: Pipeline options.

    Returns:
        `(transformed_dataset, augmenter_or_None)`.
    """
    pipeline = build(name, dataset.spec, **kwargs)
    x_train, y_train = dataset.numpy("train")
    if _accepts_labels(pipeline.adapt):
        pipeline.adapt(x_train, y_train)
    else:
        pipeline.adapt(x_train)
    splits = {s: (pipeline.transform(x), y) for s, (x, y) in dataset.splits.items()}
    spec = pipeline.output_spec(dataset.spec)
    spec = spec.replace(extra={**spec.extra, "pipeline": name, "pipeline_options": dict(kwargs)})
    return dataset.with_splits(splits, spec), pipeline.augmenter()


def _accepts_labels(adapt) -> bool:
    params = list(inspect.signature(adapt).parameters.values())
    return len(params) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def run_layer(layer, x, batch_size: int = 4096, dtype: str = "float32"):
    """Applies a Keras layer to numpy inputs in chunks; returns a numpy array.

    Args:
        layer: A Keras layer (or `keras.utils.FeatureSpace`).
        x: A numpy array or a dict of equally long numpy column arrays.
        batch_size: Rows per call, to bound memory. Defaults to 4096.
        dtype: Output dtype. Defaults to "float32".

    Returns:
        A numpy array with one row per input row.
    """
    import keras
    import numpy as np

    n = len(next(iter(x.values()))) if isinstance(x, dict) else len(x)
    out = []
    for i in range(0, max(n, 1), batch_size):
        chunk = ({k: v[i:i + batch_size] for k, v in x.items()} if isinstance(x, dict)
                 else x[i:i + batch_size])
        out.append(keras.ops.convert_to_numpy(layer(chunk)))
    return np.concatenate(out).astype(dtype)


def check_array_input(name: str, spec: DatasetSpec) -> None:
    """Raises if a numeric pipeline gets raw tabular columns or strings.

    Raises:
        ValueError: naming the pipeline that fits the data instead.
    """
    if spec.input_kind == "tabular":
        raise ValueError(
            f"Pipeline {name!r} needs one numeric array, but dataset {spec.name!r} is a raw "
            "table (a dict of columns). Use pipeline 'tabular' for it. "
            f"Received: input_kind={spec.input_kind!r}"
        )
    if spec.input_dtype == "string" or spec.input_kind == "text":
        raise ValueError(
            f"Pipeline {name!r} needs numbers, but dataset {spec.name!r} holds raw text. "
            f"Use pipeline 'text' for it. Received: input_dtype={spec.input_dtype!r}"
        )
