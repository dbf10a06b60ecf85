"""MNIST-1D, generated locally with the `mnist1d` package (never downloaded)."""

from __future__ import annotations

import random

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, carve_validation, from_arrays
from zoo.datasets.cache import cached_arrays

SEQ_LEN = 40
SPLITS = ("carve", "paper")
VALIDATION_SEED = 43  # the separately generated validation set of split="paper"


def _generate(n_samples: int, shuffle_seq: bool, seed: int | None = None
              ) -> dict[str, np.ndarray]:
    """Runs `mnist1d.data.make_dataset`, cached on disk by its arguments
    (`seed`: the generator's seed, None for the package default 42)."""
    from importlib.metadata import version

    from mnist1d.data import get_dataset_args, make_dataset
    from mnist1d.utils import ObjectView

    args = get_dataset_args(as_dict=True)
    args.update(num_samples=int(n_samples), shuffle_seq=bool(shuffle_seq))
    if seed is not None:
        args["seed"] = int(seed)
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
                    "stratified, by the split seed (3200/800/1000 by default); "
                    "split='paper': all 4000 train signals train, validation generated "
                    "separately (generator seed 43, 1000 signals), 1000 test"},
)
def mnist1d(seed: int = 0, n_samples: int = 5000, num_samples: int | None = None,
            shuffle_seq: bool = False, split: str = "carve") -> Dataset:
    """Signals of shape (40, 1): Conv1D / GRU take them as is, MLPs flatten.

    Args:
        seed: Split seed for train / validation (the test split is fixed).
            Defaults to 0.
        n_samples: Examples generated in total (>= 50). Defaults to 5000.
        num_samples: Alias of `n_samples` (the `mnist1d` package's name).
        shuffle_seq: Apply one fixed permutation to the 40 positions, which
            destroys spatial structure (the paper's "shuffled" control).
            Defaults to False.
        split: "carve" (validation = 20% of the training signals, chosen by
            `seed`) or "paper" (the MNIST-1D paper's split: every training
            signal trains, 4,000 of the default 5,000; the validation
            signals are generated separately by the same generator with
            seed 43, as many as the test set, so `seed` does not change the
            data). Defaults to "carve".

    Raises:
        ValueError: for fewer than 50 examples or an unknown `split`.

    Example:

    >>> ds = mnist1d(split="paper")   # 4000 / 1000 / 1000, as in the paper
    """
    n = int(num_samples if num_samples is not None else n_samples)
    if n < 50:
        raise ValueError(
            "mnist1d needs at least 50 examples (5 per class per split) to make a "
            f"train / validation / test split: raise n_samples. Received: n_samples={n}"
        )
    if split not in SPLITS:
        raise ValueError(f"mnist1d's split is one of {', '.join(map(repr, SPLITS))} "
                         f"('paper': all training signals train, validation generated "
                         f"separately). Received: split={split!r}")
    d = _generate(n, shuffle_seq)

    def prep(x):
        return x.astype("float32").reshape((-1, SEQ_LEN, 1))

    if split == "paper":
        extra_set = _generate(n, shuffle_seq, seed=VALIDATION_SEED)
        train = (prep(d["x"]), d["y"].astype("int32"))
        val = (prep(extra_set["x_test"]), extra_set["y_test"].astype("int32"))
    else:
        train, val = carve_validation(prep(d["x"]), d["y"].astype("int32"), seed=seed)
    splits = {"train": train, "validation": val,
              "test": (prep(d["x_test"]), d["y_test"].astype("int32"))}
    return from_arrays("mnist1d", None, None, splits=splits, input_kind="sequence",
                       num_classes=10, extra={"shuffle_seq": bool(shuffle_seq), "split": split})
