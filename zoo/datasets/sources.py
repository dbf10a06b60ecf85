"""Checks that a dataset can be loaded, without loading it: run before the first run.

`check_source(name, options)` answers "will `zoo.datasets.load(name,
**options)` find its data?" cheaply: the loader takes those options; a
`csv:` / `parquet:` file exists, is readable and has the target column (only
its header or schema is read); a `tfds:` name is a builder the installed
TensorFlow Datasets knows, and its data is either prepared (in `data_dir`)
or can be downloaded (the download host answers). Nothing is downloaded.

Example:

>>> check_source("csv:/nonexistent/file.csv", {})
Traceback (most recent call last):
...
ValueError: CSV file not found: '/nonexistent/file.csv' ...
"""

from __future__ import annotations

import os
import pathlib
import socket

TFDS_HOST = ("storage.googleapis.com", 443)  # where TFDS downloads prepared datasets from


class SourceError(ValueError):
    """The data of a dataset cannot be found; `field` says which setting is at fault.

    Args:
        message: What is wrong, what was expected and how to fix it.
        field: "dataset" (the name or path) or "dataset_options" (an option).
    """

    def __init__(self, message: str, field: str = "dataset"):
        super().__init__(message)
        self.field = field


def _file(kind: str, path: str) -> pathlib.Path:
    p = pathlib.Path(path).expanduser()
    if not p.is_file():
        raise ValueError(
            f"{kind} file not found: {str(p)!r}. Expected an existing file, as in "
            f"`{kind.lower()}:data/train.{kind.lower()}` (relative to the working directory "
            f"or absolute). Received: path={path!r}")
    if not os.access(p, os.R_OK):
        raise ValueError(f"{kind} file {str(p)!r} is not readable: check its permissions. "
                         f"Received: path={path!r}")
    return p


def _check_table(kind: str, path: str, options: dict) -> None:
    import pandas as pd

    p = _file(kind, path)
    target = options.get("target", "target")
    try:
        if kind == "CSV":
            columns = list(pd.read_csv(p, sep=options.get("sep", ","), nrows=0).columns)
        else:
            import pyarrow.parquet as pq

            columns = list(pq.read_schema(p).names)
    except Exception as exc:  # unreadable, not a table, ...
        raise ValueError(f"{kind} file {str(p)!r} could not be read: {type(exc).__name__}: "
                         f"{exc}. Received: path={path!r}") from None
    if target not in columns:
        raise ValueError(
            f"Target column {target!r} not found in {kind.lower()}:{path}. Expected one of its "
            f"columns: {columns}. Name it with dataset_options = {{target = \"...\"}}. "
            f"Received: target={target!r}")


def _host_answers(host: tuple[str, int], timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def _check_tfds(name: str, options: dict) -> None:
    import tensorflow_datasets as tfds

    data_dir = options.get("data_dir")
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except Exception as exc:  # DatasetNotFoundError, bad config or version
        from zoo.registry import did_you_mean

        base = name.split(":")[0].split("/")[0]
        raise ValueError(
            f"TensorFlow Datasets has no dataset {name!r} ({type(exc).__name__})."
            f"{did_you_mean(base, tfds.list_builders())} See `tfds.list_builders()`. "
            f"Received: dataset='tfds:{name}'") from None
    if builder.is_prepared():
        return
    download = options.get("download", data_dir is None)
    where = f"data_dir={data_dir!r}" if data_dir else f"the default data_dir ({builder.data_dir})"
    fix = (f"Prepare it where there is network (`tfds build {name} --data_dir DIR`), copy DIR "
           f"here and set dataset_options = {{data_dir = \"DIR\"}}")
    if not download:
        raise ValueError(f"TFDS dataset {name!r} is not prepared in {where}, and download is "
                         f"off. {fix}. Received: dataset='tfds:{name}'")
    if not _host_answers(TFDS_HOST):
        raise ValueError(f"TFDS dataset {name!r} is not prepared in {where} and this machine "
                         f"cannot reach {TFDS_HOST[0]} to download it. {fix}. "
                         f"Received: dataset='tfds:{name}'")


def check_source(name: str, options: dict | None = None) -> None:
    """Raises a clear `ValueError` if `load(name, **options)` could not find its data.

    Args:
        name: A registry name, `tfds:NAME`, `csv:PATH` or `parquet:PATH`.
        options: The dataset options (`dataset_options` of a suite).

    Raises:
        SourceError: (a `ValueError`) for options the loader does not take, a
            missing or unreadable file, a missing target column, an unknown
            TFDS name, or TFDS data that is neither prepared nor downloadable.
    """
    from zoo.datasets import DATASETS, check_name
    from zoo.registry import check_options

    from zoo.references import is_reference

    options = dict(options or {})
    try:
        check_name(name)
        if is_reference(name):  # a user's loader: load once, to see it returns a dataset
            from zoo.datasets import load

            load(name, **options)
            return
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    prefix, _, rest = name.partition(":")
    if not rest:
        try:
            check_options("Dataset", name, DATASETS.get(name), options)
        except ValueError as exc:
            raise SourceError(str(exc), field="dataset_options") from None
        return
    try:
        if prefix == "tfds":
            _check_tfds(rest, options)
        else:
            _check_table("CSV" if prefix == "csv" else "Parquet", rest, options)
    except ValueError as exc:
        raise SourceError(str(exc)) from None
