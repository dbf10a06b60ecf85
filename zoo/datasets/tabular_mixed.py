"""`tabular_mixed`: a raw table with missing values, strings and mixed scales."""

from __future__ import annotations

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, from_arrays
from zoo.datasets.synthetic import DATA_SEED, SPLIT, _check_n

CITIES = ("north", "south", "east", "west", "center")
PLANS = ("basic", "plus", "pro")
COLUMNS = {"age": "numeric", "income": "numeric", "ratio": "numeric", "score": "numeric",
           "visits": "numeric", "city": "categorical", "plan": "categorical"}


@DATASETS.register(
    description="Customer-like table: numeric columns on scales from 1e-3 to 1e4 with "
    "missing values (NaN), string categorical columns; binary target. Needs the "
    "`tabular` pipeline.",
    tasks=("classification",),
    input_kind="tabular",
    tags=("synthetic", "tabular", "missing-values", "categorical", "scales", "C11"),
    reference="synthetic; preprocess with keras.utils.FeatureSpace (`tabular` pipeline)",
    extra={"source": "generated (numpy)", "size": 2000, "input_shape": [len(COLUMNS)],
           "num_classes": 2, "split": SPLIT, "columns": COLUMNS},
)
def tabular_mixed(seed: int = 0, n_samples: int = 2000, missing: float = 0.1) -> Dataset:
    """A dict of column arrays: float32 numeric (NaN = missing), str categorical.

    Columns: `age` (~1e1), `income` (~1e4, log-normal), `ratio` (~1e-3),
    `score` (~1), `visits` (counts), `city` (5 strings, "" = missing) and
    `plan` (3 strings). The label follows a logistic model of all of them,
    so every column carries signal.

    Args:
        seed: Split seed. Defaults to 0.
        n_samples: Rows. Defaults to 2000.
        missing: Fraction of missing values in `age`, `income`, `ratio` (and
            half that in `city`). Defaults to 0.1.
    """
    n = _check_n("tabular_mixed", n_samples)
    if not 0 <= missing < 1:
        raise ValueError(f"missing must be in [0, 1). Received: missing={missing}")
    rng = np.random.default_rng(DATA_SEED)
    age = np.clip(rng.normal(45, 15, n), 18, 90)
    income = rng.lognormal(10.5, 0.6, n)
    ratio = rng.uniform(0, 5e-3, n)
    score = rng.normal(0, 1, n)
    visits = rng.poisson(3, n).astype("float64")
    city = rng.integers(0, len(CITIES), n)
    plan = rng.integers(0, len(PLANS), n)
    logit = (0.05 * (age - 45) + 1.2 * (np.log(income) - 10.5) / 0.6
             + 600 * (ratio - 2.5e-3) + 0.8 * score + 0.3 * (visits - 3)
             + np.array([-1.0, -0.5, 0.0, 0.5, 1.0])[city] + np.array([-0.8, 0.0, 0.8])[plan])
    y = (logit + rng.logistic(0, 0.5, n) > 0).astype("int32")
    x = {"age": age, "income": income, "ratio": ratio, "score": score, "visits": visits}
    x = {k: v.astype("float32") for k, v in x.items()}
    for k in ("age", "income", "ratio"):
        x[k][rng.uniform(size=n) < missing] = np.nan
    city_names = np.array(CITIES, dtype=object)[city]
    city_names[rng.uniform(size=n) < missing / 2] = ""
    x["city"] = city_names
    x["plan"] = np.array(PLANS, dtype=object)[plan]
    return from_arrays("tabular_mixed", x, y, seed=seed, input_kind="tabular", num_classes=2,
                       extra={"columns": dict(COLUMNS)})
