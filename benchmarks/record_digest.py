"""Do records stay the same? `python -m benchmarks.record_digest`, before and after a change.

A change made for speed must leave what runs produce unchanged. This
command trains a fixed set of short runs that cover the harness's ways of
running (`CASES`: packs of seeds and of cells that differ in optimizer,
schedule, activation, regularizer and dropout, wide layers, batches of one
example, early stopping, and a single run) and writes every member's
record without what differs from machine to machine (`result_fields`:
`benchmarks.store.merge.strip`, the part of a record that `zoo merge`
compares too). Run it at the commit before a change and after it, and
compare the two files: equal files mean the change moved no number, to
the last bit (floats are written with `repr`).

Example:

$ git stash && python -m benchmarks.record_digest /tmp/before.json && git stash pop
$ python -m benchmarks.record_digest /tmp/after.json --compare /tmp/before.json
seed_pack: 3 member(s), digest e300ac588ed6
...
identical to /tmp/before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys

BASE = {"dataset": "digits", "model": "mlp", "batch_size": 32, "depth": 2, "width": 32,
        "epochs": 4, "optimizer": "adam"}
_CELLS = [dict(BASE, optimizer=o, width=w) for o in ("sgd", "adam") for w in (32, 64)]
_STOPPING = dict(BASE, early_stopping=2, epochs=8, optimizer="sgd", learning_rate=0.5)
# Cells that differ in what a graph rewrite could round differently (Grappler's
# rewrites changed rmsprop's and the schedules' runs in the 7th digit, not sgd/adam's).
_VARIED = [dict(BASE, optimizer="rmsprop", schedule="cosine"),
           dict(BASE, optimizer="momentum", schedule="exponential", activation="tanh",
                regularizer="l2"),
           dict(BASE, optimizer="adam", activation="elu", label_smoothing=0.1, width=24),
           dict(BASE, optimizer="sgd", dropout=0.2)]
# Wider layers and a batch of one: a kernel that blocks its sums by shape (a batched
# matmul against K matmuls) rounds differently here, not at width 32.
_WIDE = dict(BASE, depth=3, width=256, train_samples=100, epochs=3)
_ONE = dict(BASE, batch_size=1, train_samples=64, epochs=2, optimizer="sgd",
            learning_rate=0.05)
# name -> (configs, seeds): one run per (config, seed); several make one pack.
CASES = {
    "seed_pack": ([BASE] * 3, [0, 1, 2]),
    "cell_pack": ([c for c in _CELLS for _ in range(2)], [0, 1] * 4),
    "varied_cell_pack": ([c for c in _VARIED for _ in range(2)], [0, 1] * 4),
    "wide_seed_pack": ([_WIDE] * 2, [0, 1]),
    "batch_of_one_pack": ([_ONE] * 2, [0, 1]),
    "early_stopping_pack": ([_STOPPING] * 2, [0, 1]),
    "single": ([BASE], [0]),
}


def result_fields(record: dict) -> dict:
    """The part of a record a speed change must not move: `zoo merge`'s compared part.

    Args:
        record: A run's record (`benchmarks.run.record.FIELDS` and more).

    Returns:
        The record without `benchmarks.store.merge.IGNORED_KEYS` (times,
        throughput, host, versions, threads, packing), at any depth.

    Example:

    >>> result_fields({"history": {"loss": [0.5]}, "wall_time": 3.2})
    {'history': {'loss': [0.5]}}
    """
    from benchmarks.store.merge import strip

    return strip(record)


def digest(value) -> str:
    """The first 12 hex digits of the SHA-256 of `value` as canonical JSON (floats by repr)."""
    text = json.dumps(value, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def run_case(configs: list[dict], seeds: list[int]) -> list[dict]:
    """Trains one case (a pack of several runs, or a single run); each member's result fields.

    Raises:
        RuntimeError: when a run fails, with its error.
    """
    if len(configs) == 1:
        from benchmarks.run import run_one

        outcomes = [run_one(configs[0], seeds[0], {})]
    else:
        from benchmarks.matrix.packing import run_packed

        outcomes = run_packed(configs[0], seeds, {}, configs=configs)
    failed = [error for status, _, error in outcomes if status == "failed"]
    if failed:
        raise RuntimeError(f"A run of the digest failed: {failed[0]}")
    return [result_fields(record) for _, record, _ in outcomes]


def differences(a, b, path: str = "") -> list[str]:
    """Where two JSON-like values differ, as paths (`case[1].history.loss[3]: x != y`).

    Example:

    >>> differences({"loss": [1.0, 2.0]}, {"loss": [1.0, 2.5]})
    ['loss[1]: 2.0 != 2.5']
    """
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                out.append(f"{sub}: only in {'the first' if key in a else 'the second'}")
            else:
                out += differences(a[key], b[key], sub)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []  # a diverged run's NaN loss, in both
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def main(argv: list[str] | None = None) -> int:
    """Trains `CASES`, writes their result fields to OUT, compares with `--compare`.

    Returns:
        0, or 1 when `--compare` found a difference.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.record_digest",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="JSON file to write the members' result fields to")
    parser.add_argument("--compare", metavar="EARLIER", help="a file an earlier call wrote")
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES), default=list(CASES))
    args = parser.parse_args(argv)
    results = {}
    for name in args.cases:
        results[name] = run_case(*CASES[name])
        print(f"{name}: {len(results[name])} member(s), digest {digest(results[name])}",
              flush=True)
    with open(args.out, "w") as f:
        json.dump(results, f, sort_keys=True, indent=1)
    if not args.compare:
        return 0
    with open(args.compare) as f:  # both through JSON: floats compare as stored
        earlier = json.load(f)
    found = [f"{name}: not in {args.compare} (an older version's file: run both with "
             f"the same --cases)" for name in results if name not in earlier]
    found += differences({name: earlier[name] for name in results if name in earlier},
                         json.loads(json.dumps({name: results[name] for name in results
                                                if name in earlier})))
    if found:
        print(f"{len(found)} difference(s) from {args.compare}:", *found[:20], sep="\n")
        return 1
    print(f"identical to {args.compare}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
