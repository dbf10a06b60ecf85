"""Attention models: a small Transformer encoder for classification / regression.

Example:

>>> from zoo.models import build
>>> from zoo.datasets import load
>>> model = build("transformer", load("mnist1d").spec, depth=1, width=32, heads=4)
"""

from __future__ import annotations

from zoo.models import MODELS


@MODELS.register(
    description="Small Transformer encoder: embedding or Dense projection + learned positions, "
                "depth x (MultiHeadAttention + MLP) pre-norm blocks, average pooling.",
    tasks=("classification", "regression"),
    input_kind="sequence",
    axes=("depth", "width", "heads", "activation", "initializer", "regularizer", "dropout"),
    defaults={"depth": 2, "width": 32, "heads": 2, "activation": "gelu",
              "initializer": "glorot_uniform", "regularizer": None, "dropout": 0.0},
    tags=("attention", "sequence", "transformer"),
    reference="Vaswani et al. 2017, 'Attention Is All You Need' (encoder only, pre-LayerNorm "
              "as in Xiong et al. 2020; MLP width 2 x width). Token ids use Embedding("
              "mask_zero=True); a flat (T,) signal becomes (T, 1) and is projected by Dense",
    extra={"default_dataset": "mnist1d"},
)
def transformer(input_shape, num_outputs, task="classification", vocab_size=None, depth=2,
                width=32, heads=2, activation="gelu", initializer="glorot_uniform",
                regularizer=None, dropout=0.0):
    """Transformer encoder over a sequence; `width` must be divisible by `heads`."""
    import keras

    from zoo.models.layers import (PositionEmbedding, kernel_args, output_head,
                                   sequence_input)

    width, heads = int(width), int(heads)
    if width % heads:
        raise ValueError(
            f"`width` must be divisible by `heads` (each head gets width // heads dims). "
            f"Pick e.g. width={heads * max(1, round(width / heads))}. "
            f"Received: width={width}, heads={heads}"
        )
    inputs, x = sequence_input(input_shape, vocab_size, embed_dim=width)
    if not vocab_size:
        x = keras.layers.Dense(width, name="projection", **kernel_args(initializer,
                                                                        regularizer))(x)
    x = PositionEmbedding(x.shape[1], name="positions")(x)
    for i in range(int(depth)):
        h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"block{i}_norm_attn")(x)
        h = keras.layers.MultiHeadAttention(heads, width // heads, dropout=dropout,
                                            name=f"block{i}_attention",
                                            **kernel_args(initializer, regularizer))(h, h)
        x = keras.layers.Add(name=f"block{i}_add_attn")([x, h])
        h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"block{i}_norm_mlp")(x)
        h = keras.layers.Dense(2 * width, activation=activation, name=f"block{i}_mlp_in",
                               **kernel_args(initializer, regularizer))(h)
        h = keras.layers.Dense(width, name=f"block{i}_mlp_out",
                               **kernel_args(initializer, regularizer))(h)
        if dropout:
            h = keras.layers.Dropout(dropout, name=f"block{i}_dropout")(h)
        x = keras.layers.Add(name=f"block{i}_add_mlp")([x, h])
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="final_norm")(x)
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(inputs, output_head(x, num_outputs, task), name="transformer")

