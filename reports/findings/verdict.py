"""The verdict policy: how a claim's checks become its verdict.

A rule (see `reports.findings.base`) computes *checks* and returns them in an
`Evidence`; it never chooses a verdict. Each check is oriented so that side
`a` is the one the claim says is better, and has an `outcome`:

- "a better": favours the claim beyond seed noise (`reports.stats.compare`:
  Welch p < 0.05 AND non-overlapping 95% CIs);
- "b better": contradicts it beyond seed noise;
- "within noise": a difference seed noise explains;
- "inconclusive": fewer than two finite values on a side (noise unmeasured).

A check is a `reports.stats.Comparison`, or a `Fact` for evidence that is
not a two-group comparison (one group's CI against 0, an ensemble against
its members' CI). The rule files them as:

- `checks`: what the claim asserts;
- `guards`: what the claim must not cost (the claim's side may not be worse
  beyond noise, e.g. early stopping must not lose accuracy);
- `premises`: what the test presupposes (e.g. an unregularized model that
  does overfit); each must hold ("a better") or there is nothing to judge.

`verdict(policy, checks, guards, premises)` applies, in order:

1. a premise that does not hold, or no check at all: `inconclusive`;
2. a guard with too few seeds: `inconclusive`; a guard against the claim
   beyond noise: `not supported`;
3. the claim's policy, one of two, declared in its `@finding(...)`:

   - `ALL` ("every"), for a claim that is a conjunction of specific
     statements ("the non-linear MLP beats both the linear MLP and logistic
     regression"): `inconclusive` when any check has too few seeds;
     `not supported` when any check contradicts the claim beyond noise;
     `supported` when every check favours it beyond noise; else (some
     within noise) `inconclusive`.
   - `MOST` ("most cases"), for a claim about a family of cases (each
     optimizer vs SGD, each regularizer vs none, each label budget):
     checks with too few seeds are left out (all of them: `inconclusive`);
     `supported` when at least one check favours the claim beyond noise,
     none contradicts it and those favouring it are at least as many as
     those within noise; `not supported` when at least one contradicts it
     and none favours it; else (mixed evidence, all within noise)
     `inconclusive`.

Under both, a difference within seed noise never counts for or against a
claim. Thresholds a claim states are applied to a check before the policy
sees it: `at_least` (a real effect smaller than the claim's minimum
contradicts it) and `tolerate` (a contradiction smaller than a margin the
claim allows is no contradiction).

Why two policies and not one: `MOST` is the policy C2, C5, C6, C7 and C16
were published with (README "## Claims"); under `ALL` C2 (tanh within noise
of ReLU) and C5 (samples/s within noise with 2 seeds) would turn
inconclusive. `ALL` is the one the other claims state. Unifying them moved
three edge cases on purpose, each now following rule 2/3 instead of a rule
of its own: C1 is `not supported` when the linear MLP beats logistic
regression beyond noise and margin even if the non-linear MLP is within
noise (was `inconclusive`); C4 compares the fastest rate other than the
tiniest with the tiniest (and the best rate other than the largest with the
largest), so a tiny or a largest rate that wins only within noise is
`inconclusive` (was `not supported` by fiat); C11 (epochs to target, then
final loss) is a `MOST` claim, so the two checks disagreeing beyond noise is
`inconclusive` (was decided by epochs to target alone).

Example:

>>> from reports import stats
>>> c = stats.compare([0.9, 0.91, 0.92], [0.7, 0.71, 0.72], "test_accuracy", ("a", "b"))
>>> verdict(ALL, [c])
'supported'
"""

from __future__ import annotations

import dataclasses
import math

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE)
ALL, MOST = "all", "most"
POLICIES = {ALL: "every check favours the claim beyond seed noise",
            MOST: "more checks favour the claim beyond seed noise than stay within it, "
                  "none against"}
FOR, AGAINST, NOISE, FEW = "a better", "b better", "within noise", "inconclusive"


@dataclasses.dataclass(frozen=True)
class Fact:
    """A check that is not a two-group comparison.

    Args:
        outcome: "a better" (holds / favours the claim), "b better"
            (contradicts it), "within noise" or "inconclusive".
        text: The sentence shown in the summary.
    """

    outcome: str
    text: str

    def sentence(self) -> str:
        return self.text


def fact(holds: bool | None, text: str) -> Fact:
    """A premise as a `Fact`: "a better" when `holds`, else "inconclusive"."""
    return Fact(FOR if holds else FEW, text)


def result(check) -> str:
    """"for", "against", "noise" or "too few seeds" for one check."""
    return {FOR: "for", AGAINST: "against", NOISE: "noise"}.get(check.outcome, "too few seeds")


def verdict(policy: str, checks, guards=(), premises=()) -> str:
    """The verdict of a claim's checks (see the module docstring).

    Args:
        policy: `ALL` or `MOST`.
        checks: What the claim asserts (`stats.Comparison` or `Fact`, side
            `a` = the claim's side).
        guards: What the claim's side must not be worse at.
        premises: What the test presupposes; each must be "a better".

    Returns:
        "supported", "not supported" or "inconclusive".

    Raises:
        ValueError: for an unknown policy.

    Example:

    >>> verdict(MOST, [Fact("a better", "x"), Fact("within noise", "y")])
    'supported'
    """
    if policy not in POLICIES:
        raise ValueError(f"A verdict policy is one of {', '.join(POLICIES)} (see "
                         f"reports.findings.verdict). Received: policy={policy!r}")
    checks, guards = [result(c) for c in checks], [result(c) for c in guards]
    if not checks or any(p.outcome != FOR for p in premises):
        return INCONCLUSIVE
    if "too few seeds" in guards:
        return INCONCLUSIVE
    if "against" in guards:
        return NOT_SUPPORTED
    if policy == ALL:
        if "too few seeds" in checks:
            return INCONCLUSIVE
        if "against" in checks:
            return NOT_SUPPORTED
        return SUPPORTED if all(r == "for" for r in checks) else INCONCLUSIVE
    n_for, n_against, n_noise = (checks.count(r) for r in ("for", "against", "noise"))
    if n_against and not n_for:
        return NOT_SUPPORTED
    if n_for and not n_against and n_for >= n_noise:
        return SUPPORTED
    return INCONCLUSIVE


def tally(checks, what: str = "comparisons") -> str:
    """A summary: how many checks favour / contradict / are within noise, then
    each check's own sentence."""
    results = [result(c) for c in checks]
    if not checks:
        return f"No {what} could be made from these runs. "
    n_few = results.count("too few seeds")
    head = (f"{results.count('for')} of {len(checks)} {what} favour the claim beyond seed "
            f"noise, {results.count('against')} contradict it, {results.count('noise')} are "
            f"within noise" + (f", {n_few} have fewer than 2 seeds per side" if n_few else ""))
    return head + ". " + " ".join(c.sentence() for c in checks)


def at_least(check, minimum: float):
    """`check` (a `stats.Comparison`) with a real effect whose claimed side's
    mean stays below `minimum` turned against the claim: measurable but
    smaller than the claim is about (e.g. 2% dead units is not "units die")."""
    if check.outcome == FOR and not check.mean_a >= minimum:
        return dataclasses.replace(check, outcome=AGAINST)
    return check


def tolerate(check, margin: float):
    """`check` (a `stats.Comparison`) with a contradiction no larger than
    `margin` counted as within noise: a gap the claim allows (e.g. a linear
    MLP may match logistic regression, so beating it by < 0.02 is no gain)."""
    if check.outcome == AGAINST and math.isfinite(check.diff) and abs(check.diff) <= margin:
        return dataclasses.replace(check, outcome=NOISE)
    return check
