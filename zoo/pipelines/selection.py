"""`select_features`: keep the k features most related to the training labels."""

from __future__ import annotations

import warnings

import numpy as np

from zoo.pipelines import PIPELINES
from zoo.pipelines.base import Pipeline, check_array_input

SCORES = ("f", "mutual_info")


class SelectFeatures(Pipeline):
    """Univariate feature selection with scikit-learn's `SelectKBest`.

    Scores each input feature against the *training* labels (ANOVA F /
    F-regression, or mutual information) and keeps the `k` best. Inputs of
    any shape are flattened first; the output spec is flat `(k,)`.

    Args:
        spec: Input `DatasetSpec`.
        k: Features kept (clipped to the number of features). Defaults to 10.
        score: "f" (ANOVA F for classes, F-test for regression) or
            "mutual_info". Defaults to "f".
    """

    def __init__(self, spec, k=10, score="f"):
        super().__init__(spec)
        check_array_input("select_features", spec)
        if score not in SCORES:
            raise ValueError(f"score must be one of {SCORES}. Received: score={score!r}")
        if int(k) < 1:
            raise ValueError(f"k must be a positive number of features. Received: k={k}")
        self.k, self.score = int(k), score

    def adapt(self, x_train, y_train=None):
        from sklearn import feature_selection as fs

        if y_train is None:
            raise ValueError(
                "Pipeline 'select_features' is supervised: adapt(x_train, y_train) needs the "
                "training labels. Use zoo.pipelines.apply, which passes them. "
                "Received: y_train=None"
            )
        x = np.asarray(x_train, dtype="float32").reshape((len(x_train), -1))
        classify = self.spec.task == "classification"
        if self.score == "f":
            score_func = fs.f_classif if classify else fs.f_regression
        else:
            base = fs.mutual_info_classif if classify else fs.mutual_info_regression

            def score_func(a, b):
                return base(a, b, random_state=0)

        self.selector = fs.SelectKBest(score_func, k=min(self.k, x.shape[1]))
        with warnings.catch_warnings():  # constant features score NaN: ranked last
            warnings.simplefilter("ignore", (RuntimeWarning, UserWarning))
            self.selector.fit(x, np.asarray(y_train))
        self.selected = np.flatnonzero(self.selector.get_support())

    def transform(self, x):
        x = np.asarray(x, dtype="float32").reshape((len(x), -1))
        return x[:, self.selected]

    def output_spec(self, spec):
        names = (tuple(spec.feature_names[i] for i in self.selected)
                 if len(spec.feature_names) > int(self.selected.max()) else ())
        extra = {**spec.extra, "selected_features": [int(i) for i in self.selected]}
        return spec.replace(input_kind="flat", input_shape=(len(self.selected),),
                            input_dtype="float32", feature_names=names, extra=extra)


@PIPELINES.register(
    description="Keep the k features with the highest ANOVA F / mutual information with the "
    "training labels (sklearn SelectKBest).",
    tasks=("classification", "regression"),
    input_kind="any",
    tags=("feature-selection", "supervised"),
    reference="sklearn.feature_selection.SelectKBest",
    axes=("k", "score"),
    defaults={"k": 10, "score": "f"},
)
def select_features(spec, k=10, score="f"):
    return SelectFeatures(spec, k=k, score=score)
