"""`zoo tune SPACE`: run or resume a Keras Tuner search whose trials go to the store.

Exit codes: 0 when the search has at least one finished (`ok`) trial, 1 when
every trial failed, 2 for bad input (`SpaceError`, raised to `zoo.cli`).

Output: `zoo tune` prints its own lines only (the header, one line per
finished trial, the summary). Everything else printed while the space is
checked and the search runs (TensorFlow's C++ start-up lines, Keras Tuner's
trial banners, warnings) goes to `logs/<space>-<time>-<pid>-tune.log` beside
the store (`benchmarks.matrix.logs`).
"""

from __future__ import annotations

import json
import os
import sys

from benchmarks.matrix.logs import log_stem, redirected
from tuning.space import load_space

EXIT_OK, EXIT_FAILED = 0, 1


def tune(args) -> int:
    """Runs `zoo tune` with parsed arguments (see `zoo.cli.build_parser`).

    Args:
        args: `space`, `store`, `tuner`, `max_trials`, `overrides`, `directory`.

    Returns:
        The exit code.

    Raises:
        SpaceError: for a bad space file, override or tuner setting.
    """
    chief = "chief" in os.environ.get("KERASTUNER_TUNER_ID", "") and \
        "KERASTUNER_ORACLE_IP" in os.environ
    role = f" as {os.environ['KERASTUNER_TUNER_ID']}" if "KERASTUNER_ORACLE_IP" in os.environ \
        else ""
    with redirected(f"{log_stem(args.store, args.space)}-tune.log") as terminal:
        space = load_space(args.space, overrides=args.overrides)
        check_backend(space)
        from tuning.search import run_search, working_directory

        print(f"zoo tune: space {space.name!r} ({', '.join(space.axes)}), tuner {args.tuner}, "
              f"objective {space.objective['name']} ({space.objective['direction']}){role}; "
              f"working directory {working_directory(space, args.tuner, args.directory)}; "
              f"store {args.store}", file=terminal)
        rows = run_search(space, args.store, tuner=args.tuner, max_trials=args.max_trials,
                          directory=args.directory, report=terminal)
    if chief:  # the chief only serves the oracle; workers report their own trials
        print(f"zoo tune: search finished; {len(rows)} trials in {args.store}.")
        return EXIT_OK
    print_trials(rows, space)
    return EXIT_OK if any(r["status"] == "ok" for r in rows) else EXIT_FAILED


def check_backend(space) -> None:
    """A study trains every trial in this process, so on this process's Keras backend.

    Args:
        space: The loaded `Space`.

    Raises:
        SpaceError: when `[space]` searches `backend` (one backend per study),
            or the space fixes another backend than this process runs (then
            the message gives the command: `KERAS_BACKEND=jax zoo tune ...`).
    """
    from benchmarks.run.backends import current
    from benchmarks.suite.problems import Problem
    from tuning.space import SpaceError
    from zoo.axes import value

    if "backend" in space.axes:
        raise SpaceError([Problem(space.path or space.name, "[space] backend",
                                  "a study runs its trials in one process, and Keras fixes its "
                                  "backend at import: fix backend in [fixed] (or --set "
                                  "backend=jax) and run one study per backend",
                                  received=f"backend={space.axes['backend']!r}")])
    wanted, running = value(space.base_config(), "backend"), current()
    if wanted != running:
        raise SpaceError([Problem(space.path or space.name, "backend",
                                  f"this process runs Keras on {running!r}; start the study "
                                  f"with the space's backend: KERAS_BACKEND={wanted} zoo tune "
                                  f"...", received=f"backend={wanted!r}")])


def print_trials(rows: list[dict], space) -> None:
    """Prints one line per trial (status, objective, hyperparameters) and the best."""
    from tuning.hypermodel import objective_metrics

    name = space.objective["name"]
    scored = []
    for r in rows:
        metrics = objective_metrics(r["record"], space.objective) if r["status"] == "ok" else None
        value = None if metrics is None else metrics.get(name)
        keys = list(space.axes) + (["epochs", "initial_epoch"]  # Hyperband's budget
                                   if "initial_epoch" in r["config"] else [])
        hps = {k: r["config"].get(k) for k in keys if k in r["config"]}
        shown = "-" if value is None else f"{value:.4f}"
        print(f"  trial {r['trial_id']:>4}  {r['status']:<8} {name}={shown:<8} "
              f"{json.dumps(hps, default=str)}  run {r['run_id']}")
        if value is not None:
            scored.append((value, r, hps))
    if not scored:
        print("zoo tune: no trial finished; see the errors with `zoo results --suite "
              f"{space.name}`.", file=sys.stderr)
        return
    pick = max if space.objective["direction"] == "max" else min
    value, best, hps = pick(scored, key=lambda s: s[0])
    test = (best["record"].get("test") or {})
    print(f"zoo tune: best trial {best['trial_id']}: {name}={value:.4f} "
          f"test={json.dumps(test, default=str)} {json.dumps(hps, default=str)}")
    print(f"zoo tune: {len(rows)} trials in the store under suite {space.name!r}: "
          f"`zoo results --suite {space.name}`, `zoo report --suite {space.name}`.")
