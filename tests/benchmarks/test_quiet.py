"""`zoo bench` / `zoo tune` print only their own lines (issue 14, item 4).

TensorFlow's C++ start-up lines, Keras warnings and Keras Tuner's banners go
to log files in `logs/` beside the store (`benchmarks.matrix.logs`); a
failed run's error ends with the tail of its worker's log. Two cases train
for real in a subprocess (1 epoch, width 8, 200 samples); the failure cases
use the stand-in run functions below (module level, so spawn workers can
import them).
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

from benchmarks.cli import bench
from benchmarks.matrix import logs
from zoo.cli import build_parser

import conftest
from conftest import tiny_suite, write_toml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOREIGN = re.compile(r"(?i:tensorflow|cuda|onednn|absl|warning: all log messages|retracing|"
                     r"cpu_feature_guard)|Search: Running Trial|Trial \d+ Complete \[")
TF_LINES = re.compile(r"oneDNN|cuda|absl::InitializeLog|cpu_feature_guard")

SUITE = tiny_suite("quiet", fixed='batch_size = 32\nactivation = "relu"')  # checking relu imports Keras in the driver


def noisy_raises(config, seed, options=None):
    """Prints like TensorFlow does (Python and fd 2), then fails for adam."""
    print(f"python line of {config['optimizer']}")
    os.write(2, f"I0000 fake_op.cc:1] C++ line of {config['optimizer']}\n".encode())
    if config["optimizer"] == "adam":
        os.write(2, b"F0000 fake_op.cc:2] Check failed: pretend crash\n")
        raise RuntimeError("adam exploded on purpose")
    return "ok", {"test": {"accuracy": 0.5}, "wall_time": 0.01}, None


def noisy_dies(config, seed, options=None):
    """Writes a C++-style fatal line and kills its worker for adam."""
    if config["optimizer"] == "adam":
        os.write(2, b"F0000 fake_op.cc:3] Check failed: worker goes down\n")
        os._exit(3)
    return noisy_raises(config, seed, options)


def zoo(tmp_path, *argv) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # TensorFlow's default verbosity: the worst case
    return subprocess.run([sys.executable, "-m", "zoo", *argv], capture_output=True,
                          text=True, cwd=str(tmp_path), env=env, timeout=600)


def test_bench_prints_only_zoo_lines_and_logs_tensorflow(tmp_path):
    store = str(tmp_path / "runs" / "zoo.sqlite")
    proc = zoo(tmp_path, "bench", write_toml(tmp_path, SUITE, "quiet.toml"), "--store", store,
               "--workers", "1")
    lines = (proc.stdout + proc.stderr).splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ours = re.compile(r"^zoo bench quiet: |^\[[12]/2\] [0-9a-f]{16} optimizer=(sgd|adam) seed=0 ok ")
    assert [line for line in lines if not ours.match(line)] == []
    assert not any(FOREIGN.search(line) for line in lines)
    assert len([line for line in lines if line.startswith("[")]) == 2
    workers = glob.glob(str(tmp_path / "runs" / "logs" / "quiet-*-worker1.log"))
    assert len(workers) == 1
    text = open(workers[0]).read()
    assert TF_LINES.search(text), text[:2000]
    assert text.count("==> zoo: task ") == 1  # one section per task: the two runs share a graph
    driver = glob.glob(str(tmp_path / "runs" / "logs" / "quiet-*-driver.log"))
    assert len(driver) == 1 and TF_LINES.search(open(driver[0]).read())


def test_a_failed_run_shows_the_tail_of_its_own_section_of_the_log(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    args = build_parser().parse_args(["bench", write_toml(tmp_path, SUITE, "quiet.toml"),
                                      "--store", store, "--workers", "1"])
    assert bench(args, run_fn="test_quiet:noisy_raises") == 1
    out = capsys.readouterr().out
    shown = out[out.index("optimizer=adam"):]
    assert "error: RuntimeError: adam exploded on purpose" in shown
    assert "    | F0000 fake_op.cc:2] Check failed: pretend crash" in shown
    assert "    | python line of adam" in shown
    assert "sgd" not in shown  # the tail is the failed run's own section of the worker log
    assert not any(FOREIGN.search(line) and "fake_op" not in line for line in out.splitlines())
    failed = [r for r in conftest.runs_of(store, "quiet") if r["status"] == "failed"]
    assert len(failed) == 1
    assert failed[0]["error"].startswith("RuntimeError: adam exploded on purpose")
    assert failed[0]["error"].endswith("F0000 fake_op.cc:2] Check failed: pretend crash")
    assert "Last 3 lines of the worker log" in failed[0]["error"]


def test_a_dead_worker_shows_the_crash_message_from_its_log(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    args = build_parser().parse_args(["bench", write_toml(tmp_path, SUITE, "quiet.toml"),
                                      "--store", store, "--workers", "1"])
    assert bench(args, run_fn="test_quiet:noisy_dies") == 1
    out = capsys.readouterr().out
    assert "worker died (exit code 3)" in out
    assert "    | F0000 fake_op.cc:3] Check failed: worker goes down" in out
    failed = [r for r in conftest.runs_of(store, "quiet") if r["status"] == "failed"]
    assert failed[0]["error"].endswith("Check failed: worker goes down")


def test_tail_reads_the_section_of_one_task(tmp_path):
    path = str(tmp_path / "w.log")
    with open(path, "w") as f:
        f.write(f"start-up\n{logs.task_header('a')}\nline a\n{logs.task_header('b')}\n")
        f.writelines(f"b{i}\n" for i in range(30))
    assert logs.tail(path, "a") == ["line a"]
    assert logs.tail(path, "b") == [f"b{i}" for i in range(10, 30)]
    assert logs.tail(path, "c", lines=2) == ["b28", "b29"]  # no header: the file's end
    assert logs.tail(str(tmp_path / "missing.log"), "a") == []


def test_redirected_sends_fds_to_the_log_and_restores_them(tmp_path, capfd):
    path = str(tmp_path / "logs" / "driver.log")
    with logs.redirected(path) as terminal:
        os.write(2, b"C++ noise\n")
        print("python noise", file=sys.__stdout__)  # sys.stdout is pytest's here
        print("zoo line", file=terminal)
    print("after")
    out, err = capfd.readouterr()
    assert out == "zoo line\nafter\n" and err == ""
    assert open(path).read() == "C++ noise\npython noise\n"
    with logs.redirected(str(tmp_path / "logs" / "empty.log")):
        pass
    assert not os.path.exists(tmp_path / "logs" / "empty.log")


SPACE = """
name = "quiet_tune"
dataset = "digits"
model = "mlp"
epochs = 1
seeds = [0]
objective = {name = "val_accuracy", direction = "max"}

[fixed]
width = 8
depth = 1
train_samples = 200

[space]
optimizer = {choice = ["sgd", "adam"]}
"""


def test_tune_prints_only_zoo_lines(tmp_path):
    space = write_toml(tmp_path, SPACE, "space.toml")
    proc = zoo(tmp_path, "tune", space, "--store", str(tmp_path / "zoo.sqlite"),
               "--directory", str(tmp_path / "kt"), "--max-trials", "2")
    lines = (proc.stdout + proc.stderr).splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [line for line in lines if not re.match(r"^zoo tune: |^  trial ", line)] == []
    assert not any(FOREIGN.search(line) for line in lines)
    assert len([line for line in lines if re.match(r"^zoo tune: trial \S+ completed", line)]) == 2
    log = glob.glob(str(tmp_path / "logs" / "space-*-tune.log"))
    assert len(log) == 1
    text = open(log[0]).read()
    assert TF_LINES.search(text) and "Search: Running Trial #1" in text


def test_logs_of_a_read_only_store_folder_go_to_the_temp_folder(tmp_path, monkeypatch):
    import tempfile

    from benchmarks.matrix import logs

    writable = logs.log_stem(str(tmp_path / "zoo.sqlite"), "demo")
    assert writable.startswith(str(tmp_path / "logs" / "demo-"))
    monkeypatch.setattr(logs.os, "access", lambda path, mode: False)
    stem = logs.log_stem(str(tmp_path / "zoo.sqlite"), "demo")
    assert stem.startswith(os.path.join(tempfile.gettempdir(), "zoo-logs", "demo-"))
