"""`tfds:<name>`: TensorFlow Datasets by name, converted to numpy splits."""

from __future__ import annotations

import numpy as np

from zoo.datasets.base import Dataset, carve_validation, from_arrays


def _to_numpy(ds) -> tuple[np.ndarray, np.ndarray]:
    """Concatenates a supervised `tf.data.Dataset` into `(x, y)` numpy arrays."""
    import tensorflow_datasets as tfds

    xs, ys = [], []
    for x, y in tfds.as_numpy(ds.batch(1024)):
        xs.append(x)
        ys.append(y)
    if not xs:
        raise ValueError("The TFDS split is empty: choose another split or slice.")
    return np.concatenate(xs), np.concatenate(ys)


def _prepare_x(x: np.ndarray) -> tuple[np.ndarray, str, str]:
    """Returns `(x, input_kind, input_dtype)`: images to float32 in [0, 1]."""
    if x.dtype.kind in "SUO":
        return np.array([v.decode() if isinstance(v, bytes) else str(v) for v in x],
                        dtype=object), "text", "string"
    if x.dtype == np.uint8 and x.ndim >= 3:
        if x.ndim == 3:  # (n, h, w) grey images without a channel axis
            x = x[..., None]
        return (x.astype("float32") / 255.0), "image", "float32"
    kind = "sequence" if x.ndim == 3 else "flat"
    return x.astype("float32"), kind, "float32"


def _num_classes(info) -> int | None:
    """The label feature's class count, or None (then the labels decide)."""
    try:
        label_key = info.supervised_keys[1]
        return int(info.features[label_key].num_classes)
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def load_tfds(name: str, seed: int = 0, data_dir: str | None = None, split=None,
              download: bool | None = None, validation_fraction: float = 0.2,
              task: str = "classification") -> Dataset:
    """Loads a supervised TensorFlow Datasets set into numpy splits.

    Images (uint8) are scaled to float32 in [0, 1], labels become int32;
    string features stay raw strings (input kind "text"). The dataset's own
    test split is the test split; validation is carved out of the training
    split deterministically by `seed`.

    Args:
        name: TFDS name, optionally with config / version ("mnist",
            "mnist:3.*.*").
        seed: Split seed (train / validation only). Defaults to 0.
        data_dir: Where TFDS keeps its data. Defaults to TFDS's default.
        split: None for the builder's "train" and "test" splits; a pair
            `(train_split, test_split)` of TFDS split strings (slices allowed,
            e.g. `("train[:2000]", "test[:500]")`); or one split string, which
            is divided 60/20/20 into train / validation / test.
        download: Download and prepare when missing. Defaults to True
            without `data_dir` and to False when a `data_dir` is given (use
            what is there, never the network).
        validation_fraction: Fraction of the training split kept for
            validation. Defaults to 0.2.
        task: "classification" (int32 labels) or "regression". Defaults to
            "classification".

    Returns:
        A `Dataset`.

    Raises:
        ValueError: if the dataset cannot be loaded (unknown name, not in
            `data_dir` with `download=False`, no supervised keys).

    Example:

    >>> ds = load_tfds("mnist", data_dir="~/tensorflow_datasets", split=("train[:10%]", "test"))
    """
    import tensorflow_datasets as tfds

    if download is None:
        download = data_dir is None
    if split is None:
        split = ("train", "test")
    wanted = [split] if isinstance(split, str) else list(split)
    if len(wanted) not in (1, 2):
        raise ValueError(
            "split must be None, one TFDS split string, or a (train, test) pair of "
            f"split strings. Received: split={split!r}"
        )
    try:
        parts, info = tfds.load(name, split=wanted, data_dir=data_dir, download=download,
                                as_supervised=True, with_info=True)
    except Exception as e:  # TFDS raises many types; say what to do about each
        raise ValueError(
            f"Could not load TFDS dataset {name!r} (split={wanted}, data_dir={data_dir!r}, "
            f"download={download}): {type(e).__name__}: {e}. Check the name "
            "(`tfds.list_builders()`), that the data is prepared in data_dir when "
            "download=False, and that the dataset has supervised (input, label) keys."
        ) from e
    arrays = [_to_numpy(p) for p in parts]
    x0, kind, dtype = _prepare_x(arrays[0][0])

    def labels(y):
        return y.astype("int32") if task == "classification" else y.astype("float32")

    extra = {"source": f"tensorflow_datasets {name}", "tfds_split": wanted,
             "data_dir": data_dir}
    fields = dict(task=task, input_kind=kind, input_dtype=dtype, extra=extra)
    if task == "classification":
        fields["num_classes"] = _num_classes(info)
    if dtype == "string":
        fields["input_shape"] = ()
    if len(arrays) == 1:
        return from_arrays(f"tfds:{name}", x0, labels(arrays[0][1]), seed=seed, **fields)
    train, val = carve_validation(x0, labels(arrays[0][1]), seed=seed,
                                  fraction=validation_fraction)
    test = (_prepare_x(arrays[1][0])[0], labels(arrays[1][1]))
    return from_arrays(f"tfds:{name}", None, None,
                       splits={"train": train, "validation": val, "test": test}, **fields)
