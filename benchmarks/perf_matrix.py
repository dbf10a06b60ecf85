"""The user's alternative, measured: a matrix as a plain Keras for-loop vs `zoo bench`.

`measure_matrix` runs the same matrix (optimizer sgd/adam x width 32/64 x 3
seeds of the `mlp` on `digits`, depth 2, batch 32, 10 epochs: 12 runs) twice,
each in a FRESH process timed from the outside, start-up included:

- as a user writes it: a for-loop over the runs, each `zoo.models.build`,
  `model.compile(optimizer, "sparse_categorical_crossentropy", ["accuracy"])`
  with Keras's defaults, `model.fit(x, y, batch_size, epochs,
  validation_data)` on numpy arrays and `model.evaluate` on the test split;
- as `zoo bench SUITE --store TMP` runs it (validation, workers, packing,
  diagnostics, the store).

Both print their mean test accuracy, which must agree within seed noise.
`zoo bench`'s seconds are split by its records (`bench_breakdown`): the
runs' own time (build, epochs, evaluation) and what is outside them
(interpreter and worker start-up with TensorFlow's import, validation, the
store, exit), so a reader sees which part a change could still shorten.
`packed_matrix_mfu` is the MFU of a pack of wider cells (see
`measure_packed_mfu`). Used by `python -m benchmarks.perf`.

Example:

>>> measure_matrix(repeats=1)["matrix_vs_plain_keras_speedup"]
3.4
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

MATRIX = {"dataset": "digits", "model": "mlp", "depth": 2, "batch_size": 32, "epochs": 10,
          "optimizers": ["sgd", "adam"], "widths": [32, 64], "seeds": [0, 1, 2]}

PLAIN_KERAS = """
import json, sys
spec = json.loads(sys.argv[1])
import keras, numpy as np
import zoo.datasets, zoo.models
ds = zoo.datasets.load(spec["dataset"])
(x, y), (xv, yv), (xt, yt) = ds.numpy("train"), ds.numpy("validation"), ds.numpy("test")
accuracies = []
for optimizer in spec["optimizers"]:
    for width in spec["widths"]:
        for seed in spec["seeds"]:
            keras.utils.set_random_seed(seed)
            model = zoo.models.build(spec["model"], ds.spec, depth=spec["depth"], width=width)
            model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"])
            model.fit(x, y, batch_size=spec["batch_size"], epochs=spec["epochs"],
                      validation_data=(xv, yv), verbose=0)
            accuracies.append(float(model.evaluate(xt, yt, verbose=0)[1]))
print(json.dumps(accuracies))
"""


def suite_text(spec: dict) -> str:
    """The matrix as a suite file."""
    return (f'name = "perf_matrix"\ndescription = "The perf script\'s matrix."\n'
            f'dataset = "{spec["dataset"]}"\nmodel = "{spec["model"]}"\n'
            f'epochs = {spec["epochs"]}\nseeds = {json.dumps(spec["seeds"])}\n'
            f'[fixed]\ndepth = {spec["depth"]}\nbatch_size = {spec["batch_size"]}\n'
            f'[matrix]\noptimizer = {json.dumps(spec["optimizers"])}\n'
            f'width = {json.dumps(spec["widths"])}\n')


def _timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd[:3])}... exited {done.returncode}: "
                           f"{done.stderr[-2000:]}")
    return seconds, done.stdout


def plain_keras(spec: dict) -> tuple[float, list[float]]:
    """Seconds and test accuracies of the matrix as a plain Keras for-loop in a fresh process."""
    seconds, out = _timed([sys.executable, "-c", PLAIN_KERAS, json.dumps(spec)])
    return seconds, json.loads(out.strip().splitlines()[-1])


def zoo_bench(spec: dict) -> tuple[float, list[float], list[dict]]:
    """Seconds, test accuracies and records of the matrix through `zoo bench` in a fresh process."""
    from benchmarks.store import Store

    with tempfile.TemporaryDirectory() as folder:
        suite, store = os.path.join(folder, "perf_matrix.toml"), os.path.join(folder, "s.sqlite")
        with open(suite, "w") as f:
            f.write(suite_text(spec))
        seconds, _ = _timed([sys.executable, "-m", "zoo", "bench", suite, "--store", store])
        with Store(store, read_only=True) as opened:
            records = [run["record"] for run in opened.runs()]
    return seconds, [r["test"]["accuracy"] for r in records], records


def bench_breakdown(seconds: float, records: list[dict]) -> dict:
    """Where `zoo bench`'s seconds went, from its records (one worker: runs one after another).

    A pack's record carries the pack's times, so each member counts
    1/members of them.

    Args:
        seconds: `zoo bench`'s wall time, start-up included.
        records: Its runs' records.

    Returns:
        `bench_runs_s` (the runs' own wall time), `bench_outside_runs_s` (the
        rest), and within the runs `bench_first_epochs_s` (tracing included)
        and `bench_later_epochs_s`.

    Example:

    >>> bench_breakdown(10.0, [{"wall_time": 6.0, "epoch_times": [2.0, 1.0],
    ...                         "options": {"packed": {"members": 1}}}])["bench_outside_runs_s"]
    4.0
    """
    runs = first = later = 0.0
    for record in records:
        share = 1.0 / int(((record.get("options") or {}).get("packed") or {}).get("members") or 1)
        times = record.get("epoch_times") or []
        runs += share * (record.get("wall_time") or 0.0)
        first += share * (times[0] if times else 0.0)
        later += share * sum(times[1:])
    return {"bench_runs_s": runs, "bench_outside_runs_s": seconds - runs,
            "bench_first_epochs_s": first, "bench_later_epochs_s": later}


def measure_matrix(repeats: int = 1, spec: dict | None = None) -> dict:
    """Plain Keras loop vs `zoo bench`, alternating, each in a fresh process; medians.

    Args:
        repeats: Timed pairs. Defaults to 1.
        spec: The matrix (`MATRIX` by default).

    Returns:
        `matrix_plain_keras_s`, `matrix_zoo_bench_s`, `matrix_vs_plain_keras_speedup`,
        both mean test accuracies (and their standard deviations over runs),
        `matrix_runs`, `matrix_packed_mfu` (the MFU of the bench's pack), and
        `bench_breakdown`'s figures of the median `zoo bench` run.
    """
    spec = spec or MATRIX
    plain_s, bench_s, plain_acc, bench_acc, mfus, breakdowns = [], [], [], [], [], []
    for _ in range(repeats):
        seconds, accuracies = plain_keras(spec)
        plain_s.append(seconds)
        plain_acc = accuracies
        seconds, accuracies, records = zoo_bench(spec)
        bench_s.append(seconds)
        bench_acc = accuracies
        mfus += [r["mfu"] for r in records if r.get("mfu") is not None]
        breakdowns.append(bench_breakdown(seconds, records))
    plain, bench = statistics.median(plain_s), statistics.median(bench_s)
    median_run = sorted(range(repeats), key=bench_s.__getitem__)[(repeats - 1) // 2]
    return {"matrix_runs": len(bench_acc), "matrix_plain_keras_s": plain,
            "matrix_zoo_bench_s": bench, "matrix_vs_plain_keras_speedup": plain / bench,
            "plain_keras_test_accuracy": statistics.mean(plain_acc),
            "plain_keras_test_accuracy_sd": statistics.stdev(plain_acc),
            "zoo_bench_test_accuracy": statistics.mean(bench_acc),
            "zoo_bench_test_accuracy_sd": statistics.stdev(bench_acc),
            "matrix_packed_mfu": statistics.median(mfus) if mfus else None,
            **breakdowns[median_run]}


def measure_packed_mfu(peak_flops: float, epochs: int = 5) -> dict:
    """MFU of one pack of wider cells: optimizer sgd/adam x width 256/512 x 3 seeds, batch 128.

    At widths 32-64 a step of an MLP on digits is too small to fill a CPU
    (`matrix_packed_mfu` shows how far); this pack is the harness's best case.

    Args:
        peak_flops: The measured matmul peak (FLOP/s).
        epochs: Epochs. Defaults to 5.

    Returns:
        `{"packed_matrix_mfu": ..., "packed_matrix_members": 12}`.
    """
    from benchmarks.matrix.packing import run_packed

    base = {"dataset": "digits", "model": "mlp", "depth": 2, "batch_size": 128,
            "epochs": epochs}
    configs = [dict(base, optimizer=o, width=w) for o in ("sgd", "adam") for w in (256, 512)
               for _ in range(3)]
    seeds = [s for _ in range(4) for s in range(3)]
    results = run_packed(configs[0], seeds, {"peak_flops": peak_flops}, configs=configs)
    bad = [e for status, _, e in results if status != "ok"]
    if bad:
        raise RuntimeError(f"The packed MFU run failed: {bad[0]}")
    return {"packed_matrix_mfu": results[0][1]["mfu"], "packed_matrix_members": len(results)}
