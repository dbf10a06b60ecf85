"""Suite loading, overrides, cells and validation (no training)."""


import pytest

from conftest import write_toml

from benchmarks.suite import files as suite_files
from benchmarks.matrix.driver import suite_run_id
from benchmarks.suite import SuiteError, builtin_suites, load_suite, load_suites, parse_value

BASE = """
name = "t"
description = "test suite"
dataset = "digits"
model = "mlp"
epochs = 2
seeds = [0, 1]

[fixed]
batch_size = 32
width = 8

[matrix]
optimizer = ["sgd", "adam", "rmsprop"]
activation = ["relu", "tanh"]
"""


write = write_toml


def errors_of(path, overrides=(), check_cells=False):
    with pytest.raises(SuiteError) as info:
        load_suite(path, list(overrides), check_cells=check_cells)
    return str(info.value)


def test_cells_are_the_product_minus_excludes(tmp_path):
    path = write(tmp_path, BASE + '\n[[exclude]]\noptimizer = "sgd"\nactivation = "tanh"\n')
    suite = load_suite(path, check_cells=False)
    cells = suite.cells()
    assert len(cells) == 5
    assert ("sgd", "tanh") not in {(c["optimizer"], c["activation"]) for c in cells}
    assert [(c["optimizer"], c["activation"]) for c in cells][:2] == [("sgd", "relu"),
                                                                      ("adam", "relu")]
    cell = cells[0]
    # Resolved: dataset/model/epochs, fixed values, harness defaults, model card defaults.
    assert cell["dataset"] == "digits" and cell["model"] == "mlp" and cell["epochs"] == 2
    assert cell["batch_size"] == 32 and cell["width"] == 8
    assert cell["learning_rate"] is None and cell["schedule"] == "constant"
    assert cell["depth"] == 2 and cell["dropout"] == 0.0


def test_defaults_make_identical_configs_hash_identically(tmp_path):
    implicit = load_suite(write(tmp_path, BASE), check_cells=False).cells()
    explicit = load_suite(write(tmp_path, BASE), ["fixed.depth=2", "fixed.schedule=constant"],
                          check_cells=False).cells()
    assert [suite_run_id("t", c, 0) for c in implicit] == [
        suite_run_id("t", c, 0) for c in explicit]


def test_overrides(tmp_path):
    path = write(tmp_path, BASE)
    suite = load_suite(path, ["epochs=1", "seeds=[3]", "fixed.batch_size=16",
                              'matrix.optimizer=["sgd","adam"]', "activation=tanh",
                              "options.jit_compile=true"], check_cells=False)
    assert suite.epochs == 1 and suite.seeds == [3]
    cells = suite.cells()
    assert len(cells) == 2  # activation pinned: left the matrix
    assert {c["batch_size"] for c in cells} == {16}
    assert {c["activation"] for c in cells} == {"tanh"}
    assert all(c["jit_compile"] is True for c in cells)
    assert "# --set epochs=1" in suite.source
    assert parse_value("0.5") == 0.5 and parse_value("adam") == "adam"
    assert parse_value('["a", 1]') == ["a", 1] and parse_value("full") == "full"


def test_model_override_to_logistic_reports_every_rejected_axis(tmp_path):
    path = write(tmp_path, BASE)
    msg = errors_of(path, ["model=logistic"])
    assert "model 'logistic' does not accept the axis 'width'" in msg
    assert "model 'logistic' does not accept the axis 'activation'" in msg
    assert "It accepts: initializer, regularizer" in msg
    assert "suite.toml: [fixed] width" in msg and "[matrix] activation" in msg


def test_unknown_axis_and_field_with_did_you_mean(tmp_path):
    text = BASE.replace("[fixed]", "epoch = 3\n[fixed]").replace("width = 8", "widht = 8")
    msg = errors_of(write(tmp_path, text))
    assert "2 problems in" in msg
    assert "suite.toml: epoch: unknown field. Did you mean 'epochs'?" in msg
    assert "suite.toml: [fixed] widht: unknown axis. Did you mean 'width'" in msg


def test_names_are_checked_beside_other_errors(tmp_path):
    text = BASE.replace("width = 8", "widht = 8")
    msg = errors_of(write(tmp_path, text), ['matrix.optimizer=["adamm", "sgd"]'])
    assert "2 problems" in msg and "[fixed] widht: unknown axis" in msg
    assert "[matrix] optimizer: Unknown optimizer 'adamm': expected an optimizer name" in msg
    assert "Did you mean 'adam'" in msg


def test_wrong_types_are_all_reported(tmp_path):
    text = BASE.replace("epochs = 2", 'epochs = "2"').replace("seeds = [0, 1]", "seeds = 0")
    text = text.replace("batch_size = 32", "batch_size = 0\nlearning_rate = -1.0")
    msg = errors_of(write(tmp_path, text))
    assert "4 problems" in msg
    assert "epochs: expected an integer >= 1. Received: epochs='2'" in msg
    assert "seeds: expected a non-empty list of integers" in msg
    assert '[fixed] batch_size: expected an integer >= 1 or "full". Received: batch_size=0' in msg
    assert "[fixed] learning_rate: expected none or a number > 0" in msg


def test_matrix_values_must_be_non_empty_lists(tmp_path):
    msg = errors_of(write(tmp_path, BASE), ["matrix.optimizer=[]"])
    assert "[matrix] optimizer: expected a non-empty list" in msg
    msg = errors_of(write(tmp_path, BASE), ["matrix.optimizer=adam"])
    assert "[matrix] optimizer: expected a non-empty list" in msg


def test_empty_matrix_after_excludes(tmp_path):
    text = BASE + '\n[[exclude]]\nbatch_size = 32\n'
    msg = errors_of(write(tmp_path, text))
    assert "suite.toml: [[exclude]]: the excludes drop every cell" in msg


def test_exclude_with_unknown_axis(tmp_path):
    text = BASE + '\n[[exclude]]\noptimiser = "sgd"\n'
    msg = errors_of(write(tmp_path, text))
    assert "[[exclude]] #1 optimiser: unknown axis. Did you mean 'optimizer'" in msg


def test_unknown_registry_names(tmp_path):
    text = BASE.replace('"digits"', '"digitz"').replace('model = "mlp"', 'model = "mlpp"')
    msg = errors_of(write(tmp_path, text))
    assert "dataset: Unknown dataset 'digitz': expected a dataset name" in msg
    assert "model: Unknown model 'mlpp': expected a model name" in msg
    assert "Did you mean 'digits'" in msg and "Did you mean 'mlp'?" in msg
    msg = errors_of(write(tmp_path, BASE), ['fixed.pipeline="standardise"'])
    assert "[fixed] pipeline: Unknown pipeline 'standardise'" in msg


def test_unknown_optimizer_from_validate_config(tmp_path):
    msg = errors_of(write(tmp_path, BASE), ['matrix.optimizer=["adamm", "sgd"]'],
                    check_cells=True)
    assert msg.startswith(str(tmp_path / "suite.toml") + ": [matrix] optimizer: ")
    assert "'adamm'" in msg and "Did you mean 'adam'" in msg
    msg = errors_of(write(tmp_path, BASE), ['matrix.optimizer=["adamm", "sgd"]',
                                            'fixed.activation="relux"'], check_cells=True)
    assert "2 problems" in msg and "[fixed] activation: " in msg and "'relux'" in msg


def test_bad_set(tmp_path):
    path = write(tmp_path, BASE)
    assert "expected KEY=VALUE" in errors_of(path, ["epochs"])
    msg = errors_of(path, ["epohcs=3"])
    assert "unknown key 'epohcs'. Did you mean 'epochs'" in msg
    assert "unknown section 'fixd'" in errors_of(path, ["fixd.batch_size=3"])


def test_unknown_suite_name_and_bad_toml(tmp_path):
    with pytest.raises(SuiteError, match="Did you mean 'demo'"):
        load_suite("dem")
    msg = errors_of(write(tmp_path, "name = [", name="bad.toml"))
    assert "bad.toml: not valid TOML" in msg


def test_groups_select_members(tmp_path, monkeypatch):
    monkeypatch.setattr(suite_files, "SUITES_DIR", str(tmp_path))
    write(tmp_path, BASE.replace('"t"', '"a"'), "a.toml")
    write(tmp_path, 'claim = "C2"\n' + BASE.replace('"t"', '"b"'), "b.toml")
    write(tmp_path, 'claim = "C10"\n' + BASE.replace('"t"', '"c"'), "c.toml")
    write(tmp_path, 'name = "all"\nsuites = ["a", "b*"]\n', "all.toml")
    write(tmp_path, 'name = "claims"\nsuites = ["*"]\nwith_claim = true\n', "claims.toml")
    assert [s.name for s in load_suites("all", check_cells=False)] == ["a", "b"]
    claims = load_suites("claims", ["epochs=1"], check_cells=False)
    assert [s.name for s in claims] == ["b", "c"] and {s.epochs for s in claims} == {1}
    write(tmp_path, 'name = "x"\nsuites = ["nope"]\n', "x.toml")
    with pytest.raises(SuiteError, match="unknown suite 'nope'"):
        load_suites("x")


@pytest.mark.parametrize("name", builtin_suites())
def test_builtin_suites_validate(name):
    for suite in load_suites(name, check_cells=True):
        assert suite.description, f"{name}: say what it measures and how long it takes"
        assert suite.cells()
