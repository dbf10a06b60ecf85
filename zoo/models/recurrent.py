"""Recurrent models: SimpleRNN, LSTM and GRU stacks sharing one family builder.

`activation` is the recurrent cell's activation (tanh by default), so the
activation axis applies to these models too.

Example:

>>> from zoo.models import build
>>> from zoo.datasets import load
>>> model = build("gru", load("mnist1d").spec, units=32, bidirectional=True)
"""

from __future__ import annotations

from zoo.models import MODELS

RNN_AXES = ("units", "depth", "bidirectional", "activation", "initializer", "regularizer",
            "dropout", "embed_dim")
RNN_DEFAULTS = {"units": 32, "depth": 1, "bidirectional": False, "activation": "tanh",
                "initializer": "glorot_uniform", "regularizer": None, "dropout": 0.0,
                "embed_dim": 32}
RNN_INPUT = ("sequence input (T, F); a flat (T,) input is reshaped to (T, 1), an image to "
             "rows x (columns*channels), integer tokens go through Embedding(mask_zero=True)")


def recurrent_stack(layer_name, input_shape, num_outputs, task, vocab_size, units, depth,
                    bidirectional, activation, initializer, regularizer, dropout, embed_dim,
                    name):
    """depth x RNN layer (the last returns its final state) -> [dropout] -> head.

    Args:
        layer_name: "SimpleRNN", "LSTM" or "GRU" (a `keras.layers` class name).
        Others: see the model cards; `activation` is the cell's activation.

    Returns:
        A Functional `keras.Model`.
    """
    import keras

    from zoo.models.layers import kernel_args, output_head, sequence_input

    bidirectional = bool(bidirectional)
    inputs, x = sequence_input(input_shape, vocab_size, int(embed_dim))
    layer_cls = getattr(keras.layers, layer_name)
    for i in range(int(depth)):
        layer = layer_cls(int(units), activation=activation,
                          return_sequences=i < int(depth) - 1, name=f"{name}_{i}",
                          **kernel_args(initializer, regularizer))
        if bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bi_{name}_{i}")
        x = layer(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout_{i}")(x)
    return keras.Model(inputs, output_head(x, num_outputs, task), name=name)


def _card(cell: str, reference: str) -> dict:
    return dict(
        description=f"{cell} stack: depth x {cell}(units), optionally bidirectional; "
                    f"the last step's state feeds the head.",
        tasks=("classification", "regression"),
        input_kind="sequence",
        axes=RNN_AXES,
        defaults=RNN_DEFAULTS,
        tags=("recurrent", "sequence"),
        reference=f"{reference}. Input: {RNN_INPUT}",
        extra={"default_dataset": "mnist1d"},
    )


@MODELS.register(**_card("SimpleRNN", "Elman 1990, 'Finding Structure in Time'"))
def simple_rnn(input_shape, num_outputs, task="classification", vocab_size=None, units=32,
               depth=1, bidirectional=False, activation="tanh",
               initializer="glorot_uniform", regularizer=None, dropout=0.0, embed_dim=32):
    """Elman RNN stack."""
    return recurrent_stack("SimpleRNN", input_shape, num_outputs, task, vocab_size, units,
                           depth, bidirectional, activation, initializer, regularizer, dropout,
                           embed_dim, "simple_rnn")


@MODELS.register(**_card("LSTM", "Hochreiter & Schmidhuber 1997, 'Long Short-Term Memory'"))
def lstm(input_shape, num_outputs, task="classification", vocab_size=None, units=32, depth=1,
         bidirectional=False, activation="tanh", initializer="glorot_uniform",
         regularizer=None, dropout=0.0, embed_dim=32):
    """LSTM stack."""
    return recurrent_stack("LSTM", input_shape, num_outputs, task, vocab_size, units, depth,
                           bidirectional, activation, initializer, regularizer, dropout,
                           embed_dim, "lstm")


@MODELS.register(**_card("GRU", "Cho et al. 2014, 'Learning Phrase Representations using "
                                "RNN Encoder-Decoder'"))
def gru(input_shape, num_outputs, task="classification", vocab_size=None, units=32, depth=1,
        bidirectional=False, activation="tanh", initializer="glorot_uniform", regularizer=None,
        dropout=0.0, embed_dim=32):
    """GRU stack."""
    return recurrent_stack("GRU", input_shape, num_outputs, task, vocab_size, units, depth,
                           bidirectional, activation, initializer, regularizer, dropout,
                           embed_dim, "gru")
