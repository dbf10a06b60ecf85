"""The verdict policy: how a claim's checks become its verdict.

A rule (see `reports.findings.base`) computes *checks* and returns them in an
`Evidence`; it never chooses a verdict. Each check is oriented so that side
`a` is the one the claim says is better, carries the claim's declared
*smallest effect that matters* (`effect`, in the metric's unit), and has an
`outcome` from the 95% confidence interval of the difference
(`reports.stats.compare`):

- "a better" (for): the interval lies beyond zero in the claim's direction;
- "b better" (against): it lies beyond zero on the other side;
- "equivalent" (against): it lies inside +-effect, so any difference is too
  small to matter;
- "within noise": it straddles the effect; the seeds cannot tell (the
  comparison's `detectable` says what they could detect at 80% power);
- "inconclusive": fewer than two finite values on a side.

A check is a `reports.stats.Comparison`, or a `Fact` for evidence that is
not a two-group comparison (a premise such as "the model overfits"). The
rule files them as:

- `checks`: what the claim asserts;
- `guards`: what the claim must not cost: the claim's side may not be worse
  beyond zero by more than the declared effect (a cost smaller than the
  effect that matters is no cost);
- `premises`: what the test presupposes; each must hold ("a better") or
  there is nothing to judge.

`verdict(policy, checks, guards, premises)` applies, in order:

1. a premise that does not hold, or no check at all: `inconclusive`;
2. a guard with too few seeds: `inconclusive`; a guard against the claim
   beyond its effect: `not supported`;
3. the claim's policy, one of two, declared in its `@finding(...)`; both
   decide whenever the undecided checks ("within noise") could not change
   the answer, and only then:

   - `ALL` ("every"), for a claim that is a conjunction of specific
     statements: `inconclusive` when any check has too few seeds; `not
     supported` when any check is against (or equivalent); `supported` when
     every check is for; else (some within noise) `inconclusive`.
   - `MOST` ("most"), for a claim about a family of cases (each optimizer
     vs SGD, each regularizer vs none): checks with too few seeds are left
     out; `supported` when the checks for outnumber those against plus
     those within noise; `not supported` when the checks against are at
     least as many as those for plus those within noise; else
     `inconclusive`.

So a verdict is `inconclusive` only when a check's interval straddles the
claim's declared effect (or a side has fewer than two seeds), and the page
shows that interval, the effect and the detectable difference. Thresholds a
claim states are applied to a check before the policy sees it: `at_least`
(a real effect whose claimed side stays below a minimum contradicts it) and
`tolerate` (a contradiction no larger than a margin is within noise).

Example:

>>> from reports import stats
>>> c = stats.compare([0.9, 0.91, 0.92], [0.7, 0.71, 0.72], "test_accuracy", ("a", "b"),
...                   effect=0.02)
>>> verdict(ALL, [c])
'supported'
"""

from __future__ import annotations

import dataclasses
import math

SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE = "supported", "not supported", "inconclusive"
VERDICTS = (SUPPORTED, NOT_SUPPORTED, INCONCLUSIVE)
ALL, MOST = "all", "most"
POLICIES = {ALL: "every check favours the claim beyond zero",
            MOST: "the checks for the claim outnumber those against and within noise"}
FOR, AGAINST, EQUIVALENT, NOISE, FEW = ("a better", "b better", "equivalent", "within noise",
                                        "inconclusive")


@dataclasses.dataclass(frozen=True)
class Fact:
    """A check that is not a two-group comparison.

    Args:
        outcome: "a better" (holds / favours the claim), "b better"
            (contradicts it), "equivalent", "within noise" or "inconclusive".
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
    """"for", "against", "equivalent", "noise" or "too few seeds" for one check."""
    return {FOR: "for", AGAINST: "against", EQUIVALENT: "equivalent",
            NOISE: "noise"}.get(check.outcome, "too few seeds")


def costs(guard) -> bool:
    """Whether a guard is against the claim: its claimed side worse beyond
    zero by more than the declared effect (any amount without one)."""
    if result(guard) != "against":
        return False
    effect = getattr(guard, "effect", float("nan"))
    diff = getattr(guard, "diff", float("nan"))
    return not (math.isfinite(effect) and math.isfinite(diff) and abs(diff) <= effect)


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

    >>> verdict(MOST, [Fact("a better", "x"), Fact("a better", "y"), Fact("within noise", "z")])
    'supported'
    """
    if policy not in POLICIES:
        raise ValueError(f"A verdict policy is one of {', '.join(POLICIES)} (see "
                         f"reports.findings.verdict). Received: policy={policy!r}")
    results = [result(c) for c in checks]
    if not checks or any(p.outcome != FOR for p in premises):
        return INCONCLUSIVE
    if any(result(g) == "too few seeds" for g in guards):
        return INCONCLUSIVE
    if any(costs(g) for g in guards):
        return NOT_SUPPORTED
    n_for, n_noise = results.count("for"), results.count("noise")
    n_not = results.count("against") + results.count("equivalent")
    if policy == ALL:
        if "too few seeds" in results:
            return INCONCLUSIVE
        if n_not:
            return NOT_SUPPORTED
        return SUPPORTED if n_for == len(results) else INCONCLUSIVE
    if not n_for + n_not + n_noise:
        return INCONCLUSIVE
    if n_for > n_not + n_noise:
        return SUPPORTED
    if n_not >= n_for + n_noise:
        return NOT_SUPPORTED
    return INCONCLUSIVE


def tally(checks, what: str = "comparisons") -> str:
    """A summary: how many checks favour / contradict / are within noise, then
    each check's own sentence."""
    results = [result(c) for c in checks]
    if not checks:
        return f"No {what} could be made from these runs. "
    n_few = results.count("too few seeds")
    n_eq = results.count("equivalent")
    head = (f"{results.count('for')} of {len(checks)} {what} favour the claim beyond seed "
            f"noise, {results.count('against')} contradict it, "
            + (f"{n_eq} are equivalent (within the smallest effect that matters), "
               if n_eq else "")
            + f"{results.count('noise')} are within noise"
            + (f", {n_few} have fewer than 2 seeds per side" if n_few else ""))
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
