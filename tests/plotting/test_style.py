"""flowframe.plotting.style: money formatting for dollar axes."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.ticker import FuncFormatter

from flowframe.plotting import format_money, money_formatter


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12_400_000, "$12.4M"),
        (-850_000, "-$850K"),
        (12_000_000, "$12M"),
        (1_000_000, "$1M"),
        (1_260_000_000, "$1.3B"),
        (-1_234_000_000, "-$1.2B"),
        (3.2e12, "$3.2T"),
        (5e15, "$5000T"),
        (1_500, "$1.5K"),
        (1_000, "$1K"),
        (512, "$512"),
        (512.7, "$513"),
        (-512.4, "-$512"),
        (0, "$0"),
        (0.0, "$0"),
        (-0.3, "$0"),
        (999.6, "$1K"),
        (999_940, "$999.9K"),
        (999_960, "$1M"),
        (np.float64(2.5e6), "$2.5M"),
        (float("nan"), "n/a"),
        (np.nan, "n/a"),
        (math.inf, "$inf"),
        (-math.inf, "-$inf"),
    ],
)
def test_format_money(value, expected):
    assert format_money(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1_234_567_890, 2, "$1.23B"),
        (12_400_000, 0, "$12M"),
        (1_234_000, 3, "$1.234M"),
        (1_200_000, 3, "$1.2M"),
        (-1_250_000, 2, "-$1.25M"),
        (512.7, 3, "$513"),
    ],
)
def test_format_money_decimals(value, decimals, expected):
    assert format_money(value, decimals=decimals) == expected


def test_format_money_rejects_negative_decimals():
    with pytest.raises(ValueError, match="decimals"):
        format_money(1.0, decimals=-1)
    with pytest.raises(ValueError, match="decimals"):
        money_formatter(-1)


def test_money_formatter():
    fmt = money_formatter()
    assert isinstance(fmt, FuncFormatter)
    assert fmt(2.5e6, 0) == "$2.5M"
    assert fmt(-1.25e6, None) == "-$1.2M"
    assert money_formatter(2)(-1.25e6, 0) == "-$1.25M"


def test_format_money_examples_run():
    import doctest

    from flowframe.plotting import style

    results = doctest.testmod(style, optionflags=doctest.ELLIPSIS)
    assert results.failed == 0 and results.attempted >= 4
