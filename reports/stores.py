"""Several results stores read as one (`zoo report --store A --store B`).

Each machine of a distributed benchmark may keep its own store; the report
reads their union without merging them first. A run id found in several
stores appears once, with the row `zoo merge` would keep: a finished (`ok` /
`diverged`) row before a `failed` one before a `running` one, else the first
store's. Of a suite row, the newest `updated_at`. `zoo merge` also lists the
runs whose records differ; the report does not.

Like `reports.data`, this imports neither TensorFlow nor `benchmarks`.

Example:

>>> store_paths("runs/zoo.sqlite")
['runs/zoo.sqlite']
>>> store_paths(["runs/a.sqlite", "runs/b.sqlite"])
['runs/a.sqlite', 'runs/b.sqlite']
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pandas as pd

# Which row of a run found in several stores is read: lowest first (NaN: running, last).
STATUS_RANK = {"ok": 0, "diverged": 0, "failed": 1}


def store_paths(store) -> list[str]:
    """The paths a `store` argument names.

    Args:
        store: One path (str or PathLike), or a list of paths.

    Returns:
        A list of path strings, in the order given.

    Raises:
        ValueError: for an empty list.
    """
    if not store:
        raise ValueError(f"No results store given. Pass --store PATH (repeatable). "
                         f"Received: store={store!r}")
    return [os.fspath(s) for s in ([store] if isinstance(store, (str, os.PathLike)) else store)]


def union(frames: list[pd.DataFrame], key: str, rank: Callable[[pd.DataFrame], pd.Series],
          order: list[str]) -> pd.DataFrame:
    """One frame per store as one frame, one row per `key`.

    Args:
        frames: The frames, one per store, in the order the stores were given.
        key: The column that identifies a row (`run_id`, or `name` for suites).
        rank: Gives each row of the concatenated frame a number; per key the
            row of the lowest is kept (NaN last, the first store's on a tie).
        order: Columns to sort the result by.

    Returns:
        `frames[0]` itself for one store; else the union, index reset.

    Example:

    >>> runs = union(frames, "run_id", lambda f: f["status"].map(STATUS_RANK), ["run_id"])
    """
    if len(frames) == 1:
        return frames[0]
    out = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    out = out.iloc[rank(out).to_numpy().argsort(kind="stable")].drop_duplicates(key)
    return out.sort_values(order).reset_index(drop=True)
