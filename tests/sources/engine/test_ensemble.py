"""``ff.Ensemble``: every variant equals an ``ff.Local`` built with its config and inputs."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import flowframe as ff
from flowframe.sources.engine import core
from flowframe.sources.engine import ensemble as ensemble_mod
from flowframe.sources.engine import greeks as core_bs

NOW = "13:10"

VARIANTS = {
    "base": None,
    "short_all": {"dealer_prior": "short_all"},
    "short_calls_long_puts": ff.EngineConfig(dealer_prior="short_calls_long_puts"),
    "flow_only": {"dealer_prior": "flow_only"},
    "oi_weight=1": ff.whatif.reweight_oi(1.0),
    "half_settled": ff.whatif.reweight_oi(settled=0.5),
    "no_blocks": ff.whatif.drop_blocks(20),
    "calls": ff.whatif.calls_only(),
    "puts": ff.whatif.puts_only(),
    "no_lunch": ff.whatif.drop_window("12:00", "12:30"),
    "signed": ff.whatif.drop_unsigned(),
    "short_all_no_blocks": ({"dealer_prior": "short_all"}, ff.whatif.drop_blocks(20)),
}


@pytest.fixture(scope="module")
def day() -> ff.Simulated:
    return ff.Simulated(seed=3, now=NOW, symbols=["SPX", "QQQ"], scale=0.15)


@pytest.fixture(scope="module")
def ens(day: ff.Simulated) -> ff.Ensemble:
    return ff.Ensemble(day, VARIANTS)


@pytest.fixture(scope="module")
def alone(ens: ff.Ensemble) -> dict[str, ff.Local]:
    """Each variant built on its own, the way a user would, from its inputs and config."""
    out = {}
    for name in ens.names:
        chain, tape, spot = ens.inputs(name, "SPX")
        out[name] = ff.Local(
            chain=chain,
            tape=tape,
            spot=spot,
            symbol="SPX",
            expiration=ens.clock.date,
            now=NOW,
            config=ens.config(name),
        )
    return out


PARAMS: dict[str, list[dict[str, Any]]] = {
    "hedge-flow": [{"side": s, "bar": b} for s in ("all", "calls", "puts") for b in ("30s", "5m")],
    "series": [{"bar": b, "minutes": m} for b in ("1m", "15m") for m in (30, 390)],
    "heatmap": [
        {"metric": m, "mode": mode}
        for m in ("gex", "dex", "vex", "chex", "oi", "signed_flow")
        for mode in ("raw", "delta")
    ],
    "strike-flow": [{"minutes": 15}, {"minutes": 390}],
    "snapshot": [{}],
}


@pytest.mark.parametrize("endpoint", list(PARAMS))
def test_each_variant_answers_as_a_local_built_with_it(
    ens: ff.Ensemble, alone: dict[str, ff.Local], endpoint: str
) -> None:
    method = "get_" + endpoint.replace("-", "_")
    for name in ens.names:
        member = ens.member(name, "SPX")
        for params in PARAMS[endpoint]:
            got = getattr(member, method)("SPX", **params)
            want = getattr(alone[name], method)("SPX", **params)
            assert got == want, (name, params)


def test_leaderboard_ranks_each_variant_over_every_symbol(
    day: ff.Simulated, ens: ff.Ensemble
) -> None:
    board = ff.leaderboard(metric="pin_risk", source=ens)
    assert board.index.names == ["model", "rank"]
    assert list(board.index.get_level_values("model").unique()) == list(ens.names)
    for name in ("base", "short_all", "no_blocks"):
        sources = {}
        for sym in ("SPX", "QQQ"):
            chain, tape, spot = ens.inputs(name, sym)
            sources[sym] = ff.Local(
                chain=chain,
                tape=tape,
                spot=spot,
                symbol=sym,
                expiration=ens.clock.date,
                now=NOW,
                config=ens.config(name),
            )
        now = ens.clock.now()
        values = {s: src.leaderboard_values(now)["pin_risk"] for s, src in sources.items()}
        want = sorted(values, key=lambda s: (-values[s], s))  # type: ignore[operator]
        rows: Any = board.loc[name]
        assert rows["symbol"].tolist() == want
        assert rows["value"].tolist() == [values[s] for s in want]


def test_the_loaders_stack_each_variant_on_model(
    ens: ff.Ensemble, alone: dict[str, ff.Local]
) -> None:
    hm = ff.heatmap("SPX", metric="gex", minutes=120, source=ens)
    sf = ff.strike_flow("SPX", minutes=120, source=ens)
    hf = ff.hedge_flow("SPX", bar="1m", source=ens)
    se = ff.series("SPX", bar="5m", source=ens)
    n = len(ens.names)
    assert hm.dims == ("model", "bar", "strike")
    assert hm.shape[0] == n and hm["model"].values.tolist() == list(ens.names)
    assert hm["spot"].dims == ("bar",)
    assert set(sf.data_vars) == {"signed_delta_dollars", "signed_gamma_dollars", "contracts"}
    assert all(sf[v].dims == ("model", "bar", "strike") for v in sf.data_vars)
    assert hf.columns.names == ["model", None] and hf.shape[1] == 2 * n
    assert se.columns.names == ["model", None] and se.shape[1] == 16 * n
    assert json.loads(hm.attrs["models"]) == list(ens.names)
    assert hm.attrs["source"].startswith("Ensemble(12 variants")
    for name, src in alone.items():
        one = ff.heatmap("SPX", metric="gex", minutes=120, source=src)
        xr.testing.assert_identical(hm.sel(model=name, drop=True).drop_attrs(), one.drop_attrs())
        one_sf = ff.strike_flow("SPX", minutes=120, source=src)
        xr.testing.assert_identical(sf.sel(model=name, drop=True).drop_attrs(), one_sf.drop_attrs())
        one_hf: Any = hf[name]
        one_se: Any = se[name]
        pd.testing.assert_frame_equal(one_hf, ff.hedge_flow("SPX", bar="1m", source=src))
        pd.testing.assert_frame_equal(one_se, ff.series("SPX", bar="5m", source=src))


def test_variants_differ_where_their_assumptions_do(ens: ff.Ensemble) -> None:
    states = ens.states("SPX")
    base = states["base"]
    # the dealer prior moves exposures, not the customers' flow
    assert np.array_equal(states["short_all"].hf_calls, base.hf_calls)
    assert not np.array_equal(states["short_all"].net_gex, base.net_gex)
    # a what-if on the tape moves the flow
    assert not np.array_equal(states["no_blocks"].strike_contracts, base.strike_contracts)
    assert np.all(states["calls"].hf_puts == 0) and np.all(states["puts"].hf_calls == 0)
    np.testing.assert_array_equal(states["calls"].hf_calls + states["puts"].hf_puts, base.hf_all)
    # flow_only holds no settled OI: only the other side of today's flow
    assert np.all(states["flow_only"].settled_net_gex == 0)


def test_the_variants_share_the_chain_and_each_tape(
    day: ff.Simulated, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"base": 0, "rows": 0, "prints": 0, "gamma": 0}
    real_base, real_prints, real_gamma = core.session_base, core.session_prints, core_bs.gamma

    def counting(key: str, real: Any) -> Any:
        def inner(*args: Any, **kwargs: Any) -> Any:
            calls[key] += 1
            return real(*args, **kwargs)

        return inner

    monkeypatch.setattr(ensemble_mod, "session_base", counting("base", real_base))
    monkeypatch.setattr(ensemble_mod, "session_prints", counting("prints", real_prints))
    monkeypatch.setattr(ensemble_mod, "tape_rows", counting("rows", core.tape_rows))
    monkeypatch.setattr(core_bs, "gamma", counting("gamma", real_gamma))
    ens = ff.Ensemble(day, VARIANTS)
    ens.states("SPX")
    assert calls["base"] == 1  # one chain, one spot path
    # the source's tape is checked, classified and priced once; each distinct what-if
    # (blocks, calls, puts, lunch, signed) takes a subset of those rows for its flows
    assert calls["rows"] == 1
    assert calls["prints"] == 6
    shared_gamma = calls["gamma"]
    calls["gamma"] = 0
    ff.Local.from_market(day.market("SPX"), now=NOW).state  # noqa: B018
    # the flip sweep's gamma: coarse chunks once for all 12 variants, fine once per variant
    assert shared_gamma < 12 * calls["gamma"] / 2


def test_what_ifs_count_what_they_leave_out(ens: ff.Ensemble) -> None:
    tape = ens.member("base", "SPX").inputs[1]
    quality = ens.member("no_blocks", "SPX").quality
    row = quality[quality["reason"] == "what_if: drop_blocks(size >= 20)"]
    assert row["count"].tolist() == [int((tape["size"] >= 20).sum())]
    assert row["unit"].tolist() == ["prints"]
    both = ens.member("short_all_no_blocks", "SPX").quality
    assert "what_if: drop_blocks(size >= 20)" in both["reason"].tolist()
    assert ens.member("short_all", "SPX").quality.equals(ens.member("base", "SPX").quality)
    window = ens.member("no_lunch", "SPX").inputs[1]["t"].dt.tz_convert("America/New_York")
    assert not ((window.dt.hour == 12) & (window.dt.minute < 30)).any()
    assert (ens.member("signed", "SPX").inputs[1]["side"] != 0).all()


def test_a_what_if_keeps_the_sides_found_on_the_whole_tape(ens: ff.Ensemble) -> None:
    full = ens.inputs("signed", "SPX")[1]
    blocks = ens.inputs("no_blocks", "SPX")[1]
    merged = blocks.merge(full, on=["t", "strike", "right", "price", "size"], suffixes=("", "_f"))
    assert (merged["side"] == merged["side_f"]).all()


def test_standard_builds_the_literatures_variants(day: ff.Simulated) -> None:
    ens = ff.Ensemble.standard(day)
    assert ens.names == (
        "long_calls_short_puts",
        "short_all",
        "short_calls_long_puts",
        "flow_only",
        "oi_weight=0",
        "oi_weight=1",
    )
    assert {ens.config(n).dealer_prior for n in ens.names[:4]} == set(ens.names[:4])
    assert [ens.config(n).oi_weight for n in ens.names] == [0.43] * 4 + [0.0, 1.0]
    assert set(ens.names) <= set(ensemble_mod.STANDARD_SOURCES) | {"long_calls_short_puts"}


def test_at_moves_the_clock_and_shares_the_sessions(ens: ff.Ensemble) -> None:
    later = ens.at("15:30")
    assert later.states("SPX") is ens.states("SPX")
    assert later.member("short_all", "SPX").state is ens.member("short_all", "SPX").state
    body = later.member("short_all", "SPX").get_series("SPX", minutes=390)
    assert body["bars"][-1]["t"] > ens.member("short_all", "SPX").get_series("SPX")["bars"][-1]["t"]


def test_an_ensemble_over_a_local_and_over_a_store(tmp_path: Any, day: ff.Simulated) -> None:
    market = day.market("QQQ")
    local = ff.Local.from_market(market, now=NOW)
    ens = ff.Ensemble(local, {"a": None, "b": {"dealer_prior": "short_all"}})
    assert ens.symbols == ("QQQ",)
    got = ff.heatmap("QQQ", source=ens)
    assert got.sizes["model"] == 2
    store = ff.Store(tmp_path / "store")
    store.write_market(market)
    from_store = ff.Ensemble(
        store, {"a": None, "b": {"dealer_prior": "short_all"}}, date=market.expiration, now=NOW
    )
    xr.testing.assert_identical(ff.heatmap("QQQ", source=from_store).drop_attrs(), got.drop_attrs())
    empty = ff.Store(tmp_path / "empty")
    with pytest.raises(ValueError, match=r"holds no engine inputs for .*write_market"):
        ff.Ensemble(empty, {"a": None}, date=market.expiration)


def test_errors_name_what_was_wrong(day: ff.Simulated) -> None:
    with pytest.raises(ValueError, match="non-empty mapping"):
        ff.Ensemble(day, {})
    with pytest.raises(ValueError, match=r"unknown EngineConfig field\(s\) 'prior'; use oi_weight"):
        ff.Ensemble(day, {"a": {"prior": "short_all"}})
    with pytest.raises(ValueError, match="dealer_prior='shortish' is not allowed"):
        ff.Ensemble(day, {"a": {"dealer_prior": "shortish"}})
    with pytest.raises(TypeError, match=r"a variant is an ff\.EngineConfig.*got int"):
        ff.Ensemble(day, {"a": 3})
    with pytest.raises(TypeError, match=r"needs a local source.*got SampleSource"):
        ff.Ensemble(ff.SampleSource(), {"a": None})
    with pytest.raises(ValueError, match="min_size=0 is not allowed"):
        ff.whatif.drop_blocks(0)
    with pytest.raises(ValueError, match="start < end"):
        ff.whatif.drop_window("13:00", "12:00")
    with pytest.raises(ValueError, match="start='noon' is not allowed"):
        ff.whatif.drop_window("noon", "13:00")
    ens = ff.Ensemble(day, {"a": None})
    with pytest.raises(KeyError, match=r"no variant 'b'; this ensemble has \['a'\]"):
        ens.member("b", "SPX")
    with pytest.raises(ValueError, match="holds 2 symbols; say which"):
        ens.member("a")
    with pytest.raises(ValueError, match="holds no 'IWM'"):
        ens.states("IWM")


def test_as_one_source_an_ensemble_answers_as_its_primary(ens: ff.Ensemble) -> None:
    assert ens.primary == "base"
    primary = ens.source("base")
    for method, kwargs in (
        ("get_series", {"symbol": "SPX", "minutes": 30}),
        ("get_heatmap", {"symbol": "SPX", "minutes": 10}),
        ("get_snapshot", {"symbol": "QQQ"}),
        ("get_leaderboard", {"metric": "heat"}),
    ):
        assert getattr(ens, method)(**kwargs) == getattr(primary, method)(**kwargs)
    assert ens.quota is None


def test_every_ensemble_object_round_trips_through_the_store(tmp_path: Any) -> None:
    ens = ff.Ensemble(
        ff.Simulated(seed=3, now="13:00", scale=0.1, symbols=["SPY"]),
        {"a": None, "b": {"dealer_prior": "short_all"}},
    )
    store = ff.Store(tmp_path / "store")
    date = ens.clock.date
    grids: dict[str, Any] = {
        "hm": ff.heatmap("SPY", source=ens),
        "sf": ff.strike_flow("SPY", source=ens),
    }
    frames: dict[str, Any] = {
        "hf": ff.hedge_flow("SPY", source=ens),
        "split": ff.hedge_flow("SPY", side="split", source=ens),
        "se": ff.series("SPY", source=ens),
        "lb": ff.leaderboard(source=ens),
    }
    for name, grid in grids.items():
        store.write_result(grid, name=name, symbol="SPY", date=date)
        xr.testing.assert_identical(store.read_result(name, symbol="SPY", date=date), grid)
    for name, frame in frames.items():
        store.write_result(frame, name=name, symbol="SPY", date=date)
        back: Any = store.read_result(name, symbol="SPY", date=date)
        pd.testing.assert_frame_equal(back, frame)
        assert back.attrs == frame.attrs and back.columns.names == frame.columns.names


def test_an_ensemble_over_a_replay_recomputes_the_recorded_inputs(tmp_path: Any) -> None:
    day = ff.Simulated(seed=3, now="16:00", scale=0.05, symbols=["QQQ"])
    store = ff.Store(tmp_path / "store")
    store.write_market(day.market("QQQ"))
    ff.record(day, ["QQQ"], store, interval=3600)
    replay = ff.Replay(store, date=day.date, now="13:00")
    ens = ff.Ensemble(replay, {"a": None, "b": {"dealer_prior": "short_all"}})
    assert ens.symbols == ("QQQ",) and ens.clock is replay.clock
    local = ff.Local.from_market(store.read_market("QQQ", day.date), now="13:00")
    alone = ff.heatmap("QQQ", source=local)
    got = ff.heatmap("QQQ", source=ens)
    xr.testing.assert_identical(got.sel(model="a", drop=True).drop_attrs(), alone.drop_attrs())


def test_the_snapshot_counts_how_many_variants_agree(ens: ff.Ensemble) -> None:
    snap = ff.snapshot("SPX", source=ens)
    assert list(snap.members) == list(ens.names)
    for name in ("base", "short_all", "no_blocks"):
        assert snap[name] == ff.snapshot("SPX", source=ens.member(name, "SPX"))
    answers: Any = snap.answers()
    assert answers.index.tolist() == list(ens.names)
    assert answers.columns.tolist() == [
        "gamma_flip",
        "call_wall",
        "put_wall",
        "magnet",
        "regime",
        "setup",
    ]
    # the mirrored prior has the same flip (to the strike) and the opposite regime
    assert answers.loc["short_calls_long_puts", "gamma_flip"] == answers.loc["base", "gamma_flip"]
    assert answers.loc["short_calls_long_puts", "regime"] != answers.loc["base", "regime"]
    # dealer priors of settled OI never move the walls (a sign does not move a largest |GEX|)
    for wall in ("call_wall", "put_wall"):
        assert answers.loc["short_all", wall] == answers.loc["base", wall]
    table = snap.agreement
    assert table.index.tolist() == answers.columns.tolist()
    assert table["of"].tolist() == [len(ens.names)] * 6
    for item, row in table.iterrows():
        counts = answers[item].value_counts()
        assert row["agree"] == counts.max() and row["value"] in counts[counts == counts.max()]
        assert str(table.dtypes["agree"]) == "int64"
    assert repr(snap).startswith("EnsembleSnapshot(SPX, 12 models, agree: gamma_flip ")
    assert "<table>" in snap._repr_html_()


def test_an_ensemble_over_a_store_of_several_symbols(tmp_path: Any) -> None:
    day = ff.Simulated(seed=4, now="16:00", scale=0.05, symbols=["SPY", "QQQ"])
    store = ff.Store(tmp_path / "store")
    for sym in ("SPY", "QQQ"):
        store.write_market(day.market(sym))
    variants = {"a": None, "b": {"dealer_prior": "short_all"}}
    ens = ff.Ensemble(store, variants, date=day.date, now="12:00")
    assert ens.symbols == ("QQQ", "SPY")
    locals_ = {
        (name, sym): ff.Local.from_market(
            store.read_market(sym, day.date), now="12:00", config=ens.config(name)
        )
        for name in variants
        for sym in ens.symbols
    }
    for sym in ens.symbols:
        got = ff.series(sym, bar="5m", source=ens)
        for name in variants:
            want = ff.series(sym, bar="5m", source=locals_[(name, sym)])
            one: Any = got[name]
            pd.testing.assert_frame_equal(one, want)
    board = ff.leaderboard(metric="pin_risk", source=ens)
    now = ens.clock.now()
    for name in variants:
        values = {s: locals_[(name, s)].leaderboard_values(now)["pin_risk"] for s in ens.symbols}
        rows: Any = board.loc[name]
        assert rows["symbol"].tolist() == sorted(values, key=lambda s: (-values[s], s))  # type: ignore[operator]
    with pytest.warns(ff.FlowframeWarning, match="holds no data for 'IWM'"):
        assert ff.hedge_flow("IWM", source=ens).empty
    with pytest.raises(ff.NotFoundError):
        ff.snapshot("IWM", source=ens)
