"""scikit-learn's bundled datasets (no network)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, from_arrays, split_arrays
from zoo.datasets.cache import cached_arrays

SKLEARN_REF = "scikit-learn bundled copy (sklearn.datasets)"
SPLIT = "60/20/20 train/validation/test, stratified for classes, by the split seed"


def _bundled(loader: str) -> SimpleNamespace:
    """`sklearn.datasets.<loader>()`'s data, target and feature names, cached on disk.

    Keyed by scikit-learn's installed version, so a worker that loads the same
    set again reads one `.npz` instead of importing scikit-learn, SciPy and
    pandas (about 0.8 s).
    """
    from importlib.metadata import version

    def load() -> dict:
        import sklearn.datasets

        d = getattr(sklearn.datasets, loader)()
        return {"data": np.asarray(d.data), "target": np.asarray(d.target),
                "feature_names": np.asarray(d.feature_names, dtype=str)}

    arrays = cached_arrays(f"sklearn-{loader}", {"scikit-learn": version("scikit-learn")},
                           load)
    return SimpleNamespace(data=arrays["data"], target=arrays["target"],
                           feature_names=[str(n) for n in arrays["feature_names"]])


def _classification(name: str, x: np.ndarray, y: np.ndarray, seed: int, input_shape=None,
                    input_kind="flat", feature_names=()) -> Dataset:
    x = np.asarray(x, dtype="float32")
    if input_shape is not None:
        x = x.reshape((-1, *input_shape))
    return from_arrays(name, x, y, seed=seed, input_kind=input_kind,
                       feature_names=tuple(feature_names))


def _card(description, size, input_shape, num_classes, reference, tags=(), kind="flat",
          task="classification"):
    return dict(
        description=description,
        tasks=(task,),
        input_kind=kind,
        tags=("sklearn", "small", *tags),
        reference=reference,
        extra={"source": SKLEARN_REF, "size": size, "input_shape": input_shape,
               "num_classes": num_classes, "split": SPLIT},
    )


@DATASETS.register(**_card("8x8 grey handwritten digits, 10 classes (1,797 images).", 1797,
                           [8, 8, 1], 10, "UCI optical recognition of handwritten digits",
                           tags=("image",), kind="image"))
def digits(seed: int = 0) -> Dataset:
    """Pixel values scaled to [0, 1]."""
    d = _bundled("load_digits")
    return _classification("digits", d.data / 16.0, d.target, seed, input_shape=(8, 8, 1),
                           input_kind="image")


@DATASETS.register(**_card("Breast cancer Wisconsin: 30 cell-nucleus measurements, benign vs "
                           "malignant (569 rows; raw features on different scales).", 569,
                           [30], 2, "UCI breast cancer Wisconsin (diagnostic)",
                           tags=("tabular", "binary")))
def breast_cancer(seed: int = 0) -> Dataset:
    """Raw (unscaled) features; use the `standardize` pipeline to scale them."""
    d = _bundled("load_breast_cancer")
    return _classification("breast_cancer", d.data, d.target, seed,
                           feature_names=d.feature_names)


@DATASETS.register(**_card("Wine: 13 chemical measurements, 3 cultivars (178 rows; raw "
                           "features on different scales).", 178, [13], 3,
                           "UCI wine recognition", tags=("tabular",)))
def wine(seed: int = 0) -> Dataset:
    """Raw (unscaled) features; use the `standardize` pipeline to scale them."""
    d = _bundled("load_wine")
    return _classification("wine", d.data, d.target, seed, feature_names=d.feature_names)


@DATASETS.register(**_card("Iris: 4 flower measurements, 3 species (150 rows).", 150, [4], 3,
                           "Fisher (1936), UCI iris", tags=("tabular",)))
def iris(seed: int = 0) -> Dataset:
    """Sepal and petal lengths and widths in cm."""
    d = _bundled("load_iris")
    return _classification("iris", d.data, d.target, seed, feature_names=d.feature_names)


@DATASETS.register(**_card("Diabetes: 10 baseline variables -> disease progression after one "
                           "year (442 rows, regression).", 442, [10], None,
                           "Efron et al. (2004), Least angle regression",
                           tags=("tabular", "regression"), task="regression"))
def diabetes(seed: int = 0, scale_target: bool = True) -> Dataset:
    """Regression; features come mean-centred and scaled by scikit-learn.

    Args:
        seed: Split seed. Defaults to 0.
        scale_target: Standardize the target with the *training* split's mean
            and standard deviation (kept in `spec.extra`), so losses are in
            units of one standard deviation. Defaults to True.
    """
    d = _bundled("load_diabetes")
    splits = split_arrays(d.data.astype("float32"), d.target.astype("float32"), seed=seed)
    extra = {}
    if scale_target:
        mean, std = float(splits["train"][1].mean()), float(splits["train"][1].std())
        splits = {s: (x, ((y - mean) / std).astype("float32")) for s, (x, y) in splits.items()}
        extra = {"target_mean": mean, "target_std": std}
    return from_arrays("diabetes", None, None, task="regression", splits=splits,
                       feature_names=tuple(d.feature_names), extra=extra)
