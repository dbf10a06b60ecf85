"""`run_packed`: one cell trained with K seeds in one graph, one record per seed.

A pack goes through the run lifecycle (`benchmarks.run.lifecycle.Run`) with
`PackedMembers`, which supplies only what differs from a single run: the K
built members stacked into one `PackedModel`, their K training pipelines
stacked batch by batch, per-member stopping (`MemberBookkeeping`) and the
per-member split of the logs and test metrics.
"""

from __future__ import annotations

from benchmarks.matrix.packing.cells import CellPack, units_of
from benchmarks.matrix.packing.seeds import PackedMembers
from benchmarks.matrix.planner import pack_key, unpackable_reason
from benchmarks.run.members import Unsupported


def run_packed(config: dict, seeds: list[int], options: dict | None = None,
               configs: list[dict] | None = None) -> list[tuple]:
    """Trains one cell with several seeds (or several cells) in one graph; one result per run.

    Args:
        config: A resolved config (as for `benchmarks.run.run_one`).
        seeds: The seeds to train (K members).
        options: Execution options (as for `run_one`). Defaults to None.
        configs: Each member's own config, for a pack of several cells
            (`benchmarks.matrix.packing.cells`; members of one cell next to
            each other). Defaults to None: every member is `config`.

    Returns:
        A list of `(status, record, error)`, in the order of `seeds`. Falls
        back to one `run_one` per seed when the config cannot be packed; the
        records' `options["packed"]` says which happened and why.

    Example:

    >>> results = run_packed({"dataset": "digits", "model": "mlp", "epochs": 3}, [0, 1])
    >>> [record["options"]["packed"]["members"] for _, record, _ in results]
    [2, 2]
    """
    from benchmarks.run.lifecycle import Run, run_one

    seeds, options = [int(s) for s in seeds], dict(options or {})
    configs = list(configs) if configs else [config] * len(seeds)
    if any(c != configs[0] for c in configs):
        return _run_cells(configs, seeds, options)
    reason = unpackable_reason(config, options) if len(seeds) > 1 else "one seed"
    if reason is None:
        try:
            return Run(config, seeds, options, members=PackedMembers(len(seeds))).execute()
        except Unsupported as exc:
            reason = str(exc)
    out = []
    for seed in seeds:
        status, record, error = run_one(config, seed, options)
        if record is not None and isinstance(record.get("options"), dict):
            record["options"]["packed"] = {"members": 1, "reason": reason}
        out.append((status, record, error))
    return out


def _run_cells(configs: list[dict], seeds: list[int], options: dict) -> list[tuple]:
    """A pack of several cells (`CellPack`), or each cell's seeds packed apart if it cannot be."""
    from benchmarks.run.lifecycle import Run

    reasons = [unpackable_reason(c, options, cells=True) for c in configs]
    if len({pack_key(c) for c in configs}) > 1:  # the planner never asks for this
        reasons.append("the cells differ in more than the axes that may share a graph "
                       "(zoo.axes.sharing_axes) or in how their labels are encoded")
    reason = next((r for r in reasons if r), None)
    if reason is None:
        stackable = [unpackable_reason(c, options) is None for c in configs]
        try:
            return Run(configs[0], seeds, options, members=CellPack(units_of(configs, stackable)),
                       configs=configs).execute()
        except Unsupported as exc:
            reason = str(exc)
    results = {}  # cell index -> its runs' results, in seed order
    cells = [c for i, c in enumerate(configs) if c not in configs[:i]]
    for j, cell in enumerate(cells):
        mine = [s for s, c in zip(seeds, configs) if c == cell]
        results[j] = run_packed(cell, mine, options)
        for _, record, _ in results[j]:
            if record is not None and isinstance(record.get("options"), dict):
                packed = record["options"].get("packed") or {}
                record["options"]["packed"] = {**packed, "cells_reason": reason}
    return [results[cells.index(c)].pop(0) for c in configs]
