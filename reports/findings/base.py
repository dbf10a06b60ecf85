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
                    "mean_b", "ci_b", "n_b", "margin", "margin_low", "margin_high", "effect",
                    "detectable", "p", "result", "in_verdict"]


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
        effect: The smallest effect that matters, as the claim declares it
            (text, e.g. "0.02 test accuracy").
        checks: The checks and guards the verdict was computed from (the
            index's forest plot draws their `stats.Comparison`s).
    """

    claim: str
    title: str
    verdict: str
    summary: str
    evidence: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    figure: object | None = None
    effect: str = ""
    checks: list = dataclasses.field(default_factory=list)

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


def finding(claim: str, title: str, policy: str, effect: str = ""):
    """Registers `rule(runs, epochs) -> Evidence` as the rule of `claim`.

    The registered function returns a `Finding` whose verdict is
    `reports.findings.verdict.verdict(policy, ...)` of the rule's checks.
    Every check and guard that is a `stats.Comparison` must carry the
    claim's smallest effect that matters (`compare_groups(..., effect=)`):
    one without raises, so the finding says so instead of a verdict.

    Args:
        claim: Claim id, e.g. "C6".
        title: The claim in a few words.
        policy: `verdict.ALL` or `verdict.MOST` (documented in
            `reports.findings.verdict`).
        effect: The smallest effect that matters, in words with its unit
            (shown on the index), e.g. "0.02 test accuracy".

    Raises:
        ValueError: for a claim registered twice or an unknown policy.

    Example:

    >>> @finding("C99", title="Bigger is better", policy=ALL, effect="0.02 test accuracy")
    ... def bigger(runs, epochs):
    ...     checks = [compare_groups(runs, "test_accuracy", {"width": 64}, {"width": 8},
    ...                              effect=0.02)]
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
            undeclared = [c for c in list(out.checks) + list(out.guards)
                          if isinstance(c, stats.Comparison) and not np.isfinite(c.effect)]
            if undeclared:
                raise ValueError(f"The rule of {claim} compares {undeclared[0].a} with "
                                 f"{undeclared[0].b} on {undeclared[0].metric} without the "
                                 f"smallest effect that matters: pass effect= to "
                                 f"compare_groups / compare_labels.")
            return Finding(claim, title, verdict(policy, out.checks, out.guards, out.premises),
                           out.summary, out.table, out.figure, effect,
                           list(out.checks) + list(out.guards))

        wrapped.claim, wrapped.title, wrapped.policy = claim, title, policy
        wrapped.effect = effect
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
                       f"{type(e).__name__}: {e}.", effect=rule.effect)


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
                   transform: Callable | None = None, effect: float | None = None
                   ) -> stats.Comparison:
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
        effect: The smallest difference that matters, in the metric's unit
            (after `transform`); see `reports.stats.compare`.
    """
    values = []
    for where in (a, b):
        column = select(runs, where)[metric] if metric in runs else pd.Series(dtype=float)
        column = pd.to_numeric(column, errors="coerce").astype(float)
        values.append(transform(column) if transform else column)
    if names is None:
        names = [", ".join(plot_label(v) for v in w.values()) if isinstance(w, dict) else "a"
                 for w in (a, b)]
    return stats.compare(values[0], values[1], metric, names, higher=higher, effect=effect)


def plot_label(value) -> str:
    if isinstance(value, (list, tuple, set)):
        return "/".join(str(v) for v in value)
    return str(value)


def evidence_table(checks: list[stats.Comparison], in_verdict: bool = True) -> pd.DataFrame:
    """One row per comparison: both sides' mean and 95% CI half width, counts,
    the margin in the claim's favour with its 95% CI (`margin_low` to
    `margin_high`), the declared smallest effect, the smallest difference the
    seeds could detect (80% power, alpha 0.05), Welch p, the result, and
    whether the comparison counts towards the verdict (`in_verdict`)."""
    rows = []
    for c in checks:
        margin, low, high = c.margin
        rows.append({"comparison": f"{c.a} vs {c.b}", "metric": c.metric, "claim_side": c.a,
                     "mean_a": c.mean_a, "ci_a": (c.ci_a[1] - c.ci_a[0]) / 2, "n_a": c.n_a,
                     "other_side": c.b, "mean_b": c.mean_b,
                     "ci_b": (c.ci_b[1] - c.ci_b[0]) / 2, "n_b": c.n_b,
                     "margin": margin, "margin_low": low, "margin_high": high,
                     "effect": c.effect, "detectable": c.detectable, "p": c.p,
                     "result": result(c), "in_verdict": in_verdict})
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


def forest_rows(found: list[Finding]) -> pd.DataFrame:
    """One row per two-group comparison the verdicts were computed from (the
    checks and guards of each finding, in claim order), for the index's forest
    plot: `claim, label, verdict, metric, margin, low, high, effect,
    detectable`, margins oriented so that positive favours the claim.
    Comparisons without a finite interval or effect are left out."""
    rows = []
    for f in found:
        for c in f.checks:
            if not isinstance(c, stats.Comparison):
                continue
            margin, low, high = c.margin
            if not (np.isfinite(low) and np.isfinite(high) and np.isfinite(c.effect)
                    and c.effect > 0):
                continue
            rows.append({"claim": f.claim, "label": f"{f.claim} {c.a} vs {c.b} ({c.metric})",
                         "verdict": f.verdict, "metric": c.metric, "margin": margin,
                         "low": low, "high": high, "effect": c.effect,
                         "detectable": c.detectable})
    return pd.DataFrame(rows, columns=["claim", "label", "verdict", "metric", "margin", "low",
                                       "high", "effect", "detectable"])
