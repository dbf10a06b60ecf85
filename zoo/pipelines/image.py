"""`image`: rescaling plus a training-time augmenter of Keras random layers."""

from __future__ import annotations

import numpy as np

from zoo.pipelines import PIPELINES
from zoo.pipelines.base import Pipeline, check_array_input

FLIPS = ("none", "horizontal", "vertical", "horizontal_and_vertical")


class Image(Pipeline):
    """Rescales images and builds an augmenter for training batches.

    `transform` is deterministic (optional reshape and rescale); the random
    part lives in `augmenter()`, a `keras.Sequential` of `RandomFlip`,
    `RandomRotation`, `RandomZoom` and `RandomTranslation` (only those
    switched on) that the harness applies to *training* batches only.

    Args:
        spec: Input `DatasetSpec`.
        rescale: Factor multiplying the pixel values (e.g. 1/255 for raw
            uint8 images; built-in loaders already give [0, 1]). Defaults to
            None (no rescaling).
        flip: One of `FLIPS`. Defaults to "none" (digits are not mirror
            symmetric).
        rotation: Max rotation as a fraction of a full turn. 0 = off.
            Defaults to 0.05.
        zoom: Max zoom in/out as a fraction of the size. 0 = off.
            Defaults to 0.1.
        translation: Max shift as a fraction of height / width. 0 = off.
            Defaults to 0.1.
        fill_mode: How pixels moved in from outside are filled: "constant"
            (zeros, right for dark-background digits), "reflect", "wrap" or
            "nearest". Defaults to "constant".
        image_shape: Reshape flat examples to this (height, width, channels)
            first, e.g. (28, 28, 1). Defaults to None.
        seed: Seed of the random layers. Defaults to None.
    """

    def __init__(self, spec, rescale=None, flip="none", rotation=0.05, zoom=0.1,
                 translation=0.1, fill_mode="constant", image_shape=None, seed=None):
        super().__init__(spec)
        check_array_input("image", spec)
        if flip not in FLIPS:
            raise ValueError(f"flip must be one of {FLIPS}. Received: flip={flip!r}")
        self.shape = tuple(image_shape) if image_shape else tuple(spec.input_shape)
        if len(self.shape) != 3:
            raise ValueError(
                f"Pipeline 'image' needs examples of shape (height, width, channels), but "
                f"dataset {spec.name!r} has {tuple(spec.input_shape)}. Pass image_shape, e.g. "
                f"image_shape=[28, 28, 1]. Received: image_shape={image_shape!r}"
            )
        if int(np.prod(self.shape)) != int(np.prod(spec.input_shape)):
            raise ValueError(
                f"image_shape {self.shape} does not hold the {int(np.prod(spec.input_shape))} "
                f"values of one example of {spec.name!r}. Received: image_shape={image_shape!r}"
            )
        self.rescale, self.flip, self.rotation = rescale, flip, rotation
        self.zoom, self.translation, self.fill_mode, self.seed = zoom, translation, fill_mode, seed

    def transform(self, x):
        x = np.asarray(x, dtype="float32").reshape((-1, *self.shape))
        return x * np.float32(self.rescale) if self.rescale else x

    def output_spec(self, spec):
        return spec.replace(input_kind="image", input_shape=self.shape, input_dtype="float32")

    def augmenter(self):
        import keras

        L, kw = keras.layers, dict(seed=self.seed)
        layers = []
        if self.flip != "none":
            layers.append(L.RandomFlip(self.flip, **kw))
        if self.rotation:
            layers.append(L.RandomRotation(self.rotation, fill_mode=self.fill_mode, **kw))
        if self.zoom:
            layers.append(L.RandomZoom(self.zoom, fill_mode=self.fill_mode, **kw))
        if self.translation:
            layers.append(L.RandomTranslation(self.translation, self.translation,
                                              fill_mode=self.fill_mode, **kw))
        return keras.Sequential(layers, name="augment") if layers else None


@PIPELINES.register(
    description="Images: optional rescale, plus random flip / rotation / zoom / translation "
    "applied to training batches only (claim C13).",
    tasks=("classification", "regression", "reconstruction"),
    input_kind="image",
    tags=("image", "augmentation", "C13"),
    reference="Keras preprocessing layers (RandomFlip, RandomRotation, RandomZoom, "
    "RandomTranslation)",
    axes=("rescale", "flip", "rotation", "zoom", "translation", "fill_mode", "image_shape",
          "seed"),
    defaults={"rescale": None, "flip": "none", "rotation": 0.05, "zoom": 0.1,
              "translation": 0.1, "fill_mode": "constant", "image_shape": None, "seed": None},
)
def image(spec, rescale=None, flip="none", rotation=0.05, zoom=0.1, translation=0.1,
          fill_mode="constant", image_shape=None, seed=None):
    return Image(spec, rescale=rescale, flip=flip, rotation=rotation, zoom=zoom,
                 translation=translation, fill_mode=fill_mode, image_shape=image_shape,
                 seed=seed)
