"""The backend comparison of a report: the same workloads on TensorFlow, JAX and PyTorch.

A suite whose runs differ in `backend` (e.g. the built-in `backends` suite)
gets one row per workload (the other varying axes: model, dataset, ...) and
backend: the test metric over seeds with its confidence interval, whether
it differs from the reference backend's (TensorFlow when present) beyond
seed noise (Welch test, `reports.stats.compare`, as everywhere in the
reports), steady-state samples/s and its ratio to the reference, compile
time (the first epoch beyond a steady one) and MFU (against each backend's
own measured matmul peak). Runs that leave `backend` out ran on its
default, TensorFlow (`zoo.axes`).

Example:

>>> table = compare_backends(runs, "test_accuracy")
>>> table.table[["model", "backend", "accuracy vs tensorflow", "samples/s"]]
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from reports import stats
from zoo.axes import AXES

AXIS = "backend"


@dataclasses.dataclass
class BackendComparison:
    """The backend section of a report.

    Attributes:
        reference: The backend the others are compared with.
        workload: The axes a workload is made of (the other varying axes).
        table: One row per workload and backend (see the module docstring).
        sentences: One Welch-test sentence per workload and compared backend.
    """

    reference: str
    workload: list[str]
    table: pd.DataFrame
    sentences: list[str]


def _mean(values) -> float:
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    x = x[np.isfinite(x)]
    return float(x.mean()) if len(x) else float("nan")


def compare_backends(runs: pd.DataFrame, metric: str | None,
                     workload: list[str] | None = None) -> BackendComparison | None:
    """The backend comparison of a suite's runs, or None when they ran on one backend.

    Args:
        runs: A `reports.data.load_runs` frame.
        metric: The reported test metric (e.g. "test_accuracy"), or None.
        workload: The axes that make a workload (the suite's other varying
            axes). Defaults to those of ("model", "dataset") in `runs`.

    Returns:
        A `BackendComparison`, or None without a `backend` column holding
        two or more backends, or without a metric.
    """
    if metric is None or AXIS not in runs or metric not in runs:
        return None
    default = AXES[AXIS].default
    runs = runs.assign(**{AXIS: runs[AXIS].astype(object).where(runs[AXIS].notna(), default)})
    backends = list(dict.fromkeys(runs[AXIS]))
    if len(backends) < 2:
        return None
    reference = default if default in backends else backends[0]
    backends = [reference] + [b for b in backends if b != reference]
    if workload is None:
        workload = [c for c in ("model", "dataset") if c in runs]
    higher = stats.higher_is_better(metric)
    short = metric[len("test_"):] if metric.startswith("test_") else metric
    rows, sentences = [], []
    groups = runs.groupby(workload, dropna=False, sort=False) if workload else [((), runs)]
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        ok = group[group["status"] == "ok"]
        ref = ok[ok[AXIS] == reference]
        ref_speed = _mean(ref["samples_per_sec"]) if "samples_per_sec" in ok else float("nan")
        for backend in backends:
            mine = ok[ok[AXIS] == backend]
            summary = stats.summarize(mine[metric])
            row = {**dict(zip(workload, key)), "backend": backend,
                   "runs": int((group[AXIS] == backend).sum()), "ok": len(mine),
                   short: summary["mean"], "ci": summary["ci"]}
            if backend == reference:
                row[f"{short} vs {reference}"] = "reference"
                row["p"] = float("nan")
            else:
                c = stats.compare(mine[metric], ref[metric], metric, (backend, reference),
                                  higher=higher)
                row[f"{short} vs {reference}"] = c.outcome.replace(
                    "a better", f"{backend} better").replace("b better", f"{reference} better")
                row["p"] = c.p
                label = ", ".join(str(k) for k in key if k is not None and not pd.isna(k))
                sentences.append(f"{label}: {c.sentence()}" if label else c.sentence())
            speed = _mean(mine["samples_per_sec"]) if "samples_per_sec" in mine else float("nan")
            row.update({"samples/s": speed,
                        f"speed vs {reference}": speed / ref_speed if ref_speed else float("nan"),
                        "compile s": _mean(mine.get("compile_time", [])),
                        "mfu": _mean(mine.get("mfu", []))})
            rows.append(row)
    return BackendComparison(reference, list(workload), pd.DataFrame(rows), sentences)
