"""What earlier releases wrote stays valid: run ids, and stores that resume.

Both fixtures were written by the code as it stood before the axis table
and the run lifecycle were rewritten (commit 4c35741):

- `fixtures/run_ids_v0.json`: every run id and cell id of every built-in
  suite, with the library versions that went into them.
- `fixtures/store_v0.sql`: the SQL dump (`sqlite3 .dump`) of the store that
  `zoo bench demo --set epochs=1` wrote.

A refactoring that changed a resolved config (a new axis filled into every
cell, a default written differently) would change these ids, and every
stored run would be trained again. An experiment changed on purpose gets new
ids: the claim suites resized to decide their verdicts (issue 13: c03, c10,
c14, c15, c16) have their new ids here; every other suite keeps its v0 ids.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from benchmarks.matrix.driver import plan, suite_run_id
from benchmarks.store import Store, identity
from benchmarks.suite import builtin_suites, load_suite


@pytest.fixture
def v0(fixture_path, monkeypatch):
    """The v0 id fixture, with ids computed under its library versions."""
    with open(fixture_path("run_ids_v0.json")) as f:
        data = json.load(f)
    monkeypatch.setattr(identity, "code_versions", lambda: dict(data["versions"]))
    return data


def test_builtin_suites_keep_their_run_ids(v0):
    assert set(v0["suites"]) <= set(builtin_suites())  # none renamed or dropped
    for name in v0["suites"]:
        suite = load_suite(name)
        ids = [[suite_run_id(suite.name, c, seed), identity.cell_id(c)]
               for c in suite.cells() for seed in suite.seeds]
        assert ids == v0["suites"][name], name


def test_a_store_written_before_resumes_with_every_run_done(v0, fixture_path, tmp_path):
    path = str(tmp_path / "zoo.sqlite")
    with open(fixture_path("store_v0.sql")) as f, sqlite3.connect(path) as conn:
        conn.executescript(f.read())
    conn.close()
    suite = load_suite("demo", overrides=["epochs=1"])
    with Store(path) as store:
        statuses = store.statuses("demo")
        runs = store.runs("demo")
    todo = plan(suite, statuses)
    assert todo.total == 4 and len(todo.done) == 4 and todo.tasks == []
    assert {r["status"] for r in runs} == {"ok"}
    assert all(r["record"]["test"]["accuracy"] > 0 for r in runs)
