"""The dataset spec: what a model builder needs to know about its data."""

from __future__ import annotations

import dataclasses
from typing import Any

TASKS = ("classification", "regression", "reconstruction", "generation")


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Shape and task of a dataset, after any pipeline has been applied.

    Args:
        name: Dataset name as given to `zoo.datasets.load`.
        task: One of `TASKS`.
        input_kind: "flat", "image", "sequence", "text" or "tabular".
        input_shape: Shape of one example, without the batch dimension.
        num_classes: Number of classes for classification, else None.
        output_dim: Width of the model's output (classes, targets, or the
            flattened input size for reconstruction).
        sizes: Number of examples per split: train / validation / test.
        vocab_size: Token vocabulary size for integer token inputs.
        input_dtype: "float32", "int32" or "string".
        feature_names: Column names of tabular data.
        extra: Anything else a loader wants to report.

    Example:

    >>> DatasetSpec("digits", "classification", "image", (8, 8, 1), 10, 10,
    ...             {"train": 1077, "validation": 360, "test": 360})
    """

    name: str
    task: str
    input_kind: str
    input_shape: tuple
    num_classes: int | None
    output_dim: int
    sizes: dict[str, int] = dataclasses.field(default_factory=dict)
    vocab_size: int | None = None
    input_dtype: str = "float32"
    feature_names: tuple[str, ...] = ()
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def replace(self, **changes) -> "DatasetSpec":
        """Returns a copy with `changes` applied."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Returns the spec as JSON-serializable values."""
        d = dataclasses.asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["feature_names"] = list(self.feature_names)
        return d
