"""Leases: two drivers on one store train each run once; a dead driver's runs are taken over."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from benchmarks.matrix.driver import plan
from benchmarks.store import Store
from benchmarks.store.leases import Heartbeat, driver_identity, lease_ttl
from benchmarks.suite import load_suite
from zoo.cli import build_parser

import conftest
from conftest import write_toml
from fake_runs import fake_ok
from test_bench import SUITE, run_bench

OTHER = "otherhost pid 4242 at 2030-01-01T00:00:00"  # a driver on another machine
SIX = SUITE.replace('batch_size = [32, 64]', 'batch_size = [16, 32, 64]')


def _claim(store, rid, owner, **kw):
    return store.claim(rid, "tiny", "cell", 0, {"optimizer": "sgd"}, owner=owner, **kw)


def _age(store, rid, seconds):
    store.conn.execute("UPDATE runs SET heartbeat_at=heartbeat_at-? WHERE run_id=?",
                       (seconds, rid))


def test_claim_respects_a_live_lease_and_takes_over_an_expired_one(tmp_path):
    with Store(str(tmp_path / "s.sqlite")) as store:
        assert _claim(store, "r1", OTHER)
        assert not _claim(store, "r1", "me pid 1 at now")  # live: another driver has it
        _age(store, "r1", 121)
        assert _claim(store, "r1", "me pid 1 at now", ttl=120)  # expired: taken over
        row = store.runs("tiny")[0]
        assert (row["attempts"], row["lease_owner"], row["status"]) == (
            2, "me pid 1 at now", "running")
        store.finish("r1", "ok", {})
        row = store.runs("tiny")[0]
        assert row["lease_owner"] is None and row["heartbeat_at"] is None
        assert not _claim(store, "r1", OTHER)  # finished: never claimed again


def test_failed_runs_are_claimed_only_with_retry_failed(tmp_path):
    with Store(str(tmp_path / "s.sqlite")) as store:
        assert _claim(store, "r1", "a")
        store.finish("r1", "failed", {}, "boom")
        assert not _claim(store, "r1", "b", retry_failed=False)
        assert _claim(store, "r1", "b", retry_failed=True)


def test_a_dead_driver_on_this_host_loses_its_lease_at_once(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = driver_identity().replace(f"pid {os.getpid()} ", f"pid {proc.stdout.strip()} ")
    with Store(str(tmp_path / "s.sqlite")) as store:
        assert _claim(store, "r1", dead)
        assert store.leases() == {}
        assert _claim(store, "r1", driver_identity())


def test_heartbeat_renews_this_drivers_leases_only(tmp_path):
    with Store(str(tmp_path / "s.sqlite")) as store:
        _claim(store, "mine", "me")
        _claim(store, "theirs", OTHER)
        _age(store, "mine", 100)
        _age(store, "theirs", 100)
        with Heartbeat(store, "me", ttl=0.3):
            deadline = time.time() + 10
            while "mine" not in store.leases(ttl=90) and time.time() < deadline:
                time.sleep(0.02)
        assert store.leases(ttl=90) == {"mine": "me"}


def test_lease_ttl_is_configurable_and_checked(monkeypatch):
    monkeypatch.setenv("ZOO_LEASE_TTL", "30")
    assert lease_ttl() == 30.0 and lease_ttl(5) == 5.0
    monkeypatch.setenv("ZOO_LEASE_TTL", "soon")
    with pytest.raises(ValueError, match="ZOO_LEASE_TTL"):
        lease_ttl()


def _store_with_other_leases(tmp_path, ages):
    """A store where `OTHER` claimed the first runs of the suite, beaten `ages` s ago."""
    path, store_path = write_toml(tmp_path, SUITE, "tiny.toml"), str(tmp_path / "zoo.sqlite")
    suite = load_suite(path)
    todo = plan(suite, {}).runs()
    with Store(store_path) as store:
        for run, age in zip(todo, ages):
            store.claim(run.run_id, "tiny", "cell", run.seed, run.config, owner=OTHER)
            _age(store, run.run_id, age)
    return path, store_path, [run.run_id for run in todo]


def test_bench_skips_live_leases_and_takes_over_expired_ones(tmp_path, capsys):
    path, store_path, ids = _store_with_other_leases(tmp_path, ages=[0, 500])
    args = [path, "--store", store_path, "--workers", "1"]
    assert run_bench(args + ["--dry-run"], fake_ok) == 0
    out = capsys.readouterr().out
    assert "1 run leased by another driver (otherhost pid 4242" in out and "3 to run" in out

    assert run_bench(args, fake_ok) == 0
    out = capsys.readouterr().out
    assert "3 ok" in out and "1 run leased by another driver (otherhost pid 4242" in out
    runs = {r["run_id"]: r for r in conftest.runs_of(store_path, "tiny")}
    assert runs[ids[0]]["status"] == "running" and runs[ids[0]]["lease_owner"] == OTHER
    assert runs[ids[1]]["status"] == "ok" and runs[ids[1]]["attempts"] == 2  # taken over
    assert all(runs[i]["status"] == "ok" and runs[i]["attempts"] == 1 for i in ids[2:])
    assert all(runs[i]["lease_owner"] is None for i in ids[1:])


def _driver(tmp_path, argv, env):
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); "
            f"from benchmarks.cli import bench; from zoo.cli import build_parser; "
            f"sys.exit(bench(build_parser().parse_args({argv!r}), "
            f"run_fn='fake_runs:fake_rendezvous'))")
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_drivers_on_one_store_train_each_run_once(tmp_path):
    path, store = write_toml(tmp_path, SIX, "tiny.toml"), str(tmp_path / "zoo.sqlite")
    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "ZOO_TEST_RENDEZVOUS": str(rendezvous)}
    argv = ["bench", path, "--store", store, "--workers", "1"]
    build_parser().parse_args(argv)
    drivers = [_driver(tmp_path, argv, env) for _ in range(2)]
    outputs = [d.communicate(timeout=240) for d in drivers]
    for driver, (out, err) in zip(drivers, outputs):
        assert driver.returncode == 0, err[-2000:]
    trained = [int(re.search(r"zoo bench tiny: (\d+) ok", out).group(1)) for out, _ in outputs]
    assert sum(trained) == 6 and min(trained) > 0, trained  # none twice; both overlapped
    runs = conftest.runs_of(store, "tiny")
    assert len(runs) == 6 and {r["status"] for r in runs} == {"ok"}
    assert [r["attempts"] for r in runs] == [1] * 6  # every run trained exactly once
    ran = {d.pid: {r["run_id"] for r in runs if r["record"]["driver_pid"] == d.pid}
           for d in drivers}
    assert all(ran.values()), ran  # both drivers trained some (they overlapped)
    assert set.union(*ran.values()) == {r["run_id"] for r in runs}
    assert not set.intersection(*ran.values())
    assert all(r["lease_owner"] is None for r in runs)
