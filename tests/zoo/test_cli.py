"""The `zoo` command line: help, version, `python -m zoo`, `zoo suites`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from zoo.cli import build_parser, main


def test_version_and_python_dash_m():
    import zoo

    out = subprocess.run([sys.executable, "-m", "zoo", "--version"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == f"zoo {zoo.__version__}"


def test_every_option_has_help_and_states_its_default():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert {"models", "datasets", "pipelines", "axes", "suites", "bench", "results", "tune",
            "report", "export", "merge", "doctor"} <= set(commands)
    for name, sub in commands.items():
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, f"zoo {name} {action.option_strings or action.dest}: no help"
            if action.option_strings and action.default not in (None, False, [], "==SUPPRESS=="):
                assert "default" in action.help, f"zoo {name} {action.option_strings}"
    assert "examples:" in parser.epilog


def test_suites_lists_builtins_with_counts(capsys):
    assert main(["suites", "c0[12]*", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"c01_nonlinearity", "c02_activations"}
    assert rows["c01_nonlinearity"]["claim"] == "C1" and rows["c01_nonlinearity"]["runs"] > 0
    assert main(["suites", "claims", "--format", "json"]) == 0
    group = json.loads(capsys.readouterr().out)[0]
    assert group["kind"] == "group" and len(group["members"]) == 16


@pytest.mark.parametrize("argv", [["bench", "--help"], ["--help"]])
def test_help_exits_0(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0 and "usage: zoo" in capsys.readouterr().out
