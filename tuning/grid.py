"""A GridSearch oracle that resumes: rebuilds its ordering from the trials it reloads.

Keras Tuner 1.4.8's `GridSearchOracle` keeps two pieces of bookkeeping in
memory only: `_ordered_ids` (trial ids sorted by their place in the grid) and
`_populate_next` (trials whose successor in the grid is still to be
generated). Neither is in the saved oracle state, so a search reloaded with
`overwrite=False` either stops at once (nothing queued) or, when a trial was
interrupted mid-run, crashes with `KeyError: '<trial_id>'` in
`LinkedList.next` after the retried trial ends (keras-team/keras-tuner#1055).

`ResumableGridSearchOracle.reload` rebuilds both from the reloaded trials:
every known trial sorted in grid order (the oracle's own `_compare`), and all
of them queued, so `populate_space` walks the grid again, skips each
combination already tried and hands out the first one that was not.

Example:

>>> oracle = ResumableGridSearchOracle(objective="val_loss", seed=0)
>>> tuner = keras_tuner.GridSearch(hypermodel, oracle=oracle)  # see tuning.search
"""

from __future__ import annotations

import functools

from keras_tuner.oracles import GridSearchOracle
from keras_tuner.src.tuners.gridsearch import LinkedList


class ResumableGridSearchOracle(GridSearchOracle):
    """`GridSearchOracle` whose grid ordering survives a reload (same arguments)."""

    def reload(self):
        """Reloads trials and state, then rebuilds the grid ordering from the trials."""
        super().reload()
        self.rebuild_order()

    def rebuild_order(self) -> None:
        """Sorts every known trial in grid order and queues each for its successor."""
        ids = [trial_id for trial_id in self.start_order if trial_id in self.trials]

        def compare(a, b):
            return self._compare(self.trials[a].hyperparameters.values,
                                 self.trials[b].hyperparameters.values)

        ordered = sorted(ids, key=functools.cmp_to_key(compare))
        self._ordered_ids = LinkedList()
        for trial_id in ordered:
            self._ordered_ids.insert(trial_id)
        self._populate_next = list(ordered)
