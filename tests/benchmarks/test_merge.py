"""`zoo merge`: stores of several machines into one (benchmarks/store/merge.py).

The stores are written with `Store.claim/finish` and fake records (no
training): two "machines" with overlapping runs, a conflict, running and
failed rows.
"""

import sqlite3

import pytest

from benchmarks.store import Store
from benchmarks.store.merge import merge, strip
from zoo.cli import main


def fake_record(accuracy: float, wall_time: float = 1.0, hostname: str = "a") -> dict:
    return {"test": {"accuracy": accuracy, "loss": 1 - accuracy},
            "history": {"loss": [0.9, 0.5], "val_loss": [1.0, 0.6]},
            "target": {"metric": "val_accuracy", "value": 0.5, "epoch": 2,
                       "seconds": wall_time / 2},
            "wall_time": wall_time, "epoch_times": [wall_time / 2] * 2,
            "host": {"hostname": hostname}, "options": {"threads": 2, "jit_compile": False}}


def write(path, runs, suite_description="demo suite"):
    """`runs`: (run_id, status, record or None, error or None); status None = left running."""
    with Store(str(path)) as store:
        store.put_suite("demo", description=suite_description, source="epochs = 1")
        for i, (run_id, status, rec, error) in enumerate(runs):
            store.claim(run_id, "demo", f"cell{run_id}", i, {"optimizer": "adam", "seed": i})
            if status is not None:
                store.finish(run_id, status, rec, error)
    return str(path)


def rows(path) -> dict:
    """`{run_id: (status, record, error, attempts)}` of a store, read raw."""
    with sqlite3.connect(path) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT run_id, status, record, error, attempts FROM runs")}


@pytest.fixture
def machines(tmp_path):
    """Machine A: r1 ok, r2 ok, r3 failed, r4 running. Machine B: r2 ok with another
    accuracy (a conflict), r3 ok (beats A's failure), r5 ok with A's r1 timings
    differing only, r6 running, r1 the same run with other timings and host."""
    a = write(tmp_path / "a.sqlite", [
        ("r1", "ok", fake_record(0.9), None),
        ("r2", "ok", fake_record(0.8), None),
        ("r3", "failed", {}, "OOM"),
        ("r4", None, None, None),
    ])
    b = write(tmp_path / "b.sqlite", [
        ("r1", "ok", fake_record(0.9, wall_time=7.0, hostname="b"), None),
        ("r2", "ok", fake_record(0.7), None),
        ("r3", "ok", fake_record(0.6), None),
        ("r5", "diverged", fake_record(0.1), None),
        ("r6", None, None, None),
    ], suite_description="demo suite, newer")
    return a, b, str(tmp_path / "all.sqlite")


def test_merge_is_the_union_of_finished_runs(machines):
    a, b, dest = machines
    report = merge([a, b], dest)
    merged = rows(dest)
    assert sorted(merged) == ["r1", "r2", "r3", "r5"]  # r4, r6 were running: not copied
    assert merged["r3"][0] == "ok"  # B's finished row beat A's failure
    assert merged["r5"][0] == "diverged"
    assert merged["r2"][1] == rows(a)["r2"][1]  # conflict: the first seen row is kept
    assert [s.running for s in report.sources] == [1, 1]
    assert [(s.added, s.replaced, s.unchanged) for s in report.sources] == [(3, 0, 0),
                                                                         (1, 1, 2)]
    with Store(dest) as store:
        assert [s["description"] for s in store.suites()] == ["demo suite, newer"]


def test_the_newest_suite_row_wins_in_any_order(machines, tmp_path):
    a, b, _ = machines
    for i, order in enumerate(([a, b], [b, a])):
        dest = str(tmp_path / f"order{i}.sqlite")
        merge(order, dest)
        with Store(dest) as store:
            assert [s["description"] for s in store.suites()] == ["demo suite, newer"]


def test_merge_reports_a_conflict_but_not_timing_differences(machines):
    a, b, dest = machines
    report = merge([a, b], dest)
    assert [(c.run_id, c.kept_from, c.dropped_from) for c in report.conflicts] == [("r2", a, b)]
    assert report.conflicts[0].keys == ["test"]  # r1 differs only in timings and host


def test_merging_twice_changes_nothing(machines, capsys):
    a, b, dest = machines
    assert main(["merge", a, b, "--into", dest]) == 0
    first, out = rows(dest), capsys.readouterr().out
    assert "r2 (demo): differs in test" in out
    with Store(dest) as store:
        suites = store.suites()
    again = merge([a, b, dest], dest)  # DEST among the sources (a glob) is skipped
    assert rows(dest) == first
    with Store(dest) as store:
        assert store.suites() == suites
    assert again.changed == 0 and again.sources[2].skipped
    assert [c.run_id for c in again.conflicts] == ["r2"]  # still both rows: still reported


def test_failed_rows_are_copied_but_never_replace_a_finished_run(tmp_path, machines):
    a, b, _ = machines
    dest = str(tmp_path / "other.sqlite")
    merge([b], dest)
    merge([a], dest)  # A's failed r3 arrives after B's finished r3
    assert rows(dest)["r3"][0] == "ok"
    only_a = str(tmp_path / "only_a.sqlite")
    merge([a], only_a)
    assert rows(only_a)["r3"][:1] + rows(only_a)["r3"][2:3] == ("failed", "OOM")


def test_attempts_keep_the_maximum(tmp_path):
    a = write(tmp_path / "a.sqlite", [("r1", "failed", {}, "boom")])
    with Store(a) as store:  # retried twice more on machine A, then finished
        for _ in range(2):
            store.claim("r1", "demo", "cellr1", 0, {"optimizer": "adam", "seed": 0})
        store.finish("r1", "ok", fake_record(0.9))
    b = write(tmp_path / "b.sqlite", [("r1", "ok", fake_record(0.9), None)])
    dest = str(tmp_path / "all.sqlite")
    merge([b, a], dest)
    merge([b, a], dest)
    assert rows(dest)["r1"][3] == 3


def test_float32_round_off_is_not_a_conflict(tmp_path):
    noisy = fake_record(0.9)
    noisy["history"]["loss"][1] *= 1 + 2e-7  # the same run packed: float32 round-off
    noisy["history"]["val_loss"][1] += 5e-7
    a = write(tmp_path / "a.sqlite", [("r1", "ok", fake_record(0.9), None),
                                      ("r2", "ok", fake_record(0.9), None)])
    b = write(tmp_path / "b.sqlite", [("r1", "ok", noisy, None),
                                      ("r2", "ok", fake_record(0.9 + 1e-4), None)])
    assert [c.run_id for c in merge([a, b], str(tmp_path / "all.sqlite")).conflicts] == ["r2"]


def test_a_source_that_breaks_the_schema_is_rolled_back_whole(tmp_path, machines, capsys):
    a, _, dest = machines
    broken = str(tmp_path / "broken.sqlite")  # a hand-made `runs` table without constraints
    with sqlite3.connect(broken) as conn:
        conn.execute("CREATE TABLE runs (run_id, suite, cell_id, seed, status, config, record)")
        conn.executemany("INSERT INTO runs VALUES (?, 'demo', 'c', 0, 'ok', ?, '{}')",
                         [("x1", "{}"), ("x2", None)])  # x2: no config, DEST refuses it
    assert main(["merge", a, broken, "--into", dest]) == 2
    assert "nothing of it was merged" in capsys.readouterr().err
    assert sorted(rows(dest)) == ["r1", "r2", "r3"]  # A merged, none of broken (not even x1)


def test_strip_drops_timing_keys_at_any_depth():
    assert strip({"test": {"loss": 0.5}, "wall_time": 3, "target": {"epoch": 1, "seconds": 2},
                  "options": {"threads": 2, "jit_compile": True}}) == {
        "test": {"loss": 0.5}, "target": {"epoch": 1}, "options": {"jit_compile": True}}


@pytest.mark.parametrize("kind", ["missing", "text", "other_sqlite"])
def test_a_bad_source_exits_2_and_leaves_dest_alone(tmp_path, machines, capsys, kind):
    a, _, dest = machines
    bad = tmp_path / "bad.sqlite"
    if kind == "text":
        bad.write_text("not a database, just text " * 100)
    elif kind == "other_sqlite":
        with sqlite3.connect(bad) as conn:
            conn.execute("CREATE TABLE things (x)")
    assert main(["merge", a, str(bad), "--into", dest]) == 2
    err = capsys.readouterr().err
    assert "zoo merge: error:" in err and f"Received: source={str(bad)!r}" in err
    assert not (tmp_path / "all.sqlite").exists()  # checked before DEST is created


def test_dest_that_is_not_a_store_exits_2(tmp_path, machines, capsys):
    a, _, _ = machines
    dest = tmp_path / "notes.sqlite"
    dest.write_text("my notes " * 100)
    assert main(["merge", a, "--into", str(dest)]) == 2
    assert "Received: into=" in capsys.readouterr().err
    assert dest.read_text().startswith("my notes")
