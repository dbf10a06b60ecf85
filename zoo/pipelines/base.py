"""The Pipeline interface and `apply`, which adapts on the training split only."""

from __future__ import annotations

import inspect

from zoo.datasets.base import Dataset
from zoo.spec import DatasetSpec


class Pipeline:
    """Preprocessing adapted on training data, applied to every split.

    Subclasses override `adapt` (learn statistics from the training inputs),
    `transform` (deterministic numpy-in / numpy-out), and optionally
    `output_spec` and `augmenter` (a Keras layer applied to training batches
    only, e.g. random flips).

    Args:
        spec: The input `DatasetSpec`.
    """

    def __init__(self, spec: DatasetSpec):
        self.spec = spec

    def adapt(self, x_train) -> None:
        """Learns statistics from the training inputs. Defaults to nothing."""

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

    builder = PIPELINES.get(name)
    params = inspect.signature(builder).parameters
    if not any(p.kind == p.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(kwargs) - set(params) )
        if unknown:
            raise ValueError(
                f"Pipeline {name!r} does not accept options {unknown}: it accepts "
                f"{sorted(set(params) - {'spec'})}. Received: {kwargs}"
            )
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
    x_train, _ = dataset.numpy("train")
    pipeline.adapt(x_train)
    splits = {s: (pipeline.transform(x), y) for s, (x, y) in dataset.splits.items()}
    spec = pipeline.output_spec(dataset.spec)
    spec = spec.replace(extra={**spec.extra, "pipeline": name})
    return dataset.with_splits(splits, spec), pipeline.augmenter()
