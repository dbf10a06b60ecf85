"""A TensorFlow worker's start-up import: TensorFlow without the extras it never uses.

Importing TensorFlow 2.21 also imports, when they are installed, packages
that it and Keras use only for optional features: JAX and jaxlib (tf.lite's
JAX converter), scikit-learn and SciPy (Keras's scikit-learn wrappers),
Matplotlib (`keras.visualization`), IPython (`keras.saving`'s file editor),
pandas and pyarrow (Keras's DataFrame adapters). On the 2-core machine that
is about 2 s of a 5 s import (`python -X importtime -c "import tensorflow"`),
paid by every worker of every `zoo bench` before its first run.

`import_tensorflow()` imports TensorFlow (and Keras with it) while those
packages cannot be found. Each is an optional import there (`try: import x
except ImportError`), so TensorFlow and Keras bind that feature to None,
and the packages import normally afterwards: a run that loads `digits`
imports scikit-learn then, a suite's own modules import pandas. A worker
hands Keras tensors and `tf.data` pipelines, never DataFrames, and draws no
plots, so nothing it does reads those features.
`tests/benchmarks/test_worker_startup.py` checks that this still holds for
the installed versions. `ZOO_WORKER_FULL_IMPORT=1` imports everything as usual.

Example:

>>> import_tensorflow()        # in a fresh worker process, before any run
['IPython', 'jax', 'matplotlib', 'pandas', 'scipy', 'sklearn']
"""

from __future__ import annotations

import contextlib
import os
import sys

# Packages TensorFlow / Keras import only for optional features (see above).
OPTIONAL = ("IPython", "jax", "jaxlib", "matplotlib", "pandas", "pyarrow", "scipy", "sklearn")


class _Unfindable:
    """A `sys.meta_path` finder that says the named top-level packages are not installed."""

    def __init__(self, names):
        self.names = frozenset(names)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"{name} is left out of a worker's TensorFlow import",
                                      name=name)
        return None


@contextlib.contextmanager
def unfindable(names):
    """Within the block, importing any of `names` (top-level packages) raises ImportError.

    Args:
        names: Top-level package names. Those already imported are left alone.

    Example:

    >>> with unfindable(["pandas"]):
    ...     import tensorflow
    """
    finder = _Unfindable(n for n in names if n not in sys.modules)
    sys.meta_path.insert(0, finder)
    try:
        yield finder
    finally:
        sys.meta_path.remove(finder)


def import_tensorflow() -> list[str]:
    """Imports TensorFlow (and Keras) without `OPTIONAL`'s packages; returns those left out.

    Returns:
        The installed packages of `OPTIONAL` that were left out of the import
        (sorted); empty when `ZOO_WORKER_FULL_IMPORT=1` or TensorFlow was
        already imported.
    """
    import importlib.util

    if os.environ.get("ZOO_WORKER_FULL_IMPORT") == "1" or "tensorflow" in sys.modules:
        import tensorflow  # noqa: F401
        return []
    left_out = sorted(n for n in OPTIONAL if n not in sys.modules
                      and importlib.util.find_spec(n) is not None)
    with unfindable(left_out):
        import tensorflow  # noqa: F401
    return left_out
