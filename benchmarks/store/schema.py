"""The store's schema versions and the migrations between them.

The version is SQLite's `PRAGMA user_version` (an integer in the file's
header, written in the same transaction as the tables), and table `meta`
(`key`, `value`) records `zoo_version`: the zoo release that created the
store or last migrated it, i.e. the oldest release that reads it.

- version 1: the stores written before versions existed (`user_version` 0
  and a `runs` table): `runs` and `suites` as in `sqlite.py`'s docstring.
- version 2: `runs` gains the lease columns `lease_owner` (the driver that
  runs it: "host pid N at TIME") and `heartbeat_at` (unix seconds of its
  last beat); table `meta`.

Opening a store (`ensure_current`) creates a new file at `CURRENT_VERSION`,
migrates an older one in ONE `BEGIN IMMEDIATE` transaction (every step and
the new version commit together, or nothing changes), and refuses a newer
one with `StoreVersionError`: that store was written by a newer zoo.

Example:

>>> conn = sqlite3.connect("runs/zoo.sqlite", isolation_level=None)
>>> ensure_current(conn, "runs/zoo.sqlite")   # the version it had
1
>>> read_version(conn)
2
"""

from __future__ import annotations

import sqlite3

from benchmarks.store.errors import StoreVersionError

CURRENT_VERSION = 2

# The current schema, created in a new store.
TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    suite TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'bench',
    cell_id TEXT NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    record TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    started_at REAL,
    finished_at REAL,
    tuner TEXT,
    trial_id TEXT,
    lease_owner TEXT,
    heartbeat_at REAL
);
CREATE INDEX IF NOT EXISTS runs_suite ON runs(suite, status);
CREATE TABLE IF NOT EXISTS suites (
    name TEXT PRIMARY KEY,
    description TEXT,
    claim TEXT,
    source TEXT,
    spec TEXT,
    updated_at REAL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Adds the lease columns and the `meta` table."""
    columns = {r[1] for r in conn.execute("PRAGMA table_info(runs)")}
    for name, kind in (("lease_owner", "TEXT"), ("heartbeat_at", "REAL")):
        if name not in columns:
            conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {kind}")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")


# MIGRATIONS[v] turns a version-v store into a version v + 1 one.
MIGRATIONS = {1: _v1_to_v2}


def zoo_version() -> str:
    """The installed zoo release ("unknown" when not installed)."""
    try:
        from importlib.metadata import version

        return version("zoo")
    except Exception:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def read_version(conn: sqlite3.Connection) -> int:
    """The schema version of an open store: 0 for an empty file, 1 for a store
    written before versions existed, else `PRAGMA user_version`."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        return 1 if "runs" in _tables(conn) else 0
    return int(version)


def written_by(conn: sqlite3.Connection) -> str | None:
    """The zoo release recorded in `meta` (None when there is none)."""
    if "meta" not in _tables(conn):
        return None
    row = conn.execute("SELECT value FROM meta WHERE key='zoo_version'").fetchone()
    return row[0] if row else None


def check_readable(conn: sqlite3.Connection, path: str) -> int:
    """Returns the store's version; raises when this zoo is too old for it.

    Raises:
        StoreVersionError: for a version newer than `CURRENT_VERSION`.
    """
    version = read_version(conn)
    if version > CURRENT_VERSION:
        release = written_by(conn)
        upgrade = f"pip install -U 'zoo>={release}'" if release else "pip install -U zoo"
        raise StoreVersionError(
            f"The store {path} has schema version {version}, written by zoo "
            f"{release or '(a newer release)'}; this zoo ({zoo_version()}) reads versions up to "
            f"{CURRENT_VERSION}. Upgrade zoo (`{upgrade}`) or pass another --store. "
            f"Received: store={path}, version={version}")
    return version


def ensure_current(conn: sqlite3.Connection, path: str) -> int:
    """Creates or migrates the store's tables to `CURRENT_VERSION` in one transaction.

    Args:
        conn: A connection in autocommit mode (`isolation_level=None`).
        path: The store's path, for messages.

    Returns:
        The version the store had before (0 for a new store).

    Raises:
        StoreVersionError: when the store is newer than this zoo.
    """
    if read_version(conn) == CURRENT_VERSION:  # the common case: no write lock taken
        return CURRENT_VERSION
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = check_readable(conn, path)  # again, under the lock: another driver may
        if before == 0:                      # have migrated it meanwhile
            for statement in TABLES.split(";"):
                if statement.strip():
                    conn.execute(statement)
        for version in range(before, CURRENT_VERSION) if before else ():
            MIGRATIONS[version](conn)
        if before != CURRENT_VERSION:
            conn.execute(f"PRAGMA user_version={CURRENT_VERSION}")
            conn.execute("INSERT INTO meta(key, value) VALUES ('zoo_version', ?) ON CONFLICT(key)"
                         " DO UPDATE SET value=excluded.value", (zoo_version(),))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return before
