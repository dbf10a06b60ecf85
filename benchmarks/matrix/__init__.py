"""Running a matrix: the driver, the planner, executors, packing and progress.

- `driver`: `plan` and `run_suite`, the store's one writer.
- `planner`: which runs share a graph (packed seeds).
- `executors`: worker processes or Ray, running `"module:qualname"` run functions.
- `packing`: several seeds of one cell trained as one Keras model.
- `progress`: the live display.
"""
