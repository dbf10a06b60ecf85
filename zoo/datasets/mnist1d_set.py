"""MNIST-1D, generated locally with the `mnist1d` package (never downloaded)."""

from __future__ import annotations

import random

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, carve_validation, from_arrays
from zoo.datasets.cache import cached_arrays

SEQ_LEN = 40


def _generate(n_samples: int, shuffle_seq: bool) -> dict[str, np.ndarray]:
    """Runs `mnist1d.data.make_dataset`, cached on disk by its arguments."""
    from importlib.metadata import version

    from mnist1d.data import get_dataset_args, make_dataset
    from mnist1d.utils import ObjectView

    args = get_dataset_args(as_dict=True)
    args.update(num_samples=int(n_samples), shuffle_seq=bool(shuffle_seq))
    key = {k: v for k, v in args.items() if k != "url"}
    key["mnist1d_version"] = version("mnist1d")

    def make():
        # make_dataset seeds the global numpy / random generators: restore them.
        np_state, py_state = np.random.get_state(), random.getstate()
        try:
            d = make_dataset(ObjectView(dict(args)))
        finally:
            np.random.set_state(np_state)
            random.setstate(py_state)
        return {k: np.asarray(d[k]) for k in ("x", "y", "x_test", "y_test")}

    return cached_arrays("mnist1d", key, make)


@DATASETS.register(
    description="MNIST-1D: 10 digit templates turned into noisy, shifted 1-D signals of "
    "length 40 (5,000 by default), generated locally.",
    tasks=("classification",),
    input_kind="sequence",
    tags=("mnist1d", "sequence", "small", "synthetic"),
    reference="Greydanus (2020), Scaling down deep learning (github.com/greydanus/mnist1d)",
    extra={"source": "generated with mnist1d.data.make_dataset (package defaults, seed 42), "
                     "cached under $ZOO_CACHE_DIR or ~/.cache/zoo",
           "size": 5000, "input_shape": [SEQ_LEN, 1], "num_classes": 10,
           "split": "the package's 80/20 train/test split; validation = 20% of train, "
                    "stratified, by the split seed (3200/800/1000 by default)"},
)
def mnist1d(seed: int = 0, n_samples: int = 5000, num_samples: int | None = None,
            shuffle_seq: bool = False) -> Dataset:
    """Signals of shape (40, 1): Conv1D / GRU take them as is, MLPs flatten.

    Args:
        seed: Split seed for train / validation (the test split is fixed).
            Defaults to 0.
        n_samples: Examples generated in total (>= 50). Defaults to 5000.
        num_samples: Alias of `n_samples` (the `mnist1d` package's name).
        shuffle_seq: Apply one fixed permutation to the 40 positions, which
            destroys spatial structure (the paper's "shuffled" control).
            Defaults to False.
    """
    n = int(num_samples if num_samples is not None else n_samples)
    if n < 50:
        raise ValueError(
            "mnist1d needs at least 50 examples (5 per class per split) to make a "
            f"train / validation / test split: raise n_samples. Received: n_samples={n}"
        )
    d = _generate(n, shuffle_seq)

    def prep(x):
        return x.astype("float32").reshape((-1, SEQ_LEN, 1))

    train, val = carve_validation(prep(d["x"]), d["y"].astype("int32"), seed=seed)
    splits = {"train": train, "validation": val,
              "test": (prep(d["x_test"]), d["y_test"].astype("int32"))}
    return from_arrays("mnist1d", None, None, splits=splits, input_kind="sequence",
                       num_classes=10, extra={"shuffle_seq": bool(shuffle_seq)})
