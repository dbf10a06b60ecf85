"""zoo: a Keras model zoo and benchmark suite.

The registry (models, pipelines, datasets) is importable without TensorFlow:

>>> import zoo
>>> zoo.list_models("mlp*")
['mlp', ...]
"""

from zoo.registry import Card, Registry  # noqa: F401

__version__ = "0.1.0"


def list_models(*args, **kwargs):
    """Lists registered model names; see `zoo.registry.Registry.list`."""
    from zoo.models import MODELS

    return MODELS.list(*args, **kwargs)


def list_datasets(*args, **kwargs):
    """Lists registered dataset names; see `zoo.registry.Registry.list`."""
    from zoo.datasets import DATASETS

    return DATASETS.list(*args, **kwargs)


def list_pipelines(*args, **kwargs):
    """Lists registered pipeline names; see `zoo.registry.Registry.list`."""
    from zoo.pipelines import PIPELINES

    return PIPELINES.list(*args, **kwargs)


def build_model(name, spec, **kwargs):
    """Builds a registered model for a dataset spec; see `zoo.models.build`."""
    from zoo.models import build

    return build(name, spec, **kwargs)


def load_dataset(name, **kwargs):
    """Loads a dataset by name; see `zoo.datasets.load`."""
    from zoo.datasets import load

    return load(name, **kwargs)
