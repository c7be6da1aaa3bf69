"""One set of frame checks for every layer: the readers' users and the writers alike."""

from __future__ import annotations

import pandas as pd
import pytest

import flowframe as ff
from flowframe import frames
from flowframe.errors import SchemaError

SRC = ff.SampleSource(seed=3, now="11:00")


def test_writers_name_the_missing_columns_and_what_the_frame_has() -> None:
    hedge = ff.hedge_flow("SPY", minutes=5, source=SRC)
    with pytest.raises(
        SchemaError, match=r"needs columns cumulative, which this frame lacks \(it has bar\)"
    ):
        frames.hedge_flow_to_payload(hedge[["bar"]])
    board = ff.leaderboard(source=SRC)
    with pytest.raises(SchemaError, match="leaderboard_to_payload needs columns value"):
        frames.leaderboard_to_payload(board[["symbol"]])
    assert frames.leaderboard_to_payload(board)["entries"]  # indexed by rank: no time check


def test_writers_read_a_naive_index_as_utc_and_refuse_no_time_index() -> None:
    hedge = ff.hedge_flow("SPY", minutes=5, source=SRC)
    naive = frames.hedge_flow_to_payload(hedge.tz_localize(None))
    assert naive == frames.hedge_flow_to_payload(hedge)
    with pytest.raises(SchemaError, match="expected a frame indexed by time 't', got RangeIndex"):
        frames.hedge_flow_to_payload(hedge.reset_index())


def test_grid_writers_need_the_spot_coordinate() -> None:
    grid = ff.heatmap("SPY", minutes=5, source=SRC)
    with pytest.raises(SchemaError, match="heatmap_to_payload needs a 'spot' coordinate"):
        frames.heatmap_to_payload(grid.drop_vars("spot"))
    flow = ff.strike_flow("SPY", minutes=5, source=SRC)
    with pytest.raises(SchemaError, match=r"needs dims \('bar', 'strike'\)"):
        frames.strike_flow_to_payload(flow.rename(strike="k"))
    with pytest.raises(SchemaError, match=r"needs an xarray\.DataArray or Dataset, got DataFrame"):
        frames.strike_flow_to_payload(pd.DataFrame())  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["2026-09-18", "2026-09-18Z", "20260918T14:45"])
def test_an_as_of_without_a_time_of_day_is_refused(value: str) -> None:
    # a date alone read as midnight UTC: hours before the session, and never what a server means
    from flowframe.frames.checks import read_timestamp

    with pytest.raises(
        ff.SchemaError, match=rf"snapshot field 'as_of' is not an ISO-8601 time: '{value}'"
    ):
        read_timestamp({"as_of": value}, "as_of", "snapshot")
    assert read_timestamp({"as_of": "2026-09-18T14:45Z"}, "as_of", "snapshot") == pd.Timestamp(
        "2026-09-18 14:45", tz="UTC"
    )
