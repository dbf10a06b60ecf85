"""Findings: one rule per claim, registered in `FINDINGS` by claim id.

Adding a claim is one module in this package, e.g. `c9_initializers.py`:

    from reports.findings.base import Finding, compare_groups, decide, evidence_table, finding

    @finding("C9", title="Glorot/He initialization keeps gradients stable")
    def initializers(runs, epochs):
        checks = [compare_groups(runs, "final_loss", {"initializer": "he_normal"},
                                 {"initializer": "zeros"})]
        verdict, summary = decide(checks)
        return Finding("C9", "", verdict, summary, evidence_table(checks))

Every module of this package is imported here, so the decorator is all the
registration a rule needs.
"""

import importlib
import pkgutil

from reports.findings.base import (FINDINGS, VERDICTS, Finding, compare_groups, decide,
                                   evaluate, evidence_table, finding)

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["FINDINGS", "VERDICTS", "Finding", "finding", "evaluate", "compare_groups", "decide",
           "evidence_table"]
