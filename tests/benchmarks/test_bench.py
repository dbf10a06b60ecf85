"""`zoo bench` / `zoo results`: driver, executors, resume, failures, Ray.

Most cases use stand-in run functions (module level, so spawn workers can
import them) and never import TensorFlow in the workers; two cases train for
real through `zoo.cli.main`.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from benchmarks.cli import bench
from benchmarks.matrix.executors import LocalExecutor, Task
from benchmarks.store import Store
from zoo.cli import build_parser, main

import conftest
from conftest import tiny_suite, write_toml
from fake_runs import (fake_adam_dies, fake_adam_raises, fake_ok, fake_pack, fake_pack_dies)

SUITE = tiny_suite("tiny", 'optimizer = ["sgd", "adam"]\nbatch_size = [32, 64]', fixed="",
                   description="2 x 2 tiny MLPs on digits")


def write_suite(tmp_path, text=SUITE):
    return write_toml(tmp_path, text, "tiny.toml")


def run_bench(argv, run_fn, pack_fn=None):
    """`zoo bench` with stand-ins; without a pack function, packs run member by member."""
    return bench(build_parser().parse_args(["bench", *argv]), run_fn=run_fn, pack_fn=pack_fn)


def runs_of(store_path, suite="tiny"):
    return conftest.runs_of(store_path, suite)


def test_fake_matrix_records_every_run_and_skips_them_on_rerun(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--workers", "2", "--tensorboard"]
    assert run_bench(args, fake_ok) == 0
    out = capsys.readouterr().out
    assert "[4/4]" in out and "optimizer=adam batch_size=64 seed=0 ok test_accuracy=0.6" in out
    runs = runs_of(store)
    assert len(runs) == 4 and {r["status"] for r in runs} == {"ok"}
    assert all(r["attempts"] == 1 and r["cell_id"] for r in runs)
    tb = runs[0]["record"]["options"]["tensorboard_dir"]
    assert tb == os.path.join(str(tmp_path), "tensorboard", "tiny", runs[0]["run_id"])
    with Store(store) as s:
        assert s.suites()[0]["source"].startswith("name = \"tiny\"")
    finished = {r["run_id"]: r["finished_at"] for r in runs}
    assert run_bench(args, fake_ok) == 0
    assert "4 skipped" in capsys.readouterr().out
    assert {r["run_id"]: r["finished_at"] for r in runs_of(store)} == finished


def test_failing_run_does_not_stop_the_others_and_retry_failed(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--workers", "1"]
    assert run_bench(args, fake_adam_raises) == 1
    runs = runs_of(store)
    failed = [r for r in runs if r["status"] == "failed"]
    assert len(runs) == 4 and len(failed) == 1
    assert "RuntimeError: adam exploded on purpose" in failed[0]["error"]
    # Failed runs are skipped without --retry-failed: nothing fails in this invocation.
    assert run_bench(args, fake_ok) == 0
    assert runs_of(store) == runs
    assert run_bench(args + ["--retry-failed"], fake_ok) == 0
    runs = {r["run_id"]: r for r in runs_of(store)}
    assert runs[failed[0]["run_id"]]["status"] == "ok"
    assert runs[failed[0]["run_id"]]["attempts"] == 2 and runs[failed[0]["run_id"]]["error"] is None


def test_killed_worker_becomes_a_failed_run_and_the_pool_goes_on(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    # Alone, not in a pack of cells: a worker that dies takes only its own run down.
    args = [write_suite(tmp_path), "--store", store, "--workers", "1",
            "--set", "options.pack_cells=false"]
    assert run_bench(args, fake_adam_dies) == 1
    runs = runs_of(store)
    assert sorted(r["status"] for r in runs) == ["failed", "ok", "ok", "ok"]
    error = next(r["error"] for r in runs if r["status"] == "failed")
    assert "worker died (exit code -9)" in error


def test_packed_seeds_are_one_task_with_one_record_per_seed(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--workers", "1", "--set", "seeds=[0,1,2]",
            "--set", "options.pack_seeds=true", "--set", "options.pack_cells=false"]
    assert run_bench(args, fake_ok, fake_pack_dies) == 1
    runs = runs_of(store)
    assert len(runs) == 12 and len({r["run_id"] for r in runs}) == 12
    for run in runs:
        if run["config"]["optimizer"] == "sgd":
            assert run["status"] == "ok" and run["record"]["options"]["packed"] == 3
            assert run["record"]["test"]["accuracy"] == pytest.approx(0.5 + run["seed"] / 100)
        else:
            assert run["status"] == "failed" and "worker died (exit code 7)" in run["error"]
    assert "[12/12]" in capsys.readouterr().out
    assert run_bench(args + ["--retry-failed"], fake_ok, fake_pack) == 0
    assert {r["status"] for r in runs_of(store)} == {"ok"}


def test_cells_that_share_a_graph_are_one_task_with_each_members_config(tmp_path):
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--workers", "1", "--set", "seeds=[0,1]"]
    assert run_bench(args, fake_ok, fake_pack) == 0
    runs = runs_of(store)
    assert len(runs) == 8
    for run in runs:  # one pack per batch size: sgd and adam, 2 seeds each
        assert run["record"]["options"]["packed"] == 4
        adam = 0.1 * (run["config"]["optimizer"] == "adam")  # each member ran its own config
        assert run["record"]["test"]["accuracy"] == pytest.approx(0.5 + adam + run["seed"] / 100)


def test_local_executor_direct(tmp_path):
    tasks = [Task(f"r{i}", {"optimizer": "sgd", "batch_size": 8}, i) for i in range(3)]
    dispatched = []
    with LocalExecutor(workers=2, run_fn=fake_ok) as pool:
        results = list(pool.run(tasks, on_dispatch=lambda t: dispatched.append(t.run_id)))
        assert pool.threads == 1
    assert sorted(r.task.run_id for r in results) == ["r0", "r1", "r2"]
    assert sorted(dispatched) == ["r0", "r1", "r2"] and {r.status for r in results} == {"ok"}


def test_dry_run_prints_cells_and_counts(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    path = write_suite(tmp_path)
    assert main(["bench", path, "--store", store, "--dry-run", "--set", "seeds=[0,1]"]) == 0
    out = capsys.readouterr().out
    assert "4 cells x 2 seeds = 8 runs; 0 already done" in out and "adam" in out
    assert not os.path.exists(store)
    assert run_bench([path, "--store", store, "--set", "seeds=[0,1]"], fake_ok) == 0
    capsys.readouterr()
    assert main(["bench", path, "--store", store, "--dry-run", "--set", "seeds=[0,1,2]"]) == 0
    assert "12 runs; 8 already done" in capsys.readouterr().out


def test_seed_shift_gives_a_disjoint_set_of_the_same_size(tmp_path):
    from benchmarks.suite import SuiteError, load_suite

    path = write_suite(tmp_path)
    own = load_suite(path, overrides=["seeds=[0, 1, 2]"]).seeds
    shifted = load_suite(path, overrides=["seeds=[0, 1, 2]", "seeds+=100"]).seeds
    assert shifted == [100, 101, 102] and not set(own) & set(shifted)
    assert load_suite("c15_ensemble", overrides=["seeds+=10"]).seeds == list(range(10, 18))
    with pytest.raises(SuiteError, match="shifts every seed by a whole number"):
        load_suite(path, overrides=["seeds+=1.5"])


def test_bad_input_exits_2(tmp_path, capsys):
    path = write_suite(tmp_path, SUITE.replace('"sgd"', '"sgdd"'))
    assert main(["bench", path, "--store", str(tmp_path / "s.sqlite"), "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "tiny.toml: [matrix] optimizer: " in err and "Did you mean 'sgd'" in err
    assert main(["bench", "demo", "--dry-run", "--set", "epochs=zero"]) == 2
    assert "epochs: expected an integer >= 1" in capsys.readouterr().err
    assert main(["bench", "demoo"]) == 2
    assert "Did you mean 'demo'" in capsys.readouterr().err


def test_results_formats_and_errors(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    assert main(["results", "--store", store]) == 2
    assert "run `zoo bench SUITE` first" in capsys.readouterr().err
    assert run_bench([write_suite(tmp_path), "--store", store, "--workers", "1"],
                     fake_adam_raises) == 1
    capsys.readouterr()
    assert main(["results", "--store", store, "--format", "json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert len(runs) == 4
    for run in runs:
        assert {"run_id", "suite", "status", "seed", "config", "record", "error"} <= set(run)
        assert run["suite"] == "tiny" and run["config"]["model"] == "mlp"
    ok = [r for r in runs if r["status"] == "ok"]
    assert all(r["record"]["test"]["accuracy"] > 0 for r in ok)
    assert main(["results", "--store", store, "--suite", "tiny", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and "test_accuracy" in lines[0] and "optimizer" in lines[0]
    assert main(["results", "--store", store]) == 0
    assert "test_accuracy" in capsys.readouterr().out
    assert main(["results", "--store", store, "--suite", "tinny"]) == 2
    assert "Did you mean 'tiny'?" in capsys.readouterr().err


def test_end_to_end_2x2_real_training(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    assert main(["bench", write_suite(tmp_path), "--store", store, "--workers", "1"]) == 0
    runs = runs_of(store)
    assert len(runs) == 4 and {r["status"] for r in runs} == {"ok"}
    for run in runs:
        assert 0.0 <= run["record"]["test"]["accuracy"] <= 1.0
        assert run["record"]["epochs_run"] == 1 and run["record"]["params"] > 0
    assert "[4/4]" in capsys.readouterr().out


def _resume_case(tmp_path, extra_env=None, run_fn=None):
    """Starts `zoo bench` in its own process group, kills it after one finished run."""
    store = str(tmp_path / "zoo.sqlite")
    path = write_suite(tmp_path)
    argv = ["bench", path, "--store", store, "--workers", "1"]
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"from benchmarks.cli import bench; from zoo.cli import build_parser; "
            f"sys.exit(bench(build_parser().parse_args({argv!r}), run_fn={run_fn!r}))")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    finished = []
    try:
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.2)
            if not os.path.exists(store):
                continue
            try:
                with sqlite3.connect(store, timeout=5) as conn:
                    finished = conn.execute("SELECT run_id, finished_at FROM runs WHERE status"
                                            " IN ('ok', 'diverged')").fetchall()
            except sqlite3.OperationalError:
                continue
            if finished:
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert finished, proc.stderr.read().decode()[-2000:]
    before = dict(finished)
    assert len(before) < 4, "the driver finished before it could be killed"
    return store, argv, before


def _check_resumed(store, before):
    runs = runs_of(store)
    assert len(runs) == 4 and len({r["run_id"] for r in runs}) == 4
    assert {r["status"] for r in runs} == {"ok"}
    for run in runs:
        if run["run_id"] in before:
            assert run["finished_at"] == before[run["run_id"]]
            assert run["attempts"] == 1


def test_resume_after_the_driver_is_killed(tmp_path):
    store, argv, before = _resume_case(tmp_path, run_fn="fake_runs:fake_slow")
    with Store(store) as s:
        assert "running" in s.statuses("tiny").values()  # left by the kill
    assert run_bench(argv[1:], fake_ok) == 0
    _check_resumed(store, before)


@pytest.mark.slow
def test_resume_after_the_driver_is_killed_real_training(tmp_path):
    store, argv, before = _resume_case(tmp_path)
    assert main(argv) == 0
    _check_resumed(store, before)


def test_ray_executor_on_a_local_instance(tmp_path, capsys):
    pytest.importorskip("ray")
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--executor", "ray", "--workers", "1"]
    assert run_bench(args, fake_adam_raises) == 1
    assert "on ray: local instance" in capsys.readouterr().out
    runs = {(r["config"]["optimizer"], r["config"]["batch_size"]): r for r in runs_of(store)}
    assert {k: r["status"] for k, r in runs.items()} == {
        ("sgd", 32): "ok", ("adam", 32): "failed", ("sgd", 64): "ok", ("adam", 64): "ok"}
    assert "adam exploded" in runs[("adam", 32)]["error"]
    assert runs[("adam", 64)]["record"]["test"]["accuracy"] == pytest.approx(0.6)


def test_plan_dedupes_and_progress_displays(tmp_path):
    import io

    from benchmarks.matrix.driver import plan
    from benchmarks.matrix.executors import Result
    from benchmarks.matrix.progress import Progress
    from benchmarks.suite import load_suite

    suite = load_suite(write_suite(tmp_path), ["seeds=[0, 0, 1]"], check_cells=False)
    work = plan(suite, {}, tensorboard_root=None)
    assert work.total == 8 and len({t.run_id for t in work.runs()}) == 8
    # "auto": the 2 seeds of each cell are packed, and the optimizers of a batch size share
    # a graph (batch sizes do not).
    assert len(work.tasks) == 2 and [len(t.members) for t in work.tasks] == [4, 4]
    assert {m.config["batch_size"] for m in work.tasks[0].members} == {32}
    logged = plan(suite, {}, tensorboard_root=str(tmp_path))
    assert len(logged.tasks) == 2  # TensorBoard no longer stops packing
    assert all(r.options["tensorboard_dir"].endswith(r.run_id) for r in logged.runs())
    work = plan(load_suite(write_suite(tmp_path), ["seeds=[0, 0, 1]", "options.pack_seeds=false",
                                                   "options.pack_cells=false"],
                           check_cells=False), {})
    assert len(work.tasks) == 8
    stream = io.StringIO()
    progress = Progress(2, ["optimizer"], stream=stream)
    progress.finished(Result(work.tasks[0], *fake_ok(work.tasks[0].config, 0)))
    progress.close()
    assert stream.getvalue().startswith(f"[1/2] {work.tasks[0].run_id} optimizer=sgd seed=0 ok")
    live = Progress(2, ["optimizer"], title="tiny", rich_display=True)
    live.finished(Result(work.tasks[1], "failed", None, "RuntimeError: x"))
    assert live.failed == 1
    live.close()


def test_threads_sets_each_local_workers_tensorflow_threads(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    args = [write_suite(tmp_path), "--store", store, "--workers", "2", "--threads", "2"]
    assert run_bench(args, fake_ok) == 0
    assert "local: 2 worker(s) x 2 thread(s)" in capsys.readouterr().out
    assert {r["record"]["options"]["threads"] for r in runs_of(store)} == {2}  # what runs got
    for bad, message in ((["--threads", "0"], "--threads must be at least 1"),
                         (["--executor", "ray", "--threads", "2"], "not Ray tasks'")):
        with pytest.raises(ValueError, match=message):
            run_bench([write_suite(tmp_path), "--store", store, *bad], fake_ok)
