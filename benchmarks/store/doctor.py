"""`zoo doctor`: checks a results store without changing it.

It opens the file read-only and reports, one line each: SQLite's
`PRAGMA integrity_check`, the schema version (`benchmarks.store.schema`),
the runs by status, runs left `running` whose driver is gone (no live lease:
*stale*; the next `zoo bench` of their suite redoes them) and the live
leases (which driver runs what, `benchmarks.store.leases`).

Exit codes: 0 healthy; 1 a problem found (integrity errors, stale runs);
2 a store that is missing, not SQLite, unreadable or written by a newer zoo
(raised as `FileNotFoundError` / `StoreError`, which `zoo.cli.main` prints
as one line).

Example:

$ zoo doctor --store runs/zoo.sqlite
zoo doctor: runs/zoo.sqlite
  integrity  ok
  schema     version 2 (current), written by zoo 0.1.0
  runs       4: 4 ok
  stale      none
  leases     none
healthy
"""

from __future__ import annotations

import collections
import dataclasses
import os
import sqlite3
import time

from benchmarks.store import schema
from benchmarks.store.errors import StoreError, store_errors
from benchmarks.store.leases import lease_ttl, short_owner
from benchmarks.store.sqlite import connect_read_only, lease_is_live

EXIT_HEALTHY, EXIT_PROBLEM = 0, 1


@dataclasses.dataclass
class Diagnosis:
    """What `diagnose` found in one store."""

    path: str
    version: int
    written_by: str | None
    integrity: list[str]                      # ["ok"] or SQLite's error lines
    statuses: dict[str, int] | None           # status -> runs (None: unreadable)
    stale: dict[str, int]                     # suite -> runs left running, driver gone
    leases: dict[str, int]                    # owner -> runs it holds (live)
    problems: list[str] = dataclasses.field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def _integrity(conn: sqlite3.Connection) -> list[str]:
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as e:  # too damaged to walk
        return [f"{type(e).__name__}: {e}"]


def _running(conn: sqlite3.Connection, version: int) -> list[tuple]:
    """`(suite, lease_owner, heartbeat_at)` of every `running` row."""
    if version < 2:  # no lease columns: every running row is ownerless
        return [(s, None, None) for (s,) in conn.execute(
            "SELECT suite FROM runs WHERE status='running'")]
    return conn.execute("SELECT suite, lease_owner, heartbeat_at FROM runs "
                        "WHERE status='running'").fetchall()


def diagnose(path: str, ttl: float | None = None) -> Diagnosis:
    """Examines the store at `path` read-only.

    Args:
        path: The store's file.
        ttl: Lease TTL in seconds. Defaults to `leases.lease_ttl()`.

    Returns:
        A `Diagnosis`; `problems` lists what needs doing (empty: healthy).

    Raises:
        FileNotFoundError: when there is no file at `path`.
        StoreError: when it is a folder, not SQLite, not a zoo store, too
            damaged to read its tables, or newer than this zoo.
    """
    ttl = lease_ttl(ttl)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No results store at {path}: nothing to check. Pass the path "
                                f"of a store with --store (`zoo bench` writes runs/zoo.sqlite "
                                f"by default). Received: store={path}")
    if os.path.isdir(path):
        raise StoreError(f"{path} is a folder; --store takes the path of an SQLite file. "
                         f"Received: store={path}")
    with store_errors(path, "reading its header and tables"):
        conn = connect_read_only(path)
        try:
            return _diagnose(conn, path, ttl)
        finally:
            conn.close()


def _diagnose(conn: sqlite3.Connection, path: str, ttl: float) -> Diagnosis:
    version = schema.check_readable(conn, path)
    if version == 0:
        raise StoreError(f"{path} is an SQLite file but not a zoo store: it has no `runs` "
                         f"table. Pass the store written by `zoo bench` with --store. "
                         f"Received: store={path}")
    integrity = _integrity(conn)
    problems = []
    if integrity != ["ok"]:
        problems.append(f"SQLite integrity check failed ({len(integrity)} error(s), first: "
                        f"{integrity[0]}): restore the file from a backup, or salvage the readable "
                        f"rows with `sqlite3 {path} .recover | sqlite3 NEW.sqlite`")
    try:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status"))
        running = _running(conn, version)
    except sqlite3.DatabaseError as e:
        problems.append(f"the runs table cannot be read ({e})")
        statuses, running = None, []
    now = time.time()
    stale, leases = collections.Counter(), collections.Counter()
    for suite, owner, beat in running:
        if lease_is_live(owner, beat, ttl, now):
            leases[owner] += 1
        else:
            stale[suite] += 1
    if stale:
        suites = ", ".join(f"{s}: {n}" for s, n in sorted(stale.items()))
        problems.append(f"{sum(stale.values())} run(s) left `running` by a driver that is gone "
                        f"({suites}): `zoo bench SUITE --store {path}` redoes them")
    return Diagnosis(path, version, schema.written_by(conn), integrity, statuses,
                     dict(stale), dict(leases), problems)


def report_lines(d: Diagnosis) -> list[str]:
    """The lines `zoo doctor` prints for a diagnosis."""
    current = schema.CURRENT_VERSION
    state = ("current" if d.version == current else
             f"older: `zoo bench` migrates it to version {current} when it next opens it")
    if d.statuses is None:
        runs = "unreadable"
    else:
        runs = ", ".join(f"{n} {s}" for s, n in sorted(d.statuses.items()))
        runs = f"{sum(d.statuses.values())}" + (f": {runs}" if runs else "")
    lines = [f"zoo doctor: {d.path}",
             f"  integrity  {'ok' if d.integrity == ['ok'] else '; '.join(d.integrity[:3])}",
             f"  schema     version {d.version} ({state})"
             + (f", written by zoo {d.written_by}" if d.written_by else ""),
             f"  runs       {runs}",
             "  stale      " + (", ".join(f"{n} in {s}" for s, n in sorted(d.stale.items()))
                                + " (running, no live lease)" if d.stale else "none"),
             "  leases     " + ("; ".join(f"{n} run(s) by {short_owner(o)} ({o})"
                                          for o, n in sorted(d.leases.items()))
                                if d.leases else "none")]
    lines += [f"problem: {p}" for p in d.problems]
    lines.append("healthy" if d.healthy else f"{len(d.problems)} problem(s) found")
    return lines


def doctor_command(args) -> int:
    """Runs `zoo doctor [--store PATH]`; returns 0 (healthy) or 1 (a problem found).

    Args:
        args: Parsed arguments with `store`.

    Returns:
        0 when the store is healthy, 1 when `diagnose` found a problem.

    Raises:
        FileNotFoundError / StoreError: a missing or unreadable store (exit 2).

    Example:

    $ zoo doctor --store runs/zoo.sqlite; echo $?
    """
    diagnosis = diagnose(args.store)
    print("\n".join(report_lines(diagnosis)))
    return EXIT_HEALTHY if diagnosis.healthy else EXIT_PROBLEM
