"""`summary.md`: the suite's finding, winners and tables as Markdown text.

A renderer, like `reports.html`: it formats `reports.analysis.SuiteReport`
(and its `reports.tuning.TuningReport`) and computes no number itself.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from reports import plots
from reports.analysis import SuiteReport
from reports.html import claim_key, one_line
from reports.paths import folder_name
from reports.tuning import TuningReport


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else f"{value:.4g}"
    return text(plots.label(value)).replace("|", "\\|").replace("\n", " ")


def text(value: str) -> str:
    """Escapes HTML in user text: Markdown viewers render raw HTML."""
    return html.escape(str(value), quote=False)


def table(frame: pd.DataFrame, index: bool = False, max_rows: int = 100) -> str:
    """A DataFrame as a GitHub-flavoured Markdown table (pipes escaped)."""
    if frame is None or frame.empty:
        return "(none)\n"
    shown = frame.head(max_rows)
    if index:
        shown = shown.reset_index()
    header = "| " + " | ".join(_cell(c) for c in shown.columns) + " |"
    rule = "|" + "---|" * len(shown.columns)
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |"
            for row in shown.itertuples(index=False)]
    more = [f"\n({len(frame) - max_rows} more rows in runs.csv)"] if len(frame) > max_rows else []
    return "\n".join([header, rule, *rows, *more]) + "\n"


def render_suite(report: SuiteReport) -> str:
    """The suite's `summary.md`."""
    counts = ", ".join(f"{c} {s}" for s, c in zip(report.status["status"], report.status["runs"]))
    out = [f"# Suite {text(report.name)}\n",
           text(report.description) + "\n" if report.description else "",
           f"{len(report.runs)} runs ({counts}); varying axes: "
           f"{', '.join(report.axes) or 'none'}; metric `{report.metric}`, selection on "
           f"`{report.select}`.\n"]
    f = report.finding
    if f is not None:
        out += [f"## Finding {text(f.claim)}: {text(f.title)}\n",
                f"**Verdict: {f.verdict}.** {text(f.summary)}\n",
                f"Smallest effect that matters: {text(f.effect)}; `margin_low`..`margin_high` "
                f"is the 95% CI of each margin, `detectable` the smallest difference the "
                f"seeds detect (80% power, alpha 0.05).\n" if f.effect else "",
                table(f.evidence)]
    if report.tuning is not None:
        out += tuning_sections(report.tuning)
    if report.generation is not None:
        g = report.generation
        out += ["## Generated samples and their quality\n",
                *[f"- {text(s)}" for s in g.sentences], "",
                "Fréchet distance: an FID on the zoo's own quality classifier's features "
                "(lower is better). Sample grids (seed 0 of each cell): index.html.\n",
                table(g.table.drop(columns=["frechet_mean"]))]
    out += ["## Which configuration won?\n", f"Best configuration: {text(report.best_text)}.\n"]
    out += [f"- **{text(axis)}**: {text(s)}" for axis, s in report.sentences.items()]
    out.append("")
    for axis, frame in report.axis_tables.items():
        out += [f"### By {axis}\n", table(frame)]
    if report.pivot is not None:
        out += [f"### Mean {report.metric}: {report.axes[0]} x {report.axes[1]}\n",
                table(report.pivot, index=True)]
    if report.backends is not None:
        b = report.backends
        out += ["## Backends\n", f"Each backend against {b.reference} (Welch test over seeds; "
                "samples/s is steady-state training throughput, compile s the first epoch "
                "beyond a steady one, MFU against each backend's own measured matmul peak).\n",
                table(b.table)]
        out += [f"- {text(s)}" for s in b.sentences] + [""]
    bad = report.runs[report.runs["status"] != "ok"]
    if len(bad):
        out += ["## Runs that did not finish ok\n",
                table(bad[["run_id", "seed", "status", *report.axes, "error"]].assign(
                    error=bad["error"].fillna("").map(
                        lambda e: e.strip().splitlines()[-1][:160] if e.strip() else "")))]
    out += ["## Provenance\n", table(report.provenance)]
    return "\n".join(out)


def tuning_sections(t: TuningReport) -> list[str]:
    """Markdown blocks of a suite's tuning section: best trial, the comparison
    with the best grid cells and the trials."""
    out = ["## Tuning\n", f"{len(t.trials)} trials; objective `{t.objective}` "
           f"({t.direction}imize).\n", f"Best trial: {text(t.best_text)}.\n"]
    if t.comparison is not None:
        out += ["### Best tuned configuration vs the best grid cell\n", table(t.comparison)]
    out += ["### Trials\n", table(t.trials)]
    return out


def render_index(reports: list[SuiteReport]) -> str:
    """`<out>/summary.md`: one row per claim (verdicts first), then one row per suite."""
    out = ["# zoo benchmark reports\n"]
    found = sorted((r for r in reports if r.finding is not None),
                   key=lambda r: claim_key(r.finding.claim))
    if found:
        claims = pd.DataFrame([{"claim": r.finding.claim, "title": r.finding.title,
                                "verdict": r.finding.verdict,
                                "smallest effect": r.finding.effect,
                                "key evidence": r.finding.key_evidence,
                                "page": f"{folder_name(r.name)}/index.html#finding"}
                               for r in found])
        out += ["## Findings\n", table(claims)]
    suites = pd.DataFrame([{"suite": r.name, "description": one_line(r.description),
                            "runs": len(r.runs), "not ok": int((r.runs["status"] != "ok").sum()),
                            "best configuration": r.best_text,
                            "verdict": r.finding.verdict if r.finding else ""} for r in reports])
    out += ["## Suites\n", table(suites)]
    return "\n".join(out)
