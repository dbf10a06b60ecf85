"""True per-run memory and fuller provenance (issue 14, item 7).

`peak_memory_mb` is the run's own peak in a reused process
(`benchmarks.run.record.reset_peak_memory` at `Run.prepare`); the host record
has the CPU model, memory, GPU model and driver; the git commit of the
folder a suite file lives in reaches every record as `host.suite_commit`.
"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from benchmarks.cli import bench
from benchmarks.matrix.driver import plan, suite_commit
from benchmarks.run import devices, record
from benchmarks.suite import load_suite
from zoo.cli import build_parser

import conftest
from conftest import tiny_suite, write_toml

LINUX_PEAK = os.path.exists("/proc/self/clear_refs")

SUITE = tiny_suite("prov")


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=zoo", "-c",
                           "user.email=zoo@example.com", *args], capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A git repository holding a committed suite file: `(folder, suite path, sha)`."""
    folder = tmp_path / "repo"
    folder.mkdir()
    git(folder, "init", "-q")
    path = write_toml(folder, SUITE, "prov.toml")
    git(folder, "add", "prov.toml")
    git(folder, "commit", "-q", "-m", "suite")
    return folder, path, git(folder, "rev-parse", "HEAD")


@pytest.mark.skipif(not LINUX_PEAK, reason="resetting the peak needs /proc/self/clear_refs")
def test_reset_peak_memory_forgets_an_earlier_peak():
    assert record.reset_peak_memory()
    big = np.ones(300 * 2**20 // 8)  # 300 MiB, touched
    first = record.peak_memory_mb()
    del big
    assert record.reset_peak_memory()
    assert record.peak_memory_mb() < first - 200


@pytest.mark.skipif(not LINUX_PEAK, reason="resetting the peak needs /proc/self/clear_refs")
def test_a_run_in_a_reused_process_records_its_own_peak():
    from benchmarks.run import run_one

    config = {"dataset": "digits", "model": "mlp", "epochs": 1, "depth": 1, "width": 8,
              "train_samples": 200}
    status, first, error = run_one(config, 0)
    assert status == "ok", error
    big = np.ones(first["peak_memory_mb"].__ceil__() * 2**20 // 8 + 2**25)  # > the run's peak
    lifetime = record.peak_memory_mb()
    del big
    status, second, error = run_one(config, 1)
    assert status == "ok", error
    assert second["options"]["peak_memory_scope"] == "run"
    assert 0 < second["peak_memory_mb"] < lifetime - 200  # the big array was not this run's


def test_without_a_reset_the_peak_is_flagged_as_the_process(monkeypatch):
    real_open = open

    def no_clear_refs(path, *args, **kwargs):
        if path == "/proc/self/clear_refs":
            raise PermissionError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_clear_refs)
    assert record.reset_peak_memory() is False
    assert record._PEAK["scope"] == "process"
    assert record.peak_memory_mb() > 0
    monkeypatch.undo()
    record.reset_peak_memory()


def test_host_info_has_cpu_model_memory_and_gpu_keys():
    host = devices.host_info()
    assert isinstance(host["cpu_model"], str) and host["cpu_model"]
    assert isinstance(host["memory_mb"], int) and host["memory_mb"] > 100
    assert {"gpus", "gpu_models", "gpu_driver", "cpu_count"} <= set(host)
    if not host["gpus"] and not __import__("shutil").which("nvidia-smi"):
        assert host["gpu_models"] is None and host["gpu_driver"] is None


def test_gpu_model_and_driver_come_from_nvidia_smi(tmp_path, monkeypatch):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'NVIDIA A100-SXM4-40GB, 535.104.05'\n"
                    "echo 'NVIDIA A100-SXM4-40GB, 535.104.05'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    devices.gpu_models.cache_clear()
    try:
        assert devices.gpu_models() == (["NVIDIA A100-SXM4-40GB"] * 2, "535.104.05")
    finally:
        devices.gpu_models.cache_clear()


def test_git_commit_of_a_suite_folder_clean_dirty_and_outside(repo, tmp_path):
    folder, path, sha = repo
    assert devices.git_commit(str(folder)) == sha
    assert suite_commit(load_suite(path)) == sha
    with open(path, "a") as f:
        f.write("# edited\n")
    assert suite_commit(load_suite(path)) == f"{sha}-dirty"
    outside = tmp_path / "outside"
    outside.mkdir()
    assert suite_commit(load_suite(write_toml(outside, SUITE, "prov.toml"))) is None
    assert devices.git_commit(str(tmp_path / "missing")) is None


def test_plan_passes_the_suite_commit_in_every_run_options(repo):
    folder, path, sha = repo
    work = plan(load_suite(path), {})
    assert [run.options["suite_commit"] for run in work.runs()] == [sha, sha]


def test_records_carry_the_suite_commit_under_host(repo):
    folder, path, sha = repo
    store = str(folder.parent / "zoo.sqlite")
    args = build_parser().parse_args(["bench", path, "--store", store, "--workers", "1"])
    assert bench(args, run_fn="fake_runs:fake_ok") == 0
    runs = conftest.runs_of(store, "prov")
    assert [r["record"]["host"]["suite_commit"] for r in runs] == [sha, sha]
