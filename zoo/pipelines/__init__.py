"""Pipeline registry: named preprocessing built on Keras preprocessing layers.

A pipeline builder takes the dataset spec and options and returns a
`Pipeline`. `apply(name, dataset)` adapts it on the training split only and
returns the transformed dataset plus an optional training-time augmenter.

Example:

>>> from zoo.pipelines import apply
>>> ds, augment = apply("standardize", zoo.datasets.load("wine"))
"""

from __future__ import annotations

from zoo.registry import Registry

PIPELINES = Registry("pipeline")

from zoo.pipelines.base import Pipeline, apply, build  # noqa: E402,F401
# Importing the modules registers their entries.
from zoo.pipelines import basic, image, selection, tabular, text  # noqa: E402,F401
