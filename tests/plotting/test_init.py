"""flowframe.plotting re-exports every figure and building block from its module."""

from __future__ import annotations

import importlib

import pytest

from flowframe import plotting

# the names flowframe.plotting has exported since it was one module (plotting.py); the live
# layer draws with the building blocks
NAMES = {
    "style": (
        "BUY_COLOR",
        "CALLS_COLOR",
        "CUMULATIVE_COLOR",
        "FIGSIZE",
        "LEVEL_STYLES",
        "NAN_COLOR",
        "NEUTRAL_COLOR",
        "PRICE_COLOR",
        "PUTS_COLOR",
        "REGIME_ALPHA",
        "REGIME_COLORS",
        "SELL_COLOR",
        "format_money",
        "money_formatter",
    ),
    "axes": ("align_zeros", "bar_spacing", "date_nums", "plain_axis", "time_axis"),
    "hedge": ("plot_hedge",),
    "series": ("plot_series",),
    "heatmap": ("color_norm", "is_signed", "plot_diff", "plot_heatmap"),
    "profile": ("plot_profile",),
    "pin": ("plot_pin",),
    "reliability": ("plot_reliability",),
}


@pytest.mark.parametrize("module_name", sorted(NAMES))
def test_every_name_is_reexported_from_its_module(module_name: str) -> None:
    module = importlib.import_module(f"flowframe.plotting.{module_name}")
    for name in NAMES[module_name]:
        assert getattr(plotting, name) is getattr(module, name), name
        assert name in module.__all__ and name in plotting.__all__


def test_all_lists_exactly_the_figures_and_building_blocks() -> None:
    assert sorted(plotting.__all__) == sorted(n for names in NAMES.values() for n in names)
