"""Reports: the results store as pandas tables, plots and computed findings.

Uses pandas, numpy, matplotlib (Agg canvas, no pyplot) and the standard
library only; it reads the SQLite store directly and never imports
TensorFlow, Keras or `benchmarks`.

- `reports.data`: `load_runs`, `load_epochs`, `load_grad_norms` (DataFrames).
- `reports.stats`: statistics over seeds and the "is the difference real?" rule.
- `reports.plots`: figures; `reports.findings`: one rule per claim, its
  verdict from `reports.findings.verdict`.
- Analysis: `reports.analysis` (a suite's `SuiteReport`) and `reports.tuning`
  (a tuning suite's `TuningReport`).
- Renderers: `reports.html`, `reports.markdown` (they import analysis
  results; analysis never imports a renderer), `reports.paths` (where the
  files go) and `reports.cli` (`zoo report`).

Example:

>>> from reports import load_runs, stats
>>> runs = load_runs("runs/zoo.sqlite", suite="optimizers")
>>> stats.compare_axis(runs, "optimizer", "test_accuracy")
"""

from reports.data import load_epochs, load_grad_norms, load_runs

__all__ = ["load_runs", "load_epochs", "load_grad_norms"]
