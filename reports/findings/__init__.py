"""Findings: one rule per claim, registered in `FINDINGS` by claim id.

Adding a claim is one module in this package named `cNN_topic.py` (the claim
number on two digits), e.g. `c17_width.py`:

    from reports.findings.base import Evidence, compare_groups, evidence_table, finding
    from reports.findings.verdict import ALL, tally

    @finding("C17", title="A wider MLP fits the digits better", policy=ALL)
    def wider(runs, epochs):
        checks = [compare_groups(runs, "test_accuracy", {"width": 256}, {"width": 16})]
        return Evidence(tally(checks), evidence_table(checks), checks=checks)

The rule returns its checks; the verdict comes from the policy the claim
declares (`ALL` or `MOST`, both documented in `reports.findings.verdict`).
Every module of this package is imported here, so the decorator is all the
registration a rule needs. A module that fails to import is reported in
`LOAD_ERRORS` (and a warning) instead of breaking every report.
"""

import importlib
import pkgutil
import warnings

from reports.findings.base import (FINDINGS, LOAD_ERRORS, Evidence, Finding, compare_groups,
                                   evaluate, evidence_table, finding, forest_rows)
from reports.findings.verdict import ALL, MOST, POLICIES, VERDICTS, tally, verdict

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "groups", "verdict"):  # cNN_* claims, rNN_* reproductions
        try:
            importlib.import_module(f"{__name__}.{_module.name}")
        except Exception as e:  # noqa: BLE001 - one broken rule must not hide the others
            LOAD_ERRORS[_module.name] = f"{type(e).__name__}: {e}"
            warnings.warn(f"reports.findings.{_module.name} failed to import and its claim "
                          f"has no rule: {LOAD_ERRORS[_module.name]}", stacklevel=1)

__all__ = ["FINDINGS", "LOAD_ERRORS", "VERDICTS", "POLICIES", "ALL", "MOST", "Evidence",
           "Finding", "finding", "evaluate", "compare_groups", "evidence_table", "forest_rows",
           "tally", "verdict"]
