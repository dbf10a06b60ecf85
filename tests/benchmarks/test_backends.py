"""The Keras backend axis: tensorflow, jax and torch, each in processes of its own.

Keras fixes its backend at import, so the jax and torch checks run in one
subprocess per backend (`tests/backend_checks.py`: every model of a group built
and stepped, then two harness runs), started together; they are skipped, with
the install command, only when that backend's extra is not installed.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_toml
from fake_runs import fake_backend

import zoo
from benchmarks.matrix.executors import LocalExecutor, Task
from benchmarks.matrix.planner import unpackable_reason
from benchmarks.run import backends, run_one
from benchmarks.store.identity import run_id
from zoo.axes import canonical
from zoo.cli import main

ROOT = Path(__file__).resolve().parents[2]
OTHERS = ("jax", "torch")
# Dense, convolutional and recurrent models in the default run; every other registry model is
# slow here (on JAX each model costs an XLA compile: 4-20 s on 2 shared cores, the
# transformer 16 s, the Keras applications over 200 s).
FAST = ("logistic", "mlp", "cnn", "gru")
# Tiny models: XLA's CPU optimizations cost more compile time than they save (the jax checks
# took 81 s instead of about 120 s with them, under load).
XLA_FLAGS = "--xla_backend_optimization_level=0"
GROUPS = {"fast": FAST, "slow": tuple(m for m in zoo.list_models() if m not in FAST)}


@functools.lru_cache(maxsize=None)
def _started(group: str) -> dict:
    """One checking subprocess per installed backend for a group of models, started together."""
    out = {}
    for backend in OTHERS:
        if backends.missing_reason(backend) is None:
            env = {**os.environ, **backends.worker_env(backend),
                   "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
                   "XLA_FLAGS": f"{os.environ.get('XLA_FLAGS', '')} {XLA_FLAGS}".strip()}
            out[backend] = subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "backend_checks.py"), backend,
                 *GROUPS[group]], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
    return out


@functools.lru_cache(maxsize=None)
def checks(backend: str, group: str = "fast") -> dict:
    """What `tests/backend_checks.py` found on `backend` (skips when it is not installed)."""
    missing = backends.missing_reason(backend)
    if missing:
        pytest.skip(missing)
    process = _started(group)[backend]
    stdout, stderr = process.communicate(timeout=1800)
    lines = [ln for ln in stdout.splitlines() if ln.startswith("BACKEND_CHECKS ")]
    assert lines, f"the {backend} checks printed no result:\n{stderr[-3000:]}"
    return json.loads(lines[-1].split(" ", 1)[1])


def _params():
    # The slow group's jax process compiles five Keras applications: 12 minutes under load.
    slow = [pytest.mark.slow, pytest.mark.timeout(1800)]
    return [pytest.param(b, m, marks=slow if group == "slow" else [])
            for group, models in GROUPS.items() for m in models for b in OTHERS]


@pytest.mark.parametrize("backend, model", _params())
def test_every_model_builds_trains_one_step_and_round_trips_on_each_backend(backend, model):
    result = checks(backend, "fast" if model in FAST else "slow")
    assert result["backend"] == backend
    assert result["models"][model] is None, result["models"][model]


@functools.lru_cache(maxsize=None)
def _tensorflow_reference() -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from backend_checks import RUN, record_summary

    status, record, error = run_one(RUN, 0, {"peak_flops": "auto"})
    assert status == "ok", error
    return record_summary(record)


@pytest.mark.parametrize("backend", OTHERS)
def test_the_same_record_fields_are_filled_on_every_backend(backend):
    result, reference = checks(backend), _tensorflow_reference()
    assert result["status"] == "ok", result["error"]
    record = result["record"]
    for key in ("keys", "filled", "options", "versions", "history", "grad_layers"):
        assert record[key] == reference[key], key
    assert record["backend"] == backend and reference["backend"] == "tensorflow"
    assert record["device"].startswith("cpu") and backend in record["device"]


@pytest.mark.parametrize("backend", OTHERS)
def test_augmenting_pipelines_run_inside_tf_data_on_every_backend(backend):
    assert checks(backend)["augmented"] is None, checks(backend)["augmented"]


@pytest.mark.parametrize("backend", OTHERS)
def test_each_backend_is_deterministic_on_cpu(backend):
    result = checks(backend)
    assert result["record"]["deterministic"] is True
    assert result["rerun_identical"], f"two runs of one seed on {backend} differ"


def test_a_process_refuses_a_run_of_another_backend():
    status, record, error = run_one({"dataset": "digits", "model": "mlp", "epochs": 1,
                                     "backend": "jax"}, 0)
    assert status == "failed"
    assert "This process runs Keras on 'tensorflow'" in error and "KERAS_BACKEND=jax" in error


def test_tensorflow_keeps_its_run_ids_and_other_backends_get_their_own():
    config = {"dataset": "digits", "model": "mlp", "optimizer": "adam"}
    assert canonical({**config, "backend": "tensorflow"}) == config
    ids = {b: run_id(canonical({**config, "backend": b}), 0) for b in backends.BACKENDS}
    assert ids["tensorflow"] == run_id(config, 0)
    assert len(set(ids.values())) == 3


def test_the_backend_version_is_part_of_the_run_id(monkeypatch):
    import benchmarks.store.identity as identity

    config = {"dataset": "digits", "model": "mlp", "backend": "torch"}
    before = run_id(config, 0)
    real = identity.metadata.version
    monkeypatch.setattr(identity.metadata, "version",
                        lambda p: "9.9.9" if p == "torch" else real(p))
    assert run_id(config, 0) != before
    assert run_id({"dataset": "digits", "model": "mlp"}, 0) == run_id(
        {"dataset": "digits", "model": "mlp"}, 0)


def _suite(tmp_path, fixed: str) -> str:
    return write_toml(tmp_path, f"""
        name = "on_backends"
        description = "backend checks"
        dataset = "digits"
        model = "mlp"
        epochs = 1
        seeds = [0]

        [fixed]
        {fixed}
        """)


def test_a_backend_that_is_not_installed_exits_2_with_the_install_command(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backends, "installed", lambda backend: backend == "tensorflow")
    path = _suite(tmp_path, 'backend = "torch"')
    code = main(["bench", path, "--dry-run", "--store", str(tmp_path / "zoo.sqlite")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "the Keras backend 'torch' is not installed" in err
    assert "pip install -e '.[torch]'" in err and "Received: backend='torch'" in err


@pytest.mark.parametrize("fixed, axis, words", [
    ('backend = "jax"\nreplicas = 2', "replicas", "tf.distribute strategy"),
    ('backend = "torch"\ndevice = "tpu"', "device", "TPUStrategy"),
    ('backend = "torch"\nsteps_per_execution = 8', "steps_per_execution", "one step per call"),
])
def test_tensorflow_only_features_are_refused_before_the_first_run(fixed, axis, words,
                                                                   tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backends, "installed", lambda backend: True)
    code = main(["bench", _suite(tmp_path, fixed), "--dry-run",
                 "--store", str(tmp_path / "zoo.sqlite")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"[fixed] {axis}: " in err and words in err


def test_packing_says_why_not_for_other_backends():
    assert unpackable_reason({"model": "mlp"}) is None
    assert "tensorflow only" in unpackable_reason({"model": "mlp", "backend": "jax"})


def test_the_local_executor_keeps_a_worker_per_backend():
    order = ["tensorflow", "jax", "jax", "torch", "tensorflow", "torch"]
    tasks = [Task(f"r{i}", {"backend": b} if b != "tensorflow" else {}, i)
             for i, b in enumerate(order)]
    with LocalExecutor(workers=2, threads=1, run_fn=fake_backend) as pool:
        results = {r.task.run_id: r for r in pool.run(tasks)}
    assert [results[t.run_id].record["keras_backend"] for t in tasks] == [
        "tensorflow", "jax", "jax", "torch", "tensorflow", "torch"]
    pids = {}
    for task in tasks:
        pids.setdefault(results[task.run_id].record["pid"], set()).add(
            results[task.run_id].record["keras_backend"])
    assert all(len(served) == 1 for served in pids.values())  # one backend per process


def test_a_tuning_study_runs_on_one_backend_its_process_runs(tmp_path, capsys):
    store = str(tmp_path / "zoo.sqlite")
    assert main(["tune", "mlp_digits", "--set", "backend=jax", "--store", store]) == 2
    assert "start the study with the space's backend: KERAS_BACKEND=jax zoo tune" in (
        capsys.readouterr().err)
    space = write_toml(tmp_path, """
        name = "tune_backends"
        description = "a backend per trial cannot work"
        dataset = "digits"
        model = "mlp"
        epochs = 1
        objective = {name = "val_accuracy", direction = "max"}

        [space]
        backend = {choice = ["tensorflow", "jax"]}
        """, name="space.toml")
    assert main(["tune", space, "--store", store]) == 2
    assert "[space] backend: a study runs its trials in one process" in capsys.readouterr().err


def test_ray_runs_jax_and_torch_tasks_with_their_keras_backend():
    from benchmarks.matrix.ray_executor import _for_backend

    class Remote:
        options_given = None

        def options(self, **options):
            self.options_given = options
            return self

    remote = Remote()
    assert _for_backend(remote, Task("r0", {"optimizer": "adam"}, 0)) is remote
    assert remote.options_given is None  # tensorflow tasks run as before
    _for_backend(remote, Task("r1", {"backend": "torch"}, 0))
    env = remote.options_given["runtime_env"]["env_vars"]
    assert env["KERAS_BACKEND"] == "torch" and "OMP_WAIT_POLICY" in env
