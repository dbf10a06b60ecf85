"""`PackedMembers`: the seeds of one cell stacked into one model (a seed pack).

See `benchmarks.matrix.packing` for what a pack shares and what it does not.
"""

from __future__ import annotations

from benchmarks.matrix.packing.members import (bookkeeping_class, member_logs,
                                               member_means_class, packed_loss,
                                               packed_model_class, per_example)
from benchmarks.matrix.packing.stacking import stack_models
from benchmarks.run.members import Unsupported
from benchmarks.run.record import Measured


class PackedMembers:
    """K members of one cell stacked into one model (see `benchmarks.run.members`).

    Args:
        k: The number of members (seeds).
    """

    def __init__(self, k: int):
        self.stacked = int(k)

    def combine(self, run, models: list):
        """The members stacked into one compiled `PackedModel`.

        Raises:
            Unsupported: for an optimizer that clips the norm of the whole
                gradient, or a layer `stack_models` cannot stack.
        """
        for i, model in enumerate(models):
            model.name = f"{model.name}_{i}"
        opt_config = models[0].optimizer.get_config()
        if opt_config.get("clipnorm") or opt_config.get("global_clipnorm"):
            raise Unsupported("gradient norm clipping couples the members")
        try:
            packed = stack_models(models)
        except ValueError as exc:
            raise Unsupported(str(exc).split(" Set `pack_seeds")[0]) from None
        loss, metrics = run.context["loss"], run.context["metrics"]
        fns = {"loss": per_example(loss), **{m.name: per_example(m) for m in metrics}}
        packed = packed_model_class()(packed.inputs, packed.outputs, name=packed.name,
                                      members_metric=member_means_class()(self.stacked, fns))
        packed.compile(optimizer=type(models[0].optimizer).from_config(opt_config),
                       loss=packed_loss(loss), jit_compile=run.cfg["jit_compile"],
                       steps_per_execution=run.cfg["steps_per_execution"])
        return packed

    def datasets(self, pipelines: list) -> tuple:
        """Member k's batches from its own pipeline (as its single run shuffles them), zipped.

        The model stacks them in its step (`PackedModel.stack_batch`).
        Validation and test depend on no seed: the last member's serve all
        (every member sees the same batch).
        """
        import tensorflow as tf

        trains = tuple(train for train, _, _ in pipelines)
        _, val, test = pipelines[-1]
        return tf.data.Dataset.zip(trains), val, test

    def probe_loss(self, loss):
        """The pack's loss: its gradient w.r.t. a stacked kernel is each member's own."""
        return packed_loss(loss)

    def callbacks(self, run) -> dict:
        """Per-member history, divergence and early stopping."""
        from benchmarks.run.steps import early_stopping_args

        return {"members": bookkeeping_class()(self.stacked,
                                               early_stopping_args(run.cfg["early_stopping"]))}

    def outcomes(self, run, history, callbacks: dict) -> list[Measured]:
        """Each member's history, evaluated epoch, divergence and stopping epoch."""
        book = callbacks["members"]
        return [Measured(history=book.histories[i],
                         evaluated_epoch=book.evaluated_epoch(
                             i, len(book.histories[i].get("loss", []))),
                         diverged_epoch=book.diverged[i], last_epoch=book.stopped[i])
                for i in range(self.stacked)]

    def evaluate(self, run, model, test) -> list[dict]:
        """`{"test": metrics}` of each member, from one evaluation of the pack."""
        logs = model.evaluate(test, return_dict=True, verbose=0)
        return [{"test": {key: float(v) for key, v in member_logs(logs, i).items()}}
                for i in range(self.stacked)]

    def member_options(self, run, i: int) -> dict:
        """`{"packed": {"members", "seeds", "index"}}`, so reports can tell."""
        return {"packed": {"members": self.stacked, "seeds": run.seeds, "index": i}}
