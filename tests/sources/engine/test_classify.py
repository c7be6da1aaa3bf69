from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowframe.errors import SchemaError
from flowframe.sources.engine.classify import (
    Classification,
    classify,
    classify_tape,
    quote_rule,
    tick_test,
)

NAN = math.nan


def _list(a: np.ndarray) -> list[int]:
    assert a.dtype == np.int8
    return [int(x) for x in a]


# ------------------------------------------------------------------------------- quote rule


def test_quote_rule_basic() -> None:
    # mid 1.05: above, below, at, at ask, at bid, outside the quote both ways
    price = [1.08, 1.02, 1.05, 1.10, 1.00, 1.20, 0.90]
    assert _list(quote_rule(price, 1.00, 1.10)) == [1, -1, 0, 1, -1, 1, -1]


def test_quote_rule_unusable_quotes() -> None:
    price = [1.08, 1.08, 1.08, 1.08, 1.08, 1.08, 1.08, NAN, 1.08]
    bid = [NAN, 1.00, NAN, 1.10, 1.20, -np.inf, 1.00, 1.00, 0.0]
    ask = [1.10, NAN, NAN, 1.10, 1.00, 1.10, np.inf, 1.10, 0.05]
    # missing bid, missing ask, both missing, locked, crossed, infinite bid, infinite ask,
    # NaN price, and a valid 0-bid quote
    assert _list(quote_rule(price, bid, ask)) == [0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_quote_rule_shapes() -> None:
    assert quote_rule(1.1, 1.0, 1.1).shape == ()
    assert int(quote_rule(1.1, 1.0, 1.1)) == 1
    assert quote_rule(np.ones((2, 3)), 0.5, np.array([1.0, 2.0, 3.0])).shape == (2, 3)
    assert quote_rule([], [], []).shape == (0,)


# -------------------------------------------------------------------------------- tick test


def test_tick_test_basic_and_zero_ticks() -> None:
    p = [1.0, 1.1, 1.1, 1.0, 1.0, 1.0, 1.2, 1.2]
    # first: no earlier price; up; zero-up (last different 1.0); down; zero-downs; up; zero-up
    assert _list(tick_test(p)) == [0, 1, 1, -1, -1, -1, 1, 1]


def test_tick_test_repeats_before_first_change_are_unknown() -> None:
    assert _list(tick_test([2.0, 2.0, 2.0, 2.5, 2.5])) == [0, 0, 0, 1, 1]


def test_tick_test_uses_last_different_not_last_print() -> None:
    # 1.0 1.2 1.0 1.0: the last print repeats 1.0; its last different price is 1.2 -> down
    assert _list(tick_test([1.0, 1.2, 1.0, 1.0])) == [0, 1, -1, -1]


def test_tick_test_groups_reset_and_interleave() -> None:
    p = [5.0, 1.0, 5.5, 1.0, 0.9, 5.5, 5.0, 0.9]
    g = ["A", "B", "A", "B", "B", "A", "A", "B"]
    # A: 5.0 -> 0 (first), 5.5 -> +1, 5.5 -> +1 (zero-up), 5.0 -> -1
    # B: 1.0 -> 0 (first), 1.0 -> 0 (no different price yet), 0.9 -> -1, 0.9 -> -1
    assert _list(tick_test(p, g)) == [0, 0, 1, 0, -1, 1, -1, -1]
    # without groups the same prints compare across contracts
    assert _list(tick_test(p)) == [0, -1, 1, -1, -1, 1, -1, -1]


def test_tick_test_first_print_of_each_group_is_unknown() -> None:
    p = [1.0, 2.0, 3.0, 4.0]
    assert _list(tick_test(p, [7, 8, 9, 10])) == [0, 0, 0, 0]
    assert _list(tick_test(p, [7, 8, 7, 8])) == [0, 0, 1, 1]


def test_tick_test_nan_prices_are_skipped() -> None:
    # NaN gets 0 and is not a reference: 1.1 compares with 1.0
    assert _list(tick_test([1.0, NAN, 1.1, NAN, 1.1])) == [0, 0, 1, 0, 1]
    assert _list(tick_test([NAN, NAN])) == [0, 0]
    assert _list(tick_test([1.0, NAN, 0.5], ["a", "a", "a"])) == [0, 0, -1]


def test_tick_test_group_keys_of_any_kind() -> None:
    p = [1.0, 2.0, 1.5, 2.5]
    expected = [0, 0, 1, 1]
    assert _list(tick_test(p, np.array([6000.0, 6005.0, 6000.0, 6005.0]))) == expected
    assert _list(tick_test(p, np.array([NAN, 1.0, NAN, 1.0]))) == expected  # NaN is a key
    assert _list(tick_test(p, np.array([10**12, 3, 10**12, 3]))) == expected
    # more groups than fit in 16 bits takes the general sort
    n = 70_000
    g = np.concatenate([np.arange(n), np.arange(n)])
    prices = np.concatenate([np.ones(n), np.where(np.arange(n) % 2 == 0, 2.0, 0.5)])
    got = tick_test(prices, g)
    assert (got[:n] == 0).all()
    assert _list(got[n : n + 4]) == [1, -1, 1, -1]


def test_tick_test_edges_and_errors() -> None:
    assert tick_test([]).shape == (0,)
    assert tick_test([], []).shape == (0,)
    assert _list(tick_test([3.0])) == [0]
    with pytest.raises(ValueError, match="1-d price"):
        tick_test(np.ones((2, 2)))
    with pytest.raises(ValueError, match="one key per print"):
        tick_test([1.0, 2.0], [1])


def _tick_oracle(prices: list[float], groups: list[int] | None) -> list[int]:
    """Pure-Python tick test: scan back for the last different price of the same group."""
    out = []
    for i, p in enumerate(prices):
        side = 0
        if not math.isnan(p):
            for j in range(i - 1, -1, -1):
                if groups is not None and groups[j] != groups[i]:
                    continue
                q = prices[j]
                if math.isnan(q) or q == p:
                    continue
                side = 1 if p > q else -1
                break
        out.append(side)
    return out


prints = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from([1.0, 1.05, 1.1, 1.25, 2.0, NAN])),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(rows=prints, grouped=st.booleans())
def test_tick_test_matches_loop_oracle(rows: list[tuple[int, float]], grouped: bool) -> None:
    # rows are in time order; the group ids interleave as contracts do on a tape
    groups = [g for g, _ in rows] if grouped else None
    prices = [p for _, p in rows]
    got = tick_test(np.array(prices, dtype=float), None if groups is None else np.array(groups))
    assert _list(got) == _tick_oracle(prices, groups)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 2),
            st.sampled_from([1.0, 1.05, 1.1, 1.2]),
            st.sampled_from([0.95, 1.0, 1.05, NAN]),
            st.sampled_from([1.0, 1.05, 1.1, 1.2, NAN]),
        ),
        max_size=40,
    )
)
def test_classify_matches_lee_ready_oracle(rows: list[tuple[int, float, float, float]]) -> None:
    g = [r[0] for r in rows]
    p = [r[1] for r in rows]
    bid = [r[2] for r in rows]
    ask = [r[3] for r in rows]
    ticks = _tick_oracle(p, g)
    expected = []
    for i in range(len(rows)):
        usable = not (math.isnan(bid[i]) or math.isnan(ask[i])) and ask[i] > bid[i]
        mid = (bid[i] + ask[i]) / 2 if usable else NAN
        q = (1 if p[i] > mid else -1 if p[i] < mid else 0) if usable else 0
        expected.append(q or ticks[i])
    got = classify(np.array(p), np.array(bid), np.array(ask), np.array(g))
    assert _list(got.side) == expected
    assert got.by_quote + got.by_tick + got.unknown == len(rows)
    assert got.unknown == expected.count(0)


# --------------------------------------------------------------------------------- classify


def test_classify_quote_then_tick_with_counts() -> None:
    price = [1.00, 1.08, 1.05, 1.05, 1.02, 1.02]
    bid = [NAN, 1.00, 1.00, 1.00, 1.10, 1.00]
    ask = [NAN, 1.10, 1.10, 1.10, 1.00, 1.10]
    # 0: no quote, first print -> unknown
    # 1: above mid -> +1 (quote)
    # 2: at mid -> tick: 1.05 < 1.08 -> -1
    # 3: at mid -> tick: zero tick, last different 1.08 -> -1
    # 4: crossed quote -> tick: 1.02 < 1.05 -> -1
    # 5: below mid -> -1 (quote)
    got = classify(price, bid, ask)
    assert isinstance(got, Classification)
    assert _list(got.side) == [0, 1, -1, -1, -1, -1]
    assert (got.by_quote, got.by_tick, got.unknown) == (2, 3, 1)
    assert got.coverage == pytest.approx(5 / 6)


def test_classify_tick_uses_groups() -> None:
    price = [1.0, 2.0, 1.1, 1.9]
    got = classify(price, NAN, NAN, group=["a", "b", "a", "b"])
    assert _list(got.side) == [0, 0, 1, -1]
    assert (got.by_quote, got.by_tick, got.unknown, got.coverage) == (0, 2, 2, 0.5)


def test_classify_all_by_quote_and_empty() -> None:
    got = classify([1.1, 0.9], [0.95, 0.95], [1.05, 1.05])
    assert (got.by_quote, got.by_tick, got.unknown, got.coverage) == (2, 0, 0, 1.0)
    empty = classify([], [], [])
    assert empty.side.shape == (0,) and empty.side.dtype == np.int8
    assert (empty.by_quote, empty.by_tick, empty.unknown) == (0, 0, 0)
    assert math.isnan(empty.coverage)


def test_classify_shape_errors() -> None:
    with pytest.raises(ValueError, match="1-d price"):
        classify(np.ones((2, 2)), 1.0, 1.1)
    with pytest.raises(ValueError, match="one value per print"):
        classify([1.0], [1.0, 1.0], [1.1, 1.1])


# ----------------------------------------------------------------------------- classify_tape


def _tape(**extra: Any) -> pd.DataFrame:
    t = pd.date_range("2026-06-05 13:30", periods=6, freq="s", tz="UTC")
    frame = pd.DataFrame(
        {
            "t": t,
            "strike": [6000.0, 6005.0, 6000.0, 6000.0, 6005.0, 6000.0],
            "right": ["C", "C", "P", "C", "C", "P"],
            "price": [2.0, 1.0, 3.0, 2.1, 1.0, 2.9],
            "size": [1, 2, 1, 5, 1, 1],
        }
    )
    for name, values in extra.items():
        frame[name] = values
    return frame


def test_classify_tape_with_side_column() -> None:
    tape = _tape(side=[1, -1, 0, 1, 0, -1], bid=NAN, ask=NAN)  # side wins over quotes
    side, cls = classify_tape(tape)
    assert _list(side) == [1, -1, 0, 1, 0, -1]
    assert side is cls.side
    assert (cls.by_quote, cls.by_tick, cls.unknown) == (0, 0, 2)
    assert cls.coverage == pytest.approx(4 / 6)
    float_side, _ = classify_tape(_tape(side=[1.0, -1.0, 0.0, 1.0, 0.0, -1.0]))
    assert _list(float_side) == [1, -1, 0, 1, 0, -1]
    nullable, _ = classify_tape(_tape(side=pd.array([1, -1, 0, 1, 0, -1], dtype="Int8")))
    assert _list(nullable) == [1, -1, 0, 1, 0, -1]


@pytest.mark.parametrize(
    ("values", "row", "shown"),
    [
        ([1, -1, 2, 1, 0, 5], 2, "2"),
        ([1, -1, 0, 0.5, 0, 1], 3, "0.5"),
        ([1, NAN, 0, 1, 0, 1], 1, "nan"),
        (["B", "S", "B", "B", "S", "S"], 0, "'B'"),
        (pd.array([1, -1, 0, None, 0, 1], dtype="Int8"), 3, "<NA>"),
        ([True, False, True, True, False, True], 0, "True"),
    ],
)
def test_classify_tape_bad_side(values: object, row: int, shown: str) -> None:
    pattern = rf"tape column 'side' must hold only -1, 0 or 1 .*row {row} \(index {row}\) holds "
    with pytest.raises(SchemaError, match=pattern + re.escape(shown) + "$"):
        classify_tape(_tape(side=values))


def test_classify_tape_with_quotes_groups_by_contract() -> None:
    tape = _tape(bid=[1.9, NAN, 2.9, 2.0, NAN, NAN], ask=[2.1, NAN, 3.1, 2.2, NAN, NAN])
    side, cls = classify_tape(tape)
    # 0 (6000 C) at mid -> first print of its contract -> 0
    # 1 (6005 C) no quote, first print -> 0
    # 2 (6000 P) at mid, first of its contract -> 0
    # 3 (6000 C) 2.1 at mid 2.1 -> tick vs 2.0 of 6000 C -> +1
    # 4 (6005 C) no quote, repeats 1.0 -> 0
    # 5 (6000 P) no quote: 2.9 < 3.0 of 6000 P -> -1 (not vs 2.1 of the call)
    assert _list(side) == [0, 0, 0, 1, 0, -1]
    assert (cls.by_quote, cls.by_tick, cls.unknown) == (0, 2, 4)
    assert cls.coverage == pytest.approx(2 / 6)


def test_classify_tape_quote_rule_first() -> None:
    # row 2 prints 3.0 at the mid of 2.0 x 4.0 and is the first print of 6000 P: unknown
    tape = _tape(bid=[1.0, 0.5, 2.0, 2.0, 0.5, 2.0], ask=[1.5, 0.9, 4.0, 2.05, 0.9, 3.0])
    side, cls = classify_tape(tape)
    assert _list(side) == [1, 1, 0, 1, 1, 1]
    assert (cls.by_quote, cls.by_tick, cls.unknown) == (5, 0, 1)


def test_classify_tape_sorts_by_time_and_keeps_row_order() -> None:
    tape = _tape(bid=NAN, ask=NAN)
    shuffled = tape.iloc[[5, 3, 0, 4, 2, 1]].reset_index(drop=True)
    expected, _ = classify_tape(tape)
    side, cls = classify_tape(shuffled)
    assert _list(side) == [int(expected[i]) for i in [5, 3, 0, 4, 2, 1]]
    assert side is cls.side
    # a datetime index (no t column) orders the same way
    by_index = shuffled.set_index("t")
    side_ix, _ = classify_tape(by_index)
    assert _list(side_ix) == _list(side)


def test_classify_tape_missing_columns() -> None:
    with pytest.raises(
        SchemaError, match=r"'side' column .* or 'bid' and 'ask' .*no 'bid' or 'ask'"
    ):
        classify_tape(_tape())
    with pytest.raises(
        SchemaError, match=r"no 'ask' \(columns: t, strike, right, price, size, bid\)"
    ):
        classify_tape(_tape(bid=1.0))
    with pytest.raises(SchemaError, match="tape needs columns price to classify"):
        classify_tape(_tape(bid=1.0, ask=1.1).drop(columns="price"))
    with pytest.raises(SchemaError, match="tape needs columns strike, right"):
        classify_tape(_tape(bid=1.0, ask=1.1).drop(columns=["strike", "right"]))
    with pytest.raises(SchemaError, match="tape column 'bid' must be numeric"):
        classify_tape(_tape(bid="x", ask=1.1))
    with pytest.raises(SchemaError, match="needs a DataFrame"):
        classify_tape([1, 2])  # type: ignore[arg-type]


def test_classify_tape_empty() -> None:
    empty = _tape(bid=1.0, ask=1.1).iloc[:0]
    side, cls = classify_tape(empty)
    assert side.shape == (0,) and math.isnan(cls.coverage)
    side, cls = classify_tape(_tape(side=0).iloc[:0])
    assert side.shape == (0,) and math.isnan(cls.coverage) and cls.unknown == 0


def test_classify_tape_bad_side_names_position_and_label() -> None:
    tape = _tape(side=[1, -1, 3, 1, 0, -1]).set_index("t")
    with pytest.raises(SchemaError, match=r"row 2 \(index 2026-06-05 13:30:02\+00:00\) holds 3$"):
        classify_tape(tape)
