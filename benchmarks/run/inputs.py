"""The data of one run: load, subset, preprocess, batch.

`prepare_dataset(config)` loads the dataset with the config's split seed,
keeps the first `train_samples` training examples (deterministic: the split
is already shuffled by its seed), and applies the pipeline, which adapts on
the (possibly reduced) training split only. `make_datasets` turns the result
into tf.data pipelines: the training split reshuffled each epoch with the
run's seed and, if the pipeline has one, augmented batch by batch; the
validation and test splits never augmented.

A worker process loads each dataset once (`reuse_loaded_datasets()`, called
at its start): later runs of the same dataset, split seed and options get
the same arrays, made read-only so no run can change another's data. A
`csv:` / `parquet:` file is loaded again when it changed on disk.

Example:

>>> ds, augmenter = prepare_dataset({"dataset": "digits", "train_samples": 200})
>>> train, val, test = make_datasets(ds, batch_size=32, seed=0)
"""

from __future__ import annotations

import json
import os

import numpy as np

import zoo.datasets
import zoo.pipelines

EVAL_BATCH_SIZE = 256  # evaluation results do not depend on the batch size
MAX_LOADED = 4  # datasets a worker keeps loaded (most recently used)
_loaded: dict | None = None  # key -> Dataset; None: every run loads its own


def reuse_loaded_datasets(enabled: bool = True) -> None:
    """Keeps loaded datasets in this process for later runs (a worker calls it at start).

    Args:
        enabled: True to keep the `MAX_LOADED` most recently used datasets,
            False to load every run's dataset anew (the default of a process).
    """
    global _loaded
    _loaded = {} if enabled else None


def _load(name: str, seed: int, options: dict):
    """`zoo.datasets.load(name, seed, **options)`, once per key when reuse is on."""
    if _loaded is None:
        return zoo.datasets.load(name, seed=seed, **options)
    key = json.dumps([name, seed, options], sort_keys=True, default=str)
    prefix, _, path = name.partition(":")
    if prefix in ("csv", "parquet") and os.path.exists(path):
        stat = os.stat(path)
        key += f"|{stat.st_mtime_ns}|{stat.st_size}"
    if key in _loaded:
        _loaded[key] = _loaded.pop(key)  # most recently used last
        return _loaded[key]
    ds = zoo.datasets.load(name, seed=seed, **options)
    for x, y in ds.splits.values():
        for array in [*(x.values() if isinstance(x, dict) else [x]), y]:
            if isinstance(array, np.ndarray):
                array.flags.writeable = False
    _loaded[key] = ds
    while len(_loaded) > MAX_LOADED:
        _loaded.pop(next(iter(_loaded)))
    return ds


def _head(x, n: int):
    return {k: v[:n] for k, v in x.items()} if isinstance(x, dict) else x[:n]


def prepare_dataset(config: dict):
    """Returns `(dataset, augmenter_or_None)` for a resolved config.

    Raises:
        ValueError: for an unknown dataset / pipeline or bad options.
    """
    ds = _load(config["dataset"], config.get("split_seed", 0),
               dict(config.get("dataset_options") or {}))
    if config.get("train_classes"):  # a class subset, before the label budget (claim C16)
        from benchmarks.run.transfer import select_classes

        ds = select_classes(ds, config["train_classes"])
    n = config.get("train_samples")
    if n:
        x, y = ds.numpy("train")
        splits = dict(ds.splits, train=(_head(x, n), y[:n]))
        sizes = dict(ds.spec.sizes, train=len(y[:n]))
        ds = ds.with_splits(splits, ds.spec.replace(sizes=sizes))
    return zoo.pipelines.apply(config.get("pipeline") or "identity", ds,
                               **(config.get("pipeline_options") or {}))


def train_size(ds) -> int:
    """Number of training examples."""
    return len(ds.numpy("train")[1])


def resolve_batch_size(batch_size, n_train: int) -> int:
    """An int batch size; "full" means the whole training split."""
    return n_train if batch_size == "full" else max(1, min(int(batch_size), n_train))


def make_datasets(ds, batch_size: int, seed: int, label_map=None, augmenter=None,
                  evaluation: bool = True):
    """Returns `(train, validation, test)` batched `tf.data.Dataset`s.

    Args:
        ds: A `zoo.datasets.Dataset`.
        batch_size: Training batch size.
        seed: Shuffle seed of the training split.
        label_map: `(x, y) -> (x, y)` for every split (e.g. one-hot labels), or None.
        augmenter: Keras layer applied to training batches only, or None.
        evaluation: Whether to make the validation and test pipelines too
            (the members of a pack share the last member's). Defaults to True;
            False returns `(train, None, None)`.
    """

    def train_map(x, y):
        if augmenter is not None:
            x = _augment(augmenter, x)
        return label_map(x, y) if label_map is not None else (x, y)

    use_train_map = augmenter is not None or label_map is not None
    train = ds.tf_dataset("train", batch_size, shuffle=True, seed=seed,
                          map_fn=train_map if use_train_map else None)
    if not evaluation:
        return train, None, None
    eval_batch = max(batch_size, EVAL_BATCH_SIZE)
    val = ds.tf_dataset("validation", eval_batch, map_fn=label_map)
    test = ds.tf_dataset("test", eval_batch, map_fn=label_map)
    return train, val, test


def _augment(augmenter, x):
    """The augmenter on a batch inside `tf.data`, on any Keras backend.

    Keras's preprocessing layers switch to TensorFlow ops inside a `tf.data`
    map whatever the backend, but a `keras.Sequential` of them does not: on
    JAX and PyTorch its layers are called one by one.
    """
    import keras

    if keras.backend.backend() == "tensorflow" or not isinstance(augmenter, keras.Sequential):
        return augmenter(x, training=True)
    for layer in augmenter.layers:
        x = layer(x, training=True)
    return x


def probe_batch(ds, size: int = 256, label_map=None):
    """The first `size` training examples (no augmentation): a fixed batch."""
    x, y = ds.numpy("train")
    x, y = _head(x, size), y[:size]
    return label_map(x, y) if label_map is not None else (x, y)
