"""Stacking K same-architecture models into one: `StackedDense` and `stack_models`.

Every Dense kernel becomes a stacked `(K, in, out)` kernel used through one
batched `einsum`; Flatten/Reshape and weightless elementwise layers act on
the last axes and are cloned for the `(batch, K, ...)` stack. An L1/L2
kernel regularizer is kept: its penalty is a sum over the kernel's
elements, so the stack's penalty is the sum of the members' and
`member_penalties` gives each member's. A Dropout layer is stacked for one
member only (K members would draw their masks from one random stream); its
random state is copied, so it draws the member's own masks.

`MemberView` reads and writes one member's slice of the stacked weights
(what `keras.callbacks.EarlyStopping` needs of a model).
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

        def __init__(self, members, units, activation=None, use_bias=True,
                     kernel_regularizer=None, **kwargs):
            super().__init__(**kwargs)
            self.members, self.units, self.use_bias = int(members), int(units), use_bias
            self.activation = keras.activations.get(activation)
            self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

        def build(self, input_shape):
            k, n_in = self.members, int(input_shape[-1])
            self.kernel = self.add_weight(shape=(k, n_in, self.units), name="kernel",
                                          initializer="zeros",
                                          regularizer=self.kernel_regularizer)
            self.bias = (self.add_weight(shape=(k, self.units), name="bias",
                                         initializer="zeros") if self.use_bias else None)

        def call(self, x):
            y = keras.ops.einsum("bki,kio->bko", x, self.kernel)
            if self.bias is not None:
                y = y + self.bias
            return self.activation(y)

        def member_penalties(self):
            """Each member's kernel penalty, shape (K,): L1/L2 summed over its slice."""
            reg, w = self.kernel_regularizer, self.kernel
            out = keras.ops.zeros((self.members,))
            if reg is None:
                return out
            l1, l2 = float(getattr(reg, "l1", 0.0) or 0.0), float(getattr(reg, "l2", 0.0) or 0.0)
            if l1:
                out = out + l1 * keras.ops.sum(keras.ops.abs(w), axis=(1, 2))
            if l2:
                out = out + l2 * keras.ops.sum(keras.ops.square(w), axis=(1, 2))
            return out

        def get_config(self):
            return {**super().get_config(), "members": self.members, "units": self.units,
                    "activation": keras.activations.serialize(self.activation),
                    "use_bias": self.use_bias,
                    "kernel_regularizer": keras.regularizers.serialize(
                        self.kernel_regularizer)}

    return StackedDense


def _check_regularizers(layer) -> None:
    """Only an L1/L2 kernel regularizer splits into per-member penalties."""
    import keras

    if getattr(layer, "bias_regularizer", None) or getattr(layer, "activity_regularizer", None):
        raise ValueError(f"Layer {layer.name!r} has a bias or activity regularizer, which "
                         "packing does not split per member.")
    reg = getattr(layer, "kernel_regularizer", None)
    if reg is not None and not isinstance(reg, (keras.regularizers.L1, keras.regularizers.L2,
                                                keras.regularizers.L1L2)):
        raise ValueError(f"Layer {layer.name!r} has a {type(reg).__name__} kernel regularizer: "
                         "packing splits only L1, L2 and L1L2 penalties per member.")


def member_penalties(model, k: int):
    """Each member's regularization penalty in a packed model, shape (K,).

    Args:
        model: A model of `stack_models` (or several, side by side).
        k: K, the number of members.

    Returns:
        A tensor of K penalties (zeros without regularizers).
    """
    import keras

    from benchmarks.run.diagnostics.layers import member_slot, walk_layers

    total = keras.ops.zeros((k,))
    for layer in walk_layers(model):
        if not hasattr(layer, "member_penalties") or layer.kernel_regularizer is None:
            continue
        first, count = member_slot(layer, k)
        part = layer.member_penalties()
        total = total + keras.ops.pad(part, [[first, k - first - count]])
    return total


def stack_models(members: list, inputs=None, slot: tuple[int, int] | None = None):
    """One Functional model computing K same-architecture models side by side.

    Args:
        members: K built Functional models of the same architecture.
        inputs: The `(batch, K, *input_shape)` tensor to build on (a slice of
            a pack of several cells), or None for a new `keras.Input`.
        slot: `(first member, K)` within a pack of several cells: the layers
            are renamed apart (`<name>_m<first>`) and remember the member
            layer they stand for (`zoo_name`) and the members they serve
            (`zoo_members`), for the diagnostics. Defaults to None.

    Returns:
        A model mapping `(batch, K, *input_shape)` to `(batch, K, *output)`,
        member k's weights copied into slice k of each stacked weight; with
        `inputs`, the output tensor computed from them (the caller builds
        the model).

    Raises:
        ValueError: for a layer that cannot be stacked (the message names it).
    """
    import keras
    import numpy as np

    StackedDense = _stacked_dense_class()
    k = len(members)
    first = members[0]
    suffix = "" if slot is None else f"_m{slot[0]}"

    def clone(layer):
        cls = type(layer).__name__
        name = layer.name + suffix
        if cls == "Dense":
            _check_regularizers(layer)
            new = StackedDense(k, layer.units, activation=layer.activation,
                               use_bias=layer.use_bias,
                               kernel_regularizer=layer.kernel_regularizer, name=name)
        elif cls == "Flatten":
            new = keras.layers.Reshape((k, -1), name=name)
        elif cls == "Reshape":
            new = keras.layers.Reshape((k, *layer.target_shape), name=name)
        elif cls == "Dropout" and k == 1 and layer.noise_shape is None:
            new = keras.layers.Dropout(layer.rate, name=name)
        elif cls in ELEMENTWISE and not layer.weights:
            new = type(layer).from_config({**layer.get_config(), "name": name})
        else:
            raise ValueError(
                f"Layer {layer.name!r} ({cls}) cannot be stacked: packing supports Dense, "
                f"Flatten, Reshape, weightless elementwise layers ({', '.join(ELEMENTWISE)}) "
                f"and Dropout in a pack of one seed. Set `pack_seeds = false` or use a Dense "
                f"model. Received: layer={cls}")
        if slot is not None:
            new.zoo_name, new.zoo_members = layer.name, tuple(slot)
        return new

    clones = {}  # member layer name -> its stacked clone

    def clone_once(layer):
        clones[layer.name] = clone(layer)
        return clones[layer.name]

    if inputs is None:
        inputs = keras.Input(shape=(k, *first.input_shape[1:]), name="packed_input")
        packed = keras.models.clone_model(first, input_tensors=inputs,
                                          clone_function=clone_once)
        packed.name = f"packed_{first.name}"
    else:  # on a slice of a bigger graph: what `clone_model` does, without a new Model
        packed = first._run_through_graph(inputs, operation_fn=clone_once)
    for source, layer in clones.items():
        if type(layer).__name__ == "Dropout":  # the member's own random stream
            state = first.get_layer(source).seed_generator.state
            layer.seed_generator.state.assign(keras.ops.convert_to_numpy(state.value))
        if not layer.weights:
            continue
        sources = [m.get_layer(source).get_weights() for m in members]
        layer.set_weights([np.stack(ws) for ws in zip(*sources)])
    return packed


class MemberView:
    """What `keras.callbacks.EarlyStopping` needs of a model, for member k of a pack.

    Args:
        packed: The packed model (one stack, or several cells side by side).
        k: The member's index in the pack.
        members: K, the pack's number of members.
    """

    def __init__(self, packed, k: int, members: int):
        from benchmarks.run.diagnostics.layers import member_slot, walk_layers

        self.packed, self.k, self.stop_training = packed, k, False
        self._weights = []  # (variable, index of the member's slice)
        for layer in walk_layers(packed):
            first, count = member_slot(layer, members)
            if first <= k < first + count:
                self._weights += [(w, k - first) for w in layer.weights]

    def get_weights(self):  # slice k of each variable, not a copy of the whole pack
        import keras

        return [keras.ops.convert_to_numpy(w.value[j]) for w, j in self._weights]

    def set_weights(self, weights):
        import numpy as np

        for (w, j), mine in zip(self._weights, weights):
            full = np.array(w.numpy() if hasattr(w, "numpy") else w.value)
            full[j] = mine
            w.assign(full)
