"""scikit-learn's bundled datasets (no network)."""

from __future__ import annotations

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, split_arrays
from zoo.spec import DatasetSpec

SKLEARN_REF = "scikit-learn bundled copy (sklearn.datasets)"


def _classification(name: str, x: np.ndarray, y: np.ndarray, seed: int, input_shape=None,
                    input_kind="flat") -> Dataset:
    x = x.astype("float32")
    if input_shape is not None:
        x = x.reshape((-1, *input_shape))
    y = y.astype("int32")
    splits = split_arrays(x, y, seed=seed)
    spec = DatasetSpec(
        name=name,
        task="classification",
        input_kind=input_kind,
        input_shape=tuple(x.shape[1:]),
        num_classes=int(y.max()) + 1,
        output_dim=int(y.max()) + 1,
        sizes={s: len(v[1]) for s, v in splits.items()},
    )
    return Dataset(spec, splits)


@DATASETS.register(
    description="8x8 grey handwritten digits, 10 classes (1,797 images).",
    tasks=("classification",),
    input_kind="image",
    tags=("sklearn", "small", "image"),
    reference="UCI optical recognition of handwritten digits",
    extra={"source": SKLEARN_REF, "examples": 1797, "input_shape": [8, 8, 1],
           "num_classes": 10, "split": "60/20/20 stratified"},
)
def digits(seed: int = 0) -> Dataset:
    """Pixel values scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return _classification("digits", d.data / 16.0, d.target, seed, input_shape=(8, 8, 1),
                           input_kind="image")
