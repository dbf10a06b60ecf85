"""`python -m benchmarks.perf_stacking`: the stacked Dense formulations, timed and compared."""

import argparse

import pytest

from benchmarks import perf_stacking


def test_parse_shape_takes_four_positive_integers_and_says_what_it_expected():
    assert perf_stacking.parse_shape("8,32,64,64") == (8, 32, 64, 64)
    for bad in ("8,32,64", "8,32,64,x", "0,32,64,64"):
        with pytest.raises(argparse.ArgumentTypeError, match="four positive integers"):
            perf_stacking.parse_shape(bad)


def test_member_major_with_the_einsums_kernel_gradient_gives_the_einsums_bits():
    row = perf_stacking.measure_shape((3, 8, 12, 16), steps=0)
    assert set(row) == set(perf_stacking.FORMULATIONS)
    assert row["einsum"]["identical"] and row["member_major_exact"]["identical"]
    assert all(r["step_ms"] is None for r in row.values())


def test_main_prints_a_row_per_shape_with_times(capsys):
    assert perf_stacking.main(["--steps", "2", "--shape", "2,4,8,8"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| K, batch, in, width | einsum |")
    assert table[2].startswith("| 2, 4, 8, 8 | ") and table[2].count(" ms ") == 4
