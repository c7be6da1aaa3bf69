"""Names and allowed values shared by every layer (wire parameters, frame schemas)."""

from __future__ import annotations

from typing import Final

DEFAULT_BASE_URL: Final = "https://lab.flashalpha.com"
ROUTE_PREFIX: Final = "/v1/flow/zero-dte"
#: Each endpoint (its route's name) and the source method that answers it.
ENDPOINT_METHODS: Final = {
    "snapshot": "get_snapshot",
    "series": "get_series",
    "hedge-flow": "get_hedge_flow",
    "heatmap": "get_heatmap",
    "strike-flow": "get_strike_flow",
    "leaderboard": "get_leaderboard",
}
API_KEY_ENV: Final = "FLASHALPHA_API_KEY"

# Allowed parameter values, in the order the API documents them.
SIDES: Final = ("all", "calls", "puts")
BARS: Final = ("30s", "1m", "5m", "15m")
GRID_BARS: Final = ("1m",)  # heatmap and strike-flow serve 1-minute bars only
METRICS: Final = ("gex", "dex", "vex", "chex", "oi", "signed_flow")
MODES: Final = ("raw", "delta")
LEADERBOARD_METRICS: Final = ("heat", "pin_risk", "abs_flow", "charm_intensity")
MINUTES_RANGE: Final = (1, 390)
N_RANGE: Final = (1, 100)

BAR_SECONDS: Final = {"30s": 30, "1m": 60, "5m": 300, "15m": 900}

HEDGE_COLUMNS: Final = ("bar", "cumulative")
SPLIT_COLUMNS: Final = (
    "bar",
    "cumulative",
    "calls_bar",
    "calls_cumulative",
    "puts_bar",
    "puts_cumulative",
)

# series: every documented bar field, in this order, with this dtype kind.
SERIES_FLOAT_COLUMNS: Final = (
    "spot",
    "net_gex",
    "net_dex",
    "gamma_flip",
    "call_wall",
    "put_wall",
    "magnet",
    "pin_score",
    "pin_probability_pct",
    "atm_iv",
    "charm_dollars_per_hour",
    "hedge_flow_call_cumulative",
    "hedge_flow_put_cumulative",
    "hedge_flow_cumulative_all",
)
SERIES_COLUMNS: Final = (
    "spot",
    "net_gex",
    "net_dex",
    "gamma_flip",
    "gamma_flip_status",
    "call_wall",
    "put_wall",
    "magnet",
    "pin_score",
    "pin_probability_pct",
    "regime",
    "atm_iv",
    "charm_dollars_per_hour",
    "hedge_flow_call_cumulative",
    "hedge_flow_put_cumulative",
    "hedge_flow_cumulative_all",
)
REGIMES: Final = ("positive_gamma", "negative_gamma", "neutral")

STRIKE_FLOW_VARIABLES: Final = ("signed_delta_dollars", "signed_gamma_dollars", "contracts")

# Units of each heatmap metric (documented in the README's conventions table).
METRIC_UNITS: Final = {
    "gex": "USD per 1% move (dealer gamma exposure)",
    "dex": "USD (dealer delta exposure)",
    "vex": "USD per vol point (dealer vanna exposure)",
    "chex": "USD of delta per day (dealer charm exposure)",
    "oi": "contracts (effective open interest)",
    "signed_flow": "USD (signed aggressor delta-dollars per bar)",
}
STRIKE_FLOW_UNITS: Final = {
    "signed_delta_dollars": "USD (signed aggressor delta-dollars per bar)",
    "signed_gamma_dollars": "USD per 1% move (signed aggressor gamma-dollars per bar)",
    "contracts": "contracts per bar",
}
# Metrics whose raw values carry a sign (plotted on a diverging scale centred at zero).
SIGNED_METRICS: Final = frozenset({"gex", "dex", "vex", "chex", "signed_flow"})

ET: Final = "America/New_York"
