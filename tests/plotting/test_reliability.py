"""plot_reliability: predicted against observed, with how many predictions each point rests on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.text import Annotation

from flowframe.errors import SchemaError
from flowframe.plotting import plot_reliability
from flowframe.sources.engine.calibration import reliability
from tests.plotting.conftest import legend_labels, line, xs, ys


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """A reliability table as :func:`calibration.reliability` makes it: many predictions in
    some bins, two or three in others (as in notebook 04's range_2sigma)."""
    rng = np.random.default_rng(7)
    parts = []
    for kind, a, b, n in (("pin", 1.5, 8.0, 400), ("range_1sigma", 5.0, 2.0, 300)):
        predicted = rng.beta(a, b, n)
        parts.append(pd.DataFrame({"kind": kind, "predicted": predicted}))
    predicted = np.concatenate([rng.uniform(0.9, 1.0, 200), [0.25, 0.27, 0.35, 0.45, 0.46]])
    parts.append(pd.DataFrame({"kind": "range_2sigma", "predicted": predicted}))
    records = pd.concat(parts, ignore_index=True)
    records["outcome"] = (rng.random(len(records)) < records["predicted"]).astype(int)
    return reliability(records)


def test_reliability_labels_every_point_with_its_count(table):
    ax = plot_reliability(table)
    assert isinstance(ax, Axes)
    counts = {
        (round(a.xy[0], 12), round(a.xy[1], 12)): a.get_text()
        for a in ax.texts
        if isinstance(a, Annotation)
    }
    assert len(counts) == len(table)
    for row in table.itertuples():
        assert counts[(round(row.predicted, 12), round(row.observed, 12))] == str(row.count)
    # one line per kind through its bins, and the diagonal
    for kind, group in table.groupby("kind"):
        ln = line(ax, str(kind))
        np.testing.assert_allclose(xs(ln), group["predicted"])
        np.testing.assert_allclose(ys(ln), group["observed"])
    assert line(ax, "calibrated").get_linestyle() == "--"
    assert min(table["count"]) < 20 < max(table["count"])  # both kinds of bins are here
    assert "hollow: fewer than 20 predictions" in legend_labels(ax)
    assert ax.get_xlabel() == "predicted probability (bin mean)"
    assert ax.get_ylabel() == "observed frequency"
    assert ax.get_xlim() == ax.get_ylim() == (-0.02, 1.02)
    assert ax.get_title() == "Reliability: predicted probability against observed frequency"


def test_reliability_errors(table):
    with pytest.raises(SchemaError, match="count"):
        plot_reliability(table.drop(columns="count"))
    with pytest.raises(ValueError, match="no bins"):
        plot_reliability(table.iloc[:0])
