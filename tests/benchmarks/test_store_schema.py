"""The store's schema version: new stores, migrating old ones, refusing newer ones."""

from __future__ import annotations

import json
import sqlite3

import pytest

from benchmarks.matrix.driver import plan
from benchmarks.store import Store, StoreVersionError, identity, schema
from benchmarks.suite import load_suite
from zoo.cli import main


def _columns(path: str) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[1] for r in conn.execute("PRAGMA table_info(runs)")}


def _user_version(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA user_version").fetchone()[0]


@pytest.fixture
def v0_store(fixture_path, tmp_path, monkeypatch):
    """The store `zoo bench demo --set epochs=1` wrote before versions existed."""
    with open(fixture_path("run_ids_v0.json")) as f:
        versions = json.load(f)["versions"]
    monkeypatch.setattr(identity, "code_versions", lambda: dict(versions))
    path = str(tmp_path / "zoo.sqlite")
    with open(fixture_path("store_v0.sql")) as f:
        conn = sqlite3.connect(path)
        conn.executescript(f.read())
        conn.close()
    return path


def test_a_new_store_is_created_at_the_current_version(tmp_path):
    path = str(tmp_path / "new.sqlite")
    with Store(path) as store:
        assert store.migrated_from == 0
        assert schema.read_version(store.conn) == schema.CURRENT_VERSION
        assert schema.written_by(store.conn) == schema.zoo_version()
    assert _user_version(path) == schema.CURRENT_VERSION
    assert {"lease_owner", "heartbeat_at"} <= _columns(path)


def test_the_v0_fixture_store_is_migrated_with_every_run_kept(v0_store):
    with sqlite3.connect(v0_store) as conn:
        before = {r[0]: r[1:] for r in conn.execute(
            "SELECT run_id, status, record, attempts, finished_at FROM runs")}
    assert _user_version(v0_store) == 0 and "lease_owner" not in _columns(v0_store)

    with Store(v0_store) as store:
        assert store.migrated_from == 1
        runs = store.runs("demo")
        statuses = store.statuses("demo")
    assert _user_version(v0_store) == schema.CURRENT_VERSION
    assert {"lease_owner", "heartbeat_at"} <= _columns(v0_store)
    assert {r["run_id"]: (r["status"], json.dumps(r["record"], sort_keys=True),
                          r["attempts"], r["finished_at"]) for r in runs} == {
        rid: (status, json.dumps(json.loads(record), sort_keys=True), attempts, finished)
        for rid, (status, record, attempts, finished) in before.items()}
    assert all(r["record"]["test"]["accuracy"] > 0 and r["lease_owner"] is None for r in runs)
    work = plan(load_suite("demo", overrides=["epochs=1"]), statuses)
    assert work.total == 4 and len(work.done) == 4 and work.tasks == []
    with Store(v0_store) as store:  # opening it again migrates nothing
        assert store.migrated_from == schema.CURRENT_VERSION


def test_a_failed_migration_leaves_the_store_as_it_was(v0_store, monkeypatch):
    def half_then_crash(conn):
        conn.execute("ALTER TABLE runs ADD COLUMN lease_owner TEXT")
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setitem(schema.MIGRATIONS, 1, half_then_crash)
    with pytest.raises(ValueError, match="disk holding .* is full"):
        Store(v0_store)
    assert _user_version(v0_store) == 0
    assert "lease_owner" not in _columns(v0_store)  # the one transaction rolled back


def test_read_only_opening_does_not_migrate(v0_store):
    with Store(v0_store, read_only=True) as store:
        assert store.version == 1 and len(store.runs("demo")) == 4
        assert store.leases() == {}
    assert _user_version(v0_store) == 0


def test_a_store_from_a_newer_zoo_is_refused_with_exit_2(tmp_path, capsys):
    path = str(tmp_path / "future.sqlite")
    with Store(path) as store:
        store.conn.execute("PRAGMA user_version=7")
        store.conn.execute("UPDATE meta SET value='9.1.0' WHERE key='zoo_version'")
    with pytest.raises(StoreVersionError, match="schema version 7") as e:
        Store(path)
    assert "zoo>=9.1.0" in str(e.value) and "pip install -U" in str(e.value)
    for argv in (["results", "--store", path], ["doctor", "--store", path]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "schema version 7" in err and "Traceback" not in err
    assert _user_version(path) == 7  # nothing written
