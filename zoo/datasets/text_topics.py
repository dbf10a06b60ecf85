"""`text_topics`: short synthetic sentences whose topic words give the class."""

from __future__ import annotations

import numpy as np

from zoo.datasets import DATASETS
from zoo.datasets.base import Dataset, from_arrays
from zoo.datasets.synthetic import DATA_SEED, SPLIT, _check_n

TOPICS = {
    "sports": "goal match team coach league score player referee season stadium "
              "striker tournament victory penalty training",
    "science": "atom cell energy theory experiment molecule physics gene laboratory "
               "hypothesis particle quantum telescope species data",
    "cooking": "recipe oven garlic butter flour simmer spice dough salad roast "
               "sauce kitchen onion pepper bake",
    "music": "guitar melody chorus drum album concert rhythm piano singer song "
             "band lyrics tempo violin chord",
    "travel": "flight hotel passport beach luggage airport ticket journey museum "
              "island train tourist map border cruise",
    "finance": "stock market bank interest loan budget invest profit tax bond "
               "inflation credit dividend price fund",
}
NOISE = ("the a an of to and in on with for is was it this that very really just some "
         "many people today yesterday about new old good great time day week year "
         "thing way make take see know think say").split()


@DATASETS.register(
    description="Synthetic topic classification: sentences mixing per-topic words with "
    "shared filler words (4 topics by default). Raw strings: use the `text` pipeline.",
    tasks=("classification",),
    input_kind="text",
    tags=("synthetic", "text", "small"),
    reference="synthetic; tokenized by keras.layers.TextVectorization (`text` pipeline)",
    extra={"source": "generated (numpy)", "size": 1200, "input_shape": [],
           "num_classes": 4, "split": SPLIT, "topics": list(TOPICS)},
)
def text_topics(seed: int = 0, n_samples: int = 1200, n_classes: int = 4, length: int = 12,
                topic_fraction: float = 0.3) -> Dataset:
    """An array of python strings, one sentence per example.

    Each sentence has between `length / 2` and `3 * length / 2` words; each
    word is a word of the sentence's topic with probability
    `topic_fraction`, else a shared filler word.

    Args:
        seed: Split seed. Defaults to 0.
        n_samples: Sentences. Defaults to 1200.
        n_classes: Topics, 2 to 6. Defaults to 4.
        length: Mean sentence length in words (>= 2). Defaults to 12.
        topic_fraction: Probability that a word is a topic word. Defaults to 0.3.
    """
    n = _check_n("text_topics", n_samples)
    if not 2 <= n_classes <= len(TOPICS) or length < 2 or not 0 < topic_fraction <= 1:
        raise ValueError(
            f"text_topics needs 2 <= n_classes <= {len(TOPICS)}, length >= 2 and "
            f"0 < topic_fraction <= 1. Received: n_classes={n_classes}, length={length}, "
            f"topic_fraction={topic_fraction}"
        )
    rng = np.random.default_rng(DATA_SEED)
    vocab = [TOPICS[t].split() for t in list(TOPICS)[:n_classes]]
    y = (np.arange(n) % n_classes).astype("int32")
    sentences = []
    for label in y:
        words = []
        for _ in range(int(rng.integers(max(1, length // 2), length * 3 // 2 + 1))):
            pool = vocab[label] if rng.uniform() < topic_fraction else NOISE
            words.append(pool[int(rng.integers(len(pool)))])
        sentences.append(" ".join(words))
    x = np.array(sentences, dtype=object)
    return from_arrays("text_topics", x, y, seed=seed, input_kind="text", num_classes=n_classes,
                       input_dtype="string", input_shape=(),
                       extra={"topics": list(TOPICS)[:n_classes]})
