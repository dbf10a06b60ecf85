"""Why a pack's Dense layers use one batched `einsum`: `python -m benchmarks.perf_stacking`.

A pack stacks K members' Dense kernels into `(K, in, out)` and computes
`einsum("bki,kio->bko")` on the `(batch, K, in)` stack
(`benchmarks.matrix.packing.stacking.StackedDense`). The stored records of
packed runs carry the numbers that einsum and its gradient produce, so a
faster formulation may replace it only if it gives the same bits. This
script measures, for a stacked 3-layer MLP (in -> width -> width -> 10,
ReLU, softmax cross-entropy) and each shape, the forward and backward pass
of each formulation and whether its loss and gradients are bit-identical to
the einsum's, with op determinism on as in a run:

- `einsum`: `StackedDense` layers, as a pack builds them (the reference).
- `member_major`: activations kept as `(K, batch, features)` between the
  layers, so each layer is one batched matmul with no transposes.
- `member_major_exact`: the same, with each kernel's gradient computed as
  the einsum computes it (its operands transposed back to `(batch, K, ...)`).
- `per_member`: K matmuls, one per member (what a member's own run does).

On the 2-core machine (2026-12-03, three runs) `per_member` took about half
the einsum's time per step at batch 32 and `member_major` about the same,
but `per_member`'s gradients differed from the einsum's at batch 1 and at a
full batch of 1437, and `member_major`'s at the full batch. Only
`member_major_exact` matched at every shape, and it was no faster. Hence the
einsum: the records of packed runs stay what they were.

Example:

>>> python -m benchmarks.perf_stacking --steps 100
"""

from __future__ import annotations

import argparse
import time

# (K members, batch, in features, width): the perf script's seed pack and cell
# pack units, a batch of one, wide layers, and full-batch cells (c05's batch axis).
SHAPES = ((8, 32, 64, 64), (3, 32, 64, 32), (8, 1, 64, 64), (3, 32, 256, 256),
          (4, 1437, 64, 64))
FORMULATIONS = ("einsum", "member_major", "member_major_exact", "per_member")


def _exact_kernel_grad(x_mm, kernel, x_bm=None):
    """`(K, b, i) @ (K, i, o)` whose kernel gradient is the einsum's own."""
    import tensorflow as tf

    @tf.custom_gradient
    def matmul(x_mm, kernel):
        def grad(g):
            gx = tf.einsum("kbo,kio->kbi", g, kernel)
            xb = tf.transpose(x_mm, [1, 0, 2]) if x_bm is None else x_bm
            return gx, tf.einsum("bki,bko->kio", xb, tf.transpose(g, [1, 0, 2]))

        return tf.einsum("kbi,kio->kbo", x_mm, kernel), grad

    return matmul(x_mm, kernel)


def step_functions(k: int, batch: int, n_in: int, width: int, seed: int = 0) -> dict:
    """Per formulation, a function returning `[loss, *gradients]` of one step.

    Args:
        k, batch, n_in, width: The shape (members, batch, input features, width).
        seed: Seed of the random inputs, labels and weights.

    Returns:
        `{formulation: fn}` over the same inputs and variables.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.matrix.packing.stacking import _stacked_dense_class

    rng = np.random.default_rng(seed)
    x = tf.constant(rng.normal(size=(batch, k, n_in)).astype("float32"))
    y = tf.constant(rng.integers(0, 10, size=(batch, k)))
    stacked_dense = _stacked_dense_class()
    layers = [stacked_dense(k, width, activation="relu"), stacked_dense(k, width, activation="relu"),
              stacked_dense(k, 10, activation="softmax")]
    for layer, n in zip(layers, (n_in, width, width)):
        layer.build((None, k, n))
        layer.set_weights([(rng.normal(size=w.shape) * 0.1).astype("float32")
                           for w in layer.weights])
    kernels = [layer.kernel.value for layer in layers]
    biases = [layer.bias.value for layer in layers]
    variables = [w.value for layer in layers for w in (layer.kernel, layer.bias)]

    def loss_of(probabilities_bm):
        per_member = keras.losses.sparse_categorical_crossentropy(y, probabilities_bm)
        return tf.reduce_sum(tf.reduce_mean(per_member, axis=0))

    def einsum():  # the pack's own layers
        h = x
        for layer in layers:
            h = layer(h)
        return loss_of(h)

    def member_major(exact):
        def forward():
            h = tf.transpose(x, [1, 0, 2])
            for i, (w, b) in enumerate(zip(kernels[:-1], biases[:-1])):
                z = (_exact_kernel_grad(h, w, x if i == 0 else None) if exact
                     else tf.matmul(h, w))
                h = tf.nn.relu(z + b[:, None, :])
            z = _exact_kernel_grad(h, kernels[-1]) if exact else tf.matmul(h, kernels[-1])
            return loss_of(tf.nn.softmax(tf.transpose(z, [1, 0, 2]) + biases[-1]))

        return forward

    def per_member():
        h = x
        for i, (w, b) in enumerate(zip(kernels, biases)):
            z = tf.stack([tf.matmul(a, m) for a, m in zip(tf.unstack(h, axis=1),
                                                          tf.unstack(w))], axis=1) + b
            h = z if i == len(kernels) - 1 else tf.nn.relu(z)
        return loss_of(tf.nn.softmax(h))

    forwards = {"einsum": einsum, "member_major": member_major(False),
                "member_major_exact": member_major(True), "per_member": per_member}

    def with_gradients(forward):
        def step():
            with tf.GradientTape() as tape:
                loss = forward()
            return [loss, *tape.gradient(loss, variables)]

        return step

    return {name: with_gradients(fn) for name, fn in forwards.items()}


def measure_shape(shape: tuple, steps: int = 100, repeats: int = 3) -> dict:
    """Seconds per step and bit-identity to the einsum of each formulation at one shape.

    Returns:
        `{formulation: {"step_ms": float | None, "identical": bool}}`;
        `step_ms` is the best of `repeats` loops of `steps` steps in one
        `tf.function` (None when `steps` is 0).
    """
    import numpy as np
    import tensorflow as tf

    fns = step_functions(*shape)
    values = {name: [t.numpy() for t in tf.function(fn)()] for name, fn in fns.items()}
    out = {}
    for name, fn in fns.items():
        identical = all(np.array_equal(a, b) for a, b in zip(values["einsum"], values[name]))
        out[name] = {"identical": identical, "step_ms": None}
        if steps:
            @tf.function
            def loop(fn=fn):
                total = tf.zeros(())
                for _ in tf.range(steps):
                    total += fn()[0]
                return total

            loop()
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                loop()
                best = min(best, time.perf_counter() - start)
            out[name]["step_ms"] = 1000 * best / steps
    return out


def format_table(results: dict) -> str:
    """`{shape: measure_shape(...)}` as a Markdown table (ms per step, = when identical)."""
    lines = ["| K, batch, in, width | " + " | ".join(FORMULATIONS) + " |",
             "|---" * (len(FORMULATIONS) + 1) + "|"]
    for shape, row in results.items():
        cells = []
        for name in FORMULATIONS:
            ms = row[name]["step_ms"]
            mark = "=" if row[name]["identical"] else "differs"
            cells.append(f"{ms:.3f} ms {mark}" if ms is not None else mark)
        lines.append(f"| {', '.join(map(str, shape))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_shape(text: str) -> tuple:
    """`"8,32,64,64"` -> `(8, 32, 64, 64)`: members, batch, input features, width.

    Raises:
        argparse.ArgumentTypeError: unless it is four positive integers.
    """
    try:
        shape = tuple(int(v) for v in text.split(","))
    except ValueError:
        shape = ()
    if len(shape) != 4 or min(shape) < 1:
        raise argparse.ArgumentTypeError(
            f"expected K,batch,in,width as four positive integers, e.g. 8,32,64,64. "
            f"Received: {text!r}")
    return shape


def main(argv: list[str] | None = None) -> int:
    """Measures every shape of `SHAPES` (or `--shape`s) and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100,
                        help="steps per timed loop (0: check identity only)")
    parser.add_argument("--shape", action="append", default=None, type=parse_shape,
                        help="K,batch,in,width (repeatable); default: the built-in shapes")
    args = parser.parse_args(argv)
    if args.steps < 0:
        parser.error(f"--steps must be 0 or more. Received: --steps {args.steps}")
    from tensorflow.python.framework import config as tf_config

    from benchmarks.run.seeding import set_op_determinism

    was = tf_config.is_op_determinism_enabled()
    set_op_determinism(True)  # as in a run
    try:
        # Full-batch shapes are checked for identity only: timing them adds minutes, not news.
        results = {shape: measure_shape(shape, steps=args.steps if shape[1] < 1000 else 0)
                   for shape in args.shape or SHAPES}
    finally:
        set_op_determinism(was)  # a caller's process (a test) goes on as it was
    print(format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
