"""Reports: aggregation math, performance profiles, loading the store, and the
HTML / Markdown / CSV report built from a partial matrix with failed and
diverged runs. No TensorFlow: the store is filled with synthetic records
shaped like `benchmarks.store.RECORD_KEYS`.
"""

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import modules_after

from benchmarks.store import RECORD_KEYS, Store
from reports import data, stats

EPOCHS = 4
SKILL = {"sgd": 0.70, "momentum": 0.80, "adam": 0.90}


def record(optimizer: str, lr: float, seed: int, diverged: bool = False) -> dict:
    """A synthetic record with every RECORD_KEYS key, better for better optimizers."""
    rng = np.random.default_rng(seed + int(lr * 1000))
    top = SKILL[optimizer] + 0.02 * lr * 10 + rng.normal(0, 0.005)
    acc = [top * (1 - 0.5 ** (e + 1)) for e in range(EPOCHS)]
    loss = [1.5 * 0.6 ** e + rng.normal(0, 0.01) for e in range(EPOCHS)]
    if diverged:
        loss[2:] = [float("nan")] * (EPOCHS - 2)
    reached = next((e + 1 for e, a in enumerate(acc) if a >= 0.7), None)
    rec = {k: None for k in RECORD_KEYS}
    rec.update({
        "history": {"loss": loss, "val_loss": [v * 1.1 for v in loss], "accuracy": acc,
                    "val_accuracy": [a - 0.02 for a in acc]},
        "test": None if diverged else {"loss": loss[-1] * 1.1, "accuracy": acc[-1] - 0.03},
        "best_epoch": EPOCHS, "epochs_run": EPOCHS, "monitor": "val_loss",
        "gen_gap": 0.02, "gen_gap_loss": 0.1,
        "target": {"metric": "val_accuracy", "value": 0.68, "epoch": reached,
                   "seconds": None if reached is None else reached * 0.5},
        "wall_time": 3.0 + seed, "compile_time": 0.2, "first_epoch_time": 0.8,
        "epoch_times": [0.8, 0.5, 0.5, 0.5], "samples_per_sec": 1000.0 * (1 + seed),
        "params": 1234, "grad_norms": {"dense": [0.1] * EPOCHS, "dense_1": [0.2] * EPOCHS,
                                       "out": [0.4] * EPOCHS},
        "grad_layers": ["dense", "dense_1", "out"], "dead_fraction": 0.1,
        "diverged_epoch": 3 if diverged else None, "device": "cpu",
        "host": {"hostname": "testhost", "platform": "linux", "cpu_count": 2,
                 "python": "3.11"},
        "versions": {"tensorflow": "2.21", "keras": "3.x", "zoo": "0.1.0"},
    })
    return rec


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two suites: a partial optimizer x lr matrix (one failed, one diverged run,
    one cell missing) with a `<script>` description, and a one-seed suite."""
    path = str(tmp_path_factory.mktemp("store") / "zoo.sqlite")
    with Store(path) as s:
        s.put_suite("optimizers", description="SGD vs <script>alert('x')</script> adam",
                    claim="C6", source="name='optimizers'")
        cells = [(o, lr) for o, lr in itertools.product(SKILL, (0.01, 0.1))
                 if (o, lr) != ("sgd", 0.1)]
        for (opt, lr), seed in itertools.product(cells, (0, 1, 2)):
            config = {"dataset": "digits", "model": "mlp", "epochs": EPOCHS, "optimizer": opt,
                      "learning_rate": lr, "batch_size": 32, "dataset_options": {},
                      "target": {"metric": "val_accuracy", "value": 0.68}}
            rid = f"{opt}-{lr}-{seed}"
            s.claim(rid, "optimizers", f"{opt}-{lr}", seed, config)
            if (opt, lr, seed) == ("adam", 0.1, 2):
                s.finish(rid, "failed", {}, "Traceback...\nValueError: <bad> & broken")
            elif (opt, lr, seed) == ("momentum", 0.1, 1):
                s.finish(rid, "diverged", record(opt, lr, seed, diverged=True))
            else:
                s.finish(rid, "ok", record(opt, lr, seed))
        s.put_suite("batches", description="batch sizes", claim="C5")
        s.put_suite("regs", description="regularizers", claim="C7")
        for seed, (bs, reg, dropout) in itertools.product(
                (0, 1), [(1, None, 0.0), ("full", None, 0.0), (32, "l2:1e-4", 0.0),
                         (32, None, 0.5)]):
            rec = record("adam", 0.01, seed)
            rec["samples_per_sec"] = 10.0 if bs == 1 else 1000.0 + seed
            rec["gen_gap"] = 0.3 if reg is None and not dropout else 0.05 + 0.01 * seed
            config = {"dataset": "digits", "model": "mlp", "epochs": EPOCHS, "batch_size": bs,
                      "regularizer": reg, "dropout": dropout, "early_stopping": False}
            for suite in ("batches", "regs"):
                rid = f"{suite}-{bs}-{reg}-{dropout}-{seed}"
                s.claim(rid, suite, rid[:-2], seed, config)
                s.finish(rid, "ok", rec)
        s.put_suite("single", description="one seed", claim=None)
        for opt in ("sgd", "adam"):
            s.claim(f"single-{opt}", "single", opt, 0, {"optimizer": opt, "epochs": EPOCHS})
            s.finish(f"single-{opt}", "ok", record(opt, 0.01, 0))
    return path


# ---------- aggregation math ----------

def test_summarize_matches_hand_computed_values():
    s = stats.summarize([1.0, 2.0, 3.0, np.nan])
    assert s["mean"] == 2.0 and s["std"] == 1.0 and s["n"] == 3 and s["missing"] == 1
    assert s["ci"] == pytest.approx(4.302653 / math.sqrt(3), rel=1e-6)
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((2 - s["ci"], 2 + s["ci"]))
    one = stats.summarize([5.0])
    assert one["mean"] == 5.0 and math.isnan(one["std"]) and math.isnan(one["ci"])
    assert stats.summarize([])["n"] == 0


def test_t_quantile_and_welch():
    assert stats.t_quantile(4) == pytest.approx(2.776445, rel=1e-5)
    assert stats.t_quantile(1) == pytest.approx(12.7062, rel=1e-4)
    # Welch by hand: a=[1,2,3], b=[4,5,6]: diff -3, se = sqrt(1/3+1/3), df = 4.
    diff, low, high, p = stats.welch([1, 2, 3], [4, 5, 6])
    se = math.sqrt(2 / 3)
    assert diff == -3 and high - diff == pytest.approx(2.776445 * se, rel=1e-5)
    assert p == pytest.approx(0.02131, abs=1e-4)  # t = -3.674, df = 4


def test_aggregate_rank_pivot_and_best():
    runs = pd.DataFrame({"opt": ["a", "a", "b", "b", "c"], "lr": [1, 2, 1, 2, 1],
                         "status": ["ok", "ok", "ok", "ok", "failed"],
                         "acc": [0.8, 0.9, 0.5, 0.7, np.nan], "val": [0.8, 0.9, 0.5, 0.7, np.nan]})
    table = stats.compare_axis(runs, "opt", "acc")
    assert list(table["opt"]) == ["a", "b", "c"] and list(table["rank"]) == [1, 2, 3]
    assert table.loc[0, "mean"] == pytest.approx(0.85) and table.loc[2, "failed"] == 1
    assert table.loc[2, "n"] == 0 and table.loc[2, "runs"] == 1
    piv = stats.pivot(runs, "opt", "lr", "acc")
    assert piv.loc["b", 2] == 0.7
    best = stats.best_config(runs, ["opt", "lr"], "val", "acc")
    assert best["config"] == {"opt": "a", "lr": 2} and best["report"]["mean"] == 0.9


def test_difference_called_only_beyond_seed_noise():
    real = stats.compare([0.90, 0.91, 0.92], [0.80, 0.81, 0.80], "test_accuracy",
                         ("adam", "rmsprop"))
    assert real.outcome == "a better"
    assert real.sentence().startswith("adam beats rmsprop by 0.107 test_accuracy (95% CI")
    assert "exceeds seed noise" in real.sentence()
    noisy = stats.compare([0.9, 0.7, 0.8], [0.82, 0.78, 0.77], "test_accuracy")
    assert noisy.outcome == "within noise" and "within seed noise" in noisy.sentence()
    assert stats.compare([0.9], [0.1], "test_accuracy").outcome == "inconclusive"
    lower = stats.compare([3, 3, 3], [5, 5, 5], "target_epoch")  # zero variance, lower wins
    assert lower.outcome == "a better"


# ---------- performance profiles ----------

def test_performance_profile():
    times = pd.DataFrame({"fast": [1.0, 2.0, 3.0], "slow": [2.0, 8.0, np.nan],
                          "never": [np.inf, np.nan, -1.0]})
    prof = stats.performance_profile(times, taus=[1, 2, 4, 100])
    assert list(prof["fast"]) == [1.0, 1.0, 1.0, 1.0]
    assert list(prof["never"]) == [0.0, 0.0, 0.0, 0.0]
    assert list(prof["slow"]) == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3])
    auto = stats.performance_profile(times)
    assert auto.index[0] == 1.0 and auto["fast"].iloc[0] == 1.0
    unsolved = stats.performance_profile(pd.DataFrame({"a": [np.nan], "b": [np.inf]}), [1, 10])
    assert unsolved.to_numpy().sum() == 0


# ---------- loading ----------

def test_load_runs_keeps_failed_and_diverged(store):
    runs = data.load_runs(store, "optimizers")
    assert len(runs) == 15 and set(runs["status"]) == {"ok", "failed", "diverged"}
    for column in ("run_id", "suite", "kind", "cell_id", "seed", "status", "error", "optimizer",
                   "learning_rate", "test_accuracy", "test_loss", "best_epoch", "epochs_run",
                   "gen_gap", "target_epoch", "target_seconds", "wall_time", "samples_per_sec",
                   "params", "dead_fraction", "diverged_epoch", "final_loss", "epoch1_loss",
                   "final_val_accuracy", "best_val_accuracy", "grad_ratio", "loss_roughness"):
        assert column in runs, column
    failed = runs[runs["status"] == "failed"].iloc[0]
    assert "broken" in failed["error"] and math.isnan(failed["test_accuracy"])
    diverged = runs[runs["status"] == "diverged"].iloc[0]
    assert math.isnan(diverged["final_loss"]) and diverged["diverged_epoch"] == 3
    ok = runs[runs["status"] == "ok"]
    assert ok["grad_ratio"].eq(0.25).all() and ok["test_accuracy"].between(0, 1).all()
    assert ok["gen_gap_final"].round(6).eq(0.02).all()  # train - val accuracy, last epoch
    assert json.loads(ok["target"].iloc[0]) == {"metric": "val_accuracy", "value": 0.68}
    assert len(data.load_runs(store)) == 33


def test_long_frames(store):
    epochs = data.load_epochs(store, "optimizers")
    assert {"run_id", "epoch", "metric", "value", "optimizer", "status"} <= set(epochs.columns)
    assert set(epochs["metric"]) >= {"loss", "val_accuracy", "epoch_time"}
    assert epochs["epoch"].max() == EPOCHS
    grads = data.load_grad_norms(store, "single")
    assert list(grads.groupby("layer")["layer_index"].first().sort_values().index) == [
        "dense", "dense_1", "out"]
    assert len(grads) == 2 * 3 * EPOCHS


def test_store_errors(store, tmp_path):
    with pytest.raises(FileNotFoundError, match="zoo bench"):
        data.load_runs(str(tmp_path / "missing.sqlite"))
    with pytest.raises(ValueError, match="Did you mean 'optimizers'"):
        data.check_suite(store, "optimizer")
    Store(str(tmp_path / "empty.sqlite")).close()
    with pytest.raises(ValueError, match="holds no runs"):
        data.check_suite(str(tmp_path / "empty.sqlite"), None)


# ---------- the report ----------

def test_report_builds_from_a_partial_matrix(store, tmp_path, capsys):
    from zoo.cli import main

    out = tmp_path / "reports"
    assert main(["report", "--store", store, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "optimizers" in printed and "C6 [" in printed and "index.html" in printed
    for suite in ("optimizers", "single"):
        for name in ("index.html", "summary.md", "runs.csv", "epochs.csv"):
            assert (out / suite / name).stat().st_size > 0, (suite, name)
    page = (out / "optimizers" / "index.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;bad&gt; &amp; broken" in page
    assert "failed" in page and "diverged" in page
    assert "data:image/png;base64," in page and "http://" not in page and "https://" not in page
    assert "adam beats" in page and "95% CI" in page
    assert 'class="badge' in page
    index = (out / "index.html").read_text()
    assert 'href="optimizers/index.html"' in index and "Findings" in index
    assert "optimizers/index.html#finding" in index
    assert "Performance profile across suites" in index
    # The index opens with the verdicts and the forest plot, before the suites.
    assert index.index("Findings") < index.index('id="forest"') < index.index("Suites")
    assert "smallest effect that matters" in index and "1 epoch to the target" in index
    assert "margin_low" in page and "detectable" in page
    overview = (out / "summary.md").read_text()
    assert "| C6 |" in overview and "optimizers/index.html#finding" in overview
    runs = pd.read_csv(out / "optimizers" / "runs.csv")
    assert len(runs) == 15 and (runs["status"] == "failed").sum() == 1
    summary = (out / "optimizers" / "summary.md").read_text()
    assert "Verdict:" in summary and "| optimizer |" in summary
    batches = (out / "batches" / "index.html").read_text()
    assert "Throughput and accuracy vs batch size" in batches and "C5" in batches
    regs = (out / "regs" / "index.html").read_text()
    assert "Generalization gap by regularization" in regs
    assert "supported" in regs  # the gap narrows beyond noise in the synthetic data
    single = (out / "single" / "index.html").read_text()
    assert "inconclusive" in single  # one seed: no difference can be called


def test_report_cli_errors(store, tmp_path, capsys):
    from zoo.cli import main

    assert main(["report", "--store", store, "--suite", "optimisers",
                 "--out", str(tmp_path)]) == 2
    assert "Did you mean 'optimizers'" in capsys.readouterr().err
    assert main(["report", "--store", str(tmp_path / "nope.sqlite")]) == 2
    assert "zoo bench" in capsys.readouterr().err


def test_reports_never_import_tensorflow(store, tmp_path):
    code = ("import reports, reports.findings, reports.cli\n"
            f"reports.cli.build({store!r}, 'single', {str(tmp_path)!r})")
    assert modules_after(code, watch=("tensorflow", "keras", "benchmarks")) == []


def test_plots_take_user_strings_literally():
    from reports import plots

    runs = pd.DataFrame({"opt": ["$a_1", "$a_1", "b^2$", "b^2$"], "acc": [0.8, 0.9, 0.5, 0.6],
                         "status": ["ok"] * 4})
    fig = plots.bars(stats.compare_axis(runs, "opt", "acc"), "opt", "acc")
    assert plots.to_base64(fig).startswith("iVBOR")  # a PNG, no mathtext parse error


def test_odd_suite_names_get_safe_folders(tmp_path):
    from reports import cli, paths

    path = str(tmp_path / "zoo.sqlite")
    with Store(path) as s:
        s.put_suite("a/b <c>", description="d")
        s.claim("r0", "a/b <c>", "c0", 0, {"optimizer": "sgd"})
        s.finish("r0", "ok", record("sgd", 0.01, 0))
    result = cli.build(path, None, str(tmp_path / "out"))
    folder = paths.folder_name("a/b <c>")
    assert "/" not in folder and result["pages"]["a/b <c>"].endswith(f"{folder}/index.html")
    assert f'href="{folder}/index.html"' in (tmp_path / "out" / "index.html").read_text()


RENDERERS = ("reports.html", "reports.markdown", "reports.cli")


def test_analysis_never_imports_a_renderer():
    import ast
    import pathlib

    import reports

    root = pathlib.Path(reports.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        if module in RENDERERS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{module} -> {n}" for n in names if n in RENDERERS]
    assert offenders == []


def test_tuning_sections_render_a_tuning_report():
    from reports import html, markdown
    from reports.tuning import TuningReport

    trials = pd.DataFrame({"tuner": ["random"] * 2, "trial_id": ["0", "1"],
                           "status": ["ok", "ok"], "objective": [0.7, 0.8],
                           "test_accuracy": [0.68, 0.79], "optimizer": ["sgd", "<b>adam</b>"]})
    best = trials.iloc[1].to_dict()
    t = TuningReport(objective="val_accuracy", direction="max", test_metric="test_accuracy",
                     hyperparameters=["optimizer"], trials=trials, best=best,
                     comparison=None, figures=[])
    page = html.page("sp", html.tuning_sections(t))
    assert "Best trial:</b> trial 1 (random): val_accuracy 0.8" in page
    assert "&lt;b&gt;adam&lt;/b&gt;" in page and "<b>adam</b>" not in page
    text = "\n".join(markdown.tuning_sections(t))
    assert "## Tuning" in text and "2 trials; objective `val_accuracy` (maximize)" in text
