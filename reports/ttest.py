"""Student t machinery behind `reports.stats`: quantiles, Welch's test, and
the smallest difference a test of given size detects (power).

Kept apart from `reports.stats` (which re-exports `t_quantile` and `welch`)
so each module stays small; nothing here knows about runs or DataFrames.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LEVEL = 0.95
POWER = 0.8


def t_quantile(df: float, level: float = LEVEL) -> float:
    """Two-sided t quantile, e.g. 2.776 for df=4 at 95%.

    Uses `scipy.special.stdtrit` (scipy is a dependency of scikit-learn).
    """
    if not df or math.isnan(df) or df <= 0:
        return float("nan")
    from scipy.special import stdtrit  # far lighter to import than scipy.stats

    return float(stdtrit(df, 0.5 + level / 2))


def _finite(values) -> np.ndarray:
    arr = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    return arr[np.isfinite(arr)]


def welch(a, b) -> tuple[float, float, float, float]:
    """Welch's t-test: returns `(diff, diff_low, diff_high, p)` for mean(a) - mean(b).

    Two groups without variance give p=0 when their means differ and p=1
    when they are equal.
    """
    a, b = _finite(a), _finite(b)
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff, (0.0 if diff != 0 else 1.0)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    t = diff / se
    half = t_quantile(df) * se
    from scipy.special import stdtr

    p = float(2 * stdtr(df, -abs(t)))
    return diff, diff - half, diff + half, p


def detectable_difference(std_a: float, n_a: int, std_b: float | None = None,
                          n_b: int | None = None, alpha: float = 0.05,
                          power: float = POWER) -> float:
    """The smallest true difference of means a two-sided Welch test at `alpha`
    detects with probability `power`, given the groups' spread and sizes:
    `(t(1 - alpha/2, df) + t(power, df)) * se`. With `std_b`/`n_b` None it is
    the one-sample case (a mean against a fixed value).

    Returns:
        The difference, in the metric's unit (NaN with fewer than 2 values).

    Example:

    >>> round(detectable_difference(0.01, 3, 0.01, 3), 4)   # 3 vs 3 seeds, sd 0.01
    0.0329
    """
    if n_a is None or n_a < 2 or (n_b is not None and n_b < 2):
        return float("nan")
    va = std_a ** 2 / n_a
    vb = 0.0 if n_b is None else std_b ** 2 / n_b
    se = math.sqrt(va + vb)
    if se == 0:
        return 0.0
    if n_b is None:
        df = n_a - 1
    else:
        df = (va + vb) ** 2 / ((va ** 2 / (n_a - 1) if va else 0) + (vb ** 2 / (n_b - 1) if vb
                                                                      else 0))
    return (t_quantile(df, 1 - alpha) + t_quantile(df, 2 * power - 1)) * se
