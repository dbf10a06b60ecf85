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


def bench(suite, **kwargs):
    """Runs a suite and returns its runs as a DataFrame; see `zoo.api.bench`."""
    from zoo.api import bench as run

    return run(suite, **kwargs)


def results(**kwargs):
    """The stored runs as a DataFrame; see `zoo.api.results`."""
    from zoo.api import results as read

    return read(**kwargs)


def report(**kwargs):
    """Writes a report; returns its main page; see `zoo.api.report`."""
    from zoo.api import report as write

    return write(**kwargs)


def tune(space, **kwargs):
    """Runs a Keras Tuner search; returns its trials as a DataFrame; see `zoo.api.tune`."""
    from zoo.api import tune as search

    return search(space, **kwargs)


def create_model(name, input_shape, num_classes=None, **kwargs):
    """Builds a model without a dataset, like `timm.create_model`; see `zoo.api.create_model`."""
    from zoo.api import create_model as create

    return create(name, input_shape, num_classes, **kwargs)

