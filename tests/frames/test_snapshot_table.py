"""Snapshot as a table row, and setup conditions a program can read."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowframe as ff
from flowframe.errors import SchemaError
from flowframe.frames.snapshot import Condition, snapshots_frame
from flowframe.sources.engine.simulated import Simulated
from flowframe.sources.samples import SampleSource

DAY = "2026-09-18"


@pytest.fixture(scope="module")
def sim() -> Simulated:
    return Simulated(seed=3, date=DAY, now="15:00", scale=0.03)


def hosted_body() -> dict[str, Any]:
    return SampleSource(now="14:45").get_snapshot("SPY")


def test_a_snapshot_is_one_flat_row() -> None:
    snap = ff.Snapshot(hosted_body(), source="sample")
    row = snap.to_dict()
    assert list(row)[:5] == ["symbol", "as_of", "status", "source", "spot"]
    assert row["symbol"] == "SPY" and row["as_of"] == snap.as_of and row["status"] == "live"
    assert row["regime.label"] == snap.regime
    assert row["regime.gamma_flip"] == snap.levels["gamma_flip"]
    assert row["levels.call_wall"] == snap.levels["call_wall"]
    assert row["pin_risk.magnet_strike"] == snap.levels["magnet"]
    # the typed probabilities and the headline's percentage, whatever the body's units
    assert row["probabilities.pin.value"] == 0.494
    assert row["headline.promoted.pin_probability_pct"] == pytest.approx(49.4)
    assert row["setup.primary.conditions_failed"] == 1
    assert row["setup.anti_setups"] == "Long Premium / Lotto"  # no key in this body
    assert all(not isinstance(v, list | dict) for v in row.values())
    series = snap.to_series()
    assert series.name == snap.as_of and series.dtype == object
    assert series.to_dict() == row


def test_a_day_of_snapshots_stacks_into_a_frame(sim: Simulated) -> None:
    times = pd.date_range(f"{DAY} 09:00", f"{DAY} 15:00", freq="30min", tz="America/New_York")
    snaps = [ff.snapshot("SPX", source=sim.at(t)) for t in times]
    day = snapshots_frame(snaps)
    assert day.shape[0] == 13 and day.index.name == "as_of"
    assert str(day.index.dtype) == "datetime64[ns, UTC]"
    # 09:00 is before the open: a degraded row (no as_of, as the hosted body has none), NaN
    # where it has no field
    assert pd.isna(day.index[0]) and (day.index[1:] == times[1:].tz_convert("UTC")).all()
    assert day["status"].tolist() == ["session_closed"] + ["live"] * 12
    assert math.isnan(day["exposures.net_gex"].iloc[0])
    assert day["exposures.net_gex"].dtype == np.float64
    assert day["regime.label"].dtype == "str" and day["market_open"].dtype == "boolean"
    # rows read back what each snapshot says
    for t, snap in zip(day.index[1:], snaps[1:], strict=True):
        assert day.loc[t, "spot"] == snap.spot
        assert day.loc[t, "regime.gamma_flip"] == snap.levels["gamma_flip"] or (
            snap.levels["gamma_flip"] is None and math.isnan(day.loc[t, "regime.gamma_flip"])
        )
    # the same rows through to_series
    stacked = pd.DataFrame([s.to_series() for s in snaps])
    assert list(stacked.index[1:]) == list(day.index[1:])
    assert stacked["spot"].astype(float).iloc[1:].tolist() == day["spot"].iloc[1:].tolist()


def test_the_local_engine_sends_machine_readable_conditions(sim: Simulated) -> None:
    snap = ff.snapshot("SPX", source=sim)
    assert snap.setup is not None
    verdicts = [snap.setup.primary, *snap.setup.alternatives, *snap.setup.anti_setups]
    assert verdicts
    for v in verdicts:
        assert v is not None and v.key is not None and v.conditions
        assert tuple(c.text for c in v.conditions if c.met) == v.conditions_met
        assert tuple(c.text for c in v.conditions if not c.met) == v.conditions_failed
    fly = Simulated(seed=3, date=DAY, now="15:00", scale=0.03).get_snapshot("SPX")["setup"]
    every = [fly["primary"], *fly["alternatives"], *fly["anti_setups"]]
    regime = [c for v in every for c in v["conditions"] if c["id"] == "regime" and c["op"] == "="]
    assert regime and all(c["value"] == snap.regime for c in regime)
    frame = verdicts[0].conditions_frame() if verdicts[0] is not None else None
    assert frame is not None
    assert list(frame.columns) == ["id", "text", "met", "value", "op", "threshold", "margin"]
    assert frame["met"].dtype == bool and frame["margin"].dtype == np.float64


def test_a_pin_score_condition_carries_its_numbers() -> None:
    from flowframe.sources.engine.decision.inputs import DecisionInputs
    from flowframe.sources.engine.decision.setups import evaluate_setups

    inp = DecisionInputs(
        symbol="SPY",
        spot=600.0,
        open_spot=600.0,
        hours_left=1.5,
        regime="positive_gamma",
        net_gex=1e9,
        gamma_flip=590.0,
        call_wall=606.0,
        put_wall=594.0,
        magnet=600.0,
        pin_score=71.0,
        atm_iv=0.15,
        sigma_rem=1.5,
        sigma_day=5.67,
        flow_label="neutral",
        flow_shift=0.0,
        strikes=tuple(float(k) for k in range(580, 621)),
    )
    body = {"symbol": "SPY", "as_of": "2026-09-18T19:00:00Z", "setup": evaluate_setups(inp)}
    fly = ff.Snapshot(body).setup.primary  # type: ignore[union-attr]
    assert fly is not None and fly.key == "iron_fly"
    by_id = {c.id: c for c in fly.conditions}
    assert by_id["pin_score"] == Condition(
        "pin_score", "pin_score > 65 (is 71)", True, 71.0, ">", 65.0, by_id["pin_score"].margin
    )
    assert by_id["pin_score"].margin == pytest.approx(0.4)
    assert by_id["time"].op == "in" and by_id["time"].threshold == [0.25, 3.0]
    assert by_id["regime"].value == "positive_gamma" and by_id["regime"].op == "="
    assert by_id["legs"].op == "is" and by_id["legs"].value is True


def test_hosted_texts_are_read_into_conditions_without_guessing() -> None:
    # the published example's texts (the hosted API sends no structured conditions)
    body = hosted_body()
    body["setup"]["primary"]["conditions_met"] = [
        "spot within 0.3% of magnet",
        "regime = positive_gamma",
        "pin_score > 65",
    ]
    body["setup"]["primary"]["conditions_failed"] = ["hours left in [0.25, 3]"]
    snap = ff.Snapshot(body)
    assert snap.setup is not None and snap.setup.primary is not None
    conditions = snap.setup.primary.conditions
    by_id = {c.id: c for c in conditions}
    assert by_id["pin_score"] == Condition("pin_score", "pin_score > 65", True, None, ">", 65.0)
    assert by_id["regime"] == Condition(
        "regime", "regime = positive_gamma", True, None, "=", "positive_gamma"
    )
    assert by_id["spot_within_0_3_of_magnet"] == Condition(
        "spot_within_0_3_of_magnet", "spot within 0.3% of magnet", True
    )
    assert by_id["hours_left_in_0_25_3"].met is False
    assert [c.met for c in conditions] == [True, True, True, False]


@given(
    ident=st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True),
    op=st.sampled_from([">", ">=", "<", "<=", "="]),
    threshold=st.floats(-1e6, 1e6, allow_nan=False)
    | st.from_regex(r"[a-z_]{1,10}", fullmatch=True),
    value=st.none() | st.floats(-1e6, 1e6, allow_nan=False),
    met=st.booleans(),
)
def test_condition_texts_parse_back(
    ident: str, op: str, threshold: float | str, value: float | None, met: bool
) -> None:
    text = f"{ident} {op} {threshold}" + ("" if value is None else f" (is {value})")
    c = Condition.from_text(text, met)
    assert (c.id, c.op, c.threshold, c.value, c.met, c.text) == (
        ident,
        op,
        threshold if isinstance(threshold, str) else float(repr(threshold)),
        value,
        met,
        text,
    )


@given(text=st.text(max_size=40))
def test_any_condition_text_reads_without_error(text: str) -> None:
    c = Condition.from_text(text, False)
    assert c.text == text and c.id and not c.met


def test_a_malformed_structured_condition_names_the_field() -> None:
    body = hosted_body()
    body["setup"]["primary"]["conditions"] = [{"id": "x", "text": "x > 1"}]
    with pytest.raises(SchemaError, match=r"setup.primary.conditions\[0\] needs 'id' and 'text'"):
        ff.Snapshot(body)
