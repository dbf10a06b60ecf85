"""The results store: one SQLite file, one writer per process, crash-safe.

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
    lease_owner TEXT              the driver running it ("host pid N at TIME"), else NULL
    heartbeat_at REAL             that driver's last beat (unix seconds), else NULL

`suites` — one row per suite: name, description, claim, source (the TOML
text as run), spec (JSON of the validated suite), updated_at.

`meta` — key, value: `zoo_version`, the release that created or last
migrated the store. The schema version is `PRAGMA user_version` (now 2); a
store written before versions existed has 0 there and is version 1.
Opening a store migrates an older one in one transaction and refuses a
newer one (`benchmarks.store.schema`).

A run is written twice: `claim()` inserts (or re-arms) it as `running` with
the driver's lease, and `finish()` replaces its row with the final status
and record, clearing the lease, in one transaction. A crash between the two
leaves a `running` row that a resume redoes once its lease is no longer live
(`benchmarks.store.leases`); a finished row is never lost or duplicated (the
primary key is the run id, the journal is WAL with synchronous=FULL). Two
drivers on one store claim each run atomically (`BEGIN IMMEDIATE`), so each
run is trained once. SQLite and OS errors come out as `StoreError` (a
`ValueError`) saying what is wrong with which file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from typing import Any

from benchmarks.run.record import RECORD_KEYS  # noqa: F401  (the record's fields, re-exported)
from benchmarks.store import schema
from benchmarks.store.errors import StoreError, store_errors
from benchmarks.store.jsonable import plain
from benchmarks.store.leases import lease_ttl, owner_alive

DEFAULT_STORE = os.path.join("runs", "zoo.sqlite")
FINISHED = ("ok", "diverged")
STATUSES = ("running", "ok", "diverged", "failed")
FINAL = FINISHED + ("failed",)  # what a run function may return; `finish` writes these


def _json(value: Any) -> str:
    """JSON with NaN/inf written as null (valid JSON for every reader)."""

    return json.dumps(plain(value), sort_keys=True, default=str)


def lease_is_live(owner: str | None, heartbeat_at: float | None, ttl: float,
                  now: float | None = None) -> bool:
    """Whether a `running` row's lease still reserves it for its driver.

    Live: it has an owner, a heartbeat younger than `ttl`, and its driver is
    not known dead (same host, pid gone: `leases.owner_alive`).
    """
    if not owner or heartbeat_at is None:
        return False
    if heartbeat_at <= (time.time() if now is None else now) - ttl:
        return False
    return owner_alive(owner) is not False


def connect_read_only(path: str) -> sqlite3.Connection:
    """A read-only connection to an existing store file.

    SQLite's read-only mode still needs the `-shm` file beside a WAL store;
    in a read-only folder with no pending `-wal` content the file is read
    as `immutable` instead (then nothing else can be writing it).

    Raises:
        sqlite3.Error: as SQLite raises it (callers wrap it in `store_errors`).
    """
    uri = f"file:{os.path.abspath(path)}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None,
                           check_same_thread=False)
    try:
        conn.execute("PRAGMA user_version").fetchone()
        return conn
    except sqlite3.OperationalError as e:
        conn.close()
        wal = path + "-wal"
        if "readonly" not in str(e) and "unable to open" not in str(e) or (
                os.path.exists(wal) and os.path.getsize(wal) > 0):
            raise
    return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                           check_same_thread=False)


class Store:
    """SQLite results store; one writer per process (the driver).

    Opening it creates the file and its tables, or migrates an older store
    (`benchmarks.store.schema`). Writes are serialized by a lock, so the
    driver's heartbeat thread may share the connection.

    Args:
        path: SQLite file. Defaults to `runs/zoo.sqlite`; parent folders are
            created.
        read_only: Open an existing store without changing it (no migration;
            writes fail). Defaults to False.

    Raises:
        StoreError: (a `ValueError`) when the file is not a store, is
            damaged, cannot be written, or was written by a newer zoo.
        FileNotFoundError: with `read_only`, when there is no such file.

    Example:

    >>> store = Store("runs/zoo.sqlite")
    >>> store.claim("ab12", "demo", "cell1", 0, {"optimizer": "adam"}, owner="me")
    True
    >>> store.finish("ab12", "ok", {"test": {"accuracy": 0.9}})
    >>> store.runs("demo")[0]["status"]
    'ok'
    """

    def __init__(self, path: str = DEFAULT_STORE, read_only: bool = False):
        self.path = str(path)
        self._lock = threading.RLock()
        self.conn, self.migrated_from = None, None
        if os.path.isdir(self.path):
            raise StoreError(f"{self.path} is a folder; --store takes the path of an SQLite "
                             f"file, e.g. {os.path.join(self.path, 'zoo.sqlite')}. "
                             f"Received: store={self.path}")
        if read_only and not os.path.isfile(self.path):
            raise FileNotFoundError(f"No results store at {self.path}: run `zoo bench SUITE "
                                    f"--store {self.path}` first, or pass --store with the path "
                                    f"of a store. Received: store={self.path}")
        with store_errors(self.path, "opening it"):
            if read_only:
                self.conn = connect_read_only(self.path)
            else:
                os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
                self.conn = sqlite3.connect(self.path, timeout=60, isolation_level=None,
                                            check_same_thread=False)
            try:
                if read_only:
                    self.version = schema.check_readable(self.conn, self.path)
                    return
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=FULL")
                self.migrated_from = schema.ensure_current(self.conn, self.path)
                self.version = schema.CURRENT_VERSION
            except BaseException:
                self.conn.close()
                raise

    def close(self) -> None:
        """Closes the connection."""
        if self.conn is not None:
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @contextlib.contextmanager
    def _write(self, doing: str):
        """One `BEGIN IMMEDIATE` transaction under the store's lock; yields the connection."""
        with self._lock, store_errors(self.path, doing):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:  # nothing of this write is kept
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise

    @contextlib.contextmanager
    def _read(self, doing: str = "reading it"):
        with self._lock, store_errors(self.path, doing):
            yield self.conn

    def put_suite(self, name: str, description: str = "", claim: str | None = None,
                  source: str = "", spec: dict | None = None) -> None:
        """Records (or updates) a suite's description and source."""
        with self._write(f"recording suite {name!r}") as conn:
            conn.execute(
                "INSERT INTO suites(name, description, claim, source, spec, updated_at) "
                "VALUES (?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET "
                "description=excluded.description, claim=excluded.claim, source=excluded.source,"
                " spec=excluded.spec, updated_at=excluded.updated_at",
                (name, description, claim, source, _json(spec or {}), time.time()))

    def claim(self, run_id: str, suite: str, cell_id: str, seed: int, config: dict,
              kind: str = "bench", tuner: str | None = None, trial_id: str | None = None,
              owner: str | None = None, ttl: float | None = None, retry_failed: bool = True
              ) -> bool:
        """Marks a run `running` under `owner`'s lease, atomically; says whether it did.

        Not claimed (False): a finished (`ok` / `diverged`) run, a `failed`
        one unless `retry_failed`, and a run under another owner's live lease.
        A `running` row whose lease expired (or that has none: a crashed
        driver of an older zoo) is taken over, `attempts` + 1.

        Args:
            run_id, suite, cell_id, seed, config, kind, tuner, trial_id: The
                run's row (see the module docstring).
            owner: This driver's `leases.driver_identity()`; None claims
                without a lease (nobody else can see who runs it).
            ttl: Lease TTL in seconds. Defaults to `leases.lease_ttl()`.
            retry_failed: Re-arm a `failed` run. Defaults to True.

        Returns:
            True when this call claimed the run.
        """
        ttl, now = lease_ttl(ttl), time.time()
        with self._write(f"claiming run {run_id}") as conn:
            row = conn.execute("SELECT status, lease_owner, heartbeat_at FROM runs WHERE "
                               "run_id=?", (run_id,)).fetchone()
            if row is not None:
                status, holder, beat = row
                if status in FINISHED or (status == "failed" and not retry_failed):
                    return False
                if status == "running" and holder != owner and lease_is_live(holder, beat, ttl,
                                                                               now):
                    return False
            conn.execute(
                "INSERT INTO runs(run_id, suite, kind, cell_id, seed, status, config, attempts,"
                " started_at, tuner, trial_id, lease_owner, heartbeat_at) "
                "VALUES (?,?,?,?,?,'running',?,1,?,?,?,?,?) ON CONFLICT(run_id) DO UPDATE SET "
                "status='running', attempts=attempts+1, started_at=excluded.started_at, "
                "error=NULL, lease_owner=excluded.lease_owner, heartbeat_at=excluded.heartbeat_at",
                (run_id, suite, kind, cell_id, int(seed), _json(config), now, tuner, trial_id,
                 owner, now if owner else None))
            return True

    def beat(self, owner: str) -> int:
        """Renews `owner`'s leases (its `running` rows); returns how many."""
        with self._write("renewing this driver's leases") as conn:
            return conn.execute("UPDATE runs SET heartbeat_at=? WHERE lease_owner=? AND "
                                "status='running'", (time.time(), owner)).rowcount

    def release(self, owner: str) -> int:
        """Drops `owner`'s leases on runs it leaves unfinished (a stopped driver).

        Their rows stay `running`, so any driver redoes them at once.
        """
        with self._write("releasing this driver's leases") as conn:
            return conn.execute("UPDATE runs SET lease_owner=NULL, heartbeat_at=NULL WHERE "
                                "lease_owner=? AND status='running'", (owner,)).rowcount

    def finish(self, run_id: str, status: str, record: dict | None, error: str | None = None
               ) -> None:
        """Writes a run's final status and record, and clears its lease, in one transaction.

        Raises:
            ValueError: for a status that is not final.
            StoreError: when the store cannot be written (e.g. a full disk).
        """
        if status not in FINAL:
            raise ValueError(f"A finished run's status must be ok, diverged or failed. "
                             f"Received: status={status!r}")
        with self._write(f"writing the result of run {run_id}") as conn:
            conn.execute("UPDATE runs SET status=?, record=?, error=?, finished_at=?, "
                         "lease_owner=NULL, heartbeat_at=NULL WHERE run_id=?",
                         (status, _json(record or {}), error, time.time(), run_id))

    def leases(self, suite: str | None = None, ttl: float | None = None) -> dict[str, str]:
        """`{run_id: owner}` of the `running` runs under a live lease."""
        ttl = lease_ttl(ttl)
        if self.version < 2:  # read-only, not migrated: no lease columns yet
            return {}
        sql, args = ("SELECT run_id, lease_owner, heartbeat_at FROM runs WHERE status='running'"
                     " AND lease_owner IS NOT NULL"), ()
        if suite is not None:
            sql, args = sql + " AND suite=?", (suite,)
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        return {rid: owner for rid, owner, beat in rows if lease_is_live(owner, beat, ttl)}

    def statuses(self, suite: str | None = None) -> dict[str, str]:
        """`{run_id: status}` of a suite (or every run)."""
        sql, args = "SELECT run_id, status FROM runs", ()
        if suite is not None:
            sql, args = sql + " WHERE suite=?", (suite,)
        with self._read() as conn:
            return dict(conn.execute(sql, args).fetchall())

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
        with self._read() as conn:
            cur = conn.execute(sql + " ORDER BY suite, started_at, run_id", args)
            cols = [c[0] for c in cur.description]
            rows = cur.fetchall()
        out = []
        for row in rows:
            d = dict(zip(cols, row))
            d["config"] = json.loads(d["config"]) if d["config"] else {}
            d["record"] = json.loads(d["record"]) if d["record"] else {}
            out.append(d)
        return out

    def suite_names(self) -> list[str]:
        """Names of the suites in the store (recorded, or only in `runs`), sorted."""
        with self._read() as conn:
            return sorted({r[0] for r in conn.execute("SELECT name FROM suites")}
                          | {r[0] for r in conn.execute("SELECT DISTINCT suite FROM runs")})

    def suites(self) -> list[dict]:
        """Suite rows as dicts (spec decoded)."""
        with self._read() as conn:
            cur = conn.execute("SELECT * FROM suites ORDER BY name")
            cols = [c[0] for c in cur.description]
            rows = [dict(zip(cols, r)) for r in cur.fetchall()]
        for r in rows:
            r["spec"] = json.loads(r["spec"]) if r["spec"] else {}
        return rows
