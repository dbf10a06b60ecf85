"""`text`: raw strings -> integer token sequences (or bag-of-words vectors)."""

from __future__ import annotations

import numpy as np

from zoo.pipelines import PIPELINES
from zoo.pipelines.base import Pipeline, run_layer

MODES = ("int", "multi_hot", "count", "tf_idf")


class Text(Pipeline):
    """Tokenizes text with a `keras.layers.TextVectorization` adapted on train.

    With `output_mode="int"` each example becomes `sequence_length` int32
    token ids (0 = padding, 1 = out of vocabulary): the output spec has
    input kind "sequence", input dtype "int32" and `vocab_size` set, for
    models that start with an Embedding. The bag-of-words modes give one
    float32 vector of `vocab_size` per example (input kind "flat").

    Args:
        spec: Input `DatasetSpec`.
        max_tokens: Vocabulary size cap, including padding and OOV.
            Defaults to 2000.
        sequence_length: Tokens per example (pad / truncate), for "int".
            Defaults to 32.
        output_mode: One of `MODES`. Defaults to "int".
        ngrams: Also index n-grams up to this length. Defaults to None.
    """

    def __init__(self, spec, max_tokens=2000, sequence_length=32, output_mode="int",
                 ngrams=None):
        super().__init__(spec)
        if output_mode not in MODES:
            raise ValueError(f"output_mode must be one of {MODES}. "
                             f"Received: output_mode={output_mode!r}")
        if spec.input_dtype != "string" and spec.input_kind != "text":
            raise ValueError(
                f"Pipeline 'text' needs raw strings, but dataset {spec.name!r} has "
                f"input_kind={spec.input_kind!r}, input_dtype={spec.input_dtype!r}. "
                "Use it on text datasets such as 'text_topics'."
            )
        self.max_tokens, self.sequence_length = int(max_tokens), int(sequence_length)
        self.output_mode, self.ngrams = output_mode, ngrams

    def adapt(self, x_train, y_train=None):
        import keras

        kw = dict(output_sequence_length=self.sequence_length) if self.output_mode == "int" else {}
        self.layer = keras.layers.TextVectorization(
            max_tokens=self.max_tokens, output_mode=self.output_mode, ngrams=self.ngrams, **kw)
        self.layer.adapt(_strings(x_train), batch_size=1024)
        self.vocab_size = int(self.layer.vocabulary_size())

    def transform(self, x):
        dtype = "int32" if self.output_mode == "int" else "float32"
        return run_layer(self.layer, _strings(x), dtype=dtype)

    def output_spec(self, spec):
        if self.output_mode == "int":
            return spec.replace(input_kind="sequence", input_shape=(self.sequence_length,),
                                input_dtype="int32", vocab_size=self.vocab_size)
        return spec.replace(input_kind="flat", input_shape=(self.vocab_size,),
                            input_dtype="float32", vocab_size=self.vocab_size)


def _strings(x) -> np.ndarray:
    """Numpy str array (TextVectorization does not take object arrays of str)."""
    return np.asarray([v.decode() if isinstance(v, bytes) else str(v) for v in x], dtype=str)


@PIPELINES.register(
    description="Raw text -> int32 token ids (keras.layers.TextVectorization adapted on the "
    "training split), or bag-of-words vectors.",
    tasks=("classification", "regression"),
    input_kind="text",
    tags=("text", "tokenizer"),
    reference="keras.layers.TextVectorization",
    axes=("max_tokens", "sequence_length", "output_mode", "ngrams"),
    defaults={"max_tokens": 2000, "sequence_length": 32, "output_mode": "int", "ngrams": None},
)
def text(spec, max_tokens=2000, sequence_length=32, output_mode="int", ngrams=None):
    return Text(spec, max_tokens=max_tokens, sequence_length=sequence_length,
                output_mode=output_mode, ngrams=ngrams)
