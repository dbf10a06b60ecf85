"""The `generation` task: how the harness trains and measures a VAE or a GAN.

A registry model whose card lists the task "generation" (`vae`, `gan`:
`zoo.models.generative`) learns the dataset's inputs; its labels only score
the samples. What differs from the other tasks:

- **The model** is built for `generation_spec(spec)` (task "generation",
  output = the flattened input) and compiled with its own losses
  (`compile_generative`). `optimizer` / `learning_rate` (with `schedule`,
  `weight_decay`, `momentum`) make the optimizer of every part; a GAN's
  discriminator takes `d_optimizer` / `d_learning_rate` when set.
- **The history** has each part's loss per epoch: `d_loss`, `g_loss` (GAN),
  `reconstruction`, `kl` (VAE), their `val_` versions, and `loss` (their
  sum; the VAE's negative ELBO when kl_weight = 1), which the divergence
  checks watch: a NaN/inf loss makes the run "diverged" as for any model.
  After every epoch, the quality of as many samples as the validation split
  has (the same latent draws each epoch) against that split:
  `val_frechet_distance`, `val_coverage`, `val_confidence`.
  `learning_rate` is the (generator's) `optimizer`'s, per epoch.
- **The test metrics** (`generative_members.GenerativeMembers.evaluate`):
  the parts' losses on the test split, the VAE's `elbo` (-(reconstruction +
  kl), in nats per example), and the sample quality of
  `benchmarks.run.quality` scored on as many samples as the test split has
  (`coverage`, `confidence`, `frechet_distance`, `collapsed` 1/0). The
  record's `generation` field keeps the full scores and the first 16
  samples (for the report's grid); mode collapse is
  `generation["collapsed"]`.
- **Diagnostics**: gradient norms are not measured (the probe
  differentiates one compiled loss of `model(x)`; these models train several
  losses in their own train_step) and dead units are not measured (the probe
  needs a Functional graph): the record's `not_measured` says so.
  `flops_per_example` (and so `mfu`) counts each part's kernels once: an
  undercount, as a GAN step runs the discriminator on a real and a
  generated batch and the generator twice.

`check_generation(config)` lists what a config asks that this task cannot
do (e.g. `d_optimizer` on a model without a discriminator); suite
validation reports it before any run.

Example:

>>> from benchmarks.run import run_one
>>> status, record, _ = run_one({"dataset": "digits", "model": "gan", "epochs": 2}, seed=0)
>>> sorted(record["history"])[:3], sorted(record["generation"])[:3]
(['d_loss', 'g_loss', 'learning_rate'], ['classes_covered', 'classifier', 'collapsed'])
"""

from __future__ import annotations

import math

from zoo.models.generative import GENERATION, has_discriminator, is_generative

_DISCRIMINATOR_AXES = ("d_optimizer", "d_learning_rate")
_UNSUPPORTED = {  # axis -> why a generative run cannot take it (when set to a true value)
    "loss": "a generative model trains its own losses (reconstruction + KL, or the GAN "
            "losses); remove `loss`",
    "label_smoothing": "a generative model has no classification loss to smooth",
    "record_predictions": "a generative model makes no class predictions",
    "pretrain": "transfer pre-training is for classifiers",
}


def generation_spec(spec):
    """The spec a generative model is built for: task "generation", output = flattened input."""
    return spec.replace(task=GENERATION, output_dim=int(math.prod(spec.input_shape)))


def check_generation(config: dict) -> list[tuple[str, str]]:
    """`[(axis, message)]` of what `config` asks that the generation task cannot do.

    Example:

    >>> check_generation({"model": "mlp", "d_optimizer": "sgd"})[0][0]
    'd_optimizer'
    """
    model = config.get("model")
    problems = []
    for axis in _DISCRIMINATOR_AXES:
        if config.get(axis) is not None and not has_discriminator(model):
            problems.append((axis, f"{axis} sets a GAN discriminator's optimizer apart, and "
                                   f"model {model!r} has no discriminator (models that have "
                                   f"one: gan). Remove {axis} or use model = \"gan\""))
    if not is_generative(model):
        return problems
    for axis, why in _UNSUPPORTED.items():
        if config.get(axis):
            problems.append((axis, f"model {model!r} is generative: {why}"))
    if config.get("precision") in ("mixed_float16", "float16"):
        problems.append(("precision", f"model {model!r} has its own train_step without loss "
                                      f"scaling: use float32 or mixed_bfloat16"))
    if int(config.get("replicas") or 1) > 1:
        problems.append(("replicas", f"model {model!r}'s own train_step is not written for a "
                                     f"multi-replica strategy yet: use replicas = 1"))
    return problems


def compile_generative(cfg: dict, ds, strategy, n_train: int, batch_size: int):
    """Builds and compiles a generative model in the strategy scope.

    Args:
        cfg: The resolved config.
        ds: The run's `zoo.datasets.Dataset`.
        strategy: The `tf.distribute` strategy.
        n_train: Training examples (for the schedule).
        batch_size: Training batch size.

    Returns:
        The compiled model (for a GAN, `optimizer` trains the generator and
        `d_optimizer` the discriminator).

    Raises:
        ValueError: for a Keras backend other than TensorFlow (the train steps use
            `tf.GradientTape`), or what `check_generation` finds.
    """
    import keras

    import zoo.models
    from benchmarks.run.optimizers import run_optimizer

    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"The generative models' train steps use tf.GradientTape: they need "
                         f"the TensorFlow backend. Set KERAS_BACKEND=tensorflow. Received: "
                         f"backend={keras.backend.backend()!r}")
    problems = check_generation(cfg)
    if problems:
        raise ValueError(f"Bad {problems[0][0]}: {problems[0][1]}.")
    axes = {k: v for k, v in cfg.items() if k in zoo.models.accepted_axes(cfg["model"])}
    with strategy.scope():
        model = zoo.models.build(cfg["model"], generation_spec(ds.spec), **axes)
        args = {"optimizer": run_optimizer(cfg, cfg["optimizer"], cfg["learning_rate"],
                                           n_train, batch_size)}
        if has_discriminator(cfg["model"]):
            d_lr = cfg.get("d_learning_rate")
            args["d_optimizer"] = run_optimizer(
                cfg, cfg.get("d_optimizer") or cfg["optimizer"],
                d_lr if d_lr is not None else cfg["learning_rate"], n_train, batch_size)
        model.compile(**args, jit_compile=cfg["jit_compile"],
                      steps_per_execution=cfg["steps_per_execution"])
    return model
