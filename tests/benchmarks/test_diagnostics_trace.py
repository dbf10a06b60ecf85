"""The gradient probe is traced with TensorFlow's fused CPU kernels: cheaper, same numbers."""

import numpy as np
import pytest


def _model(seed: int, conv: bool = False):
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 1) if conv else (16,))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs) if conv else inputs
    x = keras.layers.Flatten()(x) if conv else x
    x = keras.layers.Dense(12, activation="relu", name="hidden")(x)
    return keras.Model(inputs, keras.layers.Dense(5, activation="softmax", name="output")(x))


@pytest.mark.parametrize("conv", [False, True])
def test_probe_traced_with_fused_kernels_gives_the_deterministic_graphs_numbers(conv):
    import keras
    import tensorflow as tf
    from tensorflow.python.framework import config as tf_config

    from benchmarks.run.diagnostics import GradientNorms
    from benchmarks.run.seeding import set_op_determinism

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 8, 8, 1) if conv else (64, 16)).astype("float32")
    y = rng.integers(0, 5, 64).astype("int32")
    set_op_determinism(True)
    try:
        probe = GradientNorms(x, y, keras.losses.sparse_categorical_crossentropy)
        probe.set_model(_model(0, conv))
        probe.on_train_begin()
        [fused] = probe.measure()
        assert tf_config.is_op_determinism_enabled()  # restored after the trace
        graph = probe.probe._squares.concrete.graph  # traced with the fused kernel
        assert "SparseSoftmaxCrossEntropyWithLogits" in {op.type for op in graph.get_operations()}

        # The same probe traced with determinism on (log-softmax + gather), by hand.
        reference = tf.function(probe.probe._squared_norms, autograph=False)
        squares, _ = reference(probe.probe.x, probe.probe.y)
        deterministic = {name: float(np.sqrt(s)) for (name, _), s in
                         zip(probe.probe.kernels, squares)}
        assert "SparseSoftmaxCrossEntropyWithLogits" not in {
            op.type for op in reference.get_concrete_function(
                probe.probe.x, probe.probe.y).graph.get_operations()}
        assert list(fused) == list(deterministic)
        for name in fused:
            assert fused[name] == pytest.approx(deterministic[name], rel=1e-6), name
            assert fused[name] > 0
        [again] = probe.measure()  # one trace, the same numbers every call
        assert again == fused
    finally:
        set_op_determinism(False)


def test_fused_cpu_kernels_leaves_determinism_as_it_found_it():
    from tensorflow.python.framework import config as tf_config

    from benchmarks.run.seeding import fused_cpu_kernels, set_op_determinism

    for enabled in (True, False):
        set_op_determinism(enabled)
        with fused_cpu_kernels():
            assert not tf_config.is_op_determinism_enabled()
        assert tf_config.is_op_determinism_enabled() == enabled
    with pytest.raises(RuntimeError):  # also after an error inside
        set_op_determinism(True)
        with fused_cpu_kernels():
            raise RuntimeError("inside")
    assert tf_config.is_op_determinism_enabled()
    set_op_determinism(False)
