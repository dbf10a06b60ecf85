"""How fast is the harness? `python -m benchmarks.perf [--quick] [--json PATH]`.

In one process, side by side on the same model and data (an MLP on digits,
batch 32), it measures:

- `harness_overhead_ratio`: wall time of one cell through `run_one`
  (diagnostics on: gradient norms, dead units, timing, divergence) over a
  minimal hand-written `model.fit` of the same model, data pipeline, batch
  size, epochs and compile settings (plus the same validation and test
  evaluation). Target <= 1.05.
- `fast_defaults_speedup`: a small matrix (cells x seeds) run the way
  `zoo bench` runs it by default ("auto" execution options from
  `benchmarks.run.execution`, runs packed as `benchmarks.matrix.planner.group_runs`
  groups them: seeds and cells)
  over the same runs with Keras's own compile/fit defaults
  (`steps_per_execution=1`, `jit_compile="auto"`, one run per seed).
  Target >= 2. `fast_defaults_steady_speedup` is the ratio of steady-state
  training samples/s (a packed run counts all its members' samples).
- `packed_seeds_speedup`: 8 seeds of one cell trained together
  (`benchmarks.matrix.packing`) over the same 8 seeds one after another. Target >= 4.
- `mfu`: achieved model FLOP/s of the harness run over the matmul peak
  (`matmul_peak_flops`, float32 1024x1024 in a `tf.function`, best of
  several) measured in the same process; `packed_mfu` for the packed run.
- `zoo_models_cold_start_s`: `zoo models` in a fresh subprocess.
- `matrix_vs_plain_keras_speedup`: the user's alternative
  (`benchmarks.perf_matrix`): a 12-run matrix (optimizer x width x 3 seeds)
  written as a plain Keras for-loop with Keras's defaults, in a fresh
  process, over the same matrix through `zoo bench` in a fresh process
  (wall clock, start-up included; both mean test accuracies printed).
  Target >= 5.
- `packed_matrix_mfu`: MFU of one pack of 12 runs of 4 cells (wider MLPs,
  `perf_matrix.measure_packed_mfu`). Target >= 0.10.

The process freezes its imports from the garbage collector first, as a
`zoo bench` worker does. Every timing is warmed up first, then repeated;
the median is reported. The two ratios of short runs (harness overhead,
packed seeds) are the medians of adjacent pairs' ratios, the overhead's
pairs alternating which runs first:
on a shared machine the load changes over seconds, and two runs next to each
other see the same load. The machine's load average is printed too: read the
ratios rather than the absolute times.

Example:

>>> python -m benchmarks.perf --quick --json runs/perf.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from benchmarks.run.devices import matmul_peak_flops

BASE = {"dataset": "digits", "model": "mlp", "batch_size": 32, "depth": 2, "width": 64,
        "steps_per_execution": "auto", "jit_compile": "auto"}  # the suite defaults
SIZES = {
    # epochs, repeats, overhead_repeats (pairs of ~2 s runs: the noisiest ratio),
    # packing_repeats, packed seeds, matrix cells (width x optimizer) x matrix_seeds,
    # train_samples
    "full": dict(epochs=20, repeats=5, overhead_repeats=9, packing_repeats=3, seeds=8,
                 widths=(32, 64), optimizers=("sgd", "adam"), matrix_seeds=[0, 1, 2],
                 train_samples=None),
    "quick": dict(epochs=10, repeats=3, overhead_repeats=7, packing_repeats=2, seeds=8,
                  widths=(32, 64), optimizers=("sgd", "adam"), matrix_seeds=[0, 1, 2],
                  train_samples=None),
    "tiny": dict(epochs=2, repeats=1, overhead_repeats=1, packing_repeats=1, seeds=2,
                 widths=(16,), optimizers=("adam",), matrix_seeds=[0], train_samples=128),
}
TARGETS = {"harness_overhead_ratio": ("<=", 1.05), "fast_defaults_speedup": (">=", 2.0),
           "packed_seeds_speedup": (">=", 4.0), "matrix_vs_plain_keras_speedup": (">=", 5.0),
           "packed_matrix_mfu": (">=", 0.10)}
KEYS = ("harness_overhead_ratio", "fast_defaults_speedup", "packed_seeds_speedup", "mfu",
        "zoo_models_cold_start_s")


def resolve_peak(options: dict) -> dict:
    """Options with `peak_flops="auto"` replaced by this process's measured peak."""
    if options.get("peak_flops") == "auto":
        options = dict(options, peak_flops=matmul_peak_flops())
    return options


def hand_written_fit(config: dict, seed: int = 0) -> float:
    """Seconds of a minimal `model.fit` doing what one harness run does.

    Same dataset, model, optimizer, loss, batch size, epochs, compile
    settings, validation each epoch and a test evaluation, but no
    diagnostics, records or error handling.
    """
    import keras

    import zoo.datasets
    import zoo.models
    from benchmarks.run.execution import resolve_execution

    start = time.perf_counter()
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    ds = zoo.datasets.load(config["dataset"])
    if config.get("train_samples"):
        n = config["train_samples"]
        x, y = ds.numpy("train")
        ds = ds.with_splits(dict(ds.splits, train=(x[:n], y[:n])))
    n_train = len(ds.numpy("train")[1])
    axes = {k: config[k] for k in ("depth", "width") if k in config}
    model = zoo.models.build(config["model"], ds.spec, **axes)
    execution = resolve_execution(config, n_train, config["batch_size"])
    model.compile(optimizer=config.get("optimizer", "adam"),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], **execution)
    model.fit(ds.tf_dataset("train", config["batch_size"], shuffle=True, seed=seed),
              validation_data=ds.tf_dataset("validation", 256), epochs=config["epochs"],
              shuffle=False, verbose=0)
    model.evaluate(ds.tf_dataset("test", 256), verbose=0)
    return time.perf_counter() - start


def _harness(config: dict, seed: int = 0, options: dict | None = None) -> dict:
    from benchmarks.run import run_one

    start = time.perf_counter()
    status, record, error = run_one(config, seed, options)
    if status != "ok":
        raise RuntimeError(f"The perf run failed ({status}): {error}")
    record["perf_wall"] = time.perf_counter() - start
    return record


def _median(values):
    return statistics.median(values) if values else float("nan")


def measure_overhead(config: dict, repeats: int, options: dict, warmup: bool = True) -> dict:
    """Harness run vs hand-written fit in adjacent pairs, after one warm-up of each.

    The pairs alternate which of the two runs first, and the ratio is the
    median of the pairs' ratios: a shared machine's load changes over
    seconds, and two runs next to each other see the same load.
    """
    if warmup:
        _harness(config, 0, options), hand_written_fit(config)
    harness, hand, records = [], [], []
    for i in range(repeats):
        if i % 2:
            hand.append(hand_written_fit(config))
        records.append(_harness(config, 0, options))
        harness.append(records[-1]["perf_wall"])
        if not i % 2:
            hand.append(hand_written_fit(config))
    mfus = [r["mfu"] for r in records if r.get("mfu") is not None]
    return {"harness_s": _median(harness), "hand_fit_s": _median(hand),
            "harness_overhead_ratio": _median([h / f for h, f in zip(harness, hand)]),
            "harness_overhead_pairs": [round(h / f, 3) for h, f in zip(harness, hand)],
            "mfu": _median(mfus), "samples_per_sec": _median([r["samples_per_sec"]
                                                              for r in records])}


def _run_matrix(cells: list[dict], seeds: list[int], options: dict, pack: bool) -> list:
    """Runs cells x seeds as `zoo bench` would (packed as its planner groups them).

    Returns:
        The records, in the order of the groups.
    """
    from benchmarks.matrix.packing import run_packed
    from benchmarks.matrix.planner import group_runs

    todo = [(cell, [(cell, seed) for seed in seeds]) for cell in cells]
    groups = group_runs(todo) if pack else [[run] for _, runs in todo for run in runs]
    records = []
    for group in groups:
        if len(group) > 1:
            results = run_packed(group[0][0], [seed for _, seed in group], options,
                                 configs=[cell for cell, _ in group])
        else:
            results = [("ok", _harness(group[0][0], group[0][1], options), None)]
        for status, record, error in results:
            if status != "ok":
                raise RuntimeError(f"A perf run failed ({status}): {error}")
            records.append(record)
    return records


def measure_fast_defaults(cells: list[dict], seeds: list[int], repeats: int, options: dict
                          ) -> dict:
    """A small matrix (cells x seeds) with the harness's defaults vs Keras's defaults.

    The harness's defaults are what `zoo bench` does without being told:
    "auto" execution options and packed seeds. Keras's defaults: one run per
    seed, `steps_per_execution=1`, `jit_compile="auto"`.
    """
    from benchmarks.run.execution import KERAS_DEFAULTS

    fast, keras_default, fast_sps, keras_sps = [], [], [], []
    for _ in range(repeats):
        start = time.perf_counter()
        records = _run_matrix(cells, seeds, options, pack=True)
        fast.append(time.perf_counter() - start)
        start = time.perf_counter()
        slow = _run_matrix([{**c, **KERAS_DEFAULTS} for c in cells], seeds, options, pack=False)
        keras_default.append(time.perf_counter() - start)
        fast_sps += [r["samples_per_sec"] for r in records]  # a pack counts every member
        keras_sps += [r["samples_per_sec"] for r in slow]
    return {"matrix_runs": len(cells) * len(seeds), "matrix_fast_s": _median(fast),
            "matrix_keras_defaults_s": _median(keras_default),
            "fast_defaults_speedup": _median(keras_default) / _median(fast),
            "fast_defaults_steady_speedup": _median(fast_sps) / _median(keras_sps)}


def measure_packing(config: dict, seeds: list[int], repeats: int, options: dict) -> dict:
    """K seeds packed in one graph vs the same K seeds one after another (median pair ratio)."""
    from benchmarks.matrix.packing import run_packed

    packed, sequential, mfus, members = [], [], [], None
    for _ in range(repeats):
        start = time.perf_counter()
        results = run_packed(config, seeds, options)
        packed.append(time.perf_counter() - start)
        bad = [e for s, _, e in results if s != "ok"]
        if bad:
            raise RuntimeError(f"A packed perf run failed: {bad[0]}")
        members = results[0][1]["options"].get("packed", {}).get("members")
        mfus += [r["mfu"] for _, r, _ in results[:1] if r.get("mfu") is not None]
        sequential.append(sum(_harness(config, s, options)["perf_wall"] for s in seeds))
    return {"packed_s": _median(packed), "sequential_s": _median(sequential),
            "packed_seeds_speedup": _median([q / p for q, p in zip(sequential, packed)]),
            "packed_members": members, "packed_mfu": _median(mfus)}


def measure_cold_start(repeats: int = 3) -> float:
    """Median seconds of `zoo models` in a fresh subprocess (after one warm-up call)."""
    script = os.path.join(os.path.dirname(sys.executable), "zoo")
    cmd = [script, "models"] if os.path.exists(script) else [sys.executable, "-m", "zoo.cli",
                                                             "models"]
    times = []
    for _ in range(repeats + 1):  # the first call warms the file cache
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return _median(times[1:] or times)


def measure(size: str = "quick") -> dict:
    """Runs every measurement at a size ("full", "quick" or "tiny"); returns the figures."""
    import gc

    import tensorflow as tf

    import benchmarks.matrix.packing  # noqa: F401  (what a worker imports before its runs)

    s = SIZES[size]
    config = dict(BASE, epochs=s["epochs"], optimizer="adam")
    if s["train_samples"]:
        config["train_samples"] = s["train_samples"]
    if size == "tiny":
        config["width"] = s["widths"][0]
    out = {"size": size, "load_before": os.getloadavg()[0], "cpu_count": os.cpu_count(),
           "tensorflow": tf.__version__}
    out["peak_flops"] = matmul_peak_flops()
    options = {"peak_flops": out["peak_flops"]}
    # As a `zoo bench` worker does after its imports (`benchmarks.matrix.workers`): every
    # run's `clear_session` then collects what runs made, not TensorFlow's modules (a
    # solo run here paid 0.25-0.33 s more than in a worker, a pack once for all members).
    gc.freeze()
    try:
        out.update(measure_overhead(config, s["overhead_repeats"], options, warmup=size != "tiny"))
        cells = [dict(config, width=w, optimizer=o) for w in s["widths"] for o in s["optimizers"]]
        out.update(measure_fast_defaults(cells, s["matrix_seeds"], max(1, s["repeats"] // 2),
                                         options))
        out.update(measure_packing(config, list(range(s["seeds"])), s["packing_repeats"], options))
        out["zoo_models_cold_start_s"] = measure_cold_start(0 if size == "tiny" else 3)
        if size != "tiny":  # fresh processes of a whole matrix: not a smoke test
            from benchmarks.perf_matrix import measure_matrix, measure_packed_mfu

            out.update(measure_matrix(repeats=1 if size == "quick" else 2))
            out.update(measure_packed_mfu(out["peak_flops"]))
    finally:
        gc.unfreeze()  # the caller's process (a test) collects everything again
    out["load_after"] = os.getloadavg()[0]
    out["config"] = config
    return out


def format_table(figures: dict) -> str:
    """The figures as a Markdown table (the README's Performance section)."""
    rows = [
        ("harness_overhead_ratio", "one cell via `run_one` / hand-written `fit`",
         f"{figures['harness_s']:.2f} s / {figures['hand_fit_s']:.2f} s"),
        ("fast_defaults_speedup", f"{figures['matrix_runs']}-run matrix wall time in one "
         "process, Keras defaults / harness defaults",
         f"{figures['matrix_keras_defaults_s']:.2f} s / {figures['matrix_fast_s']:.2f} s"),
        ("fast_defaults_steady_speedup", "steady-state training samples/s (all members of a "
         "pack), harness / Keras defaults", ""),
        ("packed_seeds_speedup", f"{figures['packed_members']} seeds one after "
         "another / packed", f"{figures['sequential_s']:.2f} s / {figures['packed_s']:.2f} s"),
        ("mfu", "model FLOP/s / measured matmul peak (one run)",
         f"peak {figures['peak_flops'] / 1e9:.1f} GFLOP/s"),
        ("packed_mfu", "the same, packed run", ""),
        ("zoo_models_cold_start_s", "`zoo models` in a fresh process", ""),
    ]
    if "matrix_vs_plain_keras_speedup" in figures:
        f = figures
        rest = f["bench_runs_s"] - f["bench_first_epochs_s"] - f["bench_later_epochs_s"]
        rows += [
            ("matrix_vs_plain_keras_speedup", f"{f['matrix_runs']}-run matrix, each in a fresh "
             "process: plain Keras for-loop / `zoo bench`",
             f"{f['matrix_plain_keras_s']:.2f} s / {f['matrix_zoo_bench_s']:.2f} s; mean test "
             f"accuracy {f['plain_keras_test_accuracy']:.3f} (sd "
             f"{f['plain_keras_test_accuracy_sd']:.3f}) vs {f['zoo_bench_test_accuracy']:.3f} "
             f"(sd {f['zoo_bench_test_accuracy_sd']:.3f})"),
            ("bench_outside_runs_s", "of that `zoo bench`: outside its runs (start-up, "
             "TensorFlow's import, validation, store, exit)",
             f"in runs {f['bench_runs_s']:.2f} s: first epochs {f['bench_first_epochs_s']:.2f} s "
             f"(tracing), later epochs {f['bench_later_epochs_s']:.2f} s, the rest (build, "
             f"evaluation) {rest:.2f} s"),
            ("matrix_packed_mfu", "MFU of that matrix's pack (widths 32/64)", ""),
            ("packed_matrix_mfu", f"MFU of one pack of {f['packed_matrix_members']} runs of 4 "
             "cells (widths 256/512, batch 128)", ""),
        ]
    lines = ["| figure | what | value | target | details |", "|---|---|---|---|---|"]
    for key, what, details in rows:
        value = figures.get(key)
        target = TARGETS.get(key)
        text = "n/a" if value is None else f"{value:.3g}"
        goal = ""
        if target and value is not None:
            met = value <= target[1] if target[0] == "<=" else value >= target[1]
            goal = f"{target[0]} {target[1]:g} ({'met' if met else 'not met'})"
        lines.append(f"| `{key}` | {what} | {text} | {goal} | {details} |")
    lines.append(f"\nsize={figures['size']}, epochs={figures['config']['epochs']}, "
                 f"cpus={figures['cpu_count']}, load average {figures['load_before']:.1f} -> "
                 f"{figures['load_after']:.1f}, TensorFlow {figures['tensorflow']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a run of a few minutes")
    parser.add_argument("--tiny", action="store_true", help="smoke-test size (seconds)")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON here")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    figures = measure("tiny" if args.tiny else "quick" if args.quick else "full")
    print(format_table(figures))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
