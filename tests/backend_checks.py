"""The checks of one Keras backend, run in a process of its own (Keras fixes its backend at import).

`python tests/backend_checks.py BACKEND MODEL...` (with `KERAS_BACKEND=BACKEND`
set, as `tests/benchmarks/test_backends.py` starts it) builds each registry
model for a tiny spec, trains one step and round-trips it through `.keras`
(`tests/zoo/test_models.py`'s contract), then runs the MLP on digits twice
with one seed through the harness (`benchmarks.run.run_one`), and a CNN
with the augmenting `image` pipeline once. It prints one JSON line:
`{"backend", "models": {name: null | error}, "record": {...},
"rerun_identical": bool, "augmented": null | error}`. Many checks in one
process: one start-up per backend.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "zoo"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RUN = {"dataset": "digits", "model": "mlp", "epochs": 2, "width": 16, "train_samples": 200}
# Keras random layers inside the tf.data pipeline (the `image` pipeline's augmenter).
AUGMENTED = {"dataset": "digits", "model": "cnn", "epochs": 1, "filters": 4, "depth": 1,
             "train_samples": 100, "pipeline": "image", "pipeline_options": {"flip": "horizontal"}}


def check_models(names: list[str]) -> dict:
    """`{model: None | "error"}`: each built, stepped once and round-tripped."""
    import keras

    import zoo
    from test_models import EAGER_TAG, TINY, small_spec, step_and_round_trip
    from zoo.models import MODELS

    out = {}
    for name in names:
        card, start = MODELS.card(name), time.perf_counter()
        try:
            spec = small_spec(card)
            model = zoo.build_model(name, spec, **{k: v for k, v in TINY.items()
                                                   if k in card.axes})
            with tempfile.TemporaryDirectory() as tmp:
                # JAX compiles every step with XLA: op by op, a Keras application's eager
                # step took 219 s (mobilenet_v3_small, 2 shared cores).
                jax = keras.backend.backend() == "jax"
                eager = EAGER_TAG in card.tags and not jax
                step_and_round_trip(model, spec, Path(tmp), eager=eager, jit_compile=jax)
            out[name] = None
            print(f"{name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
        except Exception as exc:  # reported to the test, which names the model
            out[name] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}"
    return out


def record_summary(record: dict) -> dict:
    """What the test compares across backends: keys, keys with a value, nested keys."""
    return {"keys": sorted(record), "filled": sorted(k for k, v in record.items()
                                                     if v is not None),
            "options": sorted(record["options"] or {}), "versions": sorted(record["versions"]),
            "history": sorted(record["history"] or {}), "grad_layers": record["grad_layers"],
            "device": record["device"], "backend": record["options"].get("backend"),
            "deterministic": record["options"].get("deterministic")}


def main(argv: list[str]) -> dict:
    import keras

    from benchmarks.run import run_one

    backend, names = argv[0], argv[1:]
    result = {"backend": keras.backend.backend(), "models": check_models(names)}
    runs = [run_one({**RUN, "backend": backend}, 0, {"peak_flops": "auto"}) for _ in range(2)]
    (status, record, error), (_, again, _) = runs
    result.update(status=status, error=error, record=record_summary(record),
                  rerun_identical=record["history"] == again["history"])
    status, _, error = run_one({**AUGMENTED, "backend": backend}, 0)
    result["augmented"] = error if status != "ok" else None
    return result


if __name__ == "__main__":
    print("BACKEND_CHECKS " + json.dumps(main(sys.argv[1:])))
