"""Keras Applications in the registry: ImageNet architectures on the zoo's small images.

Each entry is a short decorated builder passing one `keras.applications`
class to the family builder `application`, which wraps it in an input
adapter and the zoo's output head:

    (H, W) or (H, W, C) in [0, 1]
      -> `Resizing` each side up to the application's minimum (32 for all
         five: `obtain_input_shape(min_size=32)` in ResNet/DenseNet/
         EfficientNetV2/ConvNeXt, an explicit 32x32 check in MobileNetV3)
      -> grey to RGB by `Concatenate([x, x, x])`: it has no weights, so the
         backbone stays exactly the application (an ImageNet "notop" file
         still loads into it), and a grey pixel is what ImageNet filters see
         for a grey photo
      -> the application's own preprocessing, mapped from [0, 1]: ResNetV2
         ("tf" mode, [-1, 1]) by `Rescaling(2, offset=-1)`; DenseNet ("torch"
         mode, ImageNet mean/std) by `Normalization`; MobileNetV3,
         EfficientNetV2 and ConvNeXt include theirs (`include_preprocessing`,
         expecting 0-255), so they get `Rescaling(255)` first
      -> the application, `include_top=False`, `pooling="avg"` (a nested
         Functional model named as Keras names it)
      -> `output_head` (float32 softmax).

The adapter assumes inputs in [0, 1], as the bundled image datasets give
them (`digits` is 8x8x1 in [0, 1]); a standardizing pipeline shifts them.

Weights: `weights=None` (the default) builds randomly initialised models and
nothing is downloaded, ever. `weights` may be a local file: a `.weights.h5`
(or `.keras`) saved from the same zoo model is loaded into the whole model
(`model.load_weights`); a legacy `.h5` / `.hdf5` such as the Keras
Applications ImageNet "notop" download is loaded into the backbone.
`"imagenet"` is rejected: download the file once and pass its path.

Card numbers (`extra`): `params` and `flops` at the default input, the
`digits` spec (8x8x1, 10 classes) resized to 32x32x3; see `MEASURED`.

Example:

>>> from zoo.models import build
>>> from zoo.datasets import load
>>> model = build("mobilenet_v3_small", load("digits").spec)
>>> model.input_shape, model.output_shape
((None, 8, 8, 1), (None, 10))
"""

from __future__ import annotations

import os

from zoo.models import MODELS

MIN_SIZE = 32  # every application below accepts 32x32 and nothing smaller
TAG = "keras-applications"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
WHOLE_MODEL_SUFFIXES = (".weights.h5", ".keras")
BACKBONE_SUFFIXES = (".h5", ".hdf5")
MEASURED = ("Measured once for the default dataset (digits 8x8x1 resized to 32x32x3, 10 "
            "classes, weights=None): params = model.count_params(); flops = "
            "benchmarks.run.diagnostics.flops_per_example, training FLOPs per example = 6 x "
            "the multiply-accumulates of Dense/Conv/DepthwiseConv kernels (forward = flops "
            "/ 3; biases, normalization, activations and pooling not counted).")


def check_weights(weights, app: str = "<Name>") -> None:
    """Checks a `weights` value without building anything (no Keras import).

    Args:
        weights: None, or the path of a local weights file.
        app: The `keras.applications` name, for the "imagenet" message.

    Raises:
        ValueError: for "imagenet" (it would download), a file that does not
            exist, or a file type Keras cannot load weights from.
        TypeError: for a value that is neither None nor a path.

    Example:

    >>> check_weights(None)
    >>> check_weights("imagenet")
    Traceback (most recent call last):
    ...
    ValueError: weights='imagenet' would download at run time, which the zoo never does; ...
    """
    if weights is None:
        return
    if not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"`weights` must be None or the path of a local weights file. "
                        f"Received: weights={weights!r}")
    path = os.fspath(weights)
    if path.strip().lower() == "imagenet":
        # One sentence up to the path: suite validation shows the first sentence only.
        raise ValueError(
            "weights='imagenet' would download at run time, which the zoo never does; "
            "download the file once and pass its path (for instance run "
            f"`keras.applications.{app}(include_top=False, weights='imagenet')` once on a "
            "machine with network access, which keeps the file in ~/.keras/models/, then "
            "set weights='/path/to/..._notop.h5'). Received: weights='imagenet'")
    if not os.path.isfile(path):
        raise ValueError(f"Weights file not found: {path!r}. Pass the path of an existing "
                         f"local file (absolute paths are safest with remote workers), or "
                         f"weights=None for random initialisation. Received: weights={path!r}")
    if not path.lower().endswith(WHOLE_MODEL_SUFFIXES + BACKBONE_SUFFIXES):
        raise ValueError(
            f"Cannot load weights from {path!r}: expected a `.weights.h5` or `.keras` file "
            f"saved from this zoo model, or a Keras Applications `.h5` file for the "
            f"backbone. Received: weights={path!r}")


def load_weights(model, backbone, weights) -> None:
    """Loads a checked local weights file into the zoo model or its backbone.

    Args:
        model: The built zoo model.
        backbone: Its nested Keras Applications model.
        weights: None (nothing to do) or a path accepted by `check_weights`.

    Raises:
        ValueError: when the file does not fit the model (with Keras's reason).
    """
    if weights is None:
        return
    path = os.fspath(weights)
    whole = path.lower().endswith(WHOLE_MODEL_SUFFIXES)
    target = model if whole else backbone
    try:
        target.load_weights(path)
    except ValueError as exc:
        raise ValueError(
            f"The weights in {path!r} do not fit {target.name!r} "
            f"({'the whole zoo model' if whole else 'the Keras Applications backbone'}): "
            f"{exc} A `.weights.h5` must come from the same model, input shape and number "
            f"of classes. Received: weights={path!r}") from exc


def application_input(input_shape, preprocess: str, min_size: int = MIN_SIZE):
    """The adapter from a zoo image to what a Keras Application expects.

    Args:
        input_shape: (H, W) or (H, W, C) with C in (1, 3), values in [0, 1].
        preprocess: "tf" (to [-1, 1]), "torch" (ImageNet mean/std) or
            "included" (to 0-255 for the application's own preprocessing).
        min_size: Each side smaller than this is resized up to it.

    Returns:
        `(inputs, x, size)`: the `keras.Input`, the adapted (H', W', 3)
        tensor and `(H', W')`.

    Raises:
        ValueError: for inputs that are not images with 1 or 3 channels.

    Example:

    >>> inputs, x, size = application_input((8, 8, 1), "tf")
    >>> tuple(x.shape), size
    ((None, 32, 32, 3), (32, 32))
    """
    import keras

    from zoo.models.layers import image_input

    inputs, x = image_input(input_shape)
    height, width, channels = x.shape[1:]
    if channels not in (1, 3):
        raise ValueError(f"Keras Applications take grey (1 channel) or RGB (3 channels) "
                         f"images. Received: input_shape={tuple(input_shape)}")
    size = (max(int(height), min_size), max(int(width), min_size))
    if size != (height, width):
        x = keras.layers.Resizing(*size, interpolation="bilinear", name="resize")(x)
    if channels == 1:
        x = keras.layers.Concatenate(name="grey_to_rgb")([x, x, x])
    if preprocess == "tf":
        x = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)
    elif preprocess == "torch":
        x = keras.layers.Normalization(mean=list(IMAGENET_MEAN),
                                       variance=[s ** 2 for s in IMAGENET_STD],
                                       name="imagenet_normalize")(x)
    else:
        x = keras.layers.Rescaling(255.0, name="to_0_255")(x)
    return inputs, x, size


def application(app: str, input_shape, num_outputs, task, weights, preprocess: str,
                name: str):
    """Family builder: adapter -> `keras.applications.<app>` (no top) -> zoo head.

    Args:
        app: The `keras.applications` attribute ("ResNet50V2").
        input_shape: Image shape, (H, W) or (H, W, C) with C in (1, 3).
        num_outputs: Number of classes.
        task: Must be "classification".
        weights: None or a local weights file (see `check_weights`).
        preprocess: How the application expects its inputs (see
            `application_input`).
        name: The Keras model's name (the registry name).

    Returns:
        A Functional `keras.Model`.

    Raises:
        ValueError: for another task, a bad image shape or bad weights.
    """
    check_weights(weights, app)
    if task != "classification":
        raise ValueError(f"`{name}` is an image classifier (Keras Applications): it needs "
                         f"task='classification'. Received: task={task!r}")
    import keras

    from zoo.models.layers import output_head

    inputs, x, size = application_input(input_shape, preprocess)
    options = {"include_preprocessing": True} if preprocess == "included" else {}
    backbone = getattr(keras.applications, app)(
        include_top=False, weights=None, input_shape=(*size, 3), pooling="avg", **options)
    x = backbone(x)
    model = keras.Model(inputs, output_head(x, num_outputs, task), name=name)
    load_weights(model, backbone, weights)
    return model


def _card(app: str, reference: str, params: int, flops: int) -> dict:
    """The card of one application entry (registry keyword arguments)."""
    return {
        "description": f"keras.applications.{app} (weights=None, no top) behind a resize/"
                       f"grey-to-RGB adapter, global average pooling, zoo head.",
        "tasks": ("classification",),
        "input_kind": "image",
        "axes": ("weights",),
        "defaults": {"weights": None},
        "tags": (TAG, "image", "conv"),
        "reference": reference,
        "extra": {"default_dataset": "digits", "keras_application": app,
                  "input_size": [MIN_SIZE, MIN_SIZE, 3], "params": params, "flops": flops,
                  "measured": MEASURED},
    }


@MODELS.register(**_card(
    "ResNet50V2", "He et al. 2016, 'Identity Mappings in Deep Residual Networks' (ECCV)",
    params=23_585_290, flops=426_270_720))
def resnet50_v2(input_shape, num_outputs, task="classification", weights=None):
    """ResNet50V2 (pre-activation), inputs scaled to [-1, 1]."""
    return application("ResNet50V2", input_shape, num_outputs, task, weights, "tf",
                       "resnet50_v2")


@MODELS.register(**_card(
    "MobileNetV3Small", "Howard et al. 2019, 'Searching for MobileNetV3' (ICCV)",
    params=944_890, flops=9_452_928))
def mobilenet_v3_small(input_shape, num_outputs, task="classification", weights=None):
    """MobileNetV3Small with its own Rescaling (0-255 in)."""
    return application("MobileNetV3Small", input_shape, num_outputs, task, weights,
                       "included", "mobilenet_v3_small")


@MODELS.register(**_card(
    "EfficientNetV2B0", "Tan & Le 2021, 'EfficientNetV2: Smaller Models and Faster "
    "Training' (ICML)", params=5_932_122, flops=93_911_232))
def efficientnet_v2_b0(input_shape, num_outputs, task="classification", weights=None):
    """EfficientNetV2B0 with its own Rescaling + Normalization (0-255 in)."""
    return application("EfficientNetV2B0", input_shape, num_outputs, task, weights,
                       "included", "efficientnet_v2_b0")


@MODELS.register(**_card(
    "DenseNet121", "Huang et al. 2017, 'Densely Connected Convolutional Networks' (CVPR)",
    params=7_047_754, flops=346_976_256))
def densenet121(input_shape, num_outputs, task="classification", weights=None):
    """DenseNet121, inputs normalized with the ImageNet mean and std."""
    return application("DenseNet121", input_shape, num_outputs, task, weights, "torch",
                        "densenet121")


@MODELS.register(**_card(
    "ConvNeXtTiny", "Liu et al. 2022, 'A ConvNet for the 2020s' (CVPR)",
    params=27_827_818, flops=545_527_296))
def convnext_tiny(input_shape, num_outputs, task="classification", weights=None):
    """ConvNeXtTiny with its own Normalization (0-255 in)."""
    return application("ConvNeXtTiny", input_shape, num_outputs, task, weights, "included",
                       "convnext_tiny")
