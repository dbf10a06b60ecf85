"""An on-disk cache for generated arrays, keyed by the generator's arguments."""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import tempfile
from typing import Callable

import numpy as np


def cache_dir() -> pathlib.Path:
    """Returns the cache directory: `$ZOO_CACHE_DIR`, else `~/.cache/zoo`."""
    return pathlib.Path(os.environ.get("ZOO_CACHE_DIR") or pathlib.Path.home() / ".cache" / "zoo")


def cached_arrays(kind: str, args: dict, make: Callable[[], dict]) -> dict[str, np.ndarray]:
    """Returns `make()`'s arrays, generating them once per distinct `args`.

    The arrays are stored as `<cache_dir>/<kind>-<hash of args>.npz`. Writes
    go to a temporary file that is renamed into place, so parallel workers
    never read a half-written file. An unreadable cache file is regenerated.

    Args:
        kind: File name prefix, e.g. "mnist1d".
        args: JSON-serializable generator arguments (the cache key).
        make: Returns a dict of numpy arrays.

    Returns:
        A dict of numpy arrays.

    Example:

    >>> arrays = cached_arrays("noise", {"n": 3}, lambda: {"x": np.zeros(3)})
    """
    key = hashlib.sha256(json.dumps(args, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / f"{kind}-{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except (OSError, ValueError):  # corrupt or truncated: regenerate below
            pass
    arrays = make()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError:  # a read-only home must not stop loading: skip caching
        pass
    return arrays
