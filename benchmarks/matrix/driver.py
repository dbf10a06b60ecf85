"""The driver: runs a `Suite` against a `Store`, resuming where it stopped.

The driver is the store's one writer. It records the suite (its TOML text,
description and claim), plans the runs (cells x seeds), skips the finished
ones (`ok` / `diverged`), skips `failed` runs unless `retry_failed`, redoes
`running` rows left by a crash, marks each run `running` when it is handed to
a worker and writes its result when it comes back. Killing the driver at any
moment loses no finished run and duplicates none: a rerun picks up the rest.

Bench run ids are scoped by suite: `run_id({"suite": name, **config}, seed)`,
so a cell that appears in two suites is stored once per suite; `cell_id` is
the suite-independent `cell_id(config)`.

Provenance: `plan` computes once per suite the git commit of the folder the
suite file lives in (`suite_commit`: "<sha>", "<sha>-dirty", or None outside
a repository) and passes it to every run in its `options`, which are not
part of a run's identity; the driver stores it in the record as
`record["host"]["suite_commit"]`.

Example:

>>> suite = load_suite("demo")
>>> with Store("runs/zoo.sqlite") as store, LocalExecutor() as pool:
...     summary = run_suite(suite, store, pool)
>>> summary.failed
0
"""

from __future__ import annotations

import dataclasses
import os

from benchmarks.matrix.executors import Task
from benchmarks.matrix.planner import group_runs
from benchmarks.matrix.progress import Progress
from benchmarks.run.devices import git_commit
from benchmarks.store import FINISHED, Store, identity, leases
from benchmarks.suite import Suite


@dataclasses.dataclass
class Plan:
    """The runs of a suite split by what the store already holds."""

    tasks: list[Task]          # to run now (a packed task runs several seeds)
    done: list[str]            # finished run ids, skipped
    failed: list[str]          # failed run ids, skipped (no --retry-failed)
    total: int                 # cells x seeds
    leased: dict[str, str] = dataclasses.field(default_factory=dict)  # run id -> owner of
    #                            its live lease: another driver runs it, skipped

    def runs(self) -> list[Task]:
        """The runs to do now, one `Task` per seed (packed tasks unfolded)."""
        return [run for task in self.tasks for run in task.runs()]


@dataclasses.dataclass
class Summary:
    """Counts of one invocation of a suite."""

    suite: str
    total: int
    skipped: int = 0
    ok: int = 0
    diverged: int = 0
    failed: int = 0
    leased: dict[str, str] = dataclasses.field(default_factory=dict)  # run id -> other driver


def suite_run_id(suite_name: str, config: dict, seed: int) -> str:
    """The store key of one run of a suite (see the module docstring)."""
    return identity.run_id({"suite": suite_name, **config}, seed)


def suite_commit(suite: Suite) -> str | None:
    """The git commit of the folder holding the suite's file (see the module docstring).

    Returns:
        "<sha>" or "<sha>-dirty"; None for a suite not read from a file, or
        a file outside a git repository.

    Example:

    >>> suite_commit(load_suite("demo"))  # the zoo checkout the built-in suite comes from
    '767b143a...-dirty'
    """
    if not os.path.isfile(suite.path):
        return None
    return git_commit(os.path.dirname(os.path.abspath(suite.path)))


def _packed_tensorboard_dir(result, record: dict) -> str | None:
    """The TensorBoard folder the driver writes for a packed run (no per-member callback
    wrote it while the pack trained), noted in the record's options; else None."""
    folder = (result.task.options or {}).get("tensorboard_dir")
    options = record.get("options") if isinstance(record.get("options"), dict) else {}
    packed = options.get("packed")
    members = packed.get("members", 1) if isinstance(packed, dict) else int(packed or 1)
    if not folder or members <= 1:
        return None
    record["options"] = {**options, "tensorboard_dir": folder}
    return folder


def plan(suite: Suite, statuses: dict[str, str], retry_failed: bool = False,
         tensorboard_root: str | None = None, leased: dict[str, str] | None = None,
         packs: bool = True, workers: int = 1) -> Plan:
    """Splits a suite's runs into to-do and skipped, given the store's statuses.

    The to-do runs that share a graph become one packed task (see
    `benchmarks.matrix.packing`): the seeds of a cell, and the cells that
    may train together, as `benchmarks.matrix.planner.group_runs` groups
    them (the suite's `[options] pack_seeds` and `pack_cells`, "auto" by default).

    Args:
        suite: The validated suite.
        statuses: `{run_id: status}` from `Store.statuses`.
        retry_failed: Run `failed` runs again. Defaults to False.
        tensorboard_root: If set, each run logs TensorBoard events to
            `<root>/<suite>/<run_id>`.
        leased: `{run_id: owner}` of live leases (`Store.leases`): runs another
            driver is running, skipped. Defaults to none.
        packs: Whether runs may be packed at all (False for an executor with
            a stand-in run function and no pack function). Defaults to True.
        workers: The executor's parallel workers: cells are split into at
            least that many packs where possible. Defaults to 1.

    Returns:
        A `Plan`.
    """
    tasks, done, failed, total, seen, held = [], [], [], 0, set(), {}
    # peak_flops "auto": each worker measures its matmul peak once, for the runs' MFU.
    options = {"peak_flops": "auto", **suite.run_options(), "suite_commit": suite_commit(suite)}
    pack, pack_cells = options.pop("pack_seeds", "auto"), options.pop("pack_cells", "auto")
    if not packs:
        pack = pack_cells = False
    cells = []  # (config, runs to do) per cell
    for config in suite.cells():
        todo = []
        for seed in suite.seeds:
            rid = suite_run_id(suite.name, config, seed)
            if rid in seen:  # a repeated matrix value or seed: one run
                continue
            seen.add(rid)
            total += 1
            status = statuses.get(rid)
            if status in FINISHED:
                done.append(rid)
            elif status == "failed" and not retry_failed:
                failed.append(rid)
            elif status == "running" and rid in (leased or {}):
                held[rid] = leased[rid]
            else:
                run_options = dict(options)
                if tensorboard_root:
                    run_options["tensorboard_dir"] = os.path.join(tensorboard_root, suite.name,
                                                                  rid)
                todo.append(Task(rid, config, seed, run_options))
        cells.append((config, todo))
    for group in group_runs(cells, pack, pack_cells, workers=workers):
        if len(group) > 1:
            tasks.append(Task(f"pack-{group[0].run_id}", group[0].config, group[0].seed,
                              dict(options), members=group))
        else:
            tasks += group
    return Plan(tasks, done, failed, total, held)


def run_suite(suite: Suite, store: Store, executor, retry_failed: bool = False,
              tensorboard_root: str | None = None, progress: Progress | None = None,
              lease_ttl: float | None = None) -> Summary:
    """Runs the unfinished runs of `suite` on `executor`, writing `store`.

    Args:
        suite: The validated suite.
        store: The results store (this process is its one writer).
        executor: A `LocalExecutor` or `RayExecutor` (anything with
            `run(tasks, on_dispatch)` yielding `Result`s).
        retry_failed: Run `failed` runs again. Defaults to False.
        tensorboard_root: Root folder of TensorBoard logs, or None.
        progress: Display; defaults to a `Progress` on stdout.
        lease_ttl: Seconds a silent driver's runs stay reserved
            (`benchmarks.store.leases`). Defaults to `$ZOO_LEASE_TTL` or 120.

    Each run is claimed under this driver's lease when it is dispatched; a run
    another driver holds (a live lease) is skipped, one whose lease expired is
    taken over, and a heartbeat thread renews this driver's leases. The driver
    does not wait for runs held by another driver: it runs what it can claim
    and returns, `summary.leased` naming the runs still held and by whom (a
    later `zoo bench` takes over any whose driver died).

    Returns:
        A `Summary`; `summary.failed` counts runs of this invocation that failed.
    """
    store.put_suite(suite.name, suite.description, suite.claim, suite.source, suite.to_spec())
    owner, ttl = leases.driver_identity(), leases.lease_ttl(lease_ttl)
    work = plan(suite, store.statuses(suite.name), retry_failed, tensorboard_root,
                store.leases(suite.name, ttl),
                packs=getattr(executor, "pack_ref", True) is not None,
                workers=int(getattr(executor, "workers", 1) or 1))
    summary = Summary(suite.name, work.total, skipped=len(work.done) + len(work.failed))
    declined = list(work.leased)
    if progress is None:
        progress = Progress(len(work.runs()), list(suite.matrix), title=suite.name)

    def dispatch(task: Task) -> bool:
        mine = [run for run in task.runs()
                if store.claim(run.run_id, suite.name, identity.cell_id(run.config), run.seed,
                               run.config, owner=owner, ttl=ttl, retry_failed=retry_failed)]
        claimed = {run.run_id for run in mine}
        declined.extend(run.run_id for run in task.runs() if run.run_id not in claimed)
        progress.total -= len(task.runs()) - len(mine)
        if task.members:  # a pack trains only the seeds it claimed
            task.members[:] = mine
        return bool(mine)

    heartbeat = leases.Heartbeat(store, owner, ttl).start()
    try:
        for result in executor.run(work.tasks, on_dispatch=dispatch):
            record = dict(result.record or {})
            record.setdefault("options", result.task.options or None)
            if "suite_commit" in (result.task.options or {}):
                record["host"] = {**(record.get("host") or {}),
                                  "suite_commit": result.task.options["suite_commit"]}
            logs = _packed_tensorboard_dir(result, record)
            store.finish(result.task.run_id, result.status, record, result.error)
            if logs and record.get("history"):
                from benchmarks.export.tensorboard import write_run

                write_run({"suite": suite.name, "run_id": result.task.run_id,
                           "config": result.task.config, "seed": result.task.seed,
                           "status": result.status, "record": record},
                          os.path.dirname(os.path.dirname(logs)))
            setattr(summary, result.status, getattr(summary, result.status) + 1)
            progress.finished(result)
    finally:
        heartbeat.stop()
        leases.release_quietly(store, owner)  # runs left unfinished: redone at once
        progress.close()
    live = store.leases(suite.name, ttl)
    summary.leased = {rid: live[rid] for rid in dict.fromkeys(declined) if rid in live}
    summary.skipped += len(set(declined) - set(summary.leased))  # done by another driver
    return summary
