"""Issue 13, part 3: a seed set disjoint from the suites' defaults gives the same
verdicts. The whole `claims` group takes minutes (README, "Claims"); this slow
test runs a fast subset of the claim suites twice, with their own seeds and
with `seeds=[10, 11, 12]`, and compares the computed verdicts."""

import pytest

FAST = ["c04_learning_rate", "c09_initialization", "c11_standardize", "c12_loss"]
DISJOINT = [10, 11, 12]


@pytest.mark.slow
def test_disjoint_seed_sets_give_the_same_verdicts(tmp_path):
    from benchmarks.suite import load_suite
    from reports.data import load_epochs, load_runs
    from reports.findings import evaluate
    from zoo.cli import main

    verdicts = {}
    for label, extra in (("default", []), ("disjoint", ["--set", f"seeds={DISJOINT}"])):
        store = str(tmp_path / f"{label}.sqlite")
        for name in FAST:
            assert not set(load_suite(name).seeds) & set(DISJOINT), name
            assert main(["bench", name, "--store", store, *extra]) == 0, name
            claim = load_suite(name).claim
            verdicts[label, name] = evaluate(claim, load_runs(store, name),
                                             load_epochs(store, name)).verdict
    for name in FAST:
        assert verdicts["default", name] == verdicts["disjoint", name], (name, verdicts)
        assert verdicts["default", name] != "inconclusive", (name, verdicts)
