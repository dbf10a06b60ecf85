"""Helpers and fixtures shared by the tests of every package.

Tests are laid out by package (`tests/zoo`, `tests/benchmarks`,
`tests/tuning`, `tests/reports`); what more than one of them needs lives
here: writing a TOML file, reading a store's runs, and checking which
modules a fresh interpreter imports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def write_toml(tmp_path, text: str, name: str = "suite.toml") -> str:
    """Writes a dedented TOML text to `tmp_path / name`; returns its path."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def tiny_suite(name: str, matrix: str = 'optimizer = ["sgd", "adam"]',
               fixed: str = "batch_size = 32", description: str = "tiny MLPs on 200 digits"
               ) -> str:
    """A suite of 1-epoch, 8-unit MLPs on 200 digits: training that takes seconds."""
    return (f'name = "{name}"\ndescription = "{description}"\ndataset = "digits"\n'
            f'model = "mlp"\nepochs = 1\nseeds = [0]\n\n[fixed]\ndepth = 1\nwidth = 8\n'
            f'train_samples = 200\n{fixed}\n\n[matrix]\n{matrix}\n')


def runs_of(store_path: str, suite: str) -> list[dict]:
    """Every stored run of `suite` (dicts with `record`/`config` decoded)."""
    from benchmarks.store import Store

    with Store(store_path) as store:
        return store.runs(suite)


def modules_after(code: str, watch=("tensorflow", "keras")) -> list[str]:
    """Runs `code` in a fresh interpreter; returns which of `watch` it imported."""
    probe = (f"{code}\nimport sys\n"
             f"print(','.join(m for m in {tuple(watch)!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=180, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    last = out.stdout.strip().splitlines()[-1:] or [""]
    return [m for m in last[0].split(",") if m]


@pytest.fixture
def fixture_path():
    """`fixture_path(name)`: the path of a file in `tests/fixtures`."""
    return lambda name: os.path.join(FIXTURES, name)
