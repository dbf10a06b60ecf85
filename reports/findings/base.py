"""Findings: a claim, a rule computed from the runs, and its verdict.

A rule is a function `rule(runs, epochs) -> Evidence` registered under a
claim id with `@finding("C6", title=..., policy=MOST)`. Rules compare groups
of runs with `compare_groups` (every seed counts; `reports.stats.compare`
decides whether a difference exceeds seed noise) and return those checks,
a summary, a table and a figure as `Evidence`; the decorator turns the
checks into the `Finding`'s verdict with the claim's declared policy. The
policy, and what a check, a guard and a premise are, is written once in
`reports.findings.verdict`: no rule chooses its verdict.

Each comparison is oriented so that side `a` is the one the claim says is
better.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from typing import Callable

import numpy as np
import pandas as pd

from reports import stats
from reports.findings.verdict import INCONCLUSIVE, POLICIES, VERDICTS, result, verdict

FINDINGS: dict[str, Callable] = {}
LOAD_ERRORS: dict[str, str] = {}  # rule module -> import error
EVIDENCE_COLUMNS = ["comparison", "metric", "claim_side", "mean_a", "ci_a", "n_a", "other_side",
                    "mean_b", "ci_b", "n_b", "margin", "p", "result", "in_verdict"]


@dataclasses.dataclass
class Evidence:
    """What a rule returns: its checks and their write-up, without a verdict.

    Args:
        summary: Sentences with the numbers behind the checks.
        table: The comparisons (see `EVIDENCE_COLUMNS`) or any table.
        figure: A matplotlib Figure, or None.
        checks: What the claim asserts (see `reports.findings.verdict`).
        guards: What the claim's side must not be worse at.
        premises: What the test presupposes (`verdict.fact`).
    """

    summary: str
    table: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    figure: object | None = None
    checks: list = dataclasses.field(default_factory=list)
    guards: list = dataclasses.field(default_factory=list)
    premises: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Finding:
    """The verdict of one claim over one suite's runs.

    Args:
        claim: Claim id, e.g. "C6".
        title: The claim in a few words.
        verdict: "supported", "not supported" or "inconclusive".
        summary: Sentences with the numbers behind the verdict.
        evidence: The comparisons (see `EVIDENCE_COLUMNS`) or any table.
        figure: A matplotlib Figure, or None.
    """

    claim: str
    title: str
    verdict: str
    summary: str
    evidence: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    figure: object | None = None

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"A finding's verdict must be one of {', '.join(VERDICTS)}. "
                             f"Received: verdict={self.verdict!r}")

    @property
    def key_evidence(self) -> str:
        """The first sentence of the summary, plus the first comparison that
        exceeds seed noise when there is one."""
        sentences = [x.strip() for x in self.summary.split("; the difference exceeds seed noise")]
        head = self.summary.split(". ")[0].rstrip(".") + "."
        if len(sentences) > 1:
            decisive = sentences[0].rsplit(". ", 1)[-1]
            if decisive and decisive not in head:
                return f"{head} {decisive}; the difference exceeds seed noise."
        return head


def finding(claim: str, title: str, policy: str):
    """Registers `rule(runs, epochs) -> Evidence` as the rule of `claim`.

    The registered function returns a `Finding` whose verdict is
    `reports.findings.verdict.verdict(policy, ...)` of the rule's checks.

    Args:
        claim: Claim id, e.g. "C6".
        title: The claim in a few words.
        policy: `verdict.ALL` or `verdict.MOST` (documented in
            `reports.findings.verdict`).

    Raises:
        ValueError: for a claim registered twice or an unknown policy.

    Example:

    >>> @finding("C99", title="Bigger is better", policy=ALL)
    ... def bigger(runs, epochs):
    ...     checks = [compare_groups(runs, "test_accuracy", {"width": 64}, {"width": 8})]
    ...     return Evidence(tally(checks), evidence_table(checks), checks=checks)
    """
    if policy not in POLICIES:
        raise ValueError(f"The verdict policy of claim {claim!r} must be one of "
                         f"{', '.join(POLICIES)} (see reports.findings.verdict). "
                         f"Received: policy={policy!r}")

    def register(rule):
        if claim in FINDINGS:
            raise ValueError(f"Claim {claim!r} already has a rule "
                             f"({FINDINGS[claim].__module__}); one module per claim. "
                             f"Received: claim={claim!r}")

        @functools.wraps(rule)
        def wrapped(runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> Finding:
            out = rule(runs, epochs if epochs is not None else pd.DataFrame())
            if not isinstance(out, Evidence):
                raise TypeError(f"The rule of {claim} must return an Evidence (its checks; "
                                f"the verdict comes from policy {policy!r}). Received: "
                                f"{type(out).__name__}")
            return Finding(claim, title, verdict(policy, out.checks, out.guards, out.premises),
                           out.summary, out.table, out.figure)

        wrapped.claim, wrapped.title, wrapped.policy = claim, title, policy
        FINDINGS[claim] = wrapped
        return wrapped

    return register


def evaluate(claim: str, runs: pd.DataFrame, epochs: pd.DataFrame | None = None) -> Finding:
    """Runs the rule of `claim`; a rule that raises gives an inconclusive Finding
    saying why, so one broken rule never stops a report.

    Raises:
        ValueError: for a claim without a rule (with did-you-mean).
    """
    if claim not in FINDINGS:
        close = difflib.get_close_matches(str(claim), list(FINDINGS), n=3, cutoff=0.5)
        hint = (" Did you mean " + " or ".join(repr(c) for c in close) + "?") if close else ""
        if LOAD_ERRORS:
            hint += f" Rule modules that failed to import: {LOAD_ERRORS}."
        raise ValueError(f"No finding rule for claim {claim!r}.{hint} Expected one of: "
                         f"{', '.join(sorted(FINDINGS))}. Received: claim={claim!r}")
    rule = FINDINGS[claim]
    try:
        return rule(runs, epochs)
    except Exception as e:  # noqa: BLE001 - reported on the page instead
        return Finding(claim, rule.title, INCONCLUSIVE,
                       f"The rule could not be computed from these runs: "
                       f"{type(e).__name__}: {e}.")


def select(runs: pd.DataFrame, where) -> pd.DataFrame:
    """Rows matching `where`: a boolean mask, or `{column: value or [values]}`."""
    if isinstance(where, dict):
        mask = np.ones(len(runs), dtype=bool)
        for column, value in where.items():
            if column not in runs:
                return runs.iloc[0:0]
            values = value if isinstance(value, (list, tuple, set)) else [value]
            mask &= runs[column].astype(object).isin(list(values)).to_numpy()
        return runs[mask]
    return runs[np.asarray(where, dtype=bool)]


def compare_groups(runs: pd.DataFrame, metric: str, a, b, names=None, higher=None,
                   transform: Callable | None = None) -> stats.Comparison:
    """Compares group `a` (the side the claim favours) with group `b` on `metric`.

    Args:
        runs: A `load_runs` frame (every seed is a value).
        metric: Column to compare.
        a: The group the claim says is better: a mask or `{column: value(s)}`.
        b: The other group.
        names: Display names. Defaults to the `where` values.
        higher: Whether larger is better. Defaults to the metric's direction.
        transform: Applied to the values first (e.g. `np.log10`, or a function
            that maps "never reached" to a number).
    """
    values = []
    for where in (a, b):
        column = select(runs, where)[metric] if metric in runs else pd.Series(dtype=float)
        column = pd.to_numeric(column, errors="coerce").astype(float)
        values.append(transform(column) if transform else column)
    if names is None:
        names = [", ".join(plot_label(v) for v in w.values()) if isinstance(w, dict) else "a"
                 for w in (a, b)]
    return stats.compare(values[0], values[1], metric, names, higher=higher)


def plot_label(value) -> str:
    if isinstance(value, (list, tuple, set)):
        return "/".join(str(v) for v in value)
    return str(value)


def evidence_table(checks: list[stats.Comparison], in_verdict: bool = True) -> pd.DataFrame:
    """One row per comparison: both sides' mean and 95% CI half width, counts,
    the margin in the claim's favour, Welch p, the result, and whether the
    comparison counts towards the verdict (`in_verdict`)."""
    rows = []
    for c in checks:
        sign = 1 if c.higher else -1
        rows.append({"comparison": f"{c.a} vs {c.b}", "metric": c.metric, "claim_side": c.a,
                     "mean_a": c.mean_a, "ci_a": (c.ci_a[1] - c.ci_a[0]) / 2, "n_a": c.n_a,
                     "other_side": c.b, "mean_b": c.mean_b,
                     "ci_b": (c.ci_b[1] - c.ci_b[0]) / 2, "n_b": c.n_b,
                     "margin": sign * c.diff, "p": c.p, "result": result(c),
                     "in_verdict": in_verdict})
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)
