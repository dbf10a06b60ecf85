"""The GAN as a Keras model with its own `train_step`: two parts, two optimizers.

Follows the Keras DCGAN example (keras.io/examples/generative/dcgan_overriding_train_step):
each step first trains the discriminator on a real batch and as many
generated samples, then the generator to make the discriminator call its
samples real (the non-saturating loss of Goodfellow et al. 2014):

    d_loss = BCE(1, D(x)) + BCE(0, D(G(z)))      g_loss = BCE(1, D(G(z)))

`compile(optimizer=..., d_optimizer=...)`: `optimizer` trains the
generator, `d_optimizer` the discriminator (by default a fresh copy of
`optimizer`'s configuration). `fit` logs `d_loss`, `g_loss` and `loss` =
`d_loss + g_loss` (a sum that turns NaN when either part diverges, which
the harness watches); `evaluate` gives the same on held-out data.
`model(x)` is the discriminator's probability that `x` is real;
`sample(n, seed)` runs the generator on z ~ N(0, I). The train step uses
`tf.GradientTape`: the TensorFlow backend.

Example:

>>> gan = GAN((8, 8, 1), latent_size=32)
>>> gan.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
>>> gan.fit(x_train, epochs=20)
>>> gan.sample(16, seed=0).shape
(16, 8, 8, 1)
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from zoo.models import generative_blocks as blocks
from zoo.models.vae_net import features


def _bce(label: float, logits):
    return ops.mean(ops.binary_crossentropy(ops.full_like(logits, label), logits,
                                            from_logits=True))


@keras.saving.register_keras_serializable(package="zoo")
class GAN(keras.Model):
    """DCGAN-style generator and discriminator trained against each other.

    Args:
        data_shape: Shape of one example: an image `(H, W, C)` or a signal
            `(L, C)`, spatial sizes divisible by 4.
        latent_size: Dimensions of the generator's noise z. Defaults to 32.
        filters: Filters of the discriminator's first convolution and of the
            generator's last hidden one (twice as many next to z). Defaults to 32.
        **kwargs: `keras.Model` arguments (`name`, ...).
    """

    def __init__(self, data_shape, latent_size=32, filters=32, **kwargs):
        super().__init__(**kwargs)
        self.data_shape = tuple(int(d) for d in data_shape)
        self.latent_size, self.filters = int(latent_size), int(filters)
        self.generator = blocks.gan_generator(self.data_shape, self.latent_size, self.filters)
        self.discriminator = blocks.gan_discriminator(self.data_shape, self.filters)
        self.seed_generator = keras.random.SeedGenerator()  # drawn from the run's seed
        self.trackers = [keras.metrics.Mean(name=n) for n in ("loss", "d_loss", "g_loss")]
        self.d_optimizer = None
        self.built = True

    def compile(self, optimizer="adam", d_optimizer=None, **kwargs):
        """Like `keras.Model.compile`, with the discriminator's optimizer apart.

        Args:
            optimizer: The generator's optimizer (name or instance). Defaults to "adam".
            d_optimizer: The discriminator's; None = a copy of `optimizer`'s
                configuration. Defaults to None.
            **kwargs: Other `compile` arguments (`jit_compile`, `steps_per_execution`).
        """
        super().compile(optimizer=optimizer, **kwargs)
        if d_optimizer is None:
            d_optimizer = self.optimizer.__class__.from_config(self.optimizer.get_config())
        self.d_optimizer = keras.optimizers.get(d_optimizer)
        self.optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)

    def get_compile_config(self):
        config = super().get_compile_config()
        if config and self.d_optimizer is not None:
            config["d_optimizer"] = keras.saving.serialize_keras_object(self.d_optimizer)
        return config

    def compile_from_config(self, config):
        """Compiles a reloaded GAN with both optimizers (their states are not restored)."""
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**{k: v for k, v in config.items() if v is not None})

    @property
    def metrics(self):
        return list(self.trackers)

    def call(self, inputs, training=False):
        return ops.sigmoid(self.discriminator(inputs, training=training))

    def _noise(self, x):
        return keras.random.normal((ops.shape(x)[0], self.latent_size), seed=self.seed_generator)

    def _d_loss(self, x, training):
        fake = self.generator(self._noise(x), training=training)
        return (_bce(1.0, self.discriminator(x, training=training))
                + _bce(0.0, self.discriminator(fake, training=training)))

    def _g_loss(self, x, training):
        fake = self.generator(self._noise(x), training=training)
        return _bce(1.0, self.discriminator(fake, training=training))

    def _track(self, d_loss, g_loss) -> dict:
        values = {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss}
        for tracker in self.trackers:
            tracker.update_state(values[tracker.name])
        return {t.name: t.result() for t in self.trackers}

    def train_step(self, data):
        import tensorflow as tf

        x = features(data)
        d_weights, g_weights = (self.discriminator.trainable_weights,
                                self.generator.trainable_weights)
        with tf.GradientTape() as tape:
            d_loss = self._d_loss(x, training=True)
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_weights), d_weights))
        with tf.GradientTape() as tape:
            g_loss = self._g_loss(x, training=True)
        self.optimizer.apply_gradients(zip(tape.gradient(g_loss, g_weights), g_weights))
        return self._track(d_loss, g_loss)

    def test_step(self, data):
        x = features(data)
        return self._track(self._d_loss(x, training=False), self._g_loss(x, training=False))

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """`n` generated samples from z ~ N(0, I) drawn with numpy's `seed`."""
        z = np.random.default_rng(seed).standard_normal((int(n), self.latent_size))
        return np.asarray(self.generator(z.astype("float32"), training=False))

    def get_config(self):
        return {**super().get_config(), "data_shape": list(self.data_shape),
                "latent_size": self.latent_size, "filters": self.filters}
