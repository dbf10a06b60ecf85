"""Stable identities of runs and cells.

A run is one resolved config (a cell) trained with one seed. Its id is the
sha256 of the canonical JSON of the config, the seed, the dataset name and
the versions that change what training computes (TensorFlow, Keras and the
zoo major.minor; for a jax or torch run, that backend's own versions too,
`backend_versions`), cut to 16 hex characters. The same inputs give the same id
on every machine and in every process, so a resumed suite finds its finished
runs; upgrading TensorFlow or Keras gives new ids (the old results stay in
the store, the new ones are measured again).

Importing this module does not import TensorFlow: versions are read from the
installed package metadata.

Example:

>>> from benchmarks.store.identity import cell_id, run_id
>>> config = {"dataset": "digits", "model": "mlp", "optimizer": "adam"}
>>> len(run_id(config, seed=0))
16
>>> run_id(config, 0) == run_id(dict(reversed(config.items())), 0)
True
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata
from typing import Any

from benchmarks.store.jsonable import plain

ID_LENGTH = 16


@functools.lru_cache(maxsize=None)
def code_versions() -> dict[str, str]:
    """Versions that are part of every id: tensorflow, keras, zoo (major.minor).

    Returns:
        A dict of version strings ("none" for a package that is not installed).
    """
    out = {}
    for package in ("tensorflow", "keras"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "none"
    import zoo

    out["zoo"] = ".".join(zoo.__version__.split(".")[:2])
    return out


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace, tuples as lists, NaN/inf as strings.

    Args:
        value: JSON-like data (dicts, lists, tuples, str, int, float, bool, None).

    Returns:
        The canonical JSON text; equal data gives equal text.

    Raises:
        TypeError: for values JSON cannot represent (e.g. a Keras object).
    """

    try:
        return json.dumps(plain(value, repr), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True, allow_nan=False)
    except TypeError as e:
        raise TypeError(
            "A config must hold only JSON values (dicts, lists, strings, numbers, "
            f"booleans, None) to get a stable id: {e}. Received: config={value!r}"
        ) from None


def user_code(config: dict) -> dict[str, str]:
    """`{reference or module: source hash}` of the user code a config names.

    Every value that is a reference (`"mypkg.models:build_net"`, a dotted
    optimizer class path) and every module in `imports` counts, so editing
    that code gives new run ids. Empty for configs of registry names only,
    whose ids are therefore what they always were.
    """
    from zoo.references import is_reference, source_hash

    refs = [v for k, v in config.items() if isinstance(v, str) and k != "dataset_options"
            and is_reference(v, dotted=(k == "optimizer"))]
    refs += [m for m in config.get("imports") or [] if isinstance(m, str)]
    if isinstance(config.get("schedule"), dict):
        refs += [v for v in config["schedule"].values() if is_reference(v)]
    return {ref: source_hash(ref) for ref in sorted(set(refs))}


def backend_versions(config: dict) -> dict[str, str]:
    """The versions of a jax or torch run's backend packages (none for TensorFlow's).

    TensorFlow's version is in every id already (`code_versions`), so the
    ids of TensorFlow runs are what they were before backends were an axis.

    Example:

    >>> backend_versions({"backend": "torch"})
    {'torch': '2.13.0+cpu'}
    """
    from zoo.axes import BACKEND_PACKAGES

    backend = config.get("backend")
    if backend in (None, "tensorflow") or backend not in BACKEND_PACKAGES:
        return {}
    out = {}
    for package in BACKEND_PACKAGES[backend]:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "none"
    return out


def _digest(payload: dict) -> str:
    code = user_code(payload["config"])
    if code:  # only then: registry-only configs keep their ids
        payload = {**payload, "code": code}
    extra = backend_versions(payload["config"])
    if extra:  # only then: TensorFlow runs keep their ids
        payload = {**payload, "versions": {**payload["versions"], **extra}}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()[:ID_LENGTH]


def cell_id(config: dict) -> str:
    """Id of a resolved config without the seed (16 hex characters).

    Args:
        config: The resolved, flat config dict (see docs/ARCHITECTURE.md).

    Returns:
        The cell id: equal for every seed of one cell.
    """
    return _digest({"config": config, "dataset": config.get("dataset"),
                    "versions": code_versions()})


def run_id(config: dict, seed: int) -> str:
    """Id of one run: a resolved config plus a seed (16 hex characters).

    Args:
        config: The resolved, flat config dict.
        seed: The run's seed (an int).

    Returns:
        The run id; the store's primary key.

    Raises:
        TypeError: if the seed is not an integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        if hasattr(seed, "item") and float(seed.item()).is_integer():
            seed = int(seed.item())
        else:
            raise TypeError(f"A run seed must be an int. Received: seed={seed!r}")
    return _digest({"config": config, "seed": int(seed), "dataset": config.get("dataset"),
                    "versions": code_versions()})
