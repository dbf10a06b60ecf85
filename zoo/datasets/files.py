"""`csv:<path>` and `parquet:<path>`: user tables with a target column."""

from __future__ import annotations

import pathlib

import numpy as np

from zoo.datasets.base import Dataset, from_arrays

MAX_CLASSES = 20  # integer targets with at most this many values are classes
TASKS = (None, "classification", "regression")


def _read(reader, kind: str, path: str, **read_options):
    p = pathlib.Path(path).expanduser()
    if not p.is_file():
        raise ValueError(
            f"{kind} file not found: {str(p)!r}. Expected an existing file, as in "
            f"`{kind.lower()}:data/train.{kind.lower()}` (relative to the working "
            f"directory or absolute). Received: path={path!r}"
        )
    return reader(p, **read_options)


def infer_task(y) -> str:
    """Returns "classification" or "regression" for a target column.

    Non-numeric or boolean targets are classes; so are integer-valued
    targets with at most `MAX_CLASSES` distinct values; other numbers are
    regression targets.
    """
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.dropna().to_numpy()
    if np.all(np.mod(values, 1) == 0) and len(np.unique(values)) <= MAX_CLASSES:
        return "classification"
    return "regression"


def from_frame(df, name: str, seed: int = 0, target: str = "target",
               task: str | None = None) -> Dataset:
    """Turns a pandas DataFrame with a target column into a `Dataset`.

    Numeric columns without missing values become one float32 matrix
    (input kind "flat"); a frame with string columns or missing values
    becomes a dict of column arrays (input kind "tabular": float32 with NaN
    for numbers, str with "" for missing strings) for the `tabular`
    pipeline. Class labels are mapped to ids 0..k-1 in sorted order
    (`spec.extra["classes"]` keeps the original values).

    Args:
        df: The table.
        name: Dataset name for the spec.
        seed: Split seed. Defaults to 0.
        target: Target column. Defaults to "target".
        task: "classification", "regression" or None to infer it
            (`infer_task`). Defaults to None.

    Returns:
        A `Dataset`.

    Raises:
        ValueError: for a missing target column, a bad task, missing target
            values or a table without feature columns.
    """
    import pandas as pd

    if target not in df.columns:
        raise ValueError(
            f"Target column {target!r} not found in {name!r}. Expected one of its columns: "
            f"{list(map(str, df.columns))}. Pass the right one with the `target` option "
            f"(suite: dataset_options = {{target = \"...\"}}). Received: target={target!r}"
        )
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}. Received: task={task!r}")
    y_col = df[target]
    if y_col.isna().any():
        raise ValueError(
            f"Target column {target!r} of {name!r} has {int(y_col.isna().sum())} missing "
            "values: drop those rows first."
        )
    features = df.drop(columns=[target])
    if features.shape[1] == 0:
        raise ValueError(f"{name!r} has no feature columns besides the target {target!r}.")
    task = task or infer_task(y_col)
    extra = {"source": name, "target": target}
    if task == "classification":
        classes, y = np.unique(y_col.to_numpy(), return_inverse=True)
        extra["classes"] = [c.item() if hasattr(c, "item") else c for c in classes]
        y = y.astype("int32")
        num_classes = len(classes)
    else:
        y = y_col.to_numpy(dtype="float32")
        num_classes = None
    numeric = {c: pd.api.types.is_numeric_dtype(features[c]) or
               pd.api.types.is_bool_dtype(features[c]) for c in features.columns}
    names = tuple(str(c) for c in features.columns)
    if all(numeric.values()) and not features.isna().any().any():
        x = features.to_numpy(dtype="float32")
        return from_arrays(name, x, y, seed=seed, task=task, num_classes=num_classes,
                           feature_names=names, extra=extra)
    x = {}
    for c in features.columns:
        col = features[c]
        if numeric[c]:
            x[str(c)] = col.to_numpy(dtype="float32", na_value=np.nan)
        else:
            x[str(c)] = np.array(["" if pd.isna(v) else str(v) for v in col], dtype=object)
    extra["columns"] = {str(c): "numeric" if numeric[c] else "categorical" for c in features}
    return from_arrays(name, x, y, seed=seed, task=task, input_kind="tabular",
                       num_classes=num_classes, extra=extra)


def load_csv(path: str, seed: int = 0, target: str = "target", task: str | None = None,
             sep: str = ",") -> Dataset:
    """Loads `csv:<path>`: a CSV file with a header row and a target column.

    Args:
        path: File path.
        seed: Split seed. Defaults to 0.
        target: Target column. Defaults to "target".
        task: "classification", "regression" or None to infer. Defaults to None.
        sep: Field separator. Defaults to ",".

    Returns:
        A `Dataset` (see `from_frame`).

    Example:

    >>> ds = zoo.datasets.load("csv:data/houses.csv", target="price", task="regression")
    """
    import pandas as pd

    df = _read(pd.read_csv, "CSV", path, sep=sep)
    return from_frame(df, f"csv:{path}", seed=seed, target=target, task=task)


def load_parquet(path: str, seed: int = 0, target: str = "target",
                 task: str | None = None) -> Dataset:
    """Loads `parquet:<path>`: a Parquet file with a target column.

    Args:
        path: File path.
        seed: Split seed. Defaults to 0.
        target: Target column. Defaults to "target".
        task: "classification", "regression" or None to infer. Defaults to None.

    Returns:
        A `Dataset` (see `from_frame`).
    """
    import pandas as pd

    df = _read(pd.read_parquet, "Parquet", path)
    return from_frame(df, f"parquet:{path}", seed=seed, target=target, task=task)
