"""A TensorFlow worker imports TensorFlow without its optional extras, and still runs."""

import json
import subprocess
import sys

import pytest

from benchmarks.matrix.startup import OPTIONAL, unfindable

# In a fresh process, as a worker starts: the lean import, then a run that needs
# scikit-learn (digits) and Keras's own training loop, then the packages import again.
SCRIPT = """
import json, sys
from benchmarks.matrix.startup import import_tensorflow
left_out = import_tensorflow()
imported_with_tf = sorted(n for n in left_out if n in sys.modules)
from benchmarks.run import run_one
status, record, error = run_one({"dataset": "digits", "model": "mlp", "epochs": 1,
                                 "width": 8}, 0)
import pandas, scipy.stats
print(json.dumps({"left_out": left_out, "imported_with_tf": imported_with_tf,
                  "status": status, "error": error, "accuracy": record["test"]["accuracy"],
                  "grad_layers": record["grad_layers"]}))
"""


def test_a_worker_imports_tensorflow_without_the_extras_and_runs():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["status"] == "ok", out["error"]
    # The test environment has scikit-learn and pandas (and the jax extra): left out.
    assert {"sklearn", "pandas", "scipy"} <= set(out["left_out"]) <= set(OPTIONAL)
    assert out["imported_with_tf"] == []  # none came in with TensorFlow
    assert 0 <= out["accuracy"] <= 1 and out["grad_layers"]


def test_a_full_import_can_be_asked_for():
    script = ("import os, sys; os.environ['ZOO_WORKER_FULL_IMPORT'] = '1'\n"
              "from benchmarks.matrix.startup import import_tensorflow\n"
              "print(import_tensorflow(), 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[] True"


def test_unfindable_packages_raise_import_error_only_inside_the_block():
    import importlib

    name = "zoo_startup_test_package_that_is_missing_anyway"
    with unfindable(["json", name]):  # json is imported already: left alone
        assert importlib.import_module("json") is json
        with pytest.raises(ModuleNotFoundError, match="left out of a worker"):
            importlib.import_module(name)
        with pytest.raises(ModuleNotFoundError, match="left out of a worker"):
            importlib.import_module(f"{name}.sub")
    with pytest.raises(ModuleNotFoundError) as caught:
        importlib.import_module(name)
    assert "left out" not in str(caught.value)
