"""Finding rules: each verdict follows the data, flips when the data contradict
the claim, and is inconclusive with one seed or overlapping noise.

The rules take `load_runs`-shaped DataFrames, so these tests build them
directly (no store, no TensorFlow).
"""

import numpy as np
import pandas as pd
import pytest

from reports import findings, stats
from reports.findings import FINDINGS, LOAD_ERRORS, Evidence, Finding, evaluate, finding
from reports.findings.verdict import ALL, MOST, Fact, at_least, result, tolerate, verdict

SEEDS = (0, 1, 2)


def frame(groups: dict, seeds=SEEDS, noise=0.0, **fixed) -> pd.DataFrame:
    """Runs from `{(axis, value): {metric: mean}}`; seed i adds `noise * (i - 1)`."""
    rows = []
    for (axis, value), metrics in groups.items():
        for i, seed in enumerate(seeds):
            jitter = noise * (i - (len(seeds) - 1) / 2)
            row = {"run_id": f"{axis}-{value}-{seed}", "seed": seed, "status": "ok",
                   axis: value, **fixed}
            row.update({k: (v + jitter * abs(v) if isinstance(v, float) else v)
                        for k, v in metrics.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def c6_runs(adam_epoch, sgd_epoch, **kw):
    def m(epoch):
        reached = epoch is not None
        return {"target_epoch": float(epoch) if reached else np.nan, "target_reached": reached,
                "target_seconds": float(epoch) * 0.5 if reached else np.nan,
                "wall_time": 5.0, "epochs_run": 10, "target_metric": "val_accuracy",
                "target_value": 0.9}

    runs = frame({("optimizer", "adam"): m(adam_epoch), ("optimizer", "momentum"): m(adam_epoch),
                  ("optimizer", "sgd"): m(sgd_epoch)}, epochs=10, **kw)
    return runs


def c2_runs(sat_ratio, relu_ratio, sat_loss, relu_loss, **kw):
    return frame({("activation", "sigmoid"): {"grad_ratio": sat_ratio, "final_loss": sat_loss},
                  ("activation", "tanh"): {"grad_ratio": sat_ratio, "final_loss": sat_loss},
                  ("activation", "relu"): {"grad_ratio": relu_ratio, "final_loss": relu_loss}},
                 **kw)


def c5_runs(claimed: bool, **kw):
    small = {"samples_per_sec": 100.0, "wall_time": 50.0, "loss_roughness": 0.2,
             "test_accuracy": 0.95}
    large = {"samples_per_sec": 5000.0, "wall_time": 2.0, "loss_roughness": 0.01,
             "test_accuracy": 0.6}
    if not claimed:
        small, large = large, small
    return frame({("batch_size", 1): small, ("batch_size", 32): {**small},
                  ("batch_size", "full"): large}, **kw)


def c7_runs(gap_none, gap_reg, **kw):
    none = {"gen_gap": gap_none, "best_val_accuracy": 0.8, "dropout": 0.0}
    reg = {"gen_gap": gap_reg, "best_val_accuracy": 0.85, "dropout": 0.0}
    runs = frame({("regularizer", "none"): none, ("regularizer", "l2:1e-4"): reg,
                  ("regularizer", "l1:1e-4"): reg}, early_stopping=False, **kw)
    return runs


CASES = {
    "C6": (lambda **kw: c6_runs(3, None, **kw), lambda **kw: c6_runs(8, 2, **kw)),
    "C2": (lambda **kw: c2_runs(1e-4, 0.8, 2.0, 0.3, **kw),
           lambda **kw: c2_runs(0.9, 1e-4, 0.3, 2.0, **kw)),
    "C5": (lambda **kw: c5_runs(True, **kw), lambda **kw: c5_runs(False, **kw)),
    "C7": (lambda **kw: c7_runs(0.30, 0.05, **kw), lambda **kw: c7_runs(0.30, 0.50, **kw)),
}


@pytest.mark.parametrize("claim", sorted(CASES))
@pytest.mark.parametrize("data,expected", [(0, "supported"), (1, "not supported")])
def test_rule_follows_the_data(claim, data, expected):
    runs = CASES[claim][data](noise=0.05)
    out = FINDINGS[claim](runs, pd.DataFrame())
    assert isinstance(out, Finding)
    assert out.claim == claim and out.title
    assert out.verdict == expected, out.summary
    assert not out.evidence.empty
    assert out.summary and "seed noise" in out.summary


@pytest.mark.parametrize("claim", sorted(CASES))
def test_one_seed_is_inconclusive(claim):
    runs = CASES[claim][0](seeds=(0,))
    out = FINDINGS[claim](runs, pd.DataFrame())
    assert out.verdict == "inconclusive", out.summary


@pytest.mark.parametrize("claim", ["C2", "C5", "C6", "C7"])
def test_overlapping_noise_is_inconclusive(claim):
    # Means favour the claim a little, but the seed spread is far larger.
    small_effect = {"C2": lambda **kw: c2_runs(0.5, 0.6, 1.0, 0.95, **kw),
                    "C6": lambda **kw: c6_runs(5.0, 5.2, **kw),
                    "C5": lambda **kw: frame(
                        {("batch_size", 1): {"samples_per_sec": 100.0, "wall_time": 10.0,
                                             "loss_roughness": 0.1, "test_accuracy": 0.9},
                         ("batch_size", 64): {"samples_per_sec": 105.0, "wall_time": 9.8,
                                              "loss_roughness": 0.098,
                                              "test_accuracy": 0.89}}, **kw),
                    "C7": lambda **kw: c7_runs(0.30, 0.29, **kw)}[claim]
    out = FINDINGS[claim](small_effect(noise=0.8), pd.DataFrame())
    assert out.verdict == "inconclusive", out.summary


def test_c6_never_reached_counts_as_slow_and_without_target_is_inconclusive():
    out = FINDINGS["C6"](c6_runs(4, None, noise=0.0), pd.DataFrame())
    assert out.verdict == "supported"
    assert set(out.evidence["reached_b"]) == {"0/3"}
    no_target = c6_runs(4, 6).assign(target_reached=None)
    assert FINDINGS["C6"](no_target, pd.DataFrame()).verdict == "inconclusive"


def test_c7_judges_the_model_each_run_ends_with():
    # At the best epoch every cell looks alike; the unregularized model trained to
    # the end overfits (gen_gap_final), the regularized ones do not.
    runs = c7_runs(0.05, 0.05, noise=0.05)
    runs["gen_gap_final"] = np.where(runs["regularizer"] == "none", 0.4, 0.06)
    runs["gen_gap_final"] *= 1 + 0.05 * (runs["seed"] - 1)
    out = FINDINGS["C7"](runs, pd.DataFrame())
    assert out.verdict == "supported", out.summary
    assert set(out.evidence.loc[out.evidence["in_verdict"], "metric"]) == {"gen_gap_final"}


def test_c7_needs_an_overfitting_baseline():
    runs = c7_runs(0.001, -0.2, noise=5.0)  # baseline gap indistinguishable from 0
    out = FINDINGS["C7"](runs, pd.DataFrame())
    assert out.verdict == "inconclusive"


def test_failed_runs_do_not_break_rules():
    runs = c2_runs(1e-4, 0.8, 2.0, 0.3, noise=0.05)
    runs.loc[0, ["status", "grad_ratio", "final_loss"]] = ["failed", np.nan, np.nan]
    assert FINDINGS["C2"](runs, pd.DataFrame()).verdict == "supported"


def test_registry_and_errors():
    assert {"C2", "C5", "C6", "C7"} <= set(FINDINGS)
    with pytest.raises(ValueError, match="already has a rule"):
        finding("C6", title="again", policy=MOST)(lambda runs, epochs: None)
    with pytest.raises(ValueError, match="policy"):
        finding("C_NEW", title="t", policy="majority")
    with pytest.raises(ValueError, match="Did you mean 'C6'"):
        evaluate("C66", pd.DataFrame())
    with pytest.raises(ValueError, match="verdict"):
        Finding("C6", "t", "maybe", "s")
    # A rule that raises gives an inconclusive finding, not an exception.
    broken = evaluate("C6", pd.DataFrame({"optimizer": ["sgd"], "target_reached": [object()]}))
    assert broken.verdict == "inconclusive"


def test_new_rule_is_one_decorated_function():
    @finding("C_TEST", title="Wider is better", policy=ALL, effect="0.02 test accuracy")
    def wider(runs, epochs):
        checks = [findings.compare_groups(runs, "test_accuracy", {"width": 64}, {"width": 8},
                                          effect=0.02)]
        return Evidence(findings.tally(checks), findings.evidence_table(checks), checks=checks)

    try:
        runs = frame({("width", 64): {"test_accuracy": 0.9}, ("width", 8): {"test_accuracy": 0.7}},
                     noise=0.01)
        out = evaluate("C_TEST", runs)
        assert (out.claim, out.title, out.verdict) == ("C_TEST", "Wider is better", "supported")
        assert "64 beats 8" in out.summary and out.effect == "0.02 test accuracy"
        row = out.evidence.iloc[0]
        assert row["effect"] == 0.02 and row["margin_low"] > 0 and row["detectable"] > 0
    finally:
        FINDINGS.pop("C_TEST")


def test_a_comparison_without_a_declared_effect_gives_no_verdict():
    @finding("C_TEST", title="Wider is better", policy=ALL)
    def wider(runs, epochs):
        checks = [findings.compare_groups(runs, "test_accuracy", {"width": 64}, {"width": 8})]
        return Evidence("x", checks=checks)

    try:
        runs = frame({("width", 64): {"test_accuracy": 0.9}, ("width", 8): {"test_accuracy": 0.7}},
                     noise=0.01)
        out = evaluate("C_TEST", runs)
        assert out.verdict == "inconclusive" and "smallest effect that matters" in out.summary
    finally:
        FINDINGS.pop("C_TEST")


def test_three_way_outcome_and_detectable_difference():
    a, b = [0.90, 0.91, 0.92], [0.905, 0.91, 0.915]
    assert stats.compare(a, b, "test_accuracy", effect=0.05).outcome == "equivalent"
    assert stats.compare(a, b, "test_accuracy", effect=0.005).outcome == "within noise"
    assert stats.compare(a, [0.80, 0.81, 0.82], "test_accuracy", effect=0.02).outcome \
        == "a better"
    assert stats.compare([1.0, 1.1, 0.9], [3.0, 3.1, 2.9], "final_loss",
                         effect=0.1).outcome == "a better"
    # The detectable difference shrinks as 1/sqrt(n) and grows with the spread.
    d3 = stats.detectable_difference(0.01, 3, 0.01, 3)
    d12 = stats.detectable_difference(0.01, 12, 0.01, 12)
    assert d12 < d3 / 1.9 and stats.detectable_difference(0.02, 3, 0.02, 3) == pytest.approx(
        2 * d3)
    # Power check by simulation: a true difference of d12 is found about 80% of the time.
    rng = np.random.default_rng(0)
    found = np.mean([stats.compare(rng.normal(d12, 0.01, 12), rng.normal(0, 0.01, 12),
                                   "test_accuracy").outcome == "a better" for _ in range(400)])
    assert 0.7 < found < 0.9
    with pytest.raises(ValueError, match="effect"):
        stats.compare(a, b, "test_accuracy", effect=-1)


def test_compare_orientation_is_stable():
    # The claim's side is `a`; for a lower-is-better metric a smaller a wins.
    c = stats.compare([1.0, 1.1, 0.9], [3.0, 3.1, 2.9], "final_loss", ("a", "b"))
    assert c.outcome == "a better" and result(c) == "for"


def test_rule_modules_are_named_cNN_topic_and_all_load():
    import pkgutil
    import re

    rules = [m.name for m in pkgutil.iter_modules(findings.__path__)
             if m.name not in ("base", "groups", "verdict")]
    # cNN_topic: the sixteen claims; rNN_topic: reproductions of published tables.
    assert all(re.fullmatch(r"[cr]\d\d_[a-z0-9_]+", name) for name in rules), rules
    assert sorted(int(n[1:3]) for n in rules if n[0] == "c") == list(range(1, 17))
    assert LOAD_ERRORS == {}
    assert {f"C{i}" for i in range(1, 17)} <= set(FINDINGS)
    assert all(FINDINGS[c].policy in (ALL, MOST) for c in FINDINGS)
    assert all(FINDINGS[c].effect for c in FINDINGS if c[0] in "CR"), \
        "every claim declares its smallest effect that matters"


def test_a_rule_returns_evidence_not_a_verdict():
    @finding("C_TEST", title="t", policy=ALL)
    def hand_made(runs, epochs):
        return Finding("C_TEST", "t", "supported", "chosen by hand")

    try:
        out = evaluate("C_TEST", pd.DataFrame())
        assert out.verdict == "inconclusive" and "must return an Evidence" in out.summary
    finally:
        FINDINGS.pop("C_TEST")


F, A, N, FEW, E = (Fact(o, o) for o in ("a better", "b better", "within noise", "inconclusive",
                                         "equivalent"))


@pytest.mark.parametrize("checks,guards,expected_all,expected_most", [
    ([F, F], [], "supported", "supported"),
    ([F, N], [], "inconclusive", "inconclusive"),   # MOST: the undecided one could flip it
    ([F, F, N], [], "inconclusive", "supported"),   # MOST: 2 for > 0 against + 1 undecided
    ([F, N, N], [], "inconclusive", "inconclusive"),
    ([F, A], [], "not supported", "not supported"),  # MOST: a tie is not "most"
    ([F, E], [], "not supported", "not supported"),  # equivalent counts against
    ([E, E, F], [], "not supported", "not supported"),
    ([E], [], "not supported", "not supported"),
    ([A, N], [], "not supported", "not supported"),  # MOST: even a for would only tie
    ([A, A, N], [], "not supported", "not supported"),
    ([F, FEW], [], "inconclusive", "supported"),    # MOST leaves too-few-seeds checks out
    ([FEW], [], "inconclusive", "inconclusive"),
    ([], [], "inconclusive", "inconclusive"),
    ([F], [N], "supported", "supported"),           # a guard within noise costs nothing
    ([F], [A], "not supported", "not supported"),
    ([N], [A], "not supported", "not supported"),
    ([F], [FEW], "inconclusive", "inconclusive"),
])
def test_verdict_policies(checks, guards, expected_all, expected_most):
    assert verdict(ALL, checks, guards) == expected_all
    assert verdict(MOST, checks, guards) == expected_most
    # A premise that does not hold leaves any evidence inconclusive.
    for policy in (ALL, MOST):
        assert verdict(policy, checks, guards, premises=[FEW]) == "inconclusive"
    with pytest.raises(ValueError, match="Received: policy='any'"):
        verdict("any", checks)


def test_thresholds_adjust_a_check_before_the_policy():
    up = stats.compare([0.02, 0.021, 0.02], [0.0, 0.001, 0.0], "dead_fraction", ("a", "b"),
                       higher=True)
    assert up.outcome == "a better"
    assert at_least(up, 0.05).outcome == "b better" and at_least(up, 0.01) is up
    down = stats.compare([0.60, 0.61, 0.62], [0.66, 0.67, 0.68], "test_accuracy", ("a", "b"))
    assert down.outcome == "b better"
    assert tolerate(down, 0.1).outcome == "within noise" and tolerate(down, 0.01) is down


def test_forest_rows_and_plot_scale_each_comparison_by_its_effect():
    from reports import plots
    from reports.findings import forest_rows

    a = stats.compare([0.90, 0.91, 0.92], [0.80, 0.81, 0.80], "test_accuracy", ("x", "y"),
                      effect=0.02)
    b = stats.compare([3, 4, 3], [9, 9, 10], "epochs_to_target", ("p", "q"), higher=False,
                      effect=1.0)
    no_interval = stats.compare([1.0], [2.0], "test_accuracy", effect=0.02)
    found = [Finding("C1", "t", "supported", "s", effect="0.02", checks=[a, no_interval]),
             Finding("C2", "t", "supported", "s", effect="1 epoch",
                     checks=[b, Fact("a better", "x")])]
    rows = forest_rows(found)
    assert list(rows["claim"]) == ["C1", "C2"]
    # Margins favour the claim: fewer epochs is a positive margin.
    assert rows.loc[1, "margin"] == pytest.approx(6.0) and rows.loc[1, "low"] > 0
    assert rows.loc[0, "margin"] / rows.loc[0, "effect"] == pytest.approx(0.10667 / 0.02,
                                                                          rel=1e-3)
    fig = plots.forest(rows, "t")
    assert len(fig.axes[0].get_yticklabels()) == 2 and plots.to_base64(fig)
    assert plots.forest(rows.iloc[0:0]) is None
