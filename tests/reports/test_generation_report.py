"""The report of a generative suite: sample grids, the quality table, the computed comparison."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmarks.run.record import RECORD_KEYS
from benchmarks.store import Store

# Per optimizer: (Fréchet distance per seed, collapsed per seed, a diverged seed or None)
CELLS = {"adam05": ([10.0, 12.0, 11.0], [False] * 3, None),
         "adam09": ([60.0, 80.0, 70.0], [True, True, False], None),
         "sgd": ([15.0, 9.0], [False, False], 2)}
OPTIMIZERS = {"adam05": {"name": "adam", "beta_1": 0.5},
              "adam09": {"name": "adam", "beta_1": 0.9}, "sgd": "sgd"}


def record(fid: float, collapsed: bool, seed: int) -> dict:
    rec = dict.fromkeys(RECORD_KEYS)
    samples = np.random.default_rng(seed).uniform(size=(16, 64)).round(3).tolist()
    rec.update(history={"d_loss": [1.2, 1.0], "g_loss": [0.8, 0.9], "loss": [2.0, 1.9],
                        "val_loss": [2.1, 2.0], "val_frechet_distance": [fid * 2, fid]},
               test={"d_loss": 1.0, "g_loss": 0.9, "loss": 1.9, "frechet_distance": fid,
                     "coverage": 0.2 if collapsed else 1.0, "confidence": 0.8,
                     "collapsed": float(collapsed)},
               generation={"samples": samples, "sample_shape": [8, 8, 1], "collapsed": collapsed},
               best_epoch=2, epochs_run=2)
    return rec


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("gen") / "zoo.sqlite")
    with Store(path) as s:
        s.put_suite("gans", description="GAN optimizers", claim=None)
        for name, (fids, collapsed, diverged) in CELLS.items():
            config = {"dataset": "digits", "model": "gan", "epochs": 2,
                      "optimizer": OPTIMIZERS[name]}
            seeds = list(range(len(fids) + (diverged is not None)))
            for seed in seeds:
                rid = f"{name}-{seed}"
                s.claim(rid, "gans", name, seed, config)
                if seed == diverged:
                    s.finish(rid, "diverged", {**dict.fromkeys(RECORD_KEYS), "diverged_epoch": 1,
                                               "history": {"loss": [float("nan")]}})
                else:
                    s.finish(rid, "ok", record(fids[seed], collapsed[seed], seed))
    return path


def test_generation_analysis_counts_stability_and_compares_beyond_seed_noise(store):
    from reports.analysis import analyze_suite

    report = analyze_suite(store, "gans")
    g = report.generation
    assert (report.metric, report.select) == ("test_frechet_distance",
                                              "final_val_frechet_distance")
    assert report.best["config"] == {"optimizer": '{"beta_1": 0.5, "name": "adam"}'}
    table = g.table.set_index("cell")
    assert list(table.index) == ["adam(beta_1=0.5)", "sgd", "adam(beta_1=0.9)"]  # lowest first
    assert table.loc["adam(beta_1=0.9)", ["collapsed", "stable"]].tolist() == [2, 1]
    assert table.loc["sgd", ["runs", "ok", "diverged", "stable"]].tolist() == [3, 2, 1, 2]
    assert g.sentences[0].startswith("Trains stably (every seed ok and not collapsed): "
                                     "adam(beta_1=0.5); not stably:")
    adam09 = next(s for s in g.sentences[1:] if "adam(beta_1=0.9)" in s)
    assert "adam(beta_1=0.5) beats adam(beta_1=0.9)" in adam09 and "exceeds seed noise" in adam09
    sgd = next(s for s in g.sentences[1:] if "sgd" in s)
    assert "within seed noise" in sgd  # 10, 12, 11 vs 15, 9: the spread swallows the gap
    assert [title for title, _ in g.grids] == ["adam(beta_1=0.5) (seed 0)", "sgd (seed 0)",
                                               "adam(beta_1=0.9) (seed 0)"]


def test_reports_show_the_grids_next_to_the_metric_table(store, tmp_path):
    import zoo

    page = zoo.report(store=store, suite="gans", out=str(tmp_path)).read_text()
    section = page.split("<h2>Generated samples and their quality</h2>")[1].split("<h2>")[0]
    assert section.count('<img alt="Samples: ') == 3 and "frechet (mean ± 95% CI)" in section
    assert '<img alt="Validation Fréchet distance per epoch' in section
    assert "exceeds seed noise" in section
    summary = (tmp_path / "gans" / "summary.md").read_text()
    assert "## Generated samples and their quality" in summary and "| adam(beta_1=0.5) |" in summary


def test_reports_of_other_suites_have_no_generation_section(tmp_path):
    from reports.analysis import analyze_suite

    path = str(tmp_path / "zoo.sqlite")
    with Store(path) as s:
        s.put_suite("plain", description="no generation", claim=None)
        for opt, seed in itertools.product(("sgd", "adam"), (0, 1)):
            rec = dict.fromkeys(RECORD_KEYS)
            rec.update(history={"loss": [1.0], "val_loss": [1.1]}, test={"accuracy": 0.9})
            s.claim(f"{opt}{seed}", "plain", opt, seed, {"optimizer": opt})
            s.finish(f"{opt}{seed}", "ok", rec)
    assert analyze_suite(path, "plain").generation is None
