"""Broken stores: one clear line and an exit code, never a traceback, no finished run lost.

Root writes into read-only folders (the tests may run as root), so besides
a real `chmod` case (skipped when the folder stays writable) the read-only
and full-disk cases use a connection that fails its writes as SQLite does.
"""

from __future__ import annotations

import functools
import os
import sqlite3

import pytest

from benchmarks.store import Store, StoreError
from benchmarks.store.doctor import diagnose
from zoo.cli import main

import conftest
from fake_runs import fake_ok
from test_bench import run_bench, write_suite


def _zoo(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def _finished_store(path, runs=3, pad=0):
    with Store(path) as store:
        for i in range(runs):
            store.claim(f"r{i}", "tiny", "cell", i, {"optimizer": "sgd"}, owner="me")
            store.finish(f"r{i}", "ok", {"test": {"accuracy": 0.5}, "pad": "z" * pad})
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _every_command_exits_2(tmp_path, store, capsys, says):
    suite = write_suite(tmp_path)
    for argv in (["bench", suite, "--store", store], ["bench", suite, "--store", store,
                                                      "--dry-run"],
                 ["results", "--store", store], ["doctor", "--store", store]):
        code, _, err = _zoo(argv, capsys)
        assert code == 2, argv
        assert says in err and store in err, err
        assert len(err.strip().splitlines()) == 1, err


def test_a_text_file_is_not_a_store(tmp_path, capsys):
    store = tmp_path / "notes.sqlite"
    store.write_text("my notes, not a database\n")
    _every_command_exits_2(tmp_path, str(store), capsys, "is not a zoo store")
    assert store.read_text() == "my notes, not a database\n"  # left as it was


def test_a_truncated_store_is_reported_as_damaged(tmp_path, capsys):
    store = _finished_store(str(tmp_path / "zoo.sqlite"), runs=200, pad=500)
    with open(store, "r+b") as f:
        f.truncate(os.path.getsize(store) // 2)
    _every_command_exits_2(tmp_path, store, capsys, "is damaged (truncated or corrupt)")


def test_doctor_on_a_healthy_store_exits_0(tmp_path, capsys):
    store = _finished_store(str(tmp_path / "zoo.sqlite"))
    with Store(store) as s:
        s.claim("live", "tiny", "cell", 9, {}, owner="otherhost pid 7 at 2030-01-01T00:00:00")
    code, out, _ = _zoo(["doctor", "--store", store], capsys)
    assert code == 0, out
    assert "integrity  ok" in out and "version 2 (current)" in out and "3 ok" in out
    assert "1 run(s) by otherhost pid 7" in out and out.strip().endswith("healthy")


def test_doctor_finds_a_stale_running_row(tmp_path, capsys):
    store = _finished_store(str(tmp_path / "zoo.sqlite"))
    with Store(store) as s:
        s.claim("stale", "tiny", "cell", 9, {}, owner="otherhost pid 7 at 2030-01-01T00:00:00")
        s.conn.execute("UPDATE runs SET heartbeat_at=heartbeat_at-3600 WHERE run_id='stale'")
    code, out, _ = _zoo(["doctor", "--store", store], capsys)
    assert code == 1
    assert "1 in tiny (running, no live lease)" in out and "1 problem(s) found" in out
    assert "zoo bench SUITE --store" in out


def test_doctor_finds_a_corrupt_file(tmp_path, capsys):
    store = _finished_store(str(tmp_path / "zoo.sqlite"), runs=200, pad=500)
    with open(store, "r+b") as f:
        f.seek(os.path.getsize(store) // 2)
        f.write(b"\xff" * 3000)
    code, out, _ = _zoo(["doctor", "--store", store], capsys)
    assert code == 1
    assert "SQLite integrity check failed" in out and ".recover" in out
    assert not diagnose(store).healthy


def test_doctor_on_a_missing_store_exits_2(tmp_path, capsys):
    code, _, err = _zoo(["doctor", "--store", str(tmp_path / "nope.sqlite")], capsys)
    assert code == 2 and "No results store at" in err


class _FailingWrites(sqlite3.Connection):
    """A connection whose matching statements fail as SQLite fails them."""

    message, match, after = "", "", 0

    def execute(self, sql, *args):
        if sql.startswith(type(self).match):
            type(self).after -= 1
            if type(self).after < 0:
                raise sqlite3.OperationalError(type(self).message)
        return super().execute(sql, *args)


def _failing(monkeypatch, message, match, after=0):
    failing = type("Failing", (_FailingWrites,), {"message": message, "match": match,
                                                  "after": after})
    monkeypatch.setattr(sqlite3, "connect", functools.partial(sqlite3.connect, factory=failing))


def test_a_full_disk_stops_the_bench_and_loses_no_finished_run(tmp_path, monkeypatch):
    suite, store = write_suite(tmp_path), str(tmp_path / "zoo.sqlite")
    args = [suite, "--store", store, "--workers", "1"]
    with monkeypatch.context() as m:
        _failing(m, "database or disk is full", "UPDATE runs SET status", after=2)
        with pytest.raises(StoreError, match="disk holding .*zoo.sqlite is full") as e:
            run_bench(args, fake_ok)
    assert "Free some space and rerun" in str(e.value)
    runs = conftest.runs_of(store, "tiny")
    assert sorted(r["status"] for r in runs) == ["ok", "ok", "running"]
    assert all(r["lease_owner"] is None for r in runs)  # released: a rerun redoes it at once
    assert run_bench(args, fake_ok) == 0
    runs = conftest.runs_of(store, "tiny")
    assert len(runs) == 4 and {r["status"] for r in runs} == {"ok"}
    assert sorted(r["attempts"] for r in runs) == [1, 1, 1, 2]


def test_a_read_only_store_gives_one_line_and_still_reads(tmp_path, monkeypatch, capsys):
    suite, store = write_suite(tmp_path), _finished_store(str(tmp_path / "zoo.sqlite"))
    _failing(monkeypatch, "attempt to write a readonly database", "BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="cannot be written") as e:
        run_bench([suite, "--store", store, "--workers", "1"], fake_ok)
    assert "make it writable, or pass --store" in str(e.value)
    code, out, _ = _zoo(["results", "--store", store], capsys)
    assert code == 0 and "r0" in out  # reading needs no write
    assert _zoo(["doctor", "--store", store], capsys)[0] == 0


def test_a_read_only_folder_exits_2(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir()
    suite, store = write_suite(tmp_path), str(folder / "zoo.sqlite")
    _finished_store(store)
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("this user (root) may write into read-only folders")
        for path in (store, str(folder / "new.sqlite")):
            code, _, err = _zoo(["bench", suite, "--store", path, "--workers", "1"], capsys)
            assert code == 2 and "cannot be written" in err and path in err, err
        code, out, _ = _zoo(["results", "--store", store, "--format", "csv"], capsys)
        assert code == 0 and out.count(",ok,") == 3  # reading needs no write
    finally:
        folder.chmod(0o755)
    assert len(conftest.runs_of(store, "tiny")) == 3
