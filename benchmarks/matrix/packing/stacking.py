"""Stacking K same-architecture models into one: `StackedDense` and `stack_models`.

Every Dense kernel becomes a stacked `(K, in, out)` kernel used through one
batched `einsum`; Flatten/Reshape and weightless elementwise layers act on
the last axes and are cloned for the `(batch, K, ...)` stack. `MemberView`
reads and writes one member's slice of the stacked weights (what
`keras.callbacks.EarlyStopping` needs of a model).
"""

from __future__ import annotations

# Layers without weights that act on the last axis (or elementwise): valid on a stack.
ELEMENTWISE = ("Activation", "Add", "ReLU", "LeakyReLU", "ELU", "Softmax", "Identity",
               "InputLayer")


def _stacked_dense_class():
    import keras

    @keras.saving.register_keras_serializable(package="zoo")
    class StackedDense(keras.layers.Layer):
        """K independent Dense layers on a `(batch, K, features)` stack.

        Args:
            members: K, the number of stacked members.
            units: Output features of each member.
            activation: Activation name (applied per member). Defaults to None.
            use_bias: Whether to add a bias. Defaults to True.
        """

        def __init__(self, members, units, activation=None, use_bias=True, **kwargs):
            super().__init__(**kwargs)
            self.members, self.units, self.use_bias = int(members), int(units), use_bias
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            k, n_in = self.members, int(input_shape[-1])
            self.kernel = self.add_weight(shape=(k, n_in, self.units), name="kernel",
                                          initializer="zeros")
            self.bias = (self.add_weight(shape=(k, self.units), name="bias",
                                         initializer="zeros") if self.use_bias else None)

        def call(self, x):
            y = keras.ops.einsum("bki,kio->bko", x, self.kernel)
            if self.bias is not None:
                y = y + self.bias
            return self.activation(y)

        def get_config(self):
            return {**super().get_config(), "members": self.members, "units": self.units,
                    "activation": keras.activations.serialize(self.activation),
                    "use_bias": self.use_bias}

    return StackedDense


def stack_models(members: list):
    """One Functional model computing K same-architecture models side by side.

    Args:
        members: K built Functional models of the same architecture.

    Returns:
        A model mapping `(batch, K, *input_shape)` to `(batch, K, *output)`,
        member k's weights copied into slice k of each stacked weight.

    Raises:
        ValueError: for a layer that cannot be stacked (the message names it).
    """
    import keras
    import numpy as np

    StackedDense = _stacked_dense_class()
    k = len(members)
    first = members[0]

    def clone(layer):
        cls = type(layer).__name__
        if cls == "Dense":
            return StackedDense(k, layer.units, activation=layer.activation,
                                use_bias=layer.use_bias, name=layer.name)
        if cls == "Flatten":
            return keras.layers.Reshape((k, -1), name=layer.name)
        if cls == "Reshape":
            return keras.layers.Reshape((k, *layer.target_shape), name=layer.name)
        if cls in ELEMENTWISE and not layer.weights:
            return type(layer).from_config(layer.get_config())
        raise ValueError(
            f"Layer {layer.name!r} ({cls}) cannot be stacked: packing supports Dense, "
            f"Flatten, Reshape and weightless elementwise layers ({', '.join(ELEMENTWISE)}). "
            f"Set `pack_seeds = false` or use a Dense model. Received: layer={cls}")

    inputs = keras.Input(shape=(k, *first.input_shape[1:]), name="packed_input")
    packed = keras.models.clone_model(first, input_tensors=inputs, clone_function=clone)
    packed.name = f"packed_{first.name}"
    for layer in packed.layers:
        if not layer.weights:
            continue
        sources = [m.get_layer(layer.name).get_weights() for m in members]
        layer.set_weights([np.stack(ws) for ws in zip(*sources)])
    return packed


class MemberView:
    """What `keras.callbacks.EarlyStopping` needs of a model, for one member."""

    def __init__(self, packed, k: int):
        self.packed, self.k, self.stop_training = packed, k, False

    def get_weights(self):  # slice k of each variable, not a copy of the whole pack
        import keras

        return [keras.ops.convert_to_numpy(v.value[self.k]) for v in self.packed.weights]

    def set_weights(self, weights):
        full = self.packed.get_weights()
        for w, mine in zip(full, weights):
            w[self.k] = mine
        self.packed.set_weights(full)
