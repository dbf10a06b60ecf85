"""The variational autoencoder as a Keras model with its own `train_step`.

Follows the Keras VAE example (keras.io/examples/generative/vae): an encoder
gives `(z_mean, z_log_var)`, a reparameterized sample `z` goes through the
decoder, and the loss is the negative ELBO with a weighted KL term:

    loss = reconstruction + kl_weight * kl

- `reconstruction`: -log p(x | z) summed over the data's values, a mean over
  the batch. Bernoulli (images, pixels in [0, 1]): the binary cross-entropy
  of the decoder's logits. Gaussian (other data): 0.5 x squared error, unit
  variance, the constant 0.5 D log(2 pi) left out.
- `kl`: KL(q(z | x) || N(0, I)) summed over the latent dimensions.

`fit` logs `loss`, `reconstruction` and `kl` (and `val_` ones); the ELBO is
`-(reconstruction + kl)` whatever `kl_weight` is. `model(x)` is the
reconstruction of `x` through `z_mean` (in the data's shape, as values, not
logits); `sample(n, seed)` decodes `n` draws of z ~ N(0, I). The train step
uses `tf.GradientTape`: the TensorFlow backend.

Example:

>>> vae = VAE((8, 8, 1), latent_size=2)
>>> vae.compile(optimizer="adam")
>>> vae.fit(x_train, epochs=10)
>>> vae.sample(16, seed=0).shape
(16, 8, 8, 1)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.models import generative_blocks as blocks

VARIANTS = ("dense", "conv")


def features(data):
    """The inputs of a batch given as `x`, `(x,)`, `(x, y)` or `(x, y, weights)`."""
    return data[0] if isinstance(data, (tuple, list)) else data


@keras.saving.register_keras_serializable(package="zoo")
class VAE(keras.Model):
    """Variational autoencoder (Kingma & Welling 2014) with its own train and test steps.

    Args:
        data_shape: Shape of one example, e.g. `(8, 8, 1)` or `(40, 1)`.
        latent_size: Dimensions of z. Defaults to 8.
        variant: "dense" (MLP encoder and decoder) or "conv" (strided
            convolutions). Defaults to "dense".
        kl_weight: Weight of the KL term in the loss (beta-VAE when != 1).
            Defaults to 1.0.
        width: Units of the Dense layers. Defaults to 128.
        filters: Filters of the first convolution ("conv"). Defaults to 16.
        activation: Hidden activation. Defaults to "relu".
        likelihood: "bernoulli" or "gaussian"; None = by shape (images are
            Bernoulli). Defaults to None.
        **kwargs: `keras.Model` arguments (`name`, ...).
    """

    def __init__(self, data_shape, latent_size=8, variant="dense", kl_weight=1.0, width=128,
                 filters=16, activation="relu", likelihood=None, **kwargs):
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"Unknown VAE variant {variant!r}: expected one of {VARIANTS}. "
                             f"Received: variant={variant!r}")
        self.data_shape = tuple(int(d) for d in data_shape)
        self.latent_size, self.variant = int(latent_size), variant
        self.kl_weight, self.width, self.filters = float(kl_weight), int(width), int(filters)
        self.activation = activation
        self.likelihood = likelihood or blocks.likelihood(self.data_shape)
        if self.likelihood not in blocks.LIKELIHOODS:
            raise ValueError(f"Unknown likelihood {likelihood!r}: expected one of "
                             f"{blocks.LIKELIHOODS}. Received: likelihood={likelihood!r}")
        parts = (self.data_shape, self.latent_size, variant, self.width, self.filters,
                 activation)
        self.encoder = blocks.vae_encoder(*parts)
        self.decoder = blocks.vae_decoder(*parts)
        self.seed_generator = keras.random.SeedGenerator()  # drawn from the run's seed
        self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "reconstruction", "kl")]
        self.built = True

    @property
    def metrics(self):
        return list(self.trackers)

    def _mean(self, logits):
        return ops.sigmoid(logits) if self.likelihood == "bernoulli" else logits

    def call(self, inputs, training=False):
        z_mean, _ = self.encoder(inputs, training=training)
        return self._mean(self.decoder(z_mean, training=training))

    def losses_of(self, x, training=False) -> dict:
        """`{"loss", "reconstruction", "kl"}` (batch means) of one batch, z sampled once."""
        z_mean, z_log_var = self.encoder(x, training=training)
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        z = z_mean + ops.exp(0.5 * z_log_var) * eps
        out = ops.reshape(self.decoder(z, training=training), (ops.shape(x)[0], -1))
        target = ops.cast(ops.reshape(x, (ops.shape(x)[0], -1)), out.dtype)
        if self.likelihood == "bernoulli":
            rec = ops.sum(ops.binary_crossentropy(target, out, from_logits=True), axis=-1)
        else:
            rec = 0.5 * ops.sum(ops.square(target - out), axis=-1)
        kl = -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
        rec, kl = ops.mean(rec), ops.mean(kl)
        return {"loss": rec + self.kl_weight * kl, "reconstruction": rec, "kl": kl}

    def _track(self, values: dict) -> dict:
        for tracker in self.trackers:
            tracker.update_state(values[tracker.name])
        return {t.name: t.result() for t in self.trackers}

    def train_step(self, data):
        import tensorflow as tf

        x = features(data)
        with tf.GradientTape() as tape:
            values = self.losses_of(x, training=True)
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(values["loss"], weights), weights))
        return self._track(values)

    def test_step(self, data):
        return self._track(self.losses_of(features(data), training=False))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """`n` samples: decoded means of z ~ N(0, I) drawn with numpy's `seed`, data-shaped."""
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_size))
        return np.asarray(self._mean(self.decoder(z.astype("float32"), training=False)))

    def get_config(self):
        return {**super().get_config(), "data_shape": list(self.data_shape),
                "latent_size": self.latent_size, "variant": self.variant,
                "kl_weight": self.kl_weight, "width": self.width, "filters": self.filters,
                "activation": self.activation, "likelihood": self.likelihood}
