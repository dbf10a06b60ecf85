"""What a worker pays before and around its runs: `python -m benchmarks.perf_startup`.

Each figure is measured side by side, before and after the change that cut
it, in fresh processes (the median of `--repeats`, 3 by default):

- `import_s` / `lean_import_s`: `import tensorflow, keras` as usual, and as a
  TensorFlow worker imports it (`benchmarks.matrix.startup.import_tensorflow`).
- `sklearn_digits_s` / `cached_digits_s`: `sklearn.datasets.load_digits()`
  with its import, and `zoo.datasets.load("digits")` from the `.npz` cache.
- `gc_collect_s` / `frozen_gc_collect_s`: the full collection every run's
  `keras.backend.clear_session()` makes, after importing TensorFlow, before
  and after `gc.freeze()` (in one process).
- `exit_s` / `os_exit_s`: a TensorFlow process's exit after its last line,
  by the interpreter's teardown and by `os._exit` (what a worker does now).
- `probe_trace_s` / `fused_probe_trace_s`: tracing the gradient probe of an
  MLP on digits with op determinism on, and with the fused CPU kernels
  (`benchmarks.run.seeding.fused_cpu_kernels`).
- `ml_dtypes_import_s`: `import ml_dtypes` after NumPy, which every
  TensorFlow or jax import does first (`ml_dtypes_version` says which:
  0.7.0 took 0.65-0.95 s here, 0.6.0 0.006 s; pyproject.toml keeps it below 0.7).

Example:

>>> python -m benchmarks.perf_startup --repeats 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

IMPORT = """
import time; t = time.perf_counter()
{body}
print(time.perf_counter() - t)
"""
GC = """
import gc, time, tensorflow, keras, benchmarks.run.lifecycle
gc.collect(); t = time.perf_counter(); gc.collect(); full = time.perf_counter() - t
gc.freeze(); t = time.perf_counter(); gc.collect(); print(full, time.perf_counter() - t)
"""
EXIT = """
import os, sys, time, tensorflow
print(time.time(), flush=True)
if sys.argv[1] == "os_exit":
    os._exit(0)
"""
PROBE = """
import time, keras, tensorflow as tf, zoo.datasets, zoo.models
from benchmarks.run.diagnostics.gradients import GradientProbe
from benchmarks.run.seeding import fused_cpu_kernels, set_op_determinism
ds = zoo.datasets.load("digits")
x, y = (a[:256] for a in ds.numpy("train"))
probe = GradientProbe(zoo.models.build("mlp", ds.spec), x, y,
                      keras.losses.sparse_categorical_crossentropy)
set_op_determinism(True)
out = []
for fused in (False, True, False, True):
    function = tf.function(probe._squared_norms, autograph=False)
    t = time.perf_counter()
    if fused:
        with fused_cpu_kernels():
            function.get_concrete_function(probe.x, probe.y)
    else:
        function.get_concrete_function(probe.x, probe.y)
    out.append(time.perf_counter() - t)
print(min(out[0::2]), min(out[1::2]))
"""


def _python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"A measurement failed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def _exit_seconds(how: str) -> float:
    """Seconds from a TensorFlow process's last line to its end."""
    import time

    proc = subprocess.Popen([sys.executable, "-c", EXIT, how], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    last_line = float(proc.stdout.readline())
    proc.wait()
    return time.time() - last_line


def measure(repeats: int = 3) -> dict:
    """Every figure of the module docstring (medians over `repeats` fresh processes)."""
    import zoo.datasets

    zoo.datasets.load("digits")  # fills the .npz cache
    runs = {key: [] for key in ("import_s", "lean_import_s", "sklearn_digits_s",
                                "cached_digits_s", "gc_collect_s", "frozen_gc_collect_s",
                                "exit_s", "os_exit_s", "probe_trace_s", "fused_probe_trace_s",
                                "ml_dtypes_import_s")}
    lean = ("from benchmarks.matrix.startup import import_tensorflow\n"
            "import_tensorflow(); import keras")
    for _ in range(repeats):
        runs["import_s"].append(float(_python(IMPORT.format(body="import tensorflow, keras"))))
        runs["lean_import_s"].append(float(_python(IMPORT.format(body=lean))))
        runs["sklearn_digits_s"].append(float(_python(IMPORT.format(
            body="import sklearn.datasets; sklearn.datasets.load_digits()"))))
        runs["cached_digits_s"].append(float(_python(IMPORT.format(
            body="import zoo.datasets; zoo.datasets.load('digits')"))))
        full, frozen = map(float, _python(GC).split())
        runs["gc_collect_s"].append(full)
        runs["frozen_gc_collect_s"].append(frozen)
        runs["exit_s"].append(_exit_seconds("teardown"))
        runs["os_exit_s"].append(_exit_seconds("os_exit"))
        plain, fused = map(float, _python(PROBE).split())
        runs["probe_trace_s"].append(plain)
        runs["fused_probe_trace_s"].append(fused)
        runs["ml_dtypes_import_s"].append(float(_python(
            "import time, numpy; t = time.perf_counter(); import ml_dtypes\n"
            "print(time.perf_counter() - t)")))
    from importlib import metadata

    return {**{key: statistics.median(values) for key, values in runs.items()},
            "ml_dtypes_version": metadata.version("ml_dtypes")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf_startup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per figure")
    args = parser.parse_args(argv)
    figures = measure(args.repeats)
    pairs = [("import_s", "lean_import_s"), ("sklearn_digits_s", "cached_digits_s"),
             ("gc_collect_s", "frozen_gc_collect_s"), ("exit_s", "os_exit_s"),
             ("probe_trace_s", "fused_probe_trace_s")]
    print("| before | s | after | s |\n|---|---|---|---|")
    for before, after in pairs:
        print(f"| `{before}` | {figures[before]:.3f} | `{after}` | {figures[after]:.3f} |")
    print(f"\n`import ml_dtypes` ({figures['ml_dtypes_version']}): "
          f"{figures['ml_dtypes_import_s']:.3f} s")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
