"""The results store: one SQLite file, one writer, crash-safe.

Schema (the contract `reports/` reads with `pandas.read_sql`):

`runs` — one row per run (one cell x one seed, or one tuning trial):
    run_id      TEXT PRIMARY KEY  stable hash of resolved config + seed + versions
    suite       TEXT              suite (or tuning space) name
    kind        TEXT              "bench" or "tune"
    cell_id     TEXT              hash of the resolved config without the seed
    seed        INTEGER
    status      TEXT              "running" | "ok" | "diverged" | "failed"
    config      TEXT (JSON)       the resolved config (every axis, model, dataset, epochs)
    record      TEXT (JSON)       everything measured: `benchmarks.run.record.FIELDS`
    error       TEXT              message of a failed run (traceback tail)
    attempts    INTEGER           how many times the run was started
    started_at  REAL, finished_at REAL (unix seconds)
    tuner       TEXT, trial_id TEXT (tuning trials only)

`suites` — one row per suite: name, description, claim, source (the TOML
text as run), spec (JSON of the validated suite), updated_at.

A run is written twice: `claim()` inserts (or re-arms) it as `running`, and
`finish()` replaces its row with the final status and record in one
transaction. A crash between the two leaves a `running` row that a resume
redoes; a finished row is never lost or duplicated (the primary key is the
run id, the journal is WAL with synchronous=FULL).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any, Iterable

from benchmarks.run.record import RECORD_KEYS  # noqa: F401  (the record's fields, re-exported)
from benchmarks.store.jsonable import plain

DEFAULT_STORE = os.path.join("runs", "zoo.sqlite")
FINISHED = ("ok", "diverged")
STATUSES = ("running", "ok", "diverged", "failed")

_SCHEMA = """
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
    trial_id TEXT
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
"""


def _json(value: Any) -> str:
    """JSON with NaN/inf written as null (valid JSON for every reader)."""

    return json.dumps(plain(value), sort_keys=True, default=str)


class Store:
    """SQLite results store; use it from one process (the writer).

    Args:
        path: SQLite file. Defaults to `runs/zoo.sqlite`; parent folders are
            created.

    Example:

    >>> store = Store("runs/zoo.sqlite")
    >>> store.claim("ab12", "demo", "cell1", 0, {"optimizer": "adam"})
    >>> store.finish("ab12", "ok", {"test": {"accuracy": 0.9}})
    >>> store.runs("demo")[0]["status"]
    'ok'
    """

    def __init__(self, path: str = DEFAULT_STORE):
        self.path = str(path)
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Closes the connection."""
        self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _tx(self, sql: str, params: Iterable = ()) -> None:
        with self.conn:  # isolation_level=None: explicit BEGIN/COMMIT below
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.execute(sql, tuple(params))
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def put_suite(self, name: str, description: str = "", claim: str | None = None,
                  source: str = "", spec: dict | None = None) -> None:
        """Records (or updates) a suite's description and source."""
        self._tx(
            "INSERT INTO suites(name, description, claim, source, spec, updated_at) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET description=excluded.description,"
            " claim=excluded.claim, source=excluded.source, spec=excluded.spec,"
            " updated_at=excluded.updated_at",
            (name, description, claim, source, _json(spec or {}), time.time()),
        )

    def claim(self, run_id: str, suite: str, cell_id: str, seed: int, config: dict,
              kind: str = "bench", tuner: str | None = None, trial_id: str | None = None) -> None:
        """Marks a run `running` (inserting it, or re-arming a failed/stale row).

        A finished (`ok` / `diverged`) run is left untouched.
        """
        self._tx(
            "INSERT INTO runs(run_id, suite, kind, cell_id, seed, status, config, attempts,"
            " started_at, tuner, trial_id) VALUES (?,?,?,?,?,'running',?,1,?,?,?) "
            "ON CONFLICT(run_id) DO UPDATE SET status='running', attempts=attempts+1,"
            " started_at=excluded.started_at, error=NULL WHERE status NOT IN ('ok','diverged')",
            (run_id, suite, kind, cell_id, int(seed), _json(config), time.time(), tuner,
             trial_id),
        )

    def finish(self, run_id: str, status: str, record: dict | None, error: str | None = None
               ) -> None:
        """Writes a run's final status and record in one transaction.

        Raises:
            ValueError: for a status that is not final.
        """
        if status not in ("ok", "diverged", "failed"):
            raise ValueError(f"A finished run's status must be ok, diverged or failed. "
                             f"Received: status={status!r}")
        self._tx(
            "UPDATE runs SET status=?, record=?, error=?, finished_at=? WHERE run_id=?",
            (status, _json(record or {}), error, time.time(), run_id),
        )

    def statuses(self, suite: str | None = None) -> dict[str, str]:
        """`{run_id: status}` of a suite (or every run)."""
        sql, args = "SELECT run_id, status FROM runs", ()
        if suite is not None:
            sql, args = sql + " WHERE suite=?", (suite,)
        return dict(self.conn.execute(sql, args).fetchall())

    def runs(self, suite: str | None = None, kind: str | None = None) -> list[dict]:
        """Runs as dicts with `config` and `record` decoded from JSON."""
        where, args = [], []
        if suite is not None:
            where.append("suite=?")
            args.append(suite)
        if kind is not None:
            where.append("kind=?")
            args.append(kind)
        sql = "SELECT * FROM runs" + (" WHERE " + " AND ".join(where) if where else "")
        cur = self.conn.execute(sql + " ORDER BY suite, started_at, run_id", args)
        cols = [c[0] for c in cur.description]
        out = []
        for row in cur.fetchall():
            d = dict(zip(cols, row))
            d["config"] = json.loads(d["config"]) if d["config"] else {}
            d["record"] = json.loads(d["record"]) if d["record"] else {}
            out.append(d)
        return out

    def suites(self) -> list[dict]:
        """Suite rows as dicts (spec decoded)."""
        cur = self.conn.execute("SELECT * FROM suites ORDER BY name")
        cols = [c[0] for c in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        for r in rows:
            r["spec"] = json.loads(r["spec"]) if r["spec"] else {}
        return rows
