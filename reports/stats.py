"""Aggregation over seeds and the "is the difference real?" rule.

Every number a report shows comes from here: mean, standard deviation
(ddof=1), a 95% confidence interval of the mean from the t-distribution, and
the count of finite values. A difference between two groups of runs is
judged by one documented rule (`compare`) on the Welch 95% confidence
interval of the difference of the means (both groups need at least two
finite values, else the comparison is `inconclusive`):

- the interval lies beyond zero: "a better" or "b better" (equivalently,
  Welch's t-test gives p < 0.05);
- else, with a declared smallest effect that matters (`effect`), the
  interval lies inside plus-or-minus that effect: "equivalent" (any real
  difference is too small to matter);
- else "within noise": the interval straddles the effect, the seeds cannot
  tell.

Each comparison also carries the smallest difference its seeds could detect
(`detectable`: 80% power at alpha 0.05, `detectable_difference`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from reports.ttest import LEVEL, POWER, _finite, detectable_difference, t_quantile, welch

__all__ = ["LEVEL", "POWER", "Comparison", "aggregate", "best_config", "best_vs_runner_up",
           "compare", "compare_axis", "compare_to_value", "detectable_difference",
           "higher_is_better", "performance_profile", "pivot", "rank", "summarize",
           "t_quantile", "time_to_target", "welch"]
LOWER_IS_BETTER = ("loss", "mae", "mse", "error", "time", "seconds", "epoch", "gap",
                   "roughness", "memory", "diverged", "dead", "distance", "collapsed")


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of `metric` is better (accuracy: yes; loss, time: no)."""
    name = metric.lower()
    if "samples_per_sec" in name or "accuracy" in name or "auc" in name:
        return True
    return not any(word in name for word in LOWER_IS_BETTER)


def summarize(values, level: float = LEVEL) -> dict:
    """Mean, std, confidence interval and count of the finite values.

    Args:
        values: Numbers (NaN and inf are left out and counted in `missing`).
        level: Confidence level. Defaults to 0.95.

    Returns:
        A dict with `mean, std, ci_low, ci_high, ci (half width), n, missing`.
        With one value std and the interval are NaN; with none, all are NaN.

    Example:

    >>> round(summarize([1.0, 2.0, 3.0])["ci"], 3)  # t(0.975, df=2) * std / sqrt(n)
    2.484
    """
    total = len(pd.Series(values))
    x = _finite(values)
    n = len(x)
    mean = float(x.mean()) if n else float("nan")
    std = float(x.std(ddof=1)) if n >= 2 else float("nan")
    half = t_quantile(n - 1, level) * std / math.sqrt(n) if n >= 2 else float("nan")
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half,
            "ci": half, "n": n, "missing": total - n}


def aggregate(runs: pd.DataFrame, by, metric: str, level: float = LEVEL) -> pd.DataFrame:
    """`summarize` of `metric` per group, plus run counts by status.

    Args:
        runs: A `reports.data.load_runs` frame.
        by: Column name or list of names to group by (e.g. the cell's axes, so
            the statistics are over seeds).
        metric: Column to summarize.

    Returns:
        One row per group: the group columns, then `mean, std, ci_low,
        ci_high, ci, n` (finite values), `runs`, `failed`, `diverged`.
    """
    by = [by] if isinstance(by, str) else list(by)
    rows = []
    for key, group in runs.groupby(by, dropna=False, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        status = group["status"] if "status" in group else pd.Series(["ok"] * len(group))
        s = summarize(group[metric] if metric in group else [np.nan] * len(group), level)
        s.pop("missing")
        rows.append({**dict(zip(by, key)), **s, "runs": len(group),
                     "failed": int((status == "failed").sum()),
                     "diverged": int((status == "diverged").sum())})
    columns = by + ["mean", "std", "ci_low", "ci_high", "ci", "n", "runs", "failed", "diverged"]
    return pd.DataFrame(rows, columns=columns)


def rank(summary: pd.DataFrame, higher: bool = True) -> pd.DataFrame:
    """Sorts an `aggregate` table best first and adds a 1-based `rank`; groups
    with no finite value come last."""
    out = summary.sort_values("mean", ascending=not higher, na_position="last")
    out = out.reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def compare_axis(runs: pd.DataFrame, axis: str, metric: str, level: float = LEVEL
                 ) -> pd.DataFrame:
    """Each value of `axis` marginalized over every other axis and seed, ranked.

    The spread therefore includes the variation across the other axes, not
    only across seeds; `best_vs_runner_up` says whether the top two differ.
    """
    return rank(aggregate(runs, axis, metric, level), higher_is_better(metric))


def pivot(runs: pd.DataFrame, rows: str, columns: str, metric: str) -> pd.DataFrame:
    """Mean of `metric` for each (rows, columns) pair, e.g. optimizer x learning rate."""
    try:
        return runs.pivot_table(index=rows, columns=columns, values=metric, aggfunc="mean",
                                dropna=False)
    except TypeError:  # mixed value types such as 32 and "full" do not sort together
        text = runs.assign(**{rows: runs[rows].astype(str), columns: runs[columns].astype(str)})
        return text.pivot_table(index=rows, columns=columns, values=metric, aggfunc="mean",
                                dropna=False)


@dataclasses.dataclass
class Comparison:
    """The outcome of comparing group `a` with group `b` on one metric.

    `outcome` is "a better", "b better", "equivalent" (the interval lies
    within +-`effect`), "within noise" or "inconclusive" (fewer than two
    finite values on a side). `diff` is mean(a) - mean(b); `diff_low` /
    `diff_high` its Welch 95% interval; `effect` the smallest difference that
    matters (NaN: none declared); `detectable` the smallest difference the
    seeds could detect with 80% power at alpha 0.05.
    """

    a: str
    b: str
    metric: str
    higher: bool
    mean_a: float
    mean_b: float
    ci_a: tuple
    ci_b: tuple
    n_a: int
    n_b: int
    diff: float
    diff_low: float
    diff_high: float
    p: float
    outcome: str
    effect: float = float("nan")
    detectable: float = float("nan")

    @property
    def margin(self) -> tuple[float, float, float]:
        """The difference oriented so that positive favours side `a` (the
        claim's side): `(margin, low, high)`."""
        sign = 1 if self.higher else -1
        low, high = sorted((sign * self.diff_low, sign * self.diff_high))
        return sign * self.diff, low, high

    @property
    def real(self) -> bool:
        return self.outcome in ("a better", "b better")

    def sentence(self, unit: str | None = None) -> str:
        """E.g. "adam beats rmsprop by 0.021 test_accuracy (95% CI of the margin 0.010
        to 0.032, p=0.003, 3 vs 3 values); the difference exceeds seed noise."

        The margin is the winner's advantage (positive = in the winner's favour).
        """
        unit = unit or self.metric
        if self.outcome == "inconclusive":
            return (f"{self.a} vs {self.b} on {unit}: inconclusive, only {self.n_a} and "
                    f"{self.n_b} finite values (at least 2 per side are needed to measure "
                    f"seed noise).")
        winner, loser = (self.a, self.b) if self.mean_better_is_a else (self.b, self.a)
        # The margin is oriented so that a positive number favours the winner.
        sign = 1 if self.mean_better_is_a == self.higher else -1
        low, high = sorted((sign * self.diff_low, sign * self.diff_high))
        detail = (f"by {_fmt(abs(self.diff))} {unit} (95% CI of the margin {_fmt(low)} to "
                  f"{_fmt(high)}, p={_fmt(self.p)}, {self.n_a} vs {self.n_b} values)")
        if self.real:
            return f"{winner} beats {loser} {detail}; the difference exceeds seed noise."
        if self.outcome == "equivalent":
            return (f"{self.a} and {self.b} are equivalent on {unit}: the 95% CI of the "
                    f"difference, {_fmt(self.diff_low)} to {_fmt(self.diff_high)}, lies within "
                    f"+-{_fmt(self.effect)}, the smallest effect that matters.")
        if _fmt(abs(self.diff)) == "0":
            return (f"{self.a} and {self.b} are level on {unit} ({self.n_a} vs {self.n_b} "
                    f"values).")
        tail = (f"; it straddles the smallest effect that matters ({_fmt(self.effect)}), "
                f"and these seeds detect {_fmt(self.detectable)} (80% power)"
                if math.isfinite(self.effect) else "")
        return (f"{winner} is ahead of {loser} {detail}, but the difference is within seed "
                f"noise{tail}.")

    @property
    def mean_better_is_a(self) -> bool:
        return self.mean_a >= self.mean_b if self.higher else self.mean_a <= self.mean_b


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return str(x)
    if abs(x) < 1e-12:  # floating-point residue of equal means
        return "0"
    return f"{x:.3g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def _outcome(diff_low: float, diff_high: float, higher: bool, effect: float) -> str:
    if diff_low > 0 or diff_high < 0:
        return "a better" if (diff_low > 0) == higher else "b better"
    if math.isfinite(effect) and -effect <= diff_low and diff_high <= effect:
        return "equivalent"
    return "within noise"


def compare_to_value(value: float, values, metric: str = "value", names=("a", "b"),
                     higher: bool | None = None, effect: float | None = None) -> Comparison:
    """One fixed number (side `a`, e.g. an ensemble's accuracy) against the mean
    of per-seed `values` (side `b`, e.g. its members'): the interval of the
    difference is `value` minus the 95% CI of the mean, judged by the same
    rule as `compare`.

    Example:

    >>> compare_to_value(0.95, [0.90, 0.91, 0.92], "test_accuracy", effect=0.01).outcome
    'a better'
    """
    higher = higher_is_better(metric) if higher is None else higher
    effect = float("nan") if effect is None else float(effect)
    s = summarize(values)
    base = dict(a=str(names[0]), b=str(names[1]), metric=metric, higher=higher,
                mean_a=float(value), mean_b=s["mean"], ci_a=(float(value), float(value)),
                ci_b=(s["ci_low"], s["ci_high"]), n_a=1, n_b=s["n"], effect=effect,
                detectable=detectable_difference(s["std"], s["n"]))
    diff = float(value) - s["mean"]
    if s["n"] < 2 or not math.isfinite(value):
        return Comparison(**base, diff=diff, diff_low=float("nan"), diff_high=float("nan"),
                          p=float("nan"), outcome="inconclusive")
    low, high = float(value) - s["ci_high"], float(value) - s["ci_low"]
    se = s["std"] / math.sqrt(s["n"])
    from scipy.special import stdtr

    p = float(2 * stdtr(s["n"] - 1, -abs(diff / se))) if se > 0 else float(diff == 0)
    return Comparison(**base, diff=diff, diff_low=low, diff_high=high, p=p,
                      outcome=_outcome(low, high, higher, effect))


def compare(a, b, metric: str = "value", names=("a", "b"), higher: bool | None = None,
            alpha: float = 0.05, effect: float | None = None) -> Comparison:
    """Compares two groups of per-seed values; see the module docstring for the rule.

    Args:
        a: Values of the first group (NaN/inf are dropped).
        b: Values of the second group.
        metric: Name used in sentences; also decides the direction when
            `higher` is None (see `higher_is_better`).
        names: Display names of the two groups.
        higher: Whether larger values are better. Defaults to the metric's
            direction.
        alpha: Significance level of the Welch test. Defaults to 0.05.
        effect: The smallest difference that matters (>= 0, in the metric's
            unit): an interval of the difference inside +-effect is
            "equivalent". Defaults to None (no equivalence verdict).

    Raises:
        ValueError: for a negative effect.

    Example:

    >>> c = compare([0.90, 0.91, 0.92], [0.80, 0.81, 0.80], "test_accuracy", ("adam", "sgd"))
    >>> c.outcome, c.sentence()
    ('a better', 'adam beats sgd by 0.107 test_accuracy ...')
    """
    higher = higher_is_better(metric) if higher is None else higher
    if effect is not None and not effect >= 0:
        raise ValueError(f"The smallest effect that matters is a number >= 0 in the unit of "
                         f"{metric!r}. Received: effect={effect!r}")
    effect = float("nan") if effect is None else float(effect)
    sa, sb = summarize(a), summarize(b)
    base = dict(a=str(names[0]), b=str(names[1]), metric=metric, higher=higher,
                mean_a=sa["mean"], mean_b=sb["mean"], ci_a=(sa["ci_low"], sa["ci_high"]),
                ci_b=(sb["ci_low"], sb["ci_high"]), n_a=sa["n"], n_b=sb["n"], effect=effect,
                detectable=detectable_difference(sa["std"], sa["n"], sb["std"], sb["n"], alpha))
    if sa["n"] < 2 or sb["n"] < 2:
        diff = sa["mean"] - sb["mean"]
        return Comparison(**base, diff=diff, diff_low=float("nan"), diff_high=float("nan"),
                          p=float("nan"), outcome="inconclusive")
    diff, low, high, p = welch(a, b)
    return Comparison(**base, diff=diff, diff_low=low, diff_high=high, p=p,
                      outcome=_outcome(low, high, higher, effect))


def best_vs_runner_up(runs: pd.DataFrame, axis: str, metric: str) -> Comparison | None:
    """Compares the two best values of `axis` on `metric` over all their runs."""
    table = compare_axis(runs, axis, metric)
    table = table[table["n"] > 0]
    if len(table) < 2:
        return None
    first, second = table.iloc[0][axis], table.iloc[1][axis]
    pick = lambda v: runs.loc[_equal(runs[axis], v), metric]  # noqa: E731
    return compare(pick(first), pick(second), metric, (_name(first), _name(second)))


def _name(value) -> str:
    """An axis value as text: None/NaN is "none", 0.001 stays "0.001"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "none"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _equal(column: pd.Series, value) -> pd.Series:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return column.isna()
    return column.astype(object) == value


def best_config(runs: pd.DataFrame, axes: list[str], select: str, report: str) -> dict | None:
    """The cell with the best mean `select` (a validation metric) over seeds.

    Returns:
        `{"config": {axis: value}, "select": summary, "report": summary}` with
        the summaries of the selection metric and of the reported (test)
        metric for that cell, or None when no cell has a finite value.
    """
    if not axes:
        axes = ["cell_id"]
    table = rank(aggregate(runs, axes, select), higher_is_better(select))
    table = table[table["n"] > 0]
    if table.empty:
        return None
    top = table.iloc[0]
    config = {a: top[a] for a in axes}
    mask = np.logical_and.reduce([_equal(runs[a], v) for a, v in config.items()])
    return {"config": config, "select": summarize(runs.loc[mask, select]),
            "report": summarize(runs.loc[mask, report]) if report in runs else None}


def performance_profile(times: pd.DataFrame, taus=None) -> pd.DataFrame:
    """Dolan & Moré performance profiles.

    For each problem (row) the ratio of each method's (column) time to the
    best time on that problem; rho(tau) is the fraction of problems whose
    ratio is <= tau. NaN, inf and non-positive times (failures, divergences,
    never reaching the target) count as infinite; a problem no method solved
    counts as unsolved for everyone.

    Args:
        times: problems x methods table of times (e.g. seconds to target).
        taus: Values of tau. Defaults to 1, every finite ratio, and a last
            point past the largest ratio (at least 2).

    Returns:
        A DataFrame indexed by `tau` with one column per method.

    Example:

    >>> t = pd.DataFrame({"adam": [1.0, 2.0], "sgd": [2.0, np.inf]})
    >>> performance_profile(t, taus=[1, 2]).to_dict("list")
    {'adam': [1.0, 1.0], 'sgd': [0.0, 0.5]}
    """
    values = times.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    values = np.where(np.isfinite(values) & (values > 0), values, np.inf)
    best = values.min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = np.where(np.isfinite(best), values / best, np.inf)
    if taus is None:
        finite = ratios[np.isfinite(ratios)]
        top = float(finite.max()) if finite.size else 1.0
        taus = np.unique(np.concatenate([[1.0], np.sort(finite), [max(top * 1.05, 2.0)]]))
    taus = np.asarray(list(taus), dtype=float)
    n = max(len(values), 1)
    rho = {m: [float((ratios[:, j] <= tau).sum()) / n for tau in taus]
           for j, m in enumerate(times.columns)}
    return pd.DataFrame(rho, index=pd.Index(taus, name="tau"))


def time_to_target(runs: pd.DataFrame, column: str = "target_epoch") -> pd.Series:
    """Time to the target per run, with "never" as inf.

    Runs that failed, diverged or did not reach the target within their
    epochs (NaN in `load_runs`) all become inf, as performance profiles and
    the time-to-target findings require.
    """
    out = pd.to_numeric(runs[column], errors="coerce").astype(float)
    return out.where(out.notna(), np.inf)
