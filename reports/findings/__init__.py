"""Findings: one rule per claim, registered in `FINDINGS` by claim id.

Adding a claim is one module in this package, e.g. `c09_initializers.py`:

    from reports.findings.base import Finding, compare_groups, decide, evidence_table, finding

    @finding("C9", title="Glorot/He initialization keeps gradients stable")
    def initializers(runs, epochs):
        checks = [compare_groups(runs, "final_loss", {"initializer": "he_normal"},
                                 {"initializer": "zeros"})]
        verdict, summary = decide(checks)
        return Finding("C9", "", verdict, summary, evidence_table(checks))

Every module of this package is imported here, so the decorator is all the
registration a rule needs. A module that fails to import is reported in
`LOAD_ERRORS` (and a warning) instead of breaking every report.
"""

import importlib
import pkgutil
import warnings

from reports.findings.base import (FINDINGS, LOAD_ERRORS, VERDICTS, Finding, compare_groups,
                                   decide, evaluate, evidence_table, finding)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        try:
            importlib.import_module(f"{__name__}.{_module.name}")
        except Exception as e:  # noqa: BLE001 - one broken rule must not hide the others
            LOAD_ERRORS[_module.name] = f"{type(e).__name__}: {e}"
            warnings.warn(f"reports.findings.{_module.name} failed to import and its claim "
                          f"has no rule: {LOAD_ERRORS[_module.name]}", stacklevel=1)

__all__ = ["FINDINGS", "LOAD_ERRORS", "VERDICTS", "Finding", "finding", "evaluate",
           "compare_groups", "decide", "evidence_table"]
