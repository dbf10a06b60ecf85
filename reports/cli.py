"""`zoo report`: writes HTML, Markdown and CSV reports from the results store.

For each suite: `<out>/<suite>/index.html` (one self-contained page),
`summary.md`, `runs.csv`, `epochs.csv`. Without `--suite`, also
`<out>/index.html` linking every suite with a table of findings, and the same
tables in `<out>/summary.md`.
"""

from __future__ import annotations

import os

import pandas as pd

from reports import data, html, markdown, plots
from reports.analysis import SuiteReport, analyze_suite
from reports.paths import folder_name
from reports.tuning import analyze_tuning

DEFAULT_OUT = os.path.join("runs", "reports")
DEFAULT_STORE = os.path.join("runs", "zoo.sqlite")  # as benchmarks.store (not imported here)


def write_suite(report: SuiteReport, out: str) -> str:
    """Writes one suite's files under `<out>/<suite>/`; returns the HTML path."""
    folder = os.path.join(out, folder_name(report.name))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(html.render_suite(report))
    with open(os.path.join(folder, "summary.md"), "w", encoding="utf-8") as f:
        f.write(markdown.render_suite(report))
    report.runs.to_csv(os.path.join(folder, "runs.csv"), index=False)
    report.epochs.to_csv(os.path.join(folder, "epochs.csv"), index=False)
    return path


def cross_suite_profile(reports: list[SuiteReport], method: str = "optimizer"):
    """Performance profile of `method` over every suite that varies it and has a
    target; None when fewer than two suites/problems qualify."""
    frames = [r.runs for r in reports if method in r.axes and "target_reached" in r.runs
              and r.runs["target_reached"].notna().any()]
    if not frames:
        return None
    from reports.analysis import suite_profile

    profile = suite_profile(pd.concat(frames, ignore_index=True), method)
    return plots.performance_profile(profile, f"{method}, seconds to target")


def forest_figure(reports: list[SuiteReport]):
    """The index's forest plot: every finding's comparisons against its declared
    smallest effect (`reports.findings.forest_rows`); None without findings."""
    from reports.findings import forest_rows

    found = sorted((r.finding for r in reports if r.finding is not None),
                   key=lambda f: html.claim_key(f.claim))
    return plots.forest(forest_rows(found), "Margin in the claim's favour / declared effect")


def build(store, suite: str | None = None, out: str = DEFAULT_OUT) -> dict:
    """Builds the reports; returns `{"pages": {suite: path}, "index": path|None,
    "reports": [SuiteReport]}`.

    Args:
        store: Path of the results store, or a list of paths reported as one
            (their union, see `reports.stores`).
        suite: Only this suite. Defaults to every suite, plus the index.
        out: Output folder. Defaults to `runs/reports/`.

    Raises:
        FileNotFoundError: when a store does not exist.
        ValueError: for an empty store or an unknown suite (with did-you-mean).

    Example:

    >>> build(["runs/laptop.sqlite", "runs/server.sqlite"], "demo")["pages"]
    {'demo': 'runs/reports/demo/index.html'}
    """
    names = data.check_suite(store, suite)
    rows = {r["name"]: r for r in data.load_suites(store).to_dict("records")}
    reports = [analyze_suite(store, name, rows.get(name)) for name in names]
    for r in reports:  # Keras Tuner trials get a tuning section (reports/tuning.py)
        r.tuning = analyze_tuning(store, r.name, r.runs, r.epochs)
    pages = {r.name: write_suite(r, out) for r in reports}
    index = None
    if suite is None:
        index = os.path.join(out, "index.html")
        with open(index, "w", encoding="utf-8") as f:
            f.write(html.render_index(reports, cross_suite_profile(reports),
                                      forest_figure(reports)))
        with open(os.path.join(out, "summary.md"), "w", encoding="utf-8") as f:
            f.write(markdown.render_index(reports))
    return {"pages": pages, "index": index, "reports": reports}


def report(args) -> int:
    """Entry point of `zoo report` (arguments parsed by `zoo.cli`).

    `args.store` is a list of paths (`--store` repeated; None: the default
    store) or one path; several stores are reported as their union.
    """
    out = args.out or DEFAULT_OUT
    stores = [args.store] if isinstance(args.store, str) else (args.store or [DEFAULT_STORE])
    result = build(stores[0] if len(stores) == 1 else stores, args.suite, out)
    if len(stores) > 1:
        runs = sum(len(r.runs) for r in result["reports"])
        print(f"{len(stores)} stores read as one: {', '.join(stores)} ({runs} runs; a run "
              f"in several stores counted once)")
    for r in result["reports"]:
        line = f"{r.name}: {len(r.runs)} runs"
        bad = int((r.runs["status"] != "ok").sum())
        if bad:
            line += f" ({bad} not ok)"
        print(line + f"; best {r.best_text}")
        for axis, sentence in r.sentences.items():
            print(f"  {axis}: {sentence}")
        if r.finding is not None:
            print(f"  {r.finding.claim} [{r.finding.verdict}] {r.finding.key_evidence}")
        for sentence in r.generation.sentences if r.generation is not None else ():
            print(f"  generation: {sentence}")  # stability, then Fréchet distance vs seed noise
        print(f"  -> {result['pages'][r.name]}")
    if result["index"]:
        print(f"index: {result['index']}")
    return 0
