"""Dataset registry: offline built-ins, `tfds:<name>`, `csv:<path>`, `parquet:<path>`.

Importing this package does not import TensorFlow.

Example:

>>> from zoo.datasets import load
>>> ds = load("digits", seed=0)
>>> ds.spec.input_shape
(8, 8, 1)
"""

from __future__ import annotations

from zoo.registry import Registry

DATASETS = Registry("dataset")

from zoo.datasets.base import (  # noqa: E402,F401
    Dataset, carve_validation, from_arrays, split_arrays)
from zoo.datasets import sklearn_sets, synthetic  # noqa: E402,F401  (register entries)
from zoo.datasets import mnist1d_set, tabular_mixed, text_topics  # noqa: E402,F401


def load(name: str, seed: int = 0, task: str | None = None, **kwargs) -> Dataset:
    """Loads a dataset by registry name or `tfds:` / `csv:` / `parquet:` prefix.

    Args:
        name: A registry name (`zoo datasets`), `"tfds:<name>"`,
            `"csv:<path>"` or `"parquet:<path>"`.
        seed: Split seed: the same seed gives the same splits. Defaults to 0.
        task: `"reconstruction"` turns any dataset with numeric inputs into a
            reconstruction set (targets = flattened inputs), e.g. for the
            `autoencoder`. Any other value goes to loaders that accept it
            (`csv:` / `parquet:` force classification or regression).
            Defaults to None: the dataset's own task.
        **kwargs: Loader options (e.g. `n_samples`, `data_dir`, `target`).

    Returns:
        A `Dataset`.

    Raises:
        ValueError: for an unknown name, an unknown task or bad loader options.
    """
    if task == "reconstruction":
        return as_reconstruction(load(name, seed=seed, **kwargs))
    if task is not None:
        kwargs["task"] = task  # a loader option (csv / parquet); others reject it
    from zoo.references import is_reference

    if ":" in name:
        check_name(name)  # a known prefix, or a reference that resolves
    if ":" in name and not is_reference(name):
        prefix, _, rest = name.partition(":")
        return _call(_prefixed_loaders()[prefix], name, rest, seed=seed, **kwargs)
    builder = DATASETS.get(name)
    return _as_dataset(_call(builder, name, seed=seed, **kwargs), name, seed)


def _as_dataset(result, name: str, seed: int) -> Dataset:
    """A loader's result as a `Dataset`: a user loader may also return `(x, y)` arrays."""
    if isinstance(result, Dataset):
        return result
    if isinstance(result, tuple) and len(result) == 2:
        return from_arrays(name, result[0], result[1], seed=seed)
    raise ValueError(
        f"The dataset loader {name!r} returned a {type(result).__name__}, not a dataset. "
        f"Expected a zoo Dataset (`zoo.datasets.from_arrays(name, x, y, seed=seed)`) or an "
        f"`(x, y)` pair of arrays. Received: dataset={name!r}")


def as_reconstruction(dataset: Dataset) -> Dataset:
    """Returns `dataset` with targets replaced by its flattened float inputs.

    Raises:
        ValueError: for non-numeric inputs (raw tabular dicts, strings).
    """
    import numpy as np

    x_train = dataset.numpy("train")[0]
    if isinstance(x_train, dict) or not np.issubdtype(np.asarray(x_train).dtype, np.number):
        raise ValueError(
            f"Dataset {dataset.spec.name!r} has non-numeric inputs, so it cannot be a "
            "reconstruction set: pick an image, flat or sequence dataset (e.g. 'digits').")
    splits = {s: (x, np.asarray(x, "float32").reshape(len(x), -1))
              for s, (x, _) in dataset.splits.items()}
    width = int(np.prod(dataset.spec.input_shape))
    spec = dataset.spec.replace(task="reconstruction", num_classes=None, output_dim=width)
    return dataset.with_splits(splits, spec)


PREFIXES = ("tfds", "csv", "parquet")


def check_name(name: str) -> None:
    """Raises a clear `ValueError` unless `name` is a registry name or a known prefix.

    Checks the name only (nothing is loaded): `"digits"`, `"tfds:mnist"`,
    `"csv:data/x.csv"`.

    Raises:
        ValueError: for an unknown registry name or prefix, with the closest names.
    """
    from zoo.references import is_reference

    if is_reference(name):
        module = name.partition(":")[0]
        try:
            DATASETS.get(name)  # resolves it, or says why not
        except ValueError as exc:
            if "." in module:
                raise
            raise ValueError(  # "ftp:digits": more likely a prefix than a module of its own
                f"Unknown dataset prefix {module!r} in {name!r}: expected one of "
                f"{', '.join(p + ':' for p in PREFIXES)} followed by a name or path, a registry "
                f"name (see `zoo datasets`), or a reference to a loader of yours "
                f"('module:function'; {exc}). Received: dataset={name!r}") from None
        return
    if ":" in name:
        prefix, _, rest = name.partition(":")
        if prefix not in PREFIXES or not rest:
            raise ValueError(
                f"Unknown dataset prefix {prefix!r} in {name!r}: expected one of "
                f"{', '.join(p + ':' for p in PREFIXES)} followed by a name or path, or a "
                f"registry name (see `zoo datasets`). Received: dataset={name!r}")
        return
    DATASETS.get(name)


def _call(builder, name, *args, **kwargs):
    from zoo.registry import check_options

    check_options("Dataset", name, builder, kwargs, positional=len(args))
    return builder(*args, **kwargs)


def _prefixed_loaders() -> dict:
    from zoo.datasets import files, tfds_loader  # light: TF / TFDS load inside the loaders

    return {"tfds": tfds_loader.load_tfds, "csv": files.load_csv,
            "parquet": files.load_parquet}
