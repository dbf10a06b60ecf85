"""Reference models of the MNIST-1D paper, ported from PyTorch to Keras.

Greydanus 2020, "Scaling down Deep Learning" (arXiv:2011.14439), models in
github.com/greydanus/mnist1d (notebooks/models.py: `MLPBase`, `ConvBase`,
`GRUBase`). Architecture and sizes follow that code; differences, all
Keras defaults: Glorot-uniform kernels instead of PyTorch's Kaiming-uniform,
and a softmax output (the zoo contract) where PyTorch returns logits to a
cross-entropy loss (the same model).

Example:

>>> from zoo.models import build
>>> from zoo.datasets import load
>>> model = build("mnist1d_cnn", load("mnist1d").spec)   # 5,210 parameters
"""

from __future__ import annotations

from zoo.models import MODELS

PAPER = "Greydanus 2020, 'Scaling down Deep Learning' (MNIST-1D), github.com/greydanus/mnist1d"
TAGS = ("mnist1d-paper", "reference", "sequence")
EXTRA = {"default_dataset": "mnist1d"}


@MODELS.register(
    description="MNIST-1D paper MLP: Dense(100)-relu, a residual Dense(100)-relu, linear out.",
    tasks=("classification", "regression"),
    input_kind="sequence",
    axes=("width", "activation", "initializer", "regularizer", "dropout"),
    defaults={"width": 100, "activation": "relu", "initializer": "glorot_uniform",
              "regularizer": None, "dropout": 0.0},
    tags=TAGS,
    reference=f"{PAPER}: MLPBase (hidden_size=100): h = relu(W1 x); h = h + relu(W2 h); "
              "out = W3 h. The residual on the second layer is as in the reference code",
    extra=EXTRA,
)
def mnist1d_mlp(input_shape, num_outputs, task="classification", width=100, activation="relu",
                initializer="glorot_uniform", regularizer=None, dropout=0.0):
    """Two hidden layers of `width`, the second one residual."""
    import keras

    from zoo.models.layers import kernel_args, output_head

    inputs = keras.Input(shape=tuple(input_shape), name="input")
    x = keras.layers.Flatten(name="flatten")(inputs)
    h = keras.layers.Dense(int(width), activation=activation, name="linear1",
                           **kernel_args(initializer, regularizer))(x)
    h2 = keras.layers.Dense(int(width), activation=activation, name="linear2",
                            **kernel_args(initializer, regularizer))(h)
    h = keras.layers.Add(name="residual")([h, h2])
    if dropout:
        h = keras.layers.Dropout(dropout, name="dropout")(h)
    return keras.Model(inputs, output_head(h, num_outputs, task), name="mnist1d_mlp")


@MODELS.register(
    description="MNIST-1D paper CNN: 3 x Conv1D(25, stride 2)-relu (kernels 5, 3, 3), "
                "flatten, linear out.",
    tasks=("classification", "regression"),
    input_kind="sequence",
    axes=("filters", "activation", "initializer", "regularizer", "dropout"),
    defaults={"filters": 25, "activation": "relu", "initializer": "glorot_uniform",
              "regularizer": None, "dropout": 0.0},
    tags=TAGS,
    reference=f"{PAPER}: ConvBase (channels=25): Conv1d(k=5, s=2, p=1), Conv1d(k=3, s=2, "
              "p=1) x 2, relu, flatten (125 features for length 40), linear. Here 'same' "
              "padding: lengths 20/10/5 instead of 19/10/5, the same 125 features",
    extra=EXTRA,
)
def mnist1d_cnn(input_shape, num_outputs, task="classification", filters=25, activation="relu",
                initializer="glorot_uniform", regularizer=None, dropout=0.0):
    """Three strided Conv1D layers and a linear classifier on the flattened features."""
    import keras

    from zoo.models.layers import kernel_args, output_head, sequence_input

    inputs, x = sequence_input(input_shape)
    for i, kernel_size in enumerate((5, 3, 3)):
        x = keras.layers.Conv1D(int(filters), kernel_size, strides=2, padding="same",
                                activation=activation, name=f"conv{i + 1}",
                                **kernel_args(initializer, regularizer))(x)
    x = keras.layers.Flatten(name="flatten")(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, output_head(x, num_outputs, task), name="mnist1d_cnn")


@MODELS.register(
    description="MNIST-1D paper GRU: bidirectional GRU(6) over the 40 steps, all outputs "
                "flattened, linear out.",
    tasks=("classification", "regression"),
    input_kind="sequence",
    axes=("units", "bidirectional", "initializer", "regularizer", "dropout"),
    defaults={"units": 6, "bidirectional": True, "initializer": "glorot_uniform",
              "regularizer": None, "dropout": 0.0},
    tags=TAGS,
    reference=f"{PAPER}: GRUBase (hidden_size=6, bidirectional=True, as in the reference "
              "code): the outputs of every step (40 x 2 x 6 = 480 features) are flattened "
              "into a linear layer. Keras GRU(reset_after=True) matches torch.nn.GRU",
    extra=EXTRA,
)
def mnist1d_gru(input_shape, num_outputs, task="classification", units=6, bidirectional=True,
                initializer="glorot_uniform", regularizer=None, dropout=0.0):
    """(Bi)GRU returning every step, flattened into the head."""
    import keras

    from zoo.models.layers import kernel_args, output_head, sequence_input

    inputs, x = sequence_input(input_shape)
    layer = keras.layers.GRU(int(units), return_sequences=True, name="gru",
                             **kernel_args(initializer, regularizer))
    if bidirectional:
        layer = keras.layers.Bidirectional(layer, name="bi_gru")
    x = keras.layers.Flatten(name="flatten")(layer(x))
    if dropout:
        x = keras.layers.Dropout(dropout, name="dropout")(x)
    return keras.Model(inputs, output_head(x, num_outputs, task), name="mnist1d_gru")
