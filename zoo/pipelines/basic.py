"""Identity and feature-scaling pipelines."""

from __future__ import annotations

from zoo.pipelines import PIPELINES
from zoo.pipelines.base import Pipeline


@PIPELINES.register(
    description="Pass inputs through unchanged.",
    tasks=("classification", "regression", "reconstruction"),
    input_kind="any",
    tags=("basic",),
)
def identity(spec):
    return Pipeline(spec)
