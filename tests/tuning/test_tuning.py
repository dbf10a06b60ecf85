"""Tests of `zoo tune`: space validation, searches recorded in the store, resume,
failed trials, the GridSearch resume fix and Keras Tuner's chief/worker mode.

Every search is tiny: an MLP of width 8 on digits for 1 epoch.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from benchmarks.store import Store
from tuning.space import SpaceError, load_space
from zoo.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BASE = """
name = "{name}"
dataset = "digits"
model = "mlp"
epochs = 1
seeds = [0]
objective = {{name = "val_accuracy", direction = "max"}}

[fixed]
width = 8
depth = 1
"""

SPACE = """
[space]
optimizer = {choice = ["sgd", "adam"]}
learning_rate = {float = [1e-3, 1e-1], sampling = "log"}
momentum = {float = [0.0, 0.9], parent = "optimizer", parent_values = ["sgd"]}
batch_size = {choice = [32, 64]}
"""


def write_space(tmp_path, name="t_tune", space=SPACE, base=BASE, file="space.toml"):
    path = tmp_path / file
    path.write_text(base.format(name=name) + textwrap.dedent(space))
    return str(path)


def tune(tmp_path, space_path, *extra):
    argv = ["tune", space_path, "--store", str(tmp_path / "zoo.sqlite"),
            "--directory", str(tmp_path / "kt"), *extra]
    return main(argv)


def runs(tmp_path, suite="t_tune"):
    with Store(str(tmp_path / "zoo.sqlite")) as store:
        return store.runs(suite)


# -- space validation (no training) ----------------------------------------------------------


@pytest.mark.parametrize("space, expected", [
    ('widht = {int = [8, 16]}', ["[space] widht", "unknown axis", "Did you mean 'width'"]),
    ('optimizer = {choice = ["adamm", "sgd"]}', ["[space] optimizer", "'adamm'",
                                                 "Did you mean 'adam'"]),
    ('learning_rate = {float = [0.1, 0.001]}', ["[space] learning_rate", "min < max"]),
    ('learning_rate = {float = [0.0, 0.1], sampling = "log"}', ["log sampling needs min > 0"]),
    ('learning_rate = {float = [1e-3, 0.1], sampling = "logg"}', ["Did you mean 'log'"]),
    ('width = {int = [8.5, 16]}', ["[space] width", "integers"]),
    ('width = {range = [8, 16]}', ["unknown key 'range'", "exactly one of"]),
    ('momentum = {float = [0.0, 0.9], parent = "optimiser", parent_values = ["sgd"]}',
     ["[space] momentum: parent", "no axis 'optimiser'"]),
    ('optimizer = {choice = ["sgd", "adam"]}\n'
     'momentum = {float = [0.0, 0.9], parent = "optimizer", parent_values = ["sdg"]}',
     ["parent_values", "'sgd'"]),
    ('batch_size = {choice = [16, 0]}', ["[space] batch_size", "integer >= 1"]),
])
def test_space_errors_name_the_axis_and_the_fix(tmp_path, space, expected):
    path = write_space(tmp_path, space="[space]\n" + space)
    with pytest.raises(SpaceError) as info:
        load_space(path)
    message = str(info.value)
    assert "space.toml" in message
    for part in expected:
        assert part in message, message


def test_space_field_errors(tmp_path):
    base = BASE.replace('model = "mlp"', 'model = "mlpp"').replace(
        'objective = {{name = "val_accuracy", direction = "max"}}',
        'objective = {{name = "val_acc", direction = "up"}}\nmatrix = 1')
    path = write_space(tmp_path, base=base)
    with pytest.raises(SpaceError) as info:
        load_space(path)
    message = str(info.value)
    assert "Did you mean 'mlp'" in message
    assert "objective" in message and "direction" in message
    assert "matrix: unknown field" in message


def test_cli_exit_2_on_bad_space_and_bad_override(tmp_path, capsys):
    path = write_space(tmp_path, space='[space]\nwidht = {int = [8, 16]}')
    assert tune(tmp_path, path) == 2
    assert "Did you mean 'width'" in capsys.readouterr().err
    good = write_space(tmp_path, file="good.toml")
    assert tune(tmp_path, good, "--set", "epochz=1") == 2
    assert "Did you mean 'epochs'" in capsys.readouterr().err
    assert tune(tmp_path, str(tmp_path / "missing.toml")) == 2
    assert tune(tmp_path, "mlp_digits", "--tuner", "hyperband") == 2  # epochs is tuned
    assert "Hyperband chooses the epochs" in capsys.readouterr().err
    assert tune(tmp_path, good, "--max-trials", "0") == 2
    assert not os.path.exists(tmp_path / "zoo.sqlite")


def test_overrides_pin_axes_and_builtin_spaces_load():
    space = load_space("mlp_digits", overrides=["epochs=1", "batch_size=16",
                                                "objective.name=val_loss",
                                                "objective.direction=min",
                                                "space.width={int = [8, 32]}"])
    assert space.axes["width"] == {"kind": "int", "min": 8, "max": 32, "sampling": "linear"}
    assert "epochs" not in space.axes and "batch_size" not in space.axes
    assert space.base_config()["epochs"] == 1 and space.base_config()["batch_size"] == 16
    assert space.objective == {"name": "val_loss", "direction": "min"}
    assert list(space.axes).index("optimizer") < list(space.axes).index("momentum")
    assert load_space("cnn1d_mnist1d").suite.model == "cnn1d"


def test_declare_registers_conditional_hyperparameters(tmp_path):
    import keras_tuner

    space = load_space(write_space(tmp_path))
    hp = keras_tuner.HyperParameters()
    values = space.declare(hp)
    assert values["optimizer"] == "sgd" and "momentum" in values
    hp.values["optimizer"] = "adam"
    assert "momentum" not in space.declare(hp)
    config = space.config(space.declare(hp))
    assert config["optimizer"] == "adam" and config["width"] == 8 and "momentum" not in config


# -- searches --------------------------------------------------------------------------------


def test_random_search_records_trials_and_resumes(tmp_path, capsys):
    path = write_space(tmp_path)
    assert tune(tmp_path, path, "--max-trials", "3") == 0
    out = capsys.readouterr().out
    assert "best trial" in out
    rows = runs(tmp_path)
    assert len(rows) == 3
    assert {r["kind"] for r in rows} == {"tune"} and {r["tuner"] for r in rows} == {"random"}
    assert sorted(r["trial_id"] for r in rows) == ["0", "1", "2"]
    for r in rows:
        assert r["status"] == "ok", r["error"]
        assert r["config"]["optimizer"] in ("sgd", "adam")
        assert 1e-3 <= r["config"]["learning_rate"] <= 1e-1
        assert ("momentum" in r["config"]) == (r["config"]["optimizer"] == "sgd")
        assert len(r["record"]["history"]["val_accuracy"]) == 1
        assert 0 <= r["record"]["test"]["accuracy"] <= 1
    with Store(str(tmp_path / "zoo.sqlite")) as store:
        suite = {s["name"]: s for s in store.suites()}["t_tune"]
        assert suite["spec"]["kind"] == "tune" and "optimizer" in suite["spec"]["space"]
    finished = {r["run_id"]: r["finished_at"] for r in rows}

    # Rerunning the same command: nothing new, nothing trained again.
    assert tune(tmp_path, path, "--max-trials", "3") == 0
    again = runs(tmp_path)
    assert {r["run_id"]: r["finished_at"] for r in again} == finished

    # A larger budget continues the same search.
    assert tune(tmp_path, path, "--max-trials", "4") == 0
    more = runs(tmp_path)
    assert len(more) == 4 and len({r["run_id"] for r in more}) == 4
    assert sorted(r["trial_id"] for r in more) == ["0", "1", "2", "3"]
    assert all(finished[r["run_id"]] == r["finished_at"] for r in more
               if r["run_id"] in finished)

    # `zoo results` and `zoo report` show the trials.
    capsys.readouterr()
    assert main(["results", "--store", str(tmp_path / "zoo.sqlite"), "--suite", "t_tune",
                 "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert {r["run_id"] for r in shown} == {r["run_id"] for r in more}
    assert main(["report", "--store", str(tmp_path / "zoo.sqlite"), "--suite", "t_tune",
                 "--out", str(tmp_path / "reports")]) == 0
    page = (tmp_path / "reports" / "t_tune" / "index.html").read_text()
    assert "<h2>Tuning</h2>" in page and "Best trial:" in page and "Objective by trial" in page


def test_grid_search_resumes_to_the_full_grid_and_records_failed_trials(tmp_path, monkeypatch):
    # A width-16 model fails to build (validation cannot know): those trials fail, are
    # recorded, and the search goes on.
    import zoo.models

    build = zoo.models.build

    def build_or_fail(name, spec, **axes):
        if axes.get("width") == 16:
            raise RuntimeError("this model cannot be built on purpose")
        return build(name, spec, **axes)

    monkeypatch.setattr(zoo.models, "build", build_or_fail)
    path = write_space(tmp_path, base=BASE.replace("width = 8\n", ""), space="""
        [space]
        optimizer = {choice = ["sgd", "adam"]}
        width = {choice = [8, 16]}
        """)
    assert tune(tmp_path, path, "--tuner", "grid", "--max-trials", "2") == 0
    assert len(runs(tmp_path)) == 2
    assert tune(tmp_path, path, "--tuner", "grid") == 0  # resumes (keras-tuner#1055)
    rows = sorted(runs(tmp_path), key=lambda r: int(r["trial_id"]))
    cells = sorted((r["config"]["optimizer"], r["config"]["width"]) for r in rows)
    assert cells == [("adam", 8), ("adam", 16), ("sgd", 8), ("sgd", 16)]
    # Keras Tuner pads trial ids to the width of max_trials ("0", "1", then "0002", ...).
    assert [int(r["trial_id"]) for r in rows] == [0, 1, 2, 3]
    for r in rows:
        assert r["status"] == ("failed" if r["config"]["width"] == 16 else "ok"), r["error"]
        assert r["error"].strip() if r["status"] == "failed" else r["record"]["history"]


def test_grid_oracle_resumes_after_an_interrupted_trial(tmp_path):
    """keras-tuner#1055: stock GridSearchOracle raises KeyError here; ours completes."""
    import keras_tuner

    from tuning.grid import ResumableGridSearchOracle

    class BlackBox(keras_tuner.Tuner):
        calls, interrupt_at = 0, 3

        def run_trial(self, trial, **kwargs):
            BlackBox.calls += 1
            if BlackBox.calls == BlackBox.interrupt_at:
                raise KeyboardInterrupt  # the process dies mid-trial
            hp = trial.hyperparameters
            return {"score": hp["a"] * 10 + hp["b"]}

    def make():
        hp = keras_tuner.HyperParameters()
        hp.Choice("a", [1, 2, 3])
        hp.Choice("b", [0, 1])
        oracle = ResumableGridSearchOracle(objective=keras_tuner.Objective("score", "max"),
                                           hyperparameters=hp, seed=0)
        return BlackBox(oracle=oracle, directory=str(tmp_path), project_name="grid")

    with pytest.raises(KeyboardInterrupt):
        make().search(verbose=0)
    tuner = make()
    tuner.search(verbose=0)
    values = [tuple(sorted(t.hyperparameters.values.items()))
              for t in tuner.oracle.trials.values()]
    assert len(values) == len(set(values)) == 6
    assert all(t.status == "COMPLETED" for t in tuner.oracle.trials.values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_chief_and_worker_complete_a_search(tmp_path):
    """Keras Tuner's chief/worker mode on 127.0.0.1 (35-60 s: two processes import TF)."""
    path = write_space(tmp_path, name="t_dist")
    port = _free_port()
    cmd = [sys.executable, "-m", "zoo.cli", "tune", path, "--max-trials", "2",
           "--store", str(tmp_path / "zoo.sqlite"), "--directory", str(tmp_path / "kt")]
    env = {**os.environ, "KERASTUNER_ORACLE_IP": "127.0.0.1",
           "KERASTUNER_ORACLE_PORT": str(port), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONPATH": ROOT}
    procs = []
    try:
        chief = subprocess.Popen(cmd, env={**env, "KERASTUNER_TUNER_ID": "chief"},
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                 cwd=str(tmp_path), start_new_session=True)
        procs.append(chief)
        worker = subprocess.Popen(cmd, env={**env, "KERASTUNER_TUNER_ID": "tuner0"},
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  cwd=str(tmp_path), start_new_session=True)
        procs.append(worker)
        worker_out, _ = worker.communicate(timeout=240)
        chief_out, _ = chief.communicate(timeout=60)
        assert worker.returncode == 0, worker_out[-3000:]
        assert chief.returncode == 0, chief_out[-3000:]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, 9)
                p.wait(timeout=30)
    rows = runs(tmp_path, "t_dist")
    assert len(rows) == 2 and all(r["status"] == "ok" for r in rows)
    assert {r["trial_id"] for r in rows} == {"0", "1"}


@pytest.mark.slow
def test_search_killed_mid_trial_resumes_without_duplicates(tmp_path):
    path = write_space(tmp_path)
    store = str(tmp_path / "zoo.sqlite")
    cmd = [sys.executable, "-m", "zoo.cli", "tune", path, "--max-trials", "3", "--store", store,
           "--directory", str(tmp_path / "kt")]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": ROOT}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and proc.poll() is None:
            rows = runs(tmp_path) if os.path.exists(store) else []
            # trial 1 claimed: trial 0 is finished and the oracle saved trial 1
            if any(r["trial_id"] == "1" and r["status"] == "running" for r in rows):
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the search ended before it could be interrupted"
        time.sleep(1.0)
        os.killpg(proc.pid, 9)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait(timeout=30)
    before = {r["run_id"]: r for r in runs(tmp_path)}
    assert tune(tmp_path, path, "--max-trials", "3") == 0
    after = runs(tmp_path)
    assert len(after) == 3 and len({r["run_id"] for r in after}) == 3
    assert sorted(r["trial_id"] for r in after) == ["0", "1", "2"]
    assert all(r["status"] == "ok" for r in after)
    interrupted = [k for k, r in before.items() if r["status"] == "running"]
    assert len(interrupted) == 1
    for r in after:
        if before.get(r["run_id"], {}).get("status") == "ok":
            assert r["finished_at"] == before[r["run_id"]]["finished_at"]  # not redone
        if r["run_id"] in interrupted:
            assert r["attempts"] == 2  # the interrupted trial was redone in place


def test_report_tuning_section_compares_best_trial_with_best_grid_cell(tmp_path):
    """reports.tuning on a hand-made store (no training, no TensorFlow)."""
    from reports import data
    from reports.html import page
    from reports.html import tuning_sections as html_sections
    from reports.markdown import tuning_sections as markdown_sections
    from reports.tuning import analyze_tuning

    path = str(tmp_path / "zoo.sqlite")
    base = {"dataset": "digits", "model": "mlp", "epochs": 2}
    with Store(path) as store:
        def add(suite, run_id, cell, seed, config, val, test, kind="bench", trial=None,
                status="ok"):
            store.claim(run_id, suite, cell, seed, {**base, **config}, kind=kind,
                        tuner="random" if kind == "tune" else None, trial_id=trial)
            record = {"history": {"val_accuracy": val, "loss": [1.0, 0.5][:len(val)]},
                      "test": {"accuracy": test}, "best_epoch": 1}
            store.finish(run_id, status, record, None if status == "ok" else "boom")

        store.put_suite("sp", spec={"kind": "tune", "objective": {"name": "val_accuracy",
                                                                  "direction": "max"},
                                    "space": {"learning_rate": {"kind": "float"},
                                              "optimizer": {"kind": "choice"}}})
        add("sp", "t0", "c0", 0, {"learning_rate": 0.1, "optimizer": "sgd"}, [0.5, 0.7], 0.68,
            "tune", "0")
        add("sp", "t1", "c1", 0, {"learning_rate": 0.01, "optimizer": "adam"}, [0.8, 0.6], 0.79,
            "tune", "1")
        add("sp", "t2", "c2", 0, {"learning_rate": 1.0, "optimizer": "sgd"}, [], 0.0, "tune", "2",
            status="failed")
        for seed, (sgd, adam) in enumerate([(0.6, 0.9), (0.7, 0.85)]):
            add("grid", f"s{seed}", "sgd", seed, {"optimizer": "sgd"}, [sgd], sgd)
            add("grid", f"a{seed}", "adam", seed, {"optimizer": "adam"}, [adam], adam)
        add("other", "o0", "o", 0, {"model": "logistic"}, [0.99], 0.99)

    t = analyze_tuning(path, "sp", data.load_runs(path, "sp"), data.load_epochs(path, "sp"))
    assert t.objective == "val_accuracy" and t.test_metric == "test_accuracy"
    assert list(t.trials["trial_id"]) == ["0", "1", "2"]
    assert t.best["trial_id"] == "1" and t.best["objective"] == pytest.approx(0.8)
    assert t.hyperparameters == ["learning_rate", "optimizer"]
    rows = t.comparison.to_dict("records")
    assert [r["suite"] for r in rows] == ["sp", "grid"]  # "other" is another model
    assert rows[1]["configuration"] == "optimizer=adam" and rows[1]["runs"] == 2
    assert rows[1]["val_accuracy"] == pytest.approx(0.875)
    assert rows[1]["test_accuracy"] == pytest.approx(0.875)
    assert [title for title, _ in t.figures] == ["Objective by trial",
                                                 "Each hyperparameter against the objective"]
    html = page("sp", html_sections(t))
    assert "Best trial:" in html and "best grid cell" in html
    assert "## Tuning" in "\n".join(markdown_sections(t))
    runs_only = data.load_runs(path, "grid")
    assert analyze_tuning(path, "grid", runs_only, data.load_epochs(path, "grid")) is None


@pytest.mark.parametrize("tuner", ["random", "bayesian", "grid"])
def test_same_seed_gives_the_same_trials(tmp_path, tuner):
    """Seed 0 too (Keras Tuner alone would draw a random oracle seed for 0)."""
    from tuning.hypermodel import SpaceHyperModel
    from tuning.search import make_tuner

    space = load_space(write_space(tmp_path))
    values = []
    for attempt in range(2):
        with Store(str(tmp_path / f"zoo{attempt}.sqlite")) as store:
            hypermodel = SpaceHyperModel(space, store, tuner=tuner)
            search = make_tuner(space, hypermodel, tuner, max_trials=3,
                                directory=str(tmp_path / f"kt{attempt}"))
            values.append([search.oracle.create_trial(f"t{i}").hyperparameters.values
                           for i in range(3)])
    assert values[0] == values[1]
    assert len({json.dumps(v, sort_keys=True) for v in values[0]}) == 3
