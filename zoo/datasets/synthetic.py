"""Synthetic sets generated on the fly: spirals, moons, wide_scales, adding.

The data itself comes from a fixed generator seed (`DATA_SEED`), so every
split seed splits the *same* examples; `seed` only changes the split.
"""

from __future__ import annotations

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, from_arrays

DATA_SEED = 1234
SPLIT = "60/20/20 train/validation/test (stratified for classes) by the split seed"


def _check_n(name: str, n_samples: int, minimum: int = 20) -> int:
    if int(n_samples) < minimum:
        raise ValueError(
            f"Dataset {name!r} needs n_samples >= {minimum} so that every split is "
            f"non-empty: raise n_samples. Received: n_samples={n_samples}"
        )
    return int(n_samples)


@DATASETS.register(
    description="Two interleaved 2-D spirals, 2 classes: not linearly separable.",
    tasks=("classification",),
    input_kind="flat",
    tags=("synthetic", "small", "nonlinear"),
    reference="Lang & Witbrock (1988), Learning to tell two spirals apart",
    extra={"source": "generated (numpy)", "size": 1000, "input_shape": [2], "num_classes": 2,
           "split": SPLIT},
)
def spirals(seed: int = 0, n_samples: int = 1000, noise: float = 0.05,
            turns: float = 1.5) -> Dataset:
    """Points on two spiral arms, the second rotated by 180 degrees.

    Args:
        seed: Split seed. Defaults to 0.
        n_samples: Total points (half per class). Defaults to 1000.
        noise: Standard deviation of Gaussian noise added to each coordinate
            (the arms are 1 / (2 * turns) apart). Defaults to 0.05.
        turns: Number of turns of each arm. Defaults to 1.5.
    """
    n = _check_n("spirals", n_samples)
    rng = np.random.default_rng(DATA_SEED)
    y = (np.arange(n) % 2).astype("int32")
    t = np.sqrt(rng.uniform(0.0, 1.0, n)) * turns * 2 * np.pi
    r = t / (turns * 2 * np.pi)
    sign = np.where(y == 0, 1.0, -1.0)
    x = np.stack([sign * r * np.cos(t), sign * r * np.sin(t)], axis=1)
    x = x + noise * rng.normal(size=x.shape)
    return from_arrays("spirals", x.astype("float32"), y, seed=seed, num_classes=2,
                       feature_names=("x1", "x2"), extra={"noise": noise, "turns": turns})


@DATASETS.register(
    description="scikit-learn's two interleaving half circles, 2 classes.",
    tasks=("classification",),
    input_kind="flat",
    tags=("synthetic", "sklearn", "small", "nonlinear"),
    reference="sklearn.datasets.make_moons",
    extra={"source": "generated (sklearn.datasets.make_moons)", "size": 1000,
           "input_shape": [2], "num_classes": 2, "split": SPLIT},
)
def moons(seed: int = 0, n_samples: int = 1000, noise: float = 0.2) -> Dataset:
    """Two moons with Gaussian noise.

    Args:
        seed: Split seed. Defaults to 0.
        n_samples: Total points. Defaults to 1000.
        noise: Standard deviation of the Gaussian noise. Defaults to 0.2.
    """
    from sklearn.datasets import make_moons

    n = _check_n("moons", n_samples)
    x, y = make_moons(n_samples=n, noise=noise, random_state=DATA_SEED)
    return from_arrays("moons", x.astype("float32"), y, seed=seed, num_classes=2,
                       feature_names=("x1", "x2"), extra={"noise": noise})


@DATASETS.register(
    description="Flat features on wildly different scales (1e-3 .. 1e4, with offsets), "
    "3 classes; no missing values. Raw vs standardized inputs (claim C11).",
    tasks=("classification",),
    input_kind="flat",
    tags=("synthetic", "small", "scales", "C11"),
    reference="LeCun et al. (1998), Efficient BackProp, section 4.3 (normalizing the inputs)",
    extra={"source": "generated (numpy)", "size": 2000, "input_shape": [10], "num_classes": 3,
           "split": SPLIT},
)
def wide_scales(seed: int = 0, n_samples: int = 2000, n_features: int = 10,
                n_classes: int = 3, min_scale: float = 1e-3,
                max_scale: float = 1e4) -> Dataset:
    """A linear-ish classification task whose features have very different scales.

    Latent features `z ~ N(0, 1)` decide the class (`argmax(z @ W + noise)`,
    about 90% attainable accuracy); the observed feature `j` is
    `z_j * scale_j + offset_j` with scales log-spaced from `min_scale` to
    `max_scale` and offsets of a few scales, so every feature matters but
    the raw inputs are badly conditioned.

    Args:
        seed: Split seed. Defaults to 0.
        n_samples: Rows. Defaults to 2000.
        n_features: Columns (>= 2). Defaults to 10.
        n_classes: Classes (>= 2). Defaults to 3.
        min_scale: Smallest feature scale. Defaults to 1e-3.
        max_scale: Largest feature scale. Defaults to 1e4.
    """
    n = _check_n("wide_scales", n_samples)
    if n_features < 2 or n_classes < 2 or not 0 < min_scale <= max_scale:
        raise ValueError(
            "wide_scales needs n_features >= 2, n_classes >= 2 and "
            f"0 < min_scale <= max_scale. Received: n_features={n_features}, "
            f"n_classes={n_classes}, min_scale={min_scale}, max_scale={max_scale}"
        )
    rng = np.random.default_rng(DATA_SEED)
    z = rng.normal(size=(n, n_features))
    w = rng.normal(size=(n_features, n_classes))
    y = np.argmax(z @ w + 0.5 * rng.normal(size=(n, n_classes)), axis=1)
    scales = rng.permutation(np.logspace(np.log10(min_scale), np.log10(max_scale), n_features))
    offsets = scales * rng.uniform(-5.0, 5.0, n_features)
    x = (z * scales + offsets).astype("float32")
    return from_arrays("wide_scales", x, y, seed=seed, num_classes=n_classes,
                       feature_names=tuple(f"f{j}" for j in range(n_features)),
                       extra={"scales": [float(s) for s in scales]})


@DATASETS.register(
    description="The adding problem: sum the two marked values of a long (T, 2) sequence "
    "(regression; predicting 1.0 always gives MSE 0.167).",
    tasks=("regression",),
    input_kind="sequence",
    tags=("synthetic", "sequence", "long-range"),
    reference="Hochreiter & Schmidhuber (1997), Long short-term memory, experiment 4",
    extra={"source": "generated (numpy)", "size": 2000, "input_shape": [50, 2],
           "num_classes": None, "split": SPLIT},
)
def adding(seed: int = 0, n_samples: int = 2000, length: int = 50) -> Dataset:
    """Channel 0: uniform values in [0, 1]; channel 1: two 1-markers.

    One marker falls in the first half of the sequence and one in the
    second, so a model must carry information across at least `length / 2`
    steps. The target is the sum of the two marked values.

    Args:
        seed: Split seed. Defaults to 0.
        n_samples: Sequences. Defaults to 2000.
        length: Sequence length T (>= 2). Defaults to 50.
    """
    n = _check_n("adding", n_samples)
    if int(length) < 2:
        raise ValueError(f"adding needs length >= 2. Received: length={length}")
    length = int(length)
    rng = np.random.default_rng(DATA_SEED)
    values = rng.uniform(0.0, 1.0, size=(n, length))
    half = length // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, length, n)
    marks = np.zeros((n, length))
    marks[np.arange(n), first] = 1.0
    marks[np.arange(n), second] = 1.0
    x = np.stack([values, marks], axis=-1).astype("float32")
    y = (values[np.arange(n), first] + values[np.arange(n), second]).astype("float32")
    return from_arrays("adding", x, y, seed=seed, task="regression", input_kind="sequence",
                       feature_names=("value", "marker"),
                       extra={"length": length, "baseline_mse": 1 / 6})
