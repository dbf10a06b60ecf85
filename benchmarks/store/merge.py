"""`zoo merge SRC... --into DEST`: one store from the stores of several machines.

Each machine of a distributed benchmark or tuning search keeps its own SQLite
store; merging copies their runs into one store that `zoo report` and
`zoo results` read as if everything had run in one place.

Rules, for each run of each source (a run is keyed by its `run_id`, which is
the same on every machine for the same config, seed and library versions):

- `running` rows are never copied: they are in flight, or a crash leftover
  that the machine's next `zoo bench` redoes.
- `ok` / `diverged` rows are copied. They replace a `running` or `failed` row
  of DEST: a finished run wins over a failed attempt of it.
- `failed` rows are copied too, but only where DEST has no row or a `running`
  row: DEST then knows the run failed (its error is kept, reports show it and
  `zoo bench --retry-failed --store DEST` retries it), and a later merge of a
  finished row replaces it. A failed row never replaces a finished or failed
  row of DEST.
- The same run finished in DEST and in a source keeps DEST's row (so, within
  one merge, the row of the first source that had it). If the two records
  differ once the fields that describe the machine or the timing are left out
  (`IGNORED_KEYS`, at any depth: wall and epoch times, throughput, MFU, peak
  memory, host, library versions, threads, packing), or their statuses differ
  (`ok` vs `diverged`), the run is reported as a conflict; nothing is
  overwritten. Numbers are equal within float32 round-off (`REL_TOL` 1e-5,
  `ABS_TOL` 1e-6): the demo suite trained packed and unpacked differs by
  up to 5e-7 (the float32 spacing of losses near 2, kept by differences of
  them such as `gen_gap_loss`), which is not a different result.
- `attempts` becomes the maximum of the two rows (a sum would count a run
  again at every merge, and merging must be idempotent).
- Suite rows (`suites` table) are upserted; the row with the newest
  `updated_at` wins (DEST's on a tie).

Merging is idempotent: merging the same sources again adds, replaces and
updates nothing (the conflicts are listed again, since both rows still
exist). Each source is merged in one transaction, so a crash leaves DEST as
it was before that source or with that source fully merged. Sources are
opened read-only (`file:...?mode=ro`) and all are checked before DEST is
touched; a source that is DEST itself is skipped (so `zoo merge runs/*.sqlite
--into runs/all.sqlite` can be repeated).

Example:

>>> report = merge(["runs/laptop.sqlite", "runs/server.sqlite"], into="runs/all.sqlite")
>>> report.total("added"), [c.run_id for c in report.conflicts]
(48, [])
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import sqlite3

from benchmarks.store.sqlite import FINISHED, Store

# Record keys (at any depth) that differ between machines running the same run:
IGNORED_KEYS = frozenset({
    "wall_time", "compile_time", "first_epoch_time", "epoch_times", "train_times",
    "samples_per_sec", "mfu", "peak_memory_mb", "seconds",  # timing (`target.seconds` too)
    "host", "versions", "peak_flops", "threads", "packed",  # where and how it was executed
})
REL_TOL, ABS_TOL = 1e-5, 1e-6  # numbers this close are the same result (float32 round-off)
SUITE_COLUMNS = ("name", "description", "claim", "source", "spec", "updated_at")


@dataclasses.dataclass
class Conflict:
    """One run finished in two stores with different records.

    Attributes:
        run_id: The run.
        suite: Its suite.
        kept_from: Where the kept row came from: DEST's path, or the source
            that brought it earlier in this merge.
        dropped_from: The source whose row was not copied.
        keys: The record keys (plus `status`) that differ.
    """

    run_id: str
    suite: str
    kept_from: str
    dropped_from: str
    keys: list[str]


@dataclasses.dataclass
class SourceResult:
    """What merging one source did (counts of runs unless said otherwise)."""

    path: str
    added: int = 0        # new in DEST
    replaced: int = 0     # a running / failed row of DEST replaced
    unchanged: int = 0    # already in DEST (same record, or DEST's row wins)
    running: int = 0      # running rows, not copied
    attempts: int = 0     # DEST rows whose `attempts` went up
    suites: int = 0       # suite rows added or updated
    conflicts: list[Conflict] = dataclasses.field(default_factory=list)
    skipped: str | None = None  # why the whole source was skipped

    @property
    def changed(self) -> int:
        """Rows of DEST this source added or changed."""
        return self.added + self.replaced + self.attempts + self.suites


@dataclasses.dataclass
class MergeReport:
    """The result of `merge`: one `SourceResult` per source, in order."""

    into: str
    sources: list[SourceResult]

    def total(self, name: str) -> int:
        """Sum of one `SourceResult` count over the sources, e.g. `total("added")`."""
        return sum(getattr(s, name) for s in self.sources)

    @property
    def conflicts(self) -> list[Conflict]:
        """Every conflict, in the order found."""
        return [c for s in self.sources for c in s.conflicts]

    @property
    def changed(self) -> int:
        return self.total("changed")


def strip(record, ignored=IGNORED_KEYS):
    """A record without the keys in `ignored`, at any depth (the compared part).

    Example:

    >>> strip({"test": {"loss": 0.1}, "wall_time": 3.0, "target": {"epoch": 2, "seconds": 9}})
    {'test': {'loss': 0.1}, 'target': {'epoch': 2}}
    """
    if isinstance(record, dict):
        return {k: strip(v, ignored) for k, v in record.items() if k not in ignored}
    if isinstance(record, list):
        return [strip(v, ignored) for v in record]
    return record


def same(a, b, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> bool:
    """Whether two JSON values are equal, numbers within `rel_tol` or `abs_tol`.

    Example:

    >>> same({"loss": [1.0, 0.5]}, {"loss": [1.0000001, 0.5]}), same(0.8, 0.7)
    (True, False)
    """
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel_tol, abs_tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel_tol, abs_tol) for x, y in zip(a, b))
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    return a == b


def _differences(dest: dict, src: dict) -> list[str]:
    """Keys (plus "status") in which two finished rows differ; [] when the same run."""
    a, b = (strip(json.loads(r["record"] or "{}")) for r in (dest, src))
    keys = sorted(k for k in a.keys() | b.keys() if not same(a.get(k), b.get(k)))
    return (["status"] if dest["status"] != src["status"] else []) + keys


@contextlib.contextmanager
def _read_only(path: str, role: str = "source"):
    """A read-only connection to a zoo store; ValueError when it is not one.

    Args:
        path: The store's path.
        role: "source" or "into": the argument named in the error message.
    """
    if not os.path.isfile(path):
        raise ValueError(f"No results store at {path!r}. Expected an SQLite file written by "
                         f"`zoo bench` or `zoo tune`; check the path. Received: {role}={path!r}")
    conn = sqlite3.connect(f"file:{os.path.abspath(path)}?mode=ro", uri=True, timeout=60)
    conn.row_factory = sqlite3.Row
    try:
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as e:
            raise ValueError(f"{path!r} is not an SQLite file ({e}). Expected a results store "
                             f"written by `zoo bench`. Received: {role}={path!r}") from e
        if "runs" not in tables:
            raise ValueError(f"{path!r} is not a zoo results store: it has no `runs` table. "
                             f"Expected a store written by `zoo bench` (or a new path for DEST). "
                             f"Received: {role}={path!r}")
        yield conn, tables
    finally:
        conn.close()


def _check(path: str, role: str = "source") -> None:
    with _read_only(path, role):
        pass


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection):
    """BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error (`Store` autocommits)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _copy_run(conn: sqlite3.Connection, row: dict) -> None:
    """Inserts a run, or replaces DEST's row of it (`attempts` = the max of both)."""
    cols = list(row)
    updates = ", ".join(f"{c}=excluded.{c}" for c in cols if c not in ("run_id", "attempts"))
    conn.execute(
        f"INSERT INTO runs({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
        f"ON CONFLICT(run_id) DO UPDATE SET {updates}, "
        f"attempts=MAX(runs.attempts, excluded.attempts)", [row[c] for c in cols])


def _merge_runs(conn, rows, result: SourceResult, origin: dict[str, str], into: str) -> None:
    """Applies the module's rules to each source row (inside the caller's transaction)."""
    for row in rows:
        run_id = row["run_id"]
        if row["status"] == "running":
            result.running += 1
            continue
        found = conn.execute("SELECT status, record, attempts FROM runs WHERE run_id=?",
                             (run_id,)).fetchone()
        dest = None if found is None else dict(zip(("status", "record", "attempts"), found))
        if dest is None or dest["status"] == "running" or (
                dest["status"] == "failed" and row["status"] in FINISHED):
            _copy_run(conn, row)
            result.added += dest is None
            result.replaced += dest is not None
            origin[run_id] = result.path
            continue
        result.unchanged += 1
        if dest["status"] in FINISHED and row["status"] in FINISHED:
            keys = _differences(dest, row)
            if keys:
                result.conflicts.append(Conflict(run_id, row["suite"],
                                                 origin.get(run_id, into), result.path, keys))
        if (row.get("attempts") or 0) > (dest["attempts"] or 0):
            conn.execute("UPDATE runs SET attempts=? WHERE run_id=?", (row["attempts"], run_id))
            result.attempts += 1


def _merge_suites(conn, rows, result: SourceResult) -> None:
    """Upserts suite rows; the newest `updated_at` wins (DEST's on a tie)."""
    for row in rows:
        cols = [c for c in SUITE_COLUMNS if c in row]
        before = conn.total_changes
        conn.execute(
            f"INSERT INTO suites({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT(name) DO UPDATE SET "
            + ", ".join(f"{c}=excluded.{c}" for c in cols if c != "name")
            + " WHERE COALESCE(excluded.updated_at, 0) > COALESCE(suites.updated_at, 0)",
            [row[c] for c in cols])
        result.suites += conn.total_changes > before


def _merge_one(store: Store, path: str, origin: dict[str, str]) -> SourceResult:
    result = SourceResult(path)
    if os.path.exists(store.path) and os.path.samefile(path, store.path):
        result.skipped = "it is DEST"
        return result
    dest_cols = {r[1] for r in store.conn.execute("PRAGMA table_info(runs)")}
    with _read_only(path) as (src, tables):
        runs = [{k: v for k, v in dict(r).items() if k in dest_cols}
                for r in src.execute("SELECT * FROM runs ORDER BY suite, run_id")]
        suites = ([dict(r) for r in src.execute("SELECT * FROM suites ORDER BY name")]
                  if "suites" in tables else [])
    try:
        with _transaction(store.conn):
            _merge_runs(store.conn, runs, result, origin, store.path)
            _merge_suites(store.conn, suites, result)
    except sqlite3.IntegrityError as e:
        raise ValueError(f"{path!r} holds a row that does not fit a zoo store ({e}); nothing of "
                         f"it was merged (the sources before it were). Repair it or leave it "
                         f"out. Received: source={path!r}") from e
    return result


def merge(sources: list[str], into: str) -> MergeReport:
    """Merges the finished runs and suite rows of `sources` into the store `into`.

    See the module docstring for the rules (finished beats failed, running
    rows are not copied, DEST's row wins a conflict, newest suite row wins).

    Args:
        sources: Paths of zoo stores, read-only; merged in this order.
        into: Path of the destination store; created (with its schema) when
            missing.

    Returns:
        A `MergeReport` with per-source counts and the conflicts.

    Raises:
        ValueError: when a source does not exist or is not a zoo store, or
            when `into` exists and is not one (nothing is written then); when
            a source's row breaks DEST's schema (that source is rolled back).

    Example:

    >>> report = merge(["a.sqlite", "b.sqlite"], into="all.sqlite")
    >>> report.total("added"), len(report.conflicts)
    (12, 0)
    """
    sources = [os.fspath(s) for s in sources]
    if not sources:
        raise ValueError("`zoo merge` needs at least one source store. Expected e.g. "
                         "`zoo merge a.sqlite b.sqlite --into all.sqlite`. Received: sources=[]")
    into = os.fspath(into)
    for path in sources:
        _check(path)
    if os.path.exists(into) and os.path.getsize(into) > 0:
        _check(into, role="into")
    origin: dict[str, str] = {}
    with Store(into) as store:
        results = [_merge_one(store, path, origin) for path in sources]
    return MergeReport(into, results)


def _status_counts(path: str) -> str:
    with _read_only(path) as (conn, _):
        counts = dict(conn.execute("SELECT status, COUNT(*) FROM runs GROUP BY status"))
    total = sum(counts.values())
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    return f"{total} runs" + (f" ({parts})" if parts else "")


def summary(report: MergeReport) -> str:
    """The text `zoo merge` prints: one line per source, totals, then conflicts.

    Example:

    >>> print(summary(merge(["a.sqlite"], into="all.sqlite")))
    a.sqlite: 6 added, 0 replaced, 0 unchanged, 0 running not copied, 1 suite row
    ...
    """
    lines = []
    for s in report.sources:
        if s.skipped:
            lines.append(f"{s.path}: skipped ({s.skipped})")
            continue
        line = (f"{s.path}: {s.added} added, {s.replaced} replaced, {s.unchanged} unchanged, "
                f"{s.running} running not copied, {s.suites} suite row"
                f"{'' if s.suites == 1 else 's'} added or updated")
        if s.attempts:
            line += f", attempts raised on {s.attempts}"
        if s.conflicts:
            line += f", {len(s.conflicts)} conflict{'' if len(s.conflicts) == 1 else 's'}"
        lines.append(line)
    done = (f"{report.total('added')} added, {report.total('replaced')} replaced, "
            f"{len(report.conflicts)} conflicts" if report.changed or report.conflicts
            else "nothing changed (already merged)")
    lines.append(f"into {report.into}: {done}; it holds {_status_counts(report.into)}")
    if report.conflicts:
        lines.append(f"{len(report.conflicts)} conflicting run(s): finished in two stores with "
                     f"different records; the row already in DEST was kept:")
        for c in report.conflicts:
            lines.append(f"  {c.run_id} ({c.suite}): differs in {', '.join(c.keys)}; kept "
                         f"{c.kept_from}, not copied from {c.dropped_from}")
    return "\n".join(lines)


def merge_command(args) -> int:
    """Entry point of `zoo merge SRC... --into DEST` (parsed by `zoo.cli`).

    Args:
        args: `argparse.Namespace` with `sources` (list of paths) and `into`.

    Returns:
        0 (conflicts are reported, not an error).

    Raises:
        ValueError: for a missing source or one that is not a zoo store
            (`zoo.cli.main` turns it into exit code 2).

    Example:

    >>> merge_command(argparse.Namespace(sources=["a.sqlite"], into="all.sqlite"))
    0
    """
    print(summary(merge(args.sources, args.into)))
    return 0
