"""Self-contained HTML pages: inline CSS, base64 PNG figures, no scripts.

A renderer: it turns `reports.analysis.SuiteReport` (and its
`reports.tuning.TuningReport`) into HTML and computes no number itself.

Every string that comes from the store or a suite file (names, descriptions,
config values, error messages) is HTML-escaped: tables go through
`DataFrame.to_html(escape=True)` and text through `html.escape`.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from reports import plots
from reports.analysis import SuiteReport
from reports.paths import folder_name
from reports.tuning import TuningReport

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.45}
h1,h2,h3{line-height:1.2} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.86em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right;vertical-align:top}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left} td.text{text-align:left}
.scroll{overflow-x:auto;max-height:34em;overflow-y:auto}
.badge{display:inline-block;padding:.1em .6em;border-radius:1em;font-size:.85em;
font-weight:600;color:#fff;white-space:nowrap}
.supported{background:#2e7d32}.not-supported{background:#c62828}.inconclusive{background:#757575}
.finding{border:1px solid #ddd;border-radius:.5em;padding:.4em 1em;margin:1em 0;background:#fafafa}
.desc{white-space:pre-wrap;color:#444} .status-failed{color:#c62828;font-weight:600}
.status-diverged{color:#e65100;font-weight:600} figure{margin:1em 0} figcaption{color:#555}
img{max-width:100%} code{background:#f4f4f4;padding:0 .2em} .muted{color:#777}
"""


def esc(value) -> str:
    """HTML-escapes any value's text."""
    return html.escape(plots.label(value) if not isinstance(value, str) else value, quote=True)


def badge(verdict: str) -> str:
    return (f'<span class="badge {esc(verdict.replace(" ", "-"))}">{esc(verdict)}</span>')


def table(frame: pd.DataFrame, index: bool = False, max_rows: int | None = None) -> str:
    """A DataFrame as an escaped HTML table in a scrolling box."""
    if frame is None or frame.empty:
        return '<p class="muted">(none)</p>'
    shown = frame.head(max_rows) if max_rows else frame
    out = shown.to_html(index=index, escape=True, border=0, na_rep="",
                        float_format="{:.4g}".format)
    more = (f'<p class="muted">{len(frame) - len(shown)} more rows in the CSV files.</p>'
            if max_rows and len(frame) > max_rows else "")
    return f'<div class="scroll">{out}</div>{more}'


def figure(title: str, fig, anchor: str | None = None) -> str:
    """An inline PNG figure; one that fails to render becomes a note."""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    try:
        png = plots.to_base64(fig)
    except Exception as e:  # noqa: BLE001 - a broken plot must not lose the page
        return (f'<p{ident} class="muted">Plot {esc(title)!s} could not be drawn: '
                f"{esc(type(e).__name__)}: {esc(str(e))}</p>")
    return (f'<figure{ident}><img alt="{esc(title)}" src="data:image/png;base64,'
            f'{png}"><figcaption>{esc(title)}</figcaption></figure>')


def mean_ci(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """An `aggregate` table with a readable "mean ± CI" column first."""
    out = frame.copy()
    text = [("" if not np.isfinite(m) else f"{m:.4g}" + (f" ± {c:.2g}" if np.isfinite(c) else ""))
            for m, c in zip(out["mean"], out["ci"])]
    out.insert(list(out.columns).index("mean"), f"{metric} (mean ± 95% CI)", text)
    return out


def finding_block(finding, anchor: str = "finding") -> str:
    if finding is None:
        return ""
    parts = [f'<div class="finding" id="{esc(anchor)}"><h3>{esc(finding.claim)}: '
             f'{esc(finding.title)} {badge(finding.verdict)}</h3>',
             f"<p>{esc(finding.summary)}</p>"]
    if finding.effect:
        parts.append(f"<p><b>Smallest effect that matters:</b> {esc(finding.effect)}. Each "
                     f"comparison below shows the 95% CI of its margin in the claim's favour "
                     f"(<code>margin_low</code> to <code>margin_high</code>), the declared "
                     f"<code>effect</code>, and <code>detectable</code>: the smallest "
                     f"difference these seeds detect with 80% power at alpha 0.05.</p>")
    parts.append(table(finding.evidence))
    if finding.figure is not None:
        parts.append(figure(f"{finding.claim}: {finding.title}", finding.figure,
                            f"{anchor}-plot"))
    return "\n".join(parts) + "</div>"


def page(title: str, body: list[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _runs_table(report: SuiteReport) -> pd.DataFrame:
    metrics = [m for m in (report.metric, report.select, "best_epoch", "epochs_run", "gen_gap",
                           "target_epoch", "wall_time", "samples_per_sec", "timing") if m]
    columns = ["run_id", "seed", "status"] + report.axes + list(dict.fromkeys(metrics))
    frame = report.runs[[c for c in columns if c in report.runs]].copy()
    frame["error"] = report.runs["error"].fillna("").map(
        lambda e: e.strip().splitlines()[-1][:200] if e.strip() else "")
    return frame


def render_suite(report: SuiteReport) -> str:
    """The suite's `index.html`."""
    body = [f"<h1>Suite {esc(report.name)}</h1>"]
    if report.description:
        body.append(f'<p class="desc">{esc(report.description)}</p>')
    n = len(report.runs)
    counts = ", ".join(f"{c} {esc(s)}" for s, c in zip(report.status["status"],
                                                       report.status["runs"]))
    body.append(f"<p>{n} runs ({counts}). Varying axes: "
                f"{esc(', '.join(report.axes) or 'none')}. Reported metric: "
                f"<code>{esc(report.metric or 'none')}</code>, best configuration chosen on "
                f"<code>{esc(report.select or 'none')}</code>.</p>")
    if report.finding is not None:
        body += ["<h2>Finding</h2>", finding_block(report.finding)]
    if report.tuning is not None:
        body += tuning_sections(report.tuning)
    if report.generation is not None:
        body += generation_section(report.generation)
    body += ["<h2>Which configuration won?</h2>",
             f"<p><b>Best configuration:</b> {esc(report.best_text)}.</p>"]
    if report.sentences:
        body.append("<ul>" + "".join(f"<li><b>{esc(axis)}</b>: {esc(s)}</li>"
                                     for axis, s in report.sentences.items()) + "</ul>")
    for axis, frame in report.axis_tables.items():
        body += [f"<h3>By {esc(axis)} (marginalized over the other axes and seeds)</h3>",
                 table(mean_ci(frame, report.metric))]
    if report.pivot is not None:
        body += [f"<h3>Mean {esc(report.metric)}: {esc(report.axes[0])} x "
                 f"{esc(report.axes[1])}</h3>", table(report.pivot, index=True)]
    if report.backends is not None:
        b = report.backends
        body += ["<h2>Backends</h2>",
                 f"<p>Each backend against {esc(b.reference)} (Welch test over seeds; "
                 f"samples/s is steady-state training throughput, compile s the first epoch "
                 f"beyond a steady one, MFU against each backend's own measured matmul "
                 f"peak).</p>", table(b.table),
                 "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in b.sentences) + "</ul>"]
    if len(report.cells):
        body += ["<h3>Cells ranked (statistics over seeds)</h3>",
                 table(mean_ci(report.cells, report.metric), max_rows=200)]
    if report.figures:
        body.append("<h2>Plots</h2>")
        body += [figure(title, fig) for title, fig in report.figures]
    body += ["<h2>Runs</h2>", table(_runs_table(report), max_rows=500)]
    problems = report.runs[report.runs["status"] != "ok"]
    if len(problems):
        body.append(f'<p class="status-failed">{len(problems)} runs did not finish ok '
                    f"(failed, diverged or still running); they are listed above with their "
                    f"status and error, and their metrics are left empty.</p>")
    if report.fixed:
        settings = pd.DataFrame({"setting": list(report.fixed),
                                 "value": [plots.label(v) for v in report.fixed.values()]})
        body += ["<h2>Settings shared by every run</h2>", table(settings)]
    body += ["<h2>Provenance</h2>", table(report.provenance)]
    return page(f"zoo report: {report.name}", body)


def generation_section(g) -> list[str]:
    """HTML blocks of a generative suite: the comparison, the quality table, the sample grids."""
    out = ["<h2>Generated samples and their quality</h2>",
           "<ul>" + "".join(f"<li>{esc(s)}</li>" for s in g.sentences) + "</ul>",
           '<p class="muted">Fréchet distance: an FID computed on the features of the zoo\'s '
           "own quality classifier (not Inception), lower is better; coverage: share of the "
           "classes the classifier finds in the samples (collapsed below 0.5).</p>",
           '<div style="display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start">',
           f"<div>{table(g.table.drop(columns=['frechet_mean']))}</div>"]
    out += [f"<div>{figure(f'Samples: {title}', fig)}</div>" for title, fig in g.grids]
    out.append("</div>")
    if g.curves is not None:
        out.append(figure("Validation Fréchet distance per epoch (sample quality while "
                          "training)", g.curves))
    return out


def tuning_sections(t: TuningReport) -> list[str]:
    """HTML blocks of a suite's tuning section: best trial, the comparison with
    the best grid cells, the figures and the trials."""
    out = ["<h2>Tuning</h2>",
           f"<p>{len(t.trials)} trials; objective <code>{esc(t.objective)}</code> "
           f"({esc(t.direction)}imize; best value over a trial's epochs).</p>",
           f"<p><b>Best trial:</b> {esc(t.best_text)}.</p>"]
    if t.comparison is not None:
        out += ["<h3>Best tuned configuration vs the best grid cell</h3>",
                "<p>Same dataset and model; a grid cell's values are means over its seeds. "
                "Chosen on the validation objective, compared on test.</p>",
                table(t.comparison)]
    out += [figure(title, fig) for title, fig in t.figures]
    out += ["<h3>Trials</h3>", table(t.trials, max_rows=500)]
    return out


def render_index(reports: list[SuiteReport], profile_fig=None, forest_fig=None) -> str:
    """`<out>/index.html`: the verdicts first (one badge per claim, then the
    forest plot of every comparison against its claim's declared smallest
    effect, then the table of findings), then the suites with one-line
    descriptions and links."""
    body = ["<h1>zoo benchmark reports</h1>"]
    findings = sorted((r for r in reports if r.finding is not None),
                      key=lambda r: claim_key(r.finding.claim))
    if findings:
        counts = pd.Series([r.finding.verdict for r in findings]).value_counts()
        body += ["<h2>Findings</h2>",
                 "<p>" + ", ".join(f"{n} {esc(v)}" for v, n in counts.items()) + ": "
                 + " ".join(f'<a href="{esc(folder_name(r.name))}/index.html#finding">'
                            f"{esc(r.finding.claim)}</a> {badge(r.finding.verdict)}"
                            for r in findings) + "</p>"]
        if forest_fig is not None:
            body.append(figure("Forest plot: each comparison's margin in the claim's favour "
                               "with its 95% CI, in units of the claim's declared smallest "
                               "effect (dashed lines). Supported: the interval lies right of "
                               "0; not supported: left of 0 or inside the dashed lines; "
                               "inconclusive: it straddles a dashed line.", forest_fig,
                               "forest"))
        rows = [f'<tr><td>{esc(r.finding.claim)}</td><td class="text">{esc(r.finding.title)}</td>'
                f'<td>{badge(r.finding.verdict)}</td><td class="text">{esc(r.finding.effect)}'
                f'</td><td class="text">{esc(r.finding.key_evidence)}</td>'
                f'<td><a href="{esc(folder_name(r.name))}/index.html#finding">{esc(r.name)}</a>'
                f"</td></tr>" for r in findings]
        body.append("<table><tr><th>claim</th><th>title</th><th>verdict</th><th>smallest "
                    "effect that matters</th><th>key evidence</th><th>page</th></tr>"
                    + "".join(rows) + "</table>")
    body.append("<h2>Suites</h2>")
    rows = []
    for r in reports:
        counts = ", ".join(f"{c} {s}" for s, c in zip(r.status["status"], r.status["runs"]))
        link = f"{esc(folder_name(r.name))}/index.html"
        rows.append(f'<tr><td><a href="{link}">{esc(r.name)}</a></td>'
                    f'<td class="text">{esc(one_line(r.description))}</td><td>{esc(counts)}</td>'
                    f'<td class="text">{esc(r.best_text)}</td><td>'
                    f"{badge(r.finding.verdict) if r.finding else ''}</td></tr>")
    body.append("<table><tr><th>suite</th><th>description</th><th>runs</th>"
                "<th>best configuration</th><th>finding</th></tr>" + "".join(rows) + "</table>")
    if profile_fig is not None:
        body += ["<h2>Across suites</h2>",
                 figure("Performance profile across suites (seconds to target)", profile_fig)]
    return page("zoo reports", body)


def one_line(description: str) -> str:
    """The first sentence of a suite description (the index shows one line)."""
    text = " ".join(str(description or "").split())
    head = text.split(". ", 1)[0]
    return head if head.endswith(".") or not head else head + "."


def claim_key(claim: str):
    """Sort key of claim ids: C2 before C10; other ids (R1) after the claims."""
    digits = "".join(ch for ch in str(claim) if ch.isdigit())
    return (str(claim)[:1] != "C", int(digits) if digits else 10 ** 6, str(claim))
