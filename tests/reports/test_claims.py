"""Claim suites and finding rules (C1, C3, C4, C8-C16).

Each rule gets synthetic runs shaped like `reports.data.load_runs` output that
support its claim and that contradict it, and the verdict must follow. The
claim suites must load and validate, declare their claim, and the `claims`
group must cover all sixteen claims. No training here.
"""

from __future__ import annotations

import glob
import json
import os

import numpy as np
import pandas as pd
import pytest

from reports.findings import FINDINGS, evaluate

SUITES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "suites")
CLAIM_SUITES = sorted(glob.glob(os.path.join(SUITES_DIR, "c[0-9][0-9]_*.toml")))
ALL_CLAIMS = [f"C{i}" for i in range(1, 17)]


def make_runs(cells: list[tuple[dict, dict]], epochs: int = 20) -> pd.DataFrame:
    """Runs frame: each cell is `(config, {metric: [per-seed values]})`.

    A metric value of "diverged" marks that seed's run diverged (NaN metric).
    """
    rows = []
    for c, (config, metrics) in enumerate(cells):
        n = max(len(v) for v in metrics.values())
        for seed in range(n):
            row = {"run_id": f"r{c}_{seed}", "suite": "s", "kind": "bench",
                   "cell_id": f"cell{c}", "seed": seed, "status": "ok", "error": None,
                   "epochs": epochs, **config}
            for k, values in metrics.items():
                v = values[seed]
                if isinstance(v, str) and v == "diverged":
                    row["status"], v = "diverged", np.nan
                row[k] = v
            rows.append(row)
    return pd.DataFrame(rows)


def verdict(claim: str, runs: pd.DataFrame, epochs=None) -> str:
    finding = evaluate(claim, runs, epochs)
    assert finding.claim == claim
    assert finding.summary
    assert "could not be computed" not in finding.summary, finding.summary
    return finding.verdict


def test_every_claim_has_a_rule():
    assert set(ALL_CLAIMS) <= set(FINDINGS)


# --- C1 ------------------------------------------------------------------------------

def _c1(logistic, linear, relu):
    return make_runs([({"model": "mlp", "depth": 0, "activation": "linear"},
                       {"test_accuracy": logistic}),
                      ({"model": "mlp", "depth": 3, "activation": "linear"},
                       {"test_accuracy": linear}),
                      ({"model": "mlp", "depth": 3, "activation": "relu"},
                       {"test_accuracy": relu})])


def test_c1_verdicts():
    assert verdict("C1", _c1([.60, .61, .62], [.61, .60, .62], [.95, .96, .97])) == "supported"
    # A linear MLP far above logistic regression contradicts the claim.
    assert verdict("C1", _c1([.60, .61, .62], [.90, .91, .92], [.95, .96, .97])) == \
        "not supported"
    # No gain from the non-linearity, within noise: inconclusive.
    assert verdict("C1", _c1([.60, .61, .62], [.61, .60, .62], [.55, .65, .62])) == \
        "inconclusive"


# --- C3 ------------------------------------------------------------------------------

def _c3(relu_dead, alt_acc, relu_acc=(.90, .91, .92)):
    """Runs at two learning rates where every activation trains; ReLU's dead
    fractions are the same at both, the alternatives' 0 by construction."""
    cells = []
    for lr in (0.05, 0.2):
        cells.append(({"activation": "relu", "learning_rate": lr},
                      {"dead_fraction": list(relu_dead), "test_accuracy": list(relu_acc),
                       "final_val_loss": [0.5, 0.6, 0.5]}))
        for act in ("leaky_relu", "elu"):
            cells.append(({"activation": act, "learning_rate": lr},
                          {"dead_fraction": [0.0, 0.0, 0.0], "test_accuracy": list(alt_acc),
                           "final_val_loss": [0.3, 0.3, 0.4]}))
    return make_runs(cells)


def test_c3_verdicts():
    assert verdict("C3", _c3([.10, .12, .11], [.90, .91, .92])) == "supported"
    # Units die, but leaky / ELU do worse than ReLU beyond the declared 0.02.
    assert verdict("C3", _c3([.10, .12, .11], [.80, .81, .82])) == "not supported"
    # A "significant" but negligible dead fraction is not dying.
    assert verdict("C3", _c3([.01, .01, .011], [.90, .91, .92])) == "not supported"
    # No dying at all: within the declared 0.02 of the alternatives' 0.
    assert verdict("C3", _c3([0.0, 0.005, 0.0], [.90, .91, .92])) == "not supported"
    # Seeds too noisy to tell: the CI straddles the declared effect.
    assert verdict("C3", _c3([0.0, 0.3, 0.0], [.90, .91, .92])) == "inconclusive"


# --- C4 ------------------------------------------------------------------------------

def _c4(epoch1: dict, final: dict):
    return make_runs([({"learning_rate": lr}, {"epoch1_loss": epoch1[lr], "final_loss": final[lr]})
                      for lr in sorted(epoch1)])


def test_c4_verdicts():
    lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]
    e1 = dict(zip(lrs, [[2.30, 2.31, 2.30], [2.2, 2.21, 2.2], [1.5, 1.6, 1.55],
                        [0.5, 0.55, 0.52], [0.45, 0.5, 0.48], [9.0, 8.0, 10.0]]))
    final = dict(zip(lrs, [[2.2, 2.21, 2.2], [1.5, 1.6, 1.55], [0.5, 0.52, 0.51],
                           [0.05, 0.06, 0.05], [0.3, 0.4, 0.35],
                           ["diverged", "diverged", "diverged"]]))
    assert verdict("C4", _c4(e1, final)) == "supported"
    # The largest rate is the best at the end and nothing diverges: no overshoot.
    final_mono = dict(zip(lrs, [[2.2, 2.21, 2.2], [1.5, 1.6, 1.55], [0.5, 0.52, 0.51],
                                [0.05, 0.06, 0.05], [0.03, 0.035, 0.03], [0.01, 0.012, 0.011]]))
    e1_mono = dict(zip(lrs, [[2.30, 2.31, 2.30], [2.2, 2.21, 2.2], [1.5, 1.6, 1.55],
                             [0.5, 0.55, 0.52], [0.45, 0.5, 0.48], [0.3, 0.31, 0.32]]))
    assert verdict("C4", _c4(e1_mono, final_mono)) == "not supported"


# --- C8 ------------------------------------------------------------------------------

def _c8(es_epochs, es_acc):
    return make_runs([({"early_stopping": False}, {"epochs_run": [60, 60, 60],
                                                   "test_accuracy": [.90, .91, .92]}),
                      ({"early_stopping": 5}, {"epochs_run": es_epochs,
                                               "test_accuracy": es_acc})], epochs=60)


def test_c8_verdicts():
    assert verdict("C8", _c8([15, 18, 20], [.90, .92, .91])) == "supported"
    assert verdict("C8", _c8([15, 18, 20], [.70, .71, .72])) == "not supported"
    # Saves fewer epochs than the declared 5 beyond noise: equivalent, not supported.
    assert verdict("C8", _c8([60, 58, 60], [.90, .92, .91])) == "not supported"
    assert verdict("C8", _c8([60, 20, 60], [.90, .92, .91])) == "inconclusive"


# --- C9 ------------------------------------------------------------------------------

def _c9(small, large, glorot=(0.30, 0.32, 0.31), he=(0.25, 0.27, 0.26)):
    ratio = {"random_normal:0.001": 1e-4, "random_normal:1.0": 1e3, "glorot_uniform": 1.2,
             "he_normal": 0.9}
    cells = [("random_normal:0.001", small), ("random_normal:1.0", large),
             ("glorot_uniform", list(glorot)), ("he_normal", list(he))]
    return make_runs([({"initializer": name}, {"final_loss": loss,
                                               "grad_ratio": [ratio[name]] * len(loss),
                                               "test_accuracy": [0.5] * len(loss)})
                      for name, loss in cells])


def test_c9_verdicts():
    assert verdict("C9", _c9([2.30, 2.30, 2.31], ["diverged", 5.0, "diverged"])) == "supported"
    # A "too small" scale that trains better than Glorot / He contradicts the claim.
    assert verdict("C9", _c9([0.10, 0.11, 0.10], [3.0, 3.2, 3.1])) == "not supported"


# --- C10 -----------------------------------------------------------------------------

def _c10(constant, cosine):
    return make_runs([({"schedule": "constant"}, {"test_accuracy": constant}),
                      ({"schedule": "cosine"}, {"test_accuracy": cosine}),
                      ({"schedule": "step"}, {"test_accuracy": [.90, .91, .92]})])


def test_c10_verdicts():
    assert verdict("C10", _c10([.90, .91, .92], [.96, .97, .965])) == "supported"
    assert verdict("C10", _c10([.97, .975, .98], [.90, .91, .92])) == "not supported"


# --- C11 / C12 (time to target) ------------------------------------------------------

def test_c11_verdicts():
    def runs(raw, std, raw_loss=(0.5, 0.6, 0.55), std_loss=(0.1, 0.12, 0.11)):
        return make_runs([({"pipeline": "identity"}, {"target_epoch": raw,
                                                      "final_loss": list(raw_loss)}),
                          ({"pipeline": "standardize"}, {"target_epoch": std,
                                                         "final_loss": list(std_loss)})])

    assert verdict("C11", runs([np.nan, np.nan, np.nan], [2, 3, 2])) == "supported"
    # Both reach the target as soon and the loss favours standardizing, but the
    # epochs' CI straddles the declared 1 epoch: policy MOST cannot decide.
    assert verdict("C11", runs([2, 3, 2], [3, 2, 2])) == "inconclusive"
    assert verdict("C11", runs([2, 2, 2], [2, 2, 2])) == "not supported"  # equivalent
    assert verdict("C11", runs([2, 3, 2], [np.nan, 15, np.nan], (0.1, 0.12, 0.11),
                               (0.5, 0.6, 0.55))) == "not supported"
    # Standardized reaches the target later but ends with a lower loss: the two
    # checks disagree beyond noise, a tie, which is not "most" (policy MOST).
    assert verdict("C11", runs([2, 3, 2], [np.nan, 15, np.nan])) == "not supported"


def test_c12_verdicts():
    def runs(ce, mse):
        return make_runs([({"loss": "sparse_categorical_crossentropy"},
                           {"target_epoch": ce, "test_accuracy": [.9, .9, .9]}),
                          ({"loss": "mse"}, {"target_epoch": mse,
                                             "test_accuracy": [.8, .8, .8]})])

    assert verdict("C12", runs([3, 3, 4], [12, 11, 13])) == "supported"
    assert verdict("C12", runs([12, 11, 13], [3, 3, 4])) == "not supported"


# --- C13 -----------------------------------------------------------------------------

def test_c13_verdicts():
    def runs(aug_gap, aug_acc):
        return make_runs([({"pipeline": "identity"}, {"gen_gap": [.20, .22, .21],
                                                      "test_accuracy": [.85, .86, .85]}),
                          ({"pipeline": "image"}, {"gen_gap": aug_gap,
                                                   "test_accuracy": aug_acc})])

    assert verdict("C13", runs([.05, .06, .04], [.88, .89, .87])) == "supported"
    # The gap narrows only because the model got worse: test accuracy drops.
    assert verdict("C13", runs([.05, .06, .04], [.60, .62, .61])) == "not supported"
    assert verdict("C13", runs([.30, .32, .31], [.85, .86, .85])) == "not supported"


# --- C14 -----------------------------------------------------------------------------

def test_c14_verdicts():
    def runs(mlp, cnn, gru):
        return make_runs([({"model": "logistic"}, {"test_accuracy": [.30, .31, .32]}),
                          ({"model": "mnist1d_mlp"}, {"test_accuracy": mlp}),
                          ({"model": "mnist1d_cnn"}, {"test_accuracy": cnn}),
                          ({"model": "mnist1d_gru"}, {"test_accuracy": gru})])

    assert verdict("C14", runs([.60, .61, .62], [.90, .91, .92], [.80, .82, .81])) == \
        "supported"
    assert verdict("C14", runs([.90, .91, .92], [.60, .61, .62], [.80, .82, .81])) == \
        "not supported"


# --- C15 -----------------------------------------------------------------------------

def _members(k: int, n: int, independent: bool, accuracy: float = 0.7):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 5, size=n)
    shared = rng.random(n) < accuracy
    members = []
    for _ in range(k):
        right = (rng.random(n) < accuracy) if independent else shared
        guess = np.where(right, labels, (labels + rng.integers(1, 5, size=n)) % 5)
        probs = np.full((n, 5), 0.1)
        probs[np.arange(n), guess] = 0.6
        members.append(probs)
    return labels, members


def _c15(independent: bool):
    labels, members = _members(5, 300, independent)
    rows = [{"run_id": f"r{i}", "cell_id": "cell0", "seed": i, "status": "ok",
             "predictions": json.dumps(p.tolist()), "prediction_labels": json.dumps(
                 labels.tolist()), "test_accuracy": float((p.argmax(1) == labels).mean())}
            for i, p in enumerate(members)]
    return pd.DataFrame(rows)


def test_c15_verdicts():
    assert verdict("C15", _c15(independent=True)) == "supported"
    # Members that make the same mistakes: the ensemble equals each member.
    assert verdict("C15", _c15(independent=False)) == "not supported"
    # Members right with low confidence and wrong with high confidence on
    # different examples: the average is wrong where most members were right.
    labels = [0, 0, 0]
    members = [[[0.55, 0.45], [0.55, 0.45], [0.0, 1.0]],
               [[0.55, 0.45], [0.0, 1.0], [0.55, 0.45]],
               [[0.0, 1.0], [0.55, 0.45], [0.55, 0.45]],
               [[0.55, 0.45], [0.55, 0.45], [0.0, 1.0]]]
    worse = pd.DataFrame([{"run_id": f"r{i}", "cell_id": "c", "seed": i, "status": "ok",
                           "predictions": json.dumps(p), "prediction_labels": json.dumps(labels)}
                          for i, p in enumerate(members)])
    assert verdict("C15", worse) == "not supported"
    no_predictions = _c15(True).drop(columns=["predictions", "prediction_labels"])
    assert verdict("C15", no_predictions) == "inconclusive"


# --- C16 -----------------------------------------------------------------------------

def test_c16_verdicts():
    pre = json.dumps({"classes": [0, 1, 2, 3, 4], "epochs": 10})

    def runs(scratch, transfer):
        return make_runs([({"pretrain": False, "train_samples": 50},
                           {"test_accuracy": scratch}),
                          ({"pretrain": pre, "train_samples": 50},
                           {"test_accuracy": transfer})])

    assert verdict("C16", runs([.60, .62, .61], [.80, .82, .81])) == "supported"
    assert verdict("C16", runs([.80, .82, .81], [.60, .62, .61])) == "not supported"


def test_rules_handle_empty_runs():
    # `verdict` also fails when the rule raised (which `evaluate` would turn into
    # an inconclusive "could not be computed" finding).
    empty = pd.DataFrame(columns=["run_id", "suite", "cell_id", "seed", "status"])
    for claim in sorted(FINDINGS):
        assert verdict(claim, empty) == "inconclusive", claim


def test_findings_have_evidence_and_figure():
    finding = evaluate("C1", _c1([.60, .61, .62], [.61, .60, .62], [.95, .96, .97]))
    assert not finding.evidence.empty
    assert finding.figure is not None


# --- suites --------------------------------------------------------------------------

GENERAL_SUITES = {"activations": "c02_activations", "batch_sizes": "c05_batch_sizes",
                  "optimizers": "c06_optimizers", "regularizers": "c07_regularizers"}


def test_claim_suites_load_and_declare_their_claim():
    from benchmarks.suite import load_suite

    assert [os.path.basename(p)[:3] for p in CLAIM_SUITES] == [f"c{i:02d}" for i in range(1, 17)]
    for path in CLAIM_SUITES:
        suite = load_suite(path)
        number = int(os.path.basename(path)[1:3])
        assert suite.name == os.path.basename(path)[:-5], path
        assert suite.claim == f"C{number}", path
        assert suite.cells(), path
        # Measured times belong in the README, not in suite descriptions.
        assert "measured" not in suite.description.lower(), path
        assert len(suite.seeds) >= 3, path


def test_claims_group_is_the_sixteen_claim_suites():
    from benchmarks.suite import load_suites

    suites = load_suites("claims")
    assert [s.claim for s in suites] == ALL_CLAIMS
    assert [s.name for s in suites] == [os.path.basename(p)[:-5] for p in CLAIM_SUITES]


@pytest.mark.parametrize("general", sorted(GENERAL_SUITES))
def test_general_suites_run_the_claim_experiment_without_a_claim(general):
    from benchmarks.suite import load_suite

    suite, claim_suite = load_suite(general), load_suite(GENERAL_SUITES[general])
    assert suite.claim is None  # each claim has exactly one suite: its cNN_ one
    assert GENERAL_SUITES[general] in suite.description
    # The same experiment (dataset, model, the axes it varies); the claim suite is
    # sized to decide (more seeds, data or epochs), the general one keeps its size
    # and run ids.
    assert (suite.dataset, suite.model) == (claim_suite.dataset, claim_suite.model)
    assert {k for c in suite.cells() for k in c} == {k for c in claim_suite.cells() for k in c}


def test_load_runs_keeps_recorded_predictions(tmp_path):
    from benchmarks.store import Store
    from reports.data import load_runs

    path = str(tmp_path / "s.sqlite")
    with Store(path) as store:
        for seed in (0, 1):
            store.claim(f"r{seed}", "ens", "cell0", seed, {"record_predictions": True})
            store.finish(f"r{seed}", "ok", {"test": {"accuracy": 0.5},
                                            "test_predictions": [[0.9, 0.1], [0.2, 0.8]],
                                            "test_labels": [0, 0]})
    runs = load_runs(path, "ens")
    assert json.loads(runs["predictions"].iloc[0]) == [[0.9, 0.1], [0.2, 0.8]]
    finding = evaluate("C15", runs)
    assert finding.evidence["ensemble"].iloc[0] == 0.5


def test_c3_a_diverged_run_leaves_the_claim_untested():
    runs = _c3([.10, .12, .11], [.90, .91, .92])
    high_elu = (runs["activation"] == "elu") & (runs["learning_rate"] == 0.2)
    runs.loc[high_elu, "status"] = "diverged"
    runs.loc[high_elu, "test_accuracy"] = np.nan
    finding = evaluate("C3", runs)
    assert finding.verdict == "inconclusive" and "diverged" in finding.summary


# --- harness modules for C15 / C16 (no TensorFlow) -----------------------------------

def test_select_classes_relabels_every_split():
    import zoo.datasets
    from benchmarks.run.transfer import select_classes

    ds = zoo.datasets.load("digits", seed=0)
    target = select_classes(ds, [5, 6, 7, 8, 9])
    assert target.spec.num_classes == target.spec.output_dim == 5
    for split in ("train", "validation", "test"):
        x, y = target.numpy(split)
        _, y_all = ds.numpy(split)
        assert set(np.unique(y)) == {0, 1, 2, 3, 4}
        assert len(y) == int(np.isin(y_all, [5, 6, 7, 8, 9]).sum()) == len(x)
        assert target.spec.sizes[split] == len(y)
    with pytest.raises(ValueError, match="Classes must be distinct ids"):
        select_classes(ds, [5, 12])


def test_check_pretrain():
    from benchmarks.run.transfer import check_pretrain

    assert check_pretrain(False) is None
    assert check_pretrain({"classes": [0, 1], "epochs": 2})["epochs"] == 2
    with pytest.raises(ValueError, match="pretrain must be false or a table"):
        check_pretrain({"epochs": 2})
    with pytest.raises(ValueError, match="Unknown pretrain keys"):
        check_pretrain({"classes": [0], "epoch": 2})


@pytest.mark.slow
def test_run_one_transfer_and_predictions():
    from benchmarks.run import run_one

    base = {"dataset": "digits", "model": "mlp", "epochs": 1, "depth": 1, "width": 16,
            "batch_size": 64, "train_classes": [5, 6, 7, 8, 9], "train_samples": 40,
            "record_predictions": True}
    status, record, error = run_one({**base, "pretrain": {"classes": [0, 1, 2, 3, 4],
                                                          "epochs": 1}}, seed=0)
    assert status == "ok", error
    assert record["pretrain"]["copied_layers"] == ["dense_0"]
    labels, probs = record["test_labels"], np.asarray(record["test_predictions"])
    assert set(labels) == {0, 1, 2, 3, 4} and probs.shape == (len(labels), 5)
    assert abs(record["test"]["accuracy"] - float((probs.argmax(1) == labels).mean())) < 1e-6
    status, scratch, error = run_one({**base, "pretrain": False}, seed=0)
    assert status == "ok" and "pretrain" not in scratch, error
