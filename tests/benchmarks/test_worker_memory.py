"""Worker memory: recycling, a memory limit, out-of-memory runs as outcomes, and growth.

The fast cases use fake runs (`fake_runs`, no TensorFlow in the workers).
The slow one trains 200 small real runs in one worker and bounds how much
its resident memory grows (its figures are printed; run it with `-s`).
"""

import collections
import statistics

import pytest

from benchmarks.matrix import memory
from benchmarks.matrix.executors import LocalExecutor, Task

from fake_runs import (fake_adam_allocates, fake_adam_dies, fake_adam_memory_error,
                       fake_adam_memory_error_caught, fake_hoards, fake_pid)
from test_bench import run_bench, runs_of, write_suite


def tasks(n, optimizer="sgd"):
    return [Task(f"run{i}", {"optimizer": optimizer, "batch_size": 64}, seed=i) for i in range(n)]


def run_all(pool, todo):
    return list(pool.run(todo))


@pytest.mark.parametrize("workers", [1, 2])
def test_max_runs_recycles_without_losing_or_repeating_a_run(workers):
    with LocalExecutor(workers=workers, run_fn=fake_pid, max_runs_per_worker=2,
                       recycle_rss_mb=0) as pool:
        results = run_all(pool, tasks(5))
    assert sorted(r.task.run_id for r in results) == [f"run{i}" for i in range(5)]
    assert {r.status for r in results} == {"ok"}
    per_pid = collections.Counter(r.record["pid"] for r in results)
    assert len(per_pid) >= 3 and max(per_pid.values()) <= 2, per_pid
    assert all(r.worker_pid == r.record["pid"] for r in results)


def test_without_recycling_one_worker_runs_everything():
    with LocalExecutor(workers=1, run_fn=fake_pid, max_runs_per_worker=0,
                       recycle_rss_mb=0) as pool:
        results = run_all(pool, tasks(5))
    assert len({r.record["pid"] for r in results}) == 1 and len(results) == 5


def test_worker_past_the_memory_threshold_is_recycled():
    # fake_hoards keeps 150 MB per run; a fake worker starts near 30 MB.
    with LocalExecutor(workers=1, run_fn=fake_hoards, max_runs_per_worker=0,
                       recycle_rss_mb=120) as pool:
        results = run_all(pool, tasks(3))
    assert [r.status for r in results] == ["ok"] * 3
    assert len({r.record["pid"] for r in results}) == 3
    assert all(r.worker_rss_mb > 120 for r in results)


def test_out_of_memory_run_is_failed_and_the_matrix_goes_on(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(memory.ENV["limit_mb"], "200")  # adam runs hold 300 MB
    store = str(tmp_path / "zoo.sqlite")
    run_bench([write_suite(tmp_path), "--store", store, "--workers", "1"], fake_adam_allocates)
    runs = runs_of(store)
    assert len(runs) == 4
    for run in runs:
        if run["config"]["optimizer"] == "adam":
            assert run["status"] == "failed", run
            assert "the worker ran out of memory (limit 200 MiB)" in run["error"]
            assert "resident memory reached" in run["error"]
        else:
            assert run["status"] == "ok", run


@pytest.mark.parametrize("run_fn", [fake_adam_memory_error, fake_adam_memory_error_caught])
@pytest.mark.parametrize("limit", [0, 500])
def test_memory_error_in_a_run_is_a_failed_run_naming_memory(run_fn, limit):
    todo = tasks(2) + [Task("adam", {"optimizer": "adam", "batch_size": 32}, seed=0)]
    with LocalExecutor(workers=1, run_fn=run_fn, memory_limit_mb=limit) as pool:
        results = {r.task.run_id: r for r in run_all(pool, todo)}
    assert results["run0"].status == results["run1"].status == "ok"
    error = results["adam"].error
    assert results["adam"].status == "failed"
    assert error.startswith("the worker ran out of memory (" +
                            ("limit 500 MiB" if limit else "no worker memory limit set"))
    assert "MemoryError: Unable to allocate" in error
    assert results["adam"].worker_pid == results["run0"].worker_pid  # the worker lived on


def test_worker_killed_by_sigkill_names_the_out_of_memory_killer():
    todo = [Task("adam", {"optimizer": "adam", "batch_size": 32}, seed=0)] + tasks(1)
    with LocalExecutor(workers=1, run_fn=fake_adam_dies) as pool:
        results = {r.task.run_id: r for r in run_all(pool, todo)}
    assert results["run0"].status == "ok"
    error = results["adam"].error
    assert "worker died (exit code -9)" in error and "out-of-memory killer" in error


def test_policy_from_arguments_environment_and_defaults(monkeypatch):
    for var in memory.ENV.values():
        monkeypatch.delenv(var, raising=False)
    default = memory.WorkerMemory.resolve(workers=4)
    assert default.max_runs == memory.DEFAULT_MAX_RUNS and default.limit_mb is None
    assert default.recycle_mb == pytest.approx(
        memory.RECYCLE_FRACTION * memory.total_memory_mb() / 4)
    monkeypatch.setenv("ZOO_WORKER_MAX_RUNS", "7")
    monkeypatch.setenv("ZOO_WORKER_MAX_RSS_MB", "0")
    monkeypatch.setenv("ZOO_WORKER_MEMORY_LIMIT_MB", "900")
    env = memory.WorkerMemory.resolve(workers=1)
    assert (env.max_runs, env.recycle_mb, env.limit_mb) == (7, None, 900)
    assert memory.WorkerMemory.resolve(workers=1, max_runs=3).max_runs == 3  # argument wins
    assert env.should_recycle(tasks=7, rss_mb=10) and not env.should_recycle(6, 10**6)
    assert env.over_limit(901) and not env.over_limit(899) and not env.over_limit(None)


@pytest.mark.parametrize("setting", [{"ZOO_WORKER_MAX_RUNS": "many"},
                                     {"ZOO_WORKER_MEMORY_LIMIT_MB": "-1"},
                                     {"ZOO_WORKER_MAX_RSS_MB": "inf"}])
def test_bad_memory_settings_are_refused(monkeypatch, setting):
    for var, value in setting.items():
        monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=r"must be a (finite )?number"):
        LocalExecutor(workers=1, run_fn=fake_pid)


GROWTH_RUNS = 200
GROWTH_BOUND_MB = 1300  # measured: +977 MiB from run 10 to run 200 (5.14 MiB a run), + 1/3


@pytest.mark.slow
def test_worker_memory_over_200_small_real_runs_is_bounded():
    config = {"dataset": "digits", "model": "mlp", "epochs": 1, "depth": 1, "width": 8,
              "train_samples": 200, "pack_seeds": False}
    todo = [Task(f"grow{i}", config, seed=i) for i in range(GROWTH_RUNS)]
    with LocalExecutor(workers=1, threads=1, max_runs_per_worker=0, recycle_rss_mb=0) as pool:
        results = run_all(pool, todo)
    assert [r.status for r in results] == ["ok"] * GROWTH_RUNS, results[0].error
    assert len({r.worker_pid for r in results}) == 1  # one worker ran all 200
    rss = [r.worker_rss_mb for r in results]
    peaks = [r.record["peak_memory_mb"] for r in results]
    per_50 = [rss[min(i + 50, GROWTH_RUNS) - 1] - rss[i] for i in range(0, GROWTH_RUNS, 50)]
    print(f"\nworker RSS after each of {GROWTH_RUNS} runs (MiB): first {rss[0]:.0f}, "
          f"10th {rss[9]:.0f}, median {statistics.median(rss):.0f}, last {rss[-1]:.0f}; "
          f"growth per 50 runs {[round(g) for g in per_50]} (max {max(per_50):.0f}); "
          f"mean growth per run {(rss[-1] - rss[9]) / (GROWTH_RUNS - 10):.2f}; "
          f"run peak_memory_mb first {peaks[0]:.0f}, last {peaks[-1]:.0f}")
    assert rss[-1] < rss[9] + GROWTH_BOUND_MB


def test_zoo_bench_flags_reach_the_workers(tmp_path):
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--workers", "1",
            "--max-runs-per-worker", "1", "--worker-recycle-mb", "0", "--set", "pack_seeds=false"]
    assert run_bench(args, fake_pid) == 0
    runs = runs_of(store)
    assert len(runs) == 4 and len({r["record"]["pid"] for r in runs}) == 4  # one worker each
