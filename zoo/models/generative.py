"""Generative models: the variational autoencoder (`vae`) and the GAN (`gan`).

Both are Keras models with their own `train_step` (`zoo.models.vae_net.VAE`,
`zoo.models.gan_net.GAN`), built for the `generation` task: they learn the
data's inputs (labels are only used to score the samples, see
`benchmarks.run.quality`). The harness trains them with the `generation`
task (`benchmarks.run.generation`): per-part losses in the history, the
optimizer axes for both parts (`d_optimizer` / `d_learning_rate` set the
GAN's discriminator apart), sample quality measured after training.

Example:

>>> from zoo.models import build
>>> from zoo.spec import DatasetSpec
>>> spec = DatasetSpec("digits", "generation", "image", (8, 8, 1), 10, 64)
>>> build("gan", spec, latent_size=16).sample(4).shape
(4, 8, 8, 1)
"""

from __future__ import annotations

import math

from zoo.models import MODELS

GENERATION = "generation"


def _check_task(model: str, task: str, input_shape, num_outputs) -> None:
    size = math.prod(input_shape)
    if task != GENERATION or int(num_outputs) != size:
        raise ValueError(
            f"`{model}` is a generative model: it needs task='generation' and output_dim "
            f"equal to the flattened input size ({size} for input_shape {tuple(input_shape)}); "
            f"the harness gives it that spec for any dataset with numeric inputs. Use a "
            f"classifier such as `mlp` for labels. Received: task={task!r}, "
            f"output_dim={num_outputs}")


@MODELS.register(
    description="Variational autoencoder with its own train_step: encoder -> (z_mean, "
                "z_log_var) -> sampled z -> decoder; loss = reconstruction + kl_weight x KL. "
                "Dense or convolutional (variant).",
    tasks=(GENERATION,),
    input_kind="any",
    axes=("variant", "latent_size", "kl_weight", "width", "filters", "activation"),
    defaults={"variant": "dense", "latent_size": 8, "kl_weight": 1.0, "width": 128,
              "filters": 16, "activation": "relu"},
    tags=("generative", "autoencoder", "unsupervised"),
    reference="Kingma & Welling 2014, 'Auto-Encoding Variational Bayes'; the Keras example "
              "keras.io/examples/generative/vae. Bernoulli likelihood for images (pixels in "
              "[0, 1]), Gaussian (unit variance) otherwise",
    extra={"default_dataset": "digits", "parts": ("encoder", "decoder")},
)
def vae(input_shape, num_outputs, task=GENERATION, variant="dense", latent_size=8,
        kl_weight=1.0, width=128, filters=16, activation="relu"):
    """A `zoo.models.vae_net.VAE` for the data's shape."""
    from zoo.models.vae_net import VAE

    _check_task("vae", task, input_shape, num_outputs)
    return VAE(input_shape, latent_size=latent_size, variant=variant, kl_weight=kl_weight,
               width=width, filters=filters, activation=activation, name="vae")


@MODELS.register(
    description="DCGAN-style GAN with its own train_step: a generator (Dense -> 2 stride-2 "
                "transposed convolutions, batch norm, ReLU) against a discriminator (2 "
                "stride-2 convolutions, LeakyReLU); sized for 8x8 digits and MNIST-1D signals.",
    tasks=(GENERATION,),
    input_kind="any",
    axes=("latent_size", "filters"),
    defaults={"latent_size": 32, "filters": 32},
    tags=("generative", "gan", "unsupervised"),
    reference="Goodfellow et al. 2014, 'Generative Adversarial Nets'; Radford et al. 2016 "
              "(DCGAN); the Keras example keras.io/examples/generative/"
              "dcgan_overriding_train_step. Needs images (H, W, C) or signals (L, C) with "
              "spatial sizes divisible by 4",
    extra={"default_dataset": "digits", "parts": ("generator", "discriminator")},
)
def gan(input_shape, num_outputs, task=GENERATION, latent_size=32, filters=32):
    """A `zoo.models.gan_net.GAN` for the data's shape."""
    from zoo.models.gan_net import GAN

    _check_task("gan", task, input_shape, num_outputs)
    return GAN(input_shape, latent_size=latent_size, filters=filters, name="gan")


def is_generative(name) -> bool:
    """Whether registry model `name` is trained for the `generation` task.

    Example:

    >>> is_generative("gan"), is_generative("mlp")
    (True, False)
    """
    return isinstance(name, str) and name in MODELS and GENERATION in MODELS.card(name).tasks


def has_discriminator(name) -> bool:
    """Whether model `name` has a discriminator (takes `d_optimizer`, `d_learning_rate`)."""
    return is_generative(name) and "discriminator" in MODELS.card(name).extra.get("parts", ())
