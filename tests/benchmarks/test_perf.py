"""Fast defaults change speed, not results; `python -m benchmarks.perf` reports every figure."""

import json
import math

import numpy as np
import pytest

from benchmarks.matrix.planner import pack_seeds_default
from benchmarks.run.execution import KERAS_DEFAULTS, resolve_execution

TINY = {"dataset": "digits", "model": "mlp", "epochs": 2, "width": 16, "depth": 2,
        "train_samples": 160, "batch_size": 16}


def test_auto_steps_per_execution_follows_the_run_size():
    auto = {"steps_per_execution": "auto", "jit_compile": "auto"}
    assert resolve_execution(auto, n_train=1078, batch_size=32, device="cpu") == {
        "steps_per_execution": 32, "jit_compile": False}
    assert resolve_execution(auto, n_train=100, batch_size=32)["steps_per_execution"] == 4
    assert resolve_execution(auto, n_train=100, batch_size=100)["steps_per_execution"] == 1
    assert resolve_execution(auto, 100, 10, device="gpu:0")["jit_compile"] == "auto"


def test_explicit_execution_options_are_kept():
    fixed = {"steps_per_execution": 3, "jit_compile": True}
    assert resolve_execution(fixed, 1000, 10) == fixed
    with pytest.raises(ValueError, match="steps_per_execution"):
        resolve_execution({"steps_per_execution": 0}, 1000, 10)


def test_packing_is_the_default_only_where_it_applies():
    assert pack_seeds_default(TINY, 3)
    assert not pack_seeds_default(TINY, 1)
    assert not pack_seeds_default({**TINY, "dropout": 0.5}, 3)


def test_fast_defaults_give_the_same_results_as_keras_defaults():
    from benchmarks.run import run_one

    auto = {**TINY, "steps_per_execution": "auto", "jit_compile": "auto"}
    status, fast, error = run_one(auto, seed=0)
    assert status == "ok", error
    status, slow, error = run_one({**TINY, **KERAS_DEFAULTS}, seed=0)
    assert status == "ok", error
    assert fast["options"]["steps_per_execution"] == 10  # 160 / 16 steps, capped at 32
    assert fast["options"]["jit_compile"] is False
    assert slow["options"]["steps_per_execution"] == 1
    for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
        np.testing.assert_allclose(fast["history"][key], slow["history"][key], atol=1e-6,
                                   err_msg=key)
    for key in fast["grad_layers"]:
        np.testing.assert_allclose(fast["grad_norms"][key], slow["grad_norms"][key], rtol=1e-5)
    assert fast["test"] == pytest.approx(slow["test"], abs=1e-6)


def test_perf_smoke_writes_every_figure(tmp_path):
    from benchmarks import perf

    path = tmp_path / "perf.json"
    assert perf.main(["--tiny", "--json", str(path)]) == 0
    figures = json.loads(path.read_text())
    for key in perf.KEYS + ("peak_flops", "fast_defaults_steady_speedup", "packed_mfu"):
        assert isinstance(figures[key], (int, float)) and math.isfinite(figures[key]), key
    assert figures["packed_members"] == 2


def test_perf_matrix_suite_is_the_plain_loops_matrix(tmp_path):
    from benchmarks.perf_matrix import MATRIX, suite_text
    from benchmarks.suite import load_suite

    path = tmp_path / "perf_matrix.toml"
    path.write_text(suite_text(MATRIX))
    suite = load_suite(str(path))
    cells = suite.cells()
    assert len(cells) * len(suite.seeds) == 12
    assert {(c["optimizer"], c["width"]) for c in cells} == {
        (o, w) for o in MATRIX["optimizers"] for w in MATRIX["widths"]}
    assert {c["depth"] for c in cells} == {2} and {c["batch_size"] for c in cells} == {32}


def test_perf_startup_measures_every_figure_in_fresh_processes():
    from benchmarks import perf_startup

    figures = perf_startup.measure(repeats=1)
    assert set(figures) == {"import_s", "lean_import_s", "sklearn_digits_s", "cached_digits_s",
                            "gc_collect_s", "frozen_gc_collect_s", "exit_s", "os_exit_s",
                            "probe_trace_s", "fused_probe_trace_s", "ml_dtypes_import_s",
                            "ml_dtypes_version"}
    version = figures.pop("ml_dtypes_version")
    assert tuple(int(p) for p in version.split(".")[:2]) < (0, 7)  # pyproject.toml's pin
    assert all(0 <= value < 120 for value in figures.values())
    assert figures["import_s"] > 0 and figures["probe_trace_s"] > 0


def test_bench_breakdown_counts_each_pack_once_and_splits_its_epochs():
    from benchmarks import perf
    from benchmarks.perf_matrix import bench_breakdown

    pack = {"wall_time": 6.0, "epoch_times": [3.0, 1.0, 1.0],
            "options": {"packed": {"members": 3}}}
    solo = {"wall_time": 2.0, "epoch_times": [1.5, 0.25], "options": {"packed": {"members": 1}}}
    out = bench_breakdown(12.0, [pack, pack, pack, solo])
    assert out == {"bench_runs_s": 8.0, "bench_outside_runs_s": 4.0,
                   "bench_first_epochs_s": 4.5, "bench_later_epochs_s": 2.25}
    figures = {"harness_s": 1.0, "hand_fit_s": 1.0, "matrix_keras_defaults_s": 1.0,
               "matrix_fast_s": 1.0, "sequential_s": 1.0, "packed_s": 1.0, "packed_members": 2,
               "peak_flops": 1e9, "size": "quick", "config": {"epochs": 1}, "cpu_count": 2,
               "load_before": 0.0, "load_after": 0.0, "tensorflow": "x",
               "matrix_runs": 4, "matrix_vs_plain_keras_speedup": 3.0,
               "matrix_plain_keras_s": 36.0, "matrix_zoo_bench_s": 12.0,
               "plain_keras_test_accuracy": 0.5, "plain_keras_test_accuracy_sd": 0.1,
               "zoo_bench_test_accuracy": 0.5, "zoo_bench_test_accuracy_sd": 0.1,
               "packed_matrix_members": 12, **out}
    row = next(line for line in perf.format_table(figures).splitlines()
               if "bench_outside_runs_s" in line)
    assert "| 4 |" in row and "in runs 8.00 s" in row and "the rest (build, evaluation) 1.25 s" \
        in row
