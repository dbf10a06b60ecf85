"""How a generative run trains and is measured: `GenerativeMembers`, its members object.

The run lifecycle (`benchmarks.run.lifecycle.Run`) asks its members object
what differs for a model (`benchmarks.run.members`); for a VAE or GAN
(`benchmarks.run.generation`) that is: no gradient-norm probe (the record's
`not_measured` says why), the validation sample quality after every epoch
(`val_frechet_distance`, `val_coverage`, `val_confidence` in the history),
and, after the test losses, the test sample quality of
`benchmarks.run.quality` with the first `GRID` samples kept for the report.

Example:

>>> members_for({"model": "gan"})
<benchmarks.run.generative_members.GenerativeMembers object ...>
"""

from __future__ import annotations

from benchmarks.run.members import OneModel
from zoo.models.generative import is_generative

GRID = 16  # samples kept in the record for the report's grid (seed 0 is shown)
NOT_MEASURED = {
    "grad_norms": "generative models train several losses in their own train_step; the "
                  "gradient probe differentiates one compiled loss of model(x)",
    "dead_fraction": "the dead-unit probe needs a Functional graph from the model's input; "
                     "a VAE/GAN is a model of sub-models with its own train_step",
}


def _no_gradients():
    """A callback standing in for `GradientNorms` where gradient norms are not measured."""
    import keras

    class NoGradients(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.layers, self.history = [], [{}]

    return NoGradients()


def _classifier(run):
    """The quality classifier of the run's data (trained on the whole training split)."""
    import random

    import numpy as np

    from benchmarks.run import quality

    data = run.context["ds"]
    if run.cfg.get("train_samples"):  # the scorer learns the whole training split
        from benchmarks.run.inputs import prepare_dataset

        state = random.getstate(), np.random.get_state()  # loading must not move the run's
        data = prepare_dataset({**run.cfg, "train_samples": None})[0]
        random.setstate(state[0])
        np.random.set_state(state[1])
    return quality.quality_classifier(data, quality.classifier_key(run.cfg))


def members_for(config: dict):
    """The members object of a single run: `GenerativeMembers` for a generative model."""
    return GenerativeMembers() if is_generative(config.get("model")) else OneModel()


def _quality_monitor(classifier, x_val, seed: int):
    """A callback adding the validation sample quality to each epoch's logs.

    At the end of every epoch it scores `len(x_val)` samples (drawn with
    `seed`, so every epoch scores the same latent points) against the
    validation split: `val_frechet_distance`, `val_coverage`,
    `val_confidence` enter the history. It runs before Keras's `History`,
    which records the logs it extended.
    """
    import keras

    from benchmarks.run import quality

    class QualityMonitor(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.real_features = classifier(x_val)[1]

        def on_epoch_end(self, epoch, logs=None):
            samples = self.model.sample(len(x_val), seed=seed)
            scores = quality.score(classifier, samples, x_val, self.real_features)
            if logs is not None:
                logs.update({f"val_{k}": scores[k] for k in ("frechet_distance", "coverage",
                                                             "confidence")})

    return QualityMonitor()


class GenerativeMembers(OneModel):
    """One generative model: its own losses, sample quality per epoch and at the end.

    Attributes:
        classifier: The run's `quality.QualityClassifier`, or None for data without classes.
    """

    classifier = None

    def callbacks(self, run) -> dict:
        """The validation sample quality per epoch, divergence and early stopping as for any
        run; no gradient-norm probe."""
        run.records[0]["not_measured"] = dict(NOT_MEASURED)
        cbs = {"grads": _no_gradients()}
        ds = run.context["ds"]
        if ds.spec.num_classes:
            self.classifier = _classifier(run)
            cbs["quality"] = _quality_monitor(self.classifier, ds.numpy("validation")[0],
                                              run.seeds[0])
        return {**cbs, **super().callbacks(run)}

    def evaluate(self, run, model, test) -> list[dict]:
        """Test losses (and the VAE's ELBO), then the quality of as many samples as the test has."""
        from benchmarks.run import quality

        results = {k: float(v) for k, v in
                   model.evaluate(test, return_dict=True, verbose=0).items()}
        if "kl" in results and "reconstruction" in results:
            results["elbo"] = -(results["reconstruction"] + results["kl"])
        ds = run.context["ds"]
        x_test = ds.numpy("test")[0]
        samples = model.sample(len(x_test), seed=run.seeds[0])
        generation = {"sample_shape": list(samples.shape[1:]),
                      "samples": [[round(float(v), 4) for v in s.ravel()]
                                  for s in samples[:GRID]]}
        if ds.spec.num_classes:
            scores = quality.score(self.classifier or _classifier(run), samples, x_test)
            generation.update(scores)
            results.update({k: scores[k] for k in ("coverage", "confidence",
                                                   "frechet_distance")})
            results["collapsed"] = (None if scores["collapsed"] is None
                                    else float(scores["collapsed"]))
        else:
            generation["note"] = (f"quality not scored: dataset {ds.spec.name!r} has no "
                                  f"classes for the quality classifier")
        return [{"test": results, "generation": generation}]
