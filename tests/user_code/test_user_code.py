"""Users' own model, optimizer and dataset, named in a suite, run three ways with equal metrics.

The user's package lives in a temporary folder on PYTHONPATH, outside the
repository, as it would for a user: `mylab.zoo_code` holds a model builder
with an axis of its own (`blocks`), an optimizer class and a dataset loader.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from conftest import write_toml

USER_MODULE = '''
"""A user's lab code, outside the zoo."""

import keras
import numpy as np


def tiny_net(input_shape, num_outputs, task="classification", width=16, blocks=1):
    """A small dense net with an axis of its own (blocks)."""
    inputs = keras.Input(shape=input_shape)
    x = keras.layers.Flatten()(inputs)
    for _ in range(int(blocks)):
        x = keras.layers.Dense(int(width), activation="relu")(x)
    outputs = keras.layers.Dense(num_outputs, activation="softmax", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="tiny_net")


class HalfSGD(keras.optimizers.SGD):
    """Plain SGD whose default learning rate is halved."""

    def __init__(self, learning_rate=0.005, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)


def load_signals(seed=0, n=240):
    """Two classes of noisy sine signals: returns (x, y) arrays."""
    rng = np.random.default_rng(1234)
    t = np.linspace(0, 1, 16)
    y = rng.integers(0, 2, n)
    x = np.sin(2 * np.pi * (1 + y[:, None]) * t) + rng.normal(0, 0.3, (n, 16))
    return x.astype("float32"), y


def not_a_loader(seed=0):
    return "no data here"


def not_a_model(input_shape, num_outputs, task="classification"):
    return None
'''

SUITE = """
name = "mylab"
description = "a user's model, optimizer and dataset"
dataset = "mylab.zoo_code:load_signals"
model = "mylab.zoo_code:tiny_net"
epochs = 2
seeds = [0, 1]

[fixed]
optimizer = "mylab.zoo_code:HalfSGD"
blocks = 2
"""


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """The user's package on sys.path and PYTHONPATH; the registries as they were afterwards."""
    from zoo.datasets import DATASETS
    from zoo.models import MODELS

    for name in [m for m in sys.modules if m == "mylab" or m.startswith("mylab.")]:
        monkeypatch.delitem(sys.modules, name)
    for registry in (MODELS, DATASETS):
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))
    root = tmp_path / "userlib"
    (root / "mylab").mkdir(parents=True)
    (root / "mylab" / "__init__.py").write_text("")
    (root / "mylab" / "zoo_code.py").write_text(textwrap.dedent(USER_MODULE))
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    return root


def _metrics(frame):
    return sorted((r.seed, round(r.test_accuracy, 6)) for r in frame.itertuples())


def test_user_code_runs_from_the_cli_and_from_python_with_equal_metrics(user_package, tmp_path):
    import zoo

    path = write_toml(tmp_path, SUITE)
    cli_store = str(tmp_path / "cli.sqlite")
    done = subprocess.run([sys.executable, "-m", "zoo", "bench", path, "--store", cli_store,
                           "--workers", "1"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    from_cli = zoo.results(store=cli_store, suite="mylab")
    from_python = zoo.bench(path, store=str(tmp_path / "py.sqlite"), workers=1)
    assert len(from_python) == 2 and set(from_python["status"]) == {"ok"}
    assert _metrics(from_cli) == _metrics(from_python)
    assert set(from_python["blocks"]) == {2}  # the model's own axis is a column
    # A suite built in Python, with the model given as a callable, is the same suite.
    from mylab.zoo_code import tiny_net

    as_dict = {"name": "mylab", "description": "from Python",
               "dataset": "mylab.zoo_code:load_signals", "model": tiny_net, "epochs": 2,
               "seeds": [0, 1], "fixed": {"optimizer": "mylab.zoo_code:HalfSGD", "blocks": 2}}
    again = zoo.bench(as_dict, store=str(tmp_path / "py.sqlite"), workers=1)
    assert sorted(again["run_id"]) == sorted(from_python["run_id"])  # already done: same ids


def test_editing_the_users_module_makes_new_run_ids(user_package, tmp_path):
    from benchmarks.matrix.driver import suite_run_id
    from benchmarks.suite import load_suite

    path = write_toml(tmp_path, SUITE)
    before = [suite_run_id("mylab", c, 0) for c in load_suite(path).cells()]
    module = user_package / "mylab" / "zoo_code.py"
    module.write_text(module.read_text() + "\n# tuned the model\n")
    assert [suite_run_id("mylab", c, 0) for c in load_suite(path).cells()] != before


@pytest.mark.parametrize("field, value, expected", [
    ("model", "mylab.nowhere:net", "names module 'mylab.nowhere', which cannot be imported"),
    ("model", "mylab.zoo_code:tiny_nett", "has no attribute 'tiny_nett'"),
    ("model", "mylab.zoo_code:np", "names a module, not a function or class"),
    ("dataset", "mylab.zoo_code:not_a_loader", "returned a str, not a dataset"),
    ("model", "mylab.zoo_code:not_a_model", "returned a NoneType, not a Keras model"),
    ("optimizer", "mylab.zoo_code:load_signals", "not a keras.optimizers.Optimizer"),
])
def test_each_kind_of_bad_reference_exits_2_before_training(field, value, expected,
                                                            user_package, tmp_path, capsys):
    from zoo.cli import main

    text = SUITE.replace('optimizer = "mylab.zoo_code:HalfSGD"', "")
    if field == "optimizer":
        text = text.replace("[fixed]", f'[fixed]\noptimizer = "{value}"')
    else:  # (a model of another signature takes no `blocks`)
        text = "\n".join(f'{field} = "{value}"' if line.startswith(f"{field} =") else line
                         for line in text.splitlines() if not line.startswith("blocks"))
    path = write_toml(tmp_path, text)
    store = tmp_path / "zoo.sqlite"
    assert main(["bench", path, "--dry-run", "--store", str(store)]) == 2
    err = capsys.readouterr().err
    assert expected in err and value in err, err
    assert not store.exists()


def test_imports_register_entries_used_by_name(user_package, tmp_path, capsys):
    (user_package / "mylab" / "entries.py").write_text(textwrap.dedent('''
        from zoo.models import MODELS
        from mylab.zoo_code import tiny_net

        MODELS.register(name="lab_net", description="the lab's net", tasks=("classification",),
                        axes=("width",), defaults={"width": 16})(tiny_net)
        '''))
    from benchmarks.suite import load_suite

    path = write_toml(tmp_path, SUITE.replace('model = "mylab.zoo_code:tiny_net"',
                                              'model = "lab_net"\nimports = ["mylab.entries"]')
                      .replace("blocks = 2", "width = 8"))
    cells = load_suite(path).cells()
    assert cells[0]["model"] == "lab_net" and cells[0]["imports"] == ["mylab.entries"]
    bad = write_toml(tmp_path, SUITE.replace('epochs = 2', 'epochs = 2\nimports = ["mylab.nope"]'),
                     "bad.toml")
    from zoo.cli import main

    assert main(["bench", bad, "--dry-run", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "imports: Module 'mylab.nope' cannot be imported" in capsys.readouterr().err


def test_create_model_builds_without_a_dataset():
    import zoo

    model = zoo.create_model("mlp", input_shape=(64,), num_classes=10, width=32, depth=1)
    assert model.output_shape == (None, 10)
    with pytest.raises(ValueError, match="num_classes >= 2"):
        zoo.create_model("mlp", input_shape=(64,))


def test_user_code_runs_on_ray_with_the_same_metrics(user_package, tmp_path):
    pytest.importorskip("ray")
    import zoo

    path = write_toml(tmp_path, SUITE)
    local = zoo.bench(path, store=str(tmp_path / "local.sqlite"), workers=1)
    on_ray = zoo.bench(path, store=str(tmp_path / "ray.sqlite"), executor="ray", workers=1)
    assert set(on_ray["status"]) == {"ok"}
    assert _metrics(on_ray) == _metrics(local)


def test_an_installed_package_adds_entries_through_zoo_plugins(tmp_path, monkeypatch):
    """A distribution declaring a `zoo.plugins` entry point: its module is imported on the
    first name the registry does not know, and its entries are then used by name."""
    from zoo import references
    from zoo.models import MODELS

    site = tmp_path / "site"
    (site / "labplugin").mkdir(parents=True)
    (site / "labplugin" / "__init__.py").write_text(textwrap.dedent('''
        from zoo.models import MODELS
        from zoo.models.dense import mlp

        MODELS.register(name="plugin_mlp", description="an mlp from a plugin",
                        tasks=("classification",), axes=("width",), defaults={"width": 8})(
            lambda input_shape, num_outputs, task="classification", width=8:
            mlp(input_shape, num_outputs, task, depth=1, width=width))
        '''))
    dist = site / "labplugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: labplugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[zoo.plugins]\nlab = labplugin\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(MODELS, "_entries", dict(MODELS._entries))
    references.plugins.cache_clear()
    try:
        assert "plugin_mlp" not in MODELS._entries  # nothing imported before it is needed
        assert MODELS.card("plugin_mlp").description == "an mlp from a plugin"
        assert "lab" in references.plugins()
    finally:
        references.plugins.cache_clear()
