"""The Dataset container: numpy splits, a spec, and tf.data pipelines."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from zoo.spec import DatasetSpec

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass
class Dataset:
    """Deterministic train / validation / test splits of one dataset.

    `x` arrays are numpy arrays, or dicts of numpy column arrays for raw
    tabular data (which a `tabular` pipeline turns into one float matrix).
    `y` arrays are integer class ids (classification), float targets
    (regression) or the inputs themselves (reconstruction).

    Args:
        spec: The `DatasetSpec`.
        splits: `{"train": (x, y), "validation": (x, y), "test": (x, y)}`.

    Example:

    >>> ds = zoo.datasets.load("digits", seed=0)
    >>> x, y = ds.numpy("train")
    >>> train = ds.tf_dataset("train", batch_size=32, shuffle=True, seed=0)
    """

    spec: DatasetSpec
    splits: dict[str, tuple[Any, Any]]

    def numpy(self, split: str) -> tuple[Any, Any]:
        """Returns `(x, y)` of a split.

        Raises:
            ValueError: for a split name other than train / validation / test.
        """
        if split not in self.splits:
            raise ValueError(
                f"Unknown split {split!r} for dataset {self.spec.name!r}: expected "
                f"one of {SPLITS}. Received: split={split!r}"
            )
        return self.splits[split]

    def with_splits(self, splits: dict, spec: DatasetSpec | None = None) -> "Dataset":
        """Returns a new Dataset with other arrays (and optionally spec)."""
        return Dataset(spec=spec or self.spec, splits=splits)

    def tf_dataset(
        self,
        split: str,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        map_fn: Callable | None = None,
        drop_remainder: bool = False,
    ):
        """Returns a batched, cached, prefetched `tf.data.Dataset` of a split.

        The data is cached before shuffling, so each epoch reshuffles with a
        seeded order (deterministic for a seed) without re-reading the arrays.

        Args:
            split: "train", "validation" or "test".
            batch_size: Batch size (>= 1; clipped to the split size).
            shuffle: Reshuffle each epoch. Defaults to False.
            seed: Shuffle seed. Defaults to 0.
            map_fn: Optional `(x, y) -> (x, y)` applied per batch after
                batching (e.g. augmentation on the training split only).
            drop_remainder: Drop the last partial batch. Defaults to False.

        Returns:
            A `tf.data.Dataset` of `(x, y)` batches.
        """
        import tensorflow as tf

        x, y = self.numpy(split)
        n = len(y)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
        if shuffle:
            ds = ds.shuffle(n, seed=seed, reshuffle_each_iteration=True)
        ds = ds.batch(max(1, min(int(batch_size), n)), drop_remainder=drop_remainder)
        if map_fn is not None:
            ds = ds.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        return ds.prefetch(tf.data.AUTOTUNE)


def from_arrays(
    name: str,
    x: Any,
    y: np.ndarray,
    seed: int = 0,
    task: str = "classification",
    input_kind: str = "flat",
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
    splits: dict | None = None,
    **spec_fields,
) -> Dataset:
    """Builds a `Dataset` and its `DatasetSpec` from all examples of a set.

    Splits `(x, y)` with `split_arrays` (unless `splits` is given) and fills
    in the spec: input shape from `x`, class count from the labels, exact
    split sizes. Classification labels become int32 class ids, regression
    targets float32.

    Args:
        name: Dataset name for the spec.
        x: Inputs: an array, or a dict of equally long column arrays
            (tabular data; `feature_names` defaults to its keys).
        y: Labels or targets.
        seed: Split seed. Defaults to 0.
        task: "classification" or "regression". Defaults to "classification".
        input_kind: Spec input kind. Defaults to "flat".
        fractions: Train / validation / test fractions.
        splits: Ready-made splits to use instead of splitting `(x, y)`.
        **spec_fields: Other `DatasetSpec` fields (`num_classes`,
            `input_dtype`, `feature_names`, `extra`, ...).

    Returns:
        A `Dataset`.

    Example:

    >>> ds = from_arrays("blobs", np.zeros((10, 2)), np.arange(10) % 2,
    ...                  fractions=(0.6, 0.2, 0.2))
    """
    if splits is None:
        y = np.asarray(y)
        y = y.astype("int32") if task == "classification" else y.astype("float32")
        splits = split_arrays(x, y, seed=seed, fractions=fractions)
    x_train, y_train = splits["train"]
    if isinstance(x_train, dict):
        spec_fields.setdefault("feature_names", tuple(x_train))
        input_shape = (len(x_train),)
    else:
        input_shape = tuple(np.asarray(x_train).shape[1:])
    if task == "classification":
        num_classes = spec_fields.pop("num_classes", None) or int(
            max(int(np.max(v[1])) for v in splits.values()) + 1
        )
        output_dim = num_classes
    else:
        num_classes = spec_fields.pop("num_classes", None)
        output_dim = 1 if np.ndim(y_train) == 1 else int(np.shape(y_train)[1])
    spec = DatasetSpec(
        name=name,
        task=task,
        input_kind=input_kind,
        input_shape=spec_fields.pop("input_shape", input_shape),
        num_classes=num_classes,
        output_dim=spec_fields.pop("output_dim", output_dim),
        sizes={s: int(len(v[1])) for s, v in splits.items()},
        **spec_fields,
    )
    return Dataset(spec, splits)


def split_arrays(
    x: Any,
    y: np.ndarray,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
    stratify: bool = True,
) -> dict[str, tuple[Any, Any]]:
    """Splits arrays into deterministic train / validation / test parts.

    Args:
        x: Array (or dict of column arrays) with `len(y)` rows.
        y: Targets.
        seed: Split seed; the same seed gives the same split. Defaults to 0.
        fractions: Train / validation / test fractions summing to 1.
        stratify: Keep class proportions for integer targets. Defaults to True.

    Returns:
        `{"train": (x, y), "validation": (x, y), "test": (x, y)}`.

    Raises:
        ValueError: if fractions do not sum to 1 or a split would be empty.
    """
    if abs(sum(fractions) - 1.0) > 1e-6 or min(fractions) <= 0:
        raise ValueError(
            "Split fractions must be three positive numbers summing to 1. "
            f"Received: fractions={fractions}"
        )
    n = len(y)
    rng = np.random.default_rng(seed)
    if stratify and np.issubdtype(np.asarray(y).dtype, np.integer):
        parts = {s: [] for s in SPLITS}
        for cls in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == cls))
            a = int(round(fractions[0] * len(idx)))
            b = a + int(round(fractions[1] * len(idx)))
            parts["train"].append(idx[:a])
            parts["validation"].append(idx[a:b])
            parts["test"].append(idx[b:])
        index = {s: rng.permutation(np.concatenate(v)) for s, v in parts.items()}
    else:
        idx = rng.permutation(n)
        a = int(round(fractions[0] * n))
        b = a + int(round(fractions[1] * n))
        index = {"train": idx[:a], "validation": idx[a:b], "test": idx[b:]}
    for s, ix in index.items():
        if len(ix) == 0:
            raise ValueError(
                f"Split {s!r} would be empty with {n} examples and fractions "
                f"{fractions}: use more data or larger fractions."
            )
    return {s: (_take(x, ix), np.asarray(y)[ix]) for s, ix in index.items()}


def carve_validation(x: Any, y: np.ndarray, seed: int = 0, fraction: float = 0.2,
                     stratify: bool = True) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Splits a training set into deterministic train and validation parts.

    For datasets that come with their own test split (MNIST-1D, TFDS):
    the test split stays fixed and only train / validation depend on `seed`.

    Args:
        x: Array (or dict of column arrays) with `len(y)` rows.
        y: Targets.
        seed: Split seed. Defaults to 0.
        fraction: Fraction of rows for validation. Defaults to 0.2.
        stratify: Keep class proportions for integer targets. Defaults to True.

    Returns:
        `((x_train, y_train), (x_val, y_val))`.

    Raises:
        ValueError: if `fraction` is not in (0, 1) or a part would be empty.
    """
    if not 0 < fraction < 1:
        raise ValueError(
            f"The validation fraction must be strictly between 0 and 1. "
            f"Received: fraction={fraction}"
        )
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    if stratify and np.issubdtype(y.dtype, np.integer):
        groups = [rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)]
    else:
        groups = [rng.permutation(len(y))]
    cut = [int(round(fraction * len(g))) for g in groups]
    val = rng.permutation(np.concatenate([g[:c] for g, c in zip(groups, cut)]))
    train = rng.permutation(np.concatenate([g[c:] for g, c in zip(groups, cut)]))
    if len(val) == 0 or len(train) == 0:
        raise ValueError(
            f"Carving a validation fraction of {fraction} out of {len(y)} training "
            "examples leaves an empty part: use more data or another fraction."
        )
    return (_take(x, train), y[train]), (_take(x, val), y[val])


def _take(x: Any, index: np.ndarray) -> Any:
    """Rows `index` of an array, or of every column of a dict of column arrays."""
    if isinstance(x, dict):
        return {k: v[index] for k, v in x.items()}
    return x[index]
