"""A seeded generator of realistic 0DTE sessions: the chain, tape and spot path the engine eats.

:func:`generate_market` builds one session of one symbol as a :class:`Market` holding exactly the
engine's input schemas (:mod:`flowframe.sources.engine.schemas`): a chain of settled OI and
sticky-strike IVs, a trade tape with the NBBO before each print and the print's *true*
customer side, and a 1-second spot path. Everything is vectorised (no per-print Python loop)
and deterministic: the same ``(symbol, date, seed, scale)`` gives byte-identical frames.

Model, in the order the session is built (magnitudes from ``MODEL.md`` section 13; [SRC] = a
published figure quoted there, [ASSUMPTION] = flowframe's choice where none is published):

1. **Seeds.** ``np.random.SeedSequence([seed, crc32(symbol), date.toordinal()])`` (stable across
   processes, unlike ``hash()``) spawns four independent streams: session parameters, spot
   path, chain, tape. ``scale`` only touches counts (prints and OI), so the spot path, the
   strikes and the IV surface do not depend on it.
2. **Parameters.** Opening spot = profile spot x (1 + U(-jitter, +jitter)) [ASSUMPTION: a few %
   around the symbol's 2025-2026 level]. ATM vol on the trading clock drawn from
   ``profile.atm_vol`` (a Beta(2, 4) shape between the bounds, mean 14-16%) [SRC: 10-25%].
3. **IV surface** [ASSUMPTION, sticky strike]: with ``z = ln(K/S0) / (atm * sqrt(1/252))`` (the
   log-moneyness in daily sigmas) ``iv = atm * (1 + skew * z + smile * z**2)``; ``skew < 0``
   puts the put skew in, ``smile > 0`` lifts both wings. ``skew**2 < 4 * smile`` keeps every IV
   positive.
4. **Spot path.** One step per second from the open to the close, 09:30:00-16:00:00 ET (23,401
   points; 09:30:00-13:00:00, 12,601 points, on an early-close day: see
   :mod:`flowframe._session`): GBM on the trading clock (a second is 1/(252*390*60) year
   whatever the day's length) plus ``1 + Poisson(jump_rate)`` jumps at uniform times, each of
   size U(jump_size) with a 60% chance of being down [ASSUMPTION: a few tenths of a percent].
   The ATM implied vol prices the whole expected variance, as a market's would: the diffusion
   vol is
   ``sqrt(atm**2 - expected jump variance per year)`` (at least half the ATM vol), and the
   expected jump drift is taken out of the diffusion, so spot is a martingale whose variance the
   IV states. Rounded to cents.
5. **Chain.** Strikes every ``strike_step`` covering ``S0 * (1 +- strike_range)``. Total settled
   OI log-uniform in ``profile.oi`` [SRC: 0.2-1.5 M for SPX] (x ``scale``), spread over strikes
   by a Laplace peak at the money (width ``oi_width`` in log-moneyness), x1.5 / x2 / x2.5 at
   strikes that are multiples of 5 / 10 / 20 spacings (round-number clustering), lognormal noise;
   then sharpened or flattened (a power) so the top-3-strike share hits a draw from
   ``oi_top3`` [SRC: 20-40%]. Calls take 20-80% of a strike (more above spot, puts below).
   Integer OI by largest remainder, so totals and shares survive rounding.
6. **Print times.** ``prints x U(1 - prints_jitter, 1 + prints_jitter) x scale`` prints [SRC:
   400-900 k for SPX], spread by a multinomial over seconds with intensity
   ``1 + 2 exp(-m/20) + 2.5 exp(-(L-m)/45)`` (``m`` = session minute, ``L`` the day's session
   minutes, 390 or 210; U-shape with a heavy last hour) x per-minute lognormal noise x a burst
   after each jump [ASSUMPTION]; an early-close day draws ``210/390`` of the prints. Within its
   second each print gets a uniform nanosecond offset, so times are strictly inside the session.
7. **Contract choice.** At the print's spot ``S_t`` and ``s = atm * sqrt(max(tau, 30 min))``:
   put with probability ``0.5 - 0.2 * tanh(r30 / sigma30)`` (``r30`` the 30-minute log
   return: more puts on down moves); log-moneyness ``|N| * s`` OTM (70%), ``|N| * 0.6 s`` ITM
   (22%) or ``|N| * 2.5 s`` OTM lottery tickets (8%); snapped to the nearest listed strike. So
   volume follows the spot through the day [ASSUMPTION].
8. **Sizes** [ASSUMPTION matching SRC medians/means]: discrete Pareto ``floor(U**(-1/alpha))``
   capped at ``max_size`` (``alpha`` = 1.4-1.5: median 1, mean 2.55-3.0, a block >= 100 about
   once in 550-900 prints); half of the sizes >= 10 snap to a round lot (multiple of 5, of 25
   from 50 up).
9. **True side.** Buy probability 0.5 + per-minute N(0, 0.01) noise + imbalance episodes:
   ``3 + Poisson(1.5)`` episodes of 10-40 whole minutes (uniform), each adding a random-sign
   net imbalance U(5%, 15%) (buy share 0.5 + imbalance / 2) [SRC: 50% +- 5-15% episodes].
10. **Quotes and prices.** Theo = BSM (r = q = 0) at ``S_t``, the strike's IV and ``tau =
    minutes_to_the_close / (252 * 390)`` floored at one minute. Spread = max(one tick, ``spread`` x
    theo); bid and ask at the nearest tick (SPX: 0.05 below 3.00, 0.10 from 3.00; ETFs
    0.01), bid >= 0, ask >= bid + one tick. A share U(``mid_share``) of prints trade at the mid
    [SRC: 10-20%] (exactly ``(bid + ask) / 2``, which may fall between ticks as auction
    executions do); the others at the ask (buys) or the bid (sells), and 2% of them (12% from 25
    lots) sweep 1-2 ticks through the quote. A zero bid cannot be hit (nor split at a sub-tick
    mid): a customer sell or mid print drawn on a zero-bid contract moves strike by strike toward
    the money until the bid is positive, so zero-bid contracts print only customer buys.

The ``side`` column is the side *used to generate the print* (mid prints too), so a classifier
working from ``price``, ``bid`` and ``ask`` can be scored against it.

Built-in profiles (:data:`PROFILES`; measured values at ``scale=1``, seeds 0-4):

=====  =====  =====  ======  =========  ===========  ==========  =====  =========  ======  ======
sym    spot   step   range   prints     OI (draw)    ATM vol     alpha  contracts  tick    spread
=====  =====  =====  ======  =========  ===========  ==========  =====  =========  ======  ======
SPX    6000   5      +-4.5%  800 k      0.3-1.2 M    10-22%      1.5    1.9-2.2 M  .05/.10 2%
SPY    600    1      +-4.5%  400 k      0.25-1.0 M   10-22%      1.4    ~1.2 M     .01     1%
QQQ    520    1      +-5%    250 k      0.15-0.6 M   12-25%      1.45   ~0.7 M     .01     1%
IWM    225    1      +-6%    100 k      50-250 k     14-25%      1.45   ~0.3 M     .01     1%
=====  =====  =====  ======  =========  ===========  ==========  =====  =========  ======  ======

Sources: SPX prints, contracts, OI, top-3 share, mid share, buy share and the vol range are
``MODEL.md`` section 13 [SRC]; spot levels are 2025-2026 levels; SPXW ticks (0.05 below 3.00,
0.10 above) and penny ticks for SPY/QQQ/IWM follow the exchanges' rules; ETF print counts and OI
("scaled down from SPX"), strike ranges, vol ranges per ETF and spreads are [ASSUMPTION].
"""

from __future__ import annotations

import datetime as dt
import math
import zlib
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import ndtr

from flowframe._constants import ET
from flowframe._session import SESSION_MINUTES, session_bounds
from flowframe.sources.engine.core import InputNote
from flowframe.sources.engine.inputs import Market, quality_frame
from flowframe.sources.engine.schemas import IV_CLOCK_ATTR, TRADING_MINUTES_PER_YEAR

__all__ = ["PROFILES", "Market", "SymbolProfile", "generate_market"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_SESSION_SECONDS: Final = SESSION_MINUTES * 60  # 23,400: a regular session
_NS: Final = 1_000_000_000
_DAY_YEARS: Final = 1.0 / 252.0  # a full session on the trading clock
_JUMP_DOWN_PROB: Final = 0.6


@dataclass(frozen=True)
class SymbolProfile:
    """Per-symbol scale of a simulated 0DTE session.

    Ranges are ``(low, high)`` tuples that each session draws from (per seed). Defaults are the
    symbol-independent choices; :data:`PROFILES` holds the per-symbol values.

    Attributes
    ----------
    spot : float
        Reference spot level (the opening spot is drawn around it).
    strike_step : float
        Strike spacing of the 0DTE chain.
    prints : float
        Daily number of prints at ``scale=1`` (before the per-session jitter).
    oi : tuple of float
        Range of the total settled 0DTE open interest, contracts (log-uniform draw).
    spot_jitter : float, default 0.03
        Opening spot = ``spot * (1 + U(-spot_jitter, spot_jitter))``.
    strike_range : float, default 0.045
        Listed strikes cover ``S0 * (1 +- strike_range)``.
    prints_jitter : float, default 0.1
        Daily prints = ``prints * U(1 - prints_jitter, 1 + prints_jitter)``.
    size_alpha : float, default 1.5
        Tail index of the discrete Pareto trade size (smaller = heavier tail, larger mean).
    max_size : int, default 2000
        Largest print, contracts.
    atm_vol : tuple of float, default (0.10, 0.22)
        Range of the ATM implied vol, annualised on the trading clock.
    skew : tuple of float, default (-0.16, -0.08)
        Range of the IV slope per daily sigma of log-moneyness, relative to ATM (negative = put
        skew).
    smile : tuple of float, default (0.02, 0.06)
        Range of the IV curvature per squared daily sigma, relative to ATM.
    oi_width : float, default 0.008
        Width of the Laplace OI peak in log-moneyness.
    oi_top3 : tuple of float, default (0.22, 0.38)
        Range of the share of total OI held by the three largest strikes.
    tick : float, default 0.01
        Minimum price increment below ``tick_break``.
    tick_wide : float, default 0.01
        Minimum price increment at or above ``tick_break``.
    tick_break : float, default 3.0
        Price where the tick widens.
    spread : float, default 0.01
        Quoted spread as a fraction of the option's theoretical value (floored at one tick).
    mid_share : tuple of float, default (0.12, 0.18)
        Range of the share of prints at the mid.
    jump_rate : float, default 1.0
        Poisson mean of the spot jumps on top of the one every session has.
    jump_size : tuple of float, default (0.001, 0.004)
        Range of the absolute jump size, as a log return.
    expiry_weekdays : tuple of int, default (0, 1, 2, 3, 4)
        Weekdays (Monday = 0) with a same-day expiry: every day for the index products and
        the big ETFs, fewer for single names [ASSUMPTION: the hosted API's "weekly Mon/Wed/Fri
        OPEX names on their expiry days"].
    """

    spot: float
    strike_step: float
    prints: float
    oi: tuple[float, float]
    spot_jitter: float = 0.03
    strike_range: float = 0.045
    prints_jitter: float = 0.1
    size_alpha: float = 1.5
    max_size: int = 2000
    atm_vol: tuple[float, float] = (0.10, 0.22)
    skew: tuple[float, float] = (-0.16, -0.08)
    smile: tuple[float, float] = (0.02, 0.06)
    oi_width: float = 0.008
    oi_top3: tuple[float, float] = (0.22, 0.38)
    tick: float = 0.01
    tick_wide: float = 0.01
    tick_break: float = 3.0
    spread: float = 0.01
    mid_share: tuple[float, float] = (0.12, 0.18)
    jump_rate: float = 1.0
    jump_size: tuple[float, float] = (0.001, 0.004)
    expiry_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        positive = ("spot", "strike_step", "prints", "size_alpha", "oi_width", "tick", "tick_wide")
        for name in positive:
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"SymbolProfile.{name}={value!r} is not allowed; use a number > 0")
        fractions = ("spot_jitter", "strike_range", "prints_jitter", "spread")
        for name in fractions:
            value = getattr(self, name)
            if not (math.isfinite(value) and 0 <= value < 1):
                raise ValueError(f"SymbolProfile.{name}={value!r} is not allowed; use [0, 1)")
        for name in ("tick", "tick_wide"):
            cents = getattr(self, name) * 100.0
            if abs(cents - round(cents)) > 1e-9:
                raise ValueError(f"SymbolProfile.{name} must be a whole number of cents")
        if self.max_size < 1:
            raise ValueError(f"SymbolProfile.max_size={self.max_size!r} is not allowed; use >= 1")
        if not (math.isfinite(self.jump_rate) and self.jump_rate >= 0):
            raise ValueError(f"SymbolProfile.jump_rate={self.jump_rate!r} is not allowed; use >= 0")
        if not self.tick_break > 0:
            raise ValueError(
                f"SymbolProfile.tick_break={self.tick_break!r} is not allowed; use > 0"
            )
        bounds: dict[str, tuple[float, float]] = {
            "oi": (0.0, math.inf),
            "atm_vol": (0.0, 5.0),
            "skew": (-math.inf, math.inf),
            "smile": (0.0, math.inf),
            "oi_top3": (0.0, 1.0),
            "mid_share": (0.0, 1.0),
            "jump_size": (0.0, 1.0),
        }
        for name, (low, high) in bounds.items():
            pair = getattr(self, name)
            if len(pair) != 2 or not (low <= pair[0] <= pair[1] <= high):
                raise ValueError(
                    f"SymbolProfile.{name}={pair!r} is not allowed; use (low, high) with "
                    f"{low} <= low <= high <= {high}"
                )
        if self.oi[0] <= 0 or self.atm_vol[0] <= 0:
            raise ValueError("SymbolProfile.oi and SymbolProfile.atm_vol must be > 0")
        worst = max(self.skew[0] ** 2, self.skew[1] ** 2)
        if self.smile[0] > 0 and worst >= 4 * self.smile[0]:
            raise ValueError(
                f"SymbolProfile.skew={self.skew!r} is too steep for smile={self.smile!r}: "
                "skew**2 < 4 * smile keeps every IV positive"
            )
        if self.smile[0] == 0 and worst > 0:
            raise ValueError("SymbolProfile.smile must be > 0 when skew is not 0")


PROFILES: Final[dict[str, SymbolProfile]] = {
    # SPX: 5-pt SPXW strikes; 0.05/0.10 ticks around 3.00 (Cboe); 800 k prints, alpha 1.5
    # (mean ~2.6 => ~2.1 M contracts) [SRC: 400-900 k prints, 1.5-3 M contracts/day].
    "SPX": SymbolProfile(
        spot=6000.0,
        strike_step=5.0,
        prints=800_000,
        oi=(3.0e5, 1.2e6),
        tick=0.05,
        tick_wide=0.10,
        spread=0.02,
    ),
    # SPY: $1 strikes, penny ticks; fewer but larger prints [ASSUMPTION: 300-500 k prints].
    "SPY": SymbolProfile(
        spot=600.0,
        strike_step=1.0,
        prints=400_000,
        oi=(2.5e5, 1.0e6),
        size_alpha=1.4,
    ),
    # QQQ: $1 strikes, somewhat higher vol than SPX/SPY; a wider strike range.
    "QQQ": SymbolProfile(
        spot=520.0,
        strike_step=1.0,
        prints=250_000,
        oi=(1.5e5, 6.0e5),
        strike_range=0.05,
        size_alpha=1.45,
        atm_vol=(0.12, 0.25),
    ),
    # IWM: $1 strikes, the highest vol of the four; a wider strike range.
    "IWM": SymbolProfile(
        spot=225.0,
        strike_step=1.0,
        prints=100_000,
        oi=(5.0e4, 2.5e5),
        strike_range=0.06,
        size_alpha=1.45,
        atm_vol=(0.14, 0.25),
    ),
    # Single names with weekly expiries only on some weekdays [ASSUMPTION: scale from their
    # share of listed option volume; higher vol; $2.50 strikes where the price is high].
    "TSLA": SymbolProfile(
        spot=420.0,
        strike_step=2.5,
        prints=120_000,
        oi=(1.0e5, 4.0e5),
        strike_range=0.10,
        atm_vol=(0.40, 0.70),
        spread=0.015,
        expiry_weekdays=(0, 2, 4),
    ),
    "NVDA": SymbolProfile(
        spot=180.0,
        strike_step=1.0,
        prints=150_000,
        oi=(1.5e5, 6.0e5),
        strike_range=0.08,
        atm_vol=(0.35, 0.60),
        spread=0.015,
        expiry_weekdays=(0, 2, 4),
    ),
    "AAPL": SymbolProfile(
        spot=230.0,
        strike_step=2.5,
        prints=60_000,
        oi=(5.0e4, 2.5e5),
        strike_range=0.06,
        atm_vol=(0.20, 0.35),
        expiry_weekdays=(4,),
    ),
    "AMZN": SymbolProfile(
        spot=220.0,
        strike_step=2.5,
        prints=50_000,
        oi=(5.0e4, 2.0e5),
        strike_range=0.06,
        atm_vol=(0.25, 0.40),
        expiry_weekdays=(4,),
    ),
}


# --------------------------------------------------------------------------- helpers


def _parse_date(date: dt.date | str) -> dt.date:
    if isinstance(date, dt.datetime):
        if date.tzinfo is not None:
            return pd.Timestamp(date).tz_convert(ET).date()
        return date.date()
    if isinstance(date, dt.date):
        return date
    if isinstance(date, str):
        try:
            return dt.date.fromisoformat(date.strip())
        except ValueError:
            pass
        raise ValueError(f"date={date!r} is not a valid date; use 'YYYY-MM-DD' or a datetime.date")
    raise TypeError(f"date must be a datetime.date or a 'YYYY-MM-DD' string, got {type(date)!r}")


def _bsm(
    spot: FloatArray, strike: FloatArray, tau: FloatArray, iv: FloatArray, is_call: BoolArray
) -> FloatArray:
    """Return the BSM value (r = q = 0) of calls (``is_call``) or puts."""
    vol = iv * np.sqrt(tau)
    w = np.where(is_call, 1.0, -1.0)
    d1 = np.log(spot / strike) / vol + 0.5 * vol
    value: FloatArray = w * (spot * ndtr(w * d1) - strike * ndtr(w * (d1 - vol)))
    return np.maximum(value, 0.0)


def _largest_remainder(weights: FloatArray, total: int) -> IntArray:
    """Split ``total`` integer units in proportion to ``weights``, exactly."""
    exact = weights / weights.sum() * total
    units: IntArray = np.floor(exact).astype(np.int64)
    short = total - int(units.sum())
    if short > 0:
        order = np.argsort(-(exact - units), kind="stable")
        units[order[:short]] += 1
    return units


def _top3_share(weights: FloatArray) -> float:
    top = np.sort(weights)[-3:]
    return float(top.sum() / weights.sum())


def _sharpen(weights: FloatArray, target: float) -> FloatArray:
    """Raise ``weights`` to the power that gives the three largest a ``target`` share."""
    if weights.size <= 3:
        return weights
    logw = np.log(weights / weights.max())
    low, high = -6.0, 6.0  # log of the power
    for _ in range(60):
        mid = 0.5 * (low + high)
        if _top3_share(np.exp(logw * math.exp(mid))) < target:
            low = mid
        else:
            high = mid
    out: FloatArray = np.exp(logw * math.exp(0.5 * (low + high)))
    return out


# --------------------------------------------------------------------------- pieces


@dataclass(frozen=True)
class _Session:
    s0: float
    atm: float
    skew: float
    smile: float
    prints: int
    mid_share: float
    seconds: int = _SESSION_SECONDS  # the day's session: 23,400, or 12,600 on an early close

    @property
    def minutes(self) -> int:
        return self.seconds // 60


def _draw_session(
    rng: np.random.Generator, prof: SymbolProfile, scale: float, seconds: int = _SESSION_SECONDS
) -> _Session:
    s0 = round(prof.spot * (1.0 + rng.uniform(-prof.spot_jitter, prof.spot_jitter)), 2)
    low, high = prof.atm_vol
    atm = low + (high - low) * float(rng.beta(2.0, 4.0))
    skew = float(rng.uniform(*prof.skew))
    smile = float(rng.uniform(*prof.smile))
    jitter = float(rng.uniform(1.0 - prof.prints_jitter, 1.0 + prof.prints_jitter))
    # a shorter day trades in proportion to its length [ASSUMPTION]
    prints = max(1, round(prof.prints * jitter * scale * (seconds / _SESSION_SECONDS)))
    mid_share = float(rng.uniform(*prof.mid_share))
    return _Session(s0, atm, skew, smile, prints, mid_share, seconds)


def _spot_path(
    rng: np.random.Generator, prof: SymbolProfile, sess: _Session
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Return the per-second spot (23,401 points; 12,601 on an early close), jump seconds, returns.

    The per-second vol is on the trading clock (a regular session is 1/252 year); on a shorter
    day the expected jump variance is spread over the shorter session.
    """
    n_sec = sess.seconds
    session_years = _DAY_YEARS * (n_sec / _SESSION_SECONDS)
    # the ATM IV prices the whole expected variance, jumps included (as a market would): the
    # diffusion carries what the jumps leave, and the expected jump drift is compensated
    lo, hi = prof.jump_size
    expected_jumps = 1.0 + prof.jump_rate
    jump_square = (lo * lo + lo * hi + hi * hi) / 3.0  # E[J^2], J ~ U(lo, hi)
    jump_mean = (1.0 - 2.0 * _JUMP_DOWN_PROB) * (lo + hi) / 2.0  # E[signed J]
    jump_var_year = expected_jumps * jump_square / session_years
    diffusion = math.sqrt(max(sess.atm**2 - jump_var_year, 0.25 * sess.atm**2))
    step_vol = diffusion * math.sqrt(_DAY_YEARS / _SESSION_SECONDS)
    drift = -0.5 * step_vol**2 - expected_jumps * jump_mean / n_sec
    rets = rng.standard_normal(n_sec) * step_vol + drift
    n_jumps = 1 + int(rng.poisson(prof.jump_rate))
    jump_secs = np.sort(rng.integers(60, n_sec - 60, n_jumps)).astype(np.int64)
    jump_sign = np.where(rng.random(n_jumps) < _JUMP_DOWN_PROB, -1.0, 1.0)
    jumps = jump_sign * rng.uniform(*prof.jump_size, n_jumps)
    np.add.at(rets, jump_secs, jumps)
    logs = np.concatenate(([0.0], np.cumsum(rets)))
    spot: FloatArray = np.round(sess.s0 * np.exp(logs), 2)
    return spot, jump_secs + 1, jumps  # a return at step i lands on point i + 1


def _chain(
    rng: np.random.Generator, prof: SymbolProfile, sess: _Session, scale: float
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Return strikes, their IVs, call OI and put OI."""
    step = prof.strike_step
    k_low = math.ceil(sess.s0 * (1.0 - prof.strike_range) / step)
    k_high = math.floor(sess.s0 * (1.0 + prof.strike_range) / step)
    units = np.arange(k_low, k_high + 1, dtype=np.int64)
    strikes = units.astype(np.float64) * step
    x = np.log(strikes / sess.s0)
    z = x / (sess.atm * math.sqrt(_DAY_YEARS))
    iv = sess.atm * (1.0 + sess.skew * z + sess.smile * z**2)
    # Settled OI: a Laplace peak at the money, round-number clustering, noise, then sharpened to
    # a drawn top-3 share.
    weights = np.exp(-np.abs(x) / prof.oi_width)
    for every, bonus in ((5, 1.5), (10, 2.0 / 1.5), (20, 2.5 / 2.0)):
        weights = np.where(units % every == 0, weights * bonus, weights)
    weights = weights * np.exp(rng.normal(0.0, 0.35, strikes.size))
    weights = _sharpen(weights, float(rng.uniform(*prof.oi_top3)))
    total = round(math.exp(rng.uniform(math.log(prof.oi[0]), math.log(prof.oi[1]))) * scale)
    by_strike = _largest_remainder(weights, total)
    call_frac = 0.2 + 0.6 / (1.0 + np.exp(-x / 0.006))
    call_frac = np.clip(call_frac + rng.normal(0.0, 0.05, strikes.size), 0.05, 0.95)
    calls = np.rint(by_strike * call_frac).astype(np.int64)
    return strikes, iv, calls, by_strike - calls


def _print_times(
    rng: np.random.Generator,
    n: int,
    jump_secs: IntArray,
    jumps: FloatArray,
    n_sec: int = _SESSION_SECONDS,
) -> IntArray:
    """Return sorted print offsets from the open, in nanoseconds, strictly inside the session.

    ``n_sec`` is the day's session in seconds; the U-shape spans it (a heavy last hour before
    an early close too).
    """
    n_min = n_sec // 60
    sec = np.arange(n_sec, dtype=np.float64)
    minute = sec / 60.0
    intensity = 1.0 + 2.0 * np.exp(-minute / 20.0) + 2.5 * np.exp(-(n_min - minute) / 45.0)
    noise = np.exp(rng.normal(0.0, 0.15, n_min))
    intensity *= np.repeat(noise, 60)
    for at, size in zip(jump_secs.tolist(), jumps.tolist(), strict=True):
        after = sec >= at
        burst = 1.0 + min(abs(size) / 0.002, 3.0) * np.exp(-(sec - at) / 300.0)
        intensity = np.where(after, intensity * burst, intensity)
    counts = rng.multinomial(n, intensity / intensity.sum())
    second = np.repeat(np.arange(n_sec, dtype=np.int64), counts)
    offset = rng.integers(1, _NS, n, dtype=np.int64)
    out: IntArray = np.sort(second * _NS + offset, kind="stable")
    return out


def _sizes(rng: np.random.Generator, prof: SymbolProfile, n: int) -> IntArray:
    raw = np.floor(rng.random(n) ** (-1.0 / prof.size_alpha))
    size = np.minimum(raw, prof.max_size).astype(np.int64)
    snap = rng.random(n) < 0.5
    lot = np.where(size >= 50, 25, 5)
    rounded = np.maximum(np.rint(size / lot).astype(np.int64) * lot, 1)
    out: IntArray = np.where(snap & (size >= 10), rounded, size)
    return out


def _buy_probability(
    rng: np.random.Generator, minute: IntArray, n_min: int = SESSION_MINUTES
) -> tuple[FloatArray, tuple[FloatArray, FloatArray, FloatArray]]:
    """Return each print's buy probability and the episodes' start/end minutes and imbalances."""
    per_minute = 0.5 + rng.normal(0.0, 0.01, n_min)
    n_episodes = 3 + int(rng.poisson(1.5))
    length = rng.integers(10, 41, n_episodes).astype(np.float64)  # whole minutes
    start = np.floor(rng.uniform(0.0, n_min - length + 1.0))
    imbalance = rng.uniform(0.05, 0.15, n_episodes) * np.where(
        rng.random(n_episodes) < 0.5, -1.0, 1.0
    )
    minutes = np.arange(n_min, dtype=np.float64)
    for a, b, imb in zip(
        start.tolist(), (start + length).tolist(), imbalance.tolist(), strict=True
    ):
        per_minute = np.where((minutes >= a) & (minutes < b), per_minute + imb / 2.0, per_minute)
    prob: FloatArray = np.clip(per_minute, 0.2, 0.8)[minute]
    return prob, (start, start + length, imbalance)


def _ticks(prof: SymbolProfile) -> tuple[int, int, int]:
    """Return the small tick, the wide tick and the price where it widens, in cents."""
    return round(prof.tick * 100), round(prof.tick_wide * 100), round(prof.tick_break * 100)


def _on_ticks(cents: FloatArray, tick: int) -> IntArray:
    """Round ``cents`` to the nearest multiple of ``tick`` cents."""
    out: IntArray = np.rint(cents / tick).astype(np.int64) * tick
    return out


def _tick_cents(cents: IntArray, prof: SymbolProfile) -> IntArray:
    small, wide, brk = _ticks(prof)
    out: IntArray = np.where(cents < brk, small, wide)
    return out


def _quotes(theo: FloatArray, prof: SymbolProfile) -> tuple[IntArray, IntArray]:
    """Return bid and ask in integer cents on the symbol's tick grid.

    Both sides are the nearest tick to ``theo -+ half-spread``; the bid is floored at zero and
    the ask is at least one tick above the bid.
    """
    small, wide, brk = _ticks(prof)
    half = 0.5 * np.maximum(prof.spread * theo, prof.tick) * 100.0
    low = theo * 100.0 - half
    high = theo * 100.0 + half
    bid = np.maximum(np.where(low < brk, _on_ticks(low, small), _on_ticks(low, wide)), 0)
    ask_small = _on_ticks(high, small)
    ask = np.where(ask_small <= brk, ask_small, _on_ticks(high, wide))
    ask = np.maximum(ask, bid + _tick_cents(bid, prof))
    return bid, ask


def _contracts(
    rng: np.random.Generator,
    prof: SymbolProfile,
    sess: _Session,
    spot: FloatArray,
    strikes: FloatArray,
    second: IntArray,
    tau: FloatArray,
) -> tuple[IntArray, BoolArray]:
    """Return each print's strike index and whether it is a call (see the module docstring)."""
    n = second.size
    log_spot = np.log(spot)
    r30 = log_spot[second] - log_spot[np.maximum(second - 1800, 0)]
    sigma30 = sess.atm * math.sqrt(30.0 / TRADING_MINUTES_PER_YEAR)
    p_put = 0.5 - 0.2 * np.tanh(r30 / sigma30)
    is_call: BoolArray = rng.random(n) >= p_put
    width = sess.atm * np.sqrt(np.maximum(tau, 30.0 / TRADING_MINUTES_PER_YEAR))
    kind = rng.random(n)
    mag = np.abs(rng.standard_normal(n)) * width
    otm = np.where(kind < 0.70, mag, np.where(kind < 0.92, -0.6 * mag, 2.5 * mag))
    target = spot[second] * np.exp(np.where(is_call, otm, -otm))
    k_index = np.rint((target - strikes[0]) / prof.strike_step)
    return np.clip(k_index, 0, strikes.size - 1).astype(np.int64), is_call


def _tape(
    rng: np.random.Generator,
    prof: SymbolProfile,
    sess: _Session,
    spot: FloatArray,
    strikes: FloatArray,
    iv: FloatArray,
    jump_points: IntArray,
    jumps: FloatArray,
    open_ns: int,
) -> tuple[pd.DataFrame, tuple[FloatArray, FloatArray, FloatArray]]:
    """Return the tape and the imbalance episodes (start and end minutes, net imbalance)."""
    n = sess.prints
    offsets = _print_times(rng, n, jump_points, jumps, sess.seconds)
    second = offsets // _NS  # the spot in force: the last 1-second point at or before the print
    minutes_left = (sess.seconds * _NS - offsets) / (60.0 * _NS)  # to the day's close
    tau = np.maximum(minutes_left, 1.0) / TRADING_MINUTES_PER_YEAR
    del minutes_left
    k_index, is_call = _contracts(rng, prof, sess, spot, strikes, second, tau)
    s_t = spot[second]
    del second

    size = _sizes(rng, prof, n)
    p_buy, episodes = _buy_probability(rng, (offsets // (60 * _NS)).astype(np.int64), sess.minutes)
    buy = rng.random(n) < p_buy
    del p_buy
    at_mid = rng.random(n) < sess.mid_share
    through = rng.random(n) < np.where(size >= 25, 0.12, 0.02)
    ticks_through = rng.integers(1, 3, n, dtype=np.int64)

    bid_c, ask_c = _quotes(_bsm(s_t, strikes[k_index], tau, iv[k_index], is_call), prof)
    # A zero bid cannot be hit (nor split at a sub-tick mid): a customer sell or a mid print
    # that landed on a zero-bid contract moves toward the money until the bid is positive.
    stuck = (bid_c == 0) & (at_mid | ~buy)
    for _ in range(strikes.size):
        idx = np.flatnonzero(stuck)
        if idx.size == 0:
            break
        moved = np.clip(k_index[idx] + np.where(is_call[idx], -1, 1), 0, strikes.size - 1)
        k_index[idx] = moved
        theo = _bsm(s_t[idx], strikes[moved], tau[idx], iv[moved], is_call[idx])
        bid_c[idx], ask_c[idx] = _quotes(theo, prof)
        stuck[idx] = bid_c[idx] == 0
    buy |= stuck  # never reached with the built-in profiles: the money always has a bid
    at_mid &= ~stuck
    del s_t, tau, stuck

    up = ask_c + ticks_through * _tick_cents(ask_c, prof)
    tick_b = _tick_cents(bid_c, prof)
    down = bid_c - ticks_through * tick_b
    down = np.where(down >= tick_b, down, bid_c)
    del tick_b, ticks_through
    traded = np.where(buy, np.where(through, up, ask_c), np.where(through, down, bid_c))
    del up, down, through
    bid = bid_c / 100.0
    ask = ask_c / 100.0
    del bid_c, ask_c
    price = np.where(at_mid, 0.5 * (bid + ask), traded / 100.0)
    del traded, at_mid

    times = pd.DatetimeIndex((offsets + open_ns).view("datetime64[ns]")).tz_localize("UTC")
    del offsets
    tape = pd.DataFrame(
        {
            "t": times,
            "strike": strikes[k_index],
            "right": pd.array(np.where(is_call, "C", "P"), dtype="str"),
            "price": price,
            "size": size,
            "bid": bid,
            "ask": ask,
            "side": np.where(buy, 1, -1).astype(np.int8),
        }
    )
    return tape, episodes


# --------------------------------------------------------------------------- public


def generate_market(
    symbol: str,
    date: dt.date | str,
    seed: int = 0,
    *,
    profile: SymbolProfile | None = None,
    scale: float = 1.0,
) -> Market:
    """Generate one realistic, seeded 0DTE session of ``symbol`` on ``date``.

    Parameters
    ----------
    symbol : str
        Underlying symbol (case-insensitive); one of :data:`PROFILES` unless ``profile`` is
        given.
    date : datetime.date or str
        Session date (America/New_York), or ``"YYYY-MM-DD"``. Any date is accepted, weekends and
        holidays included (with the regular hours): the session clock decides elsewhere whether
        a market is open. An early-close day (:func:`flowframe._session.early_close`) gets a
        session from 09:30:00 to 13:00:00 ET, with prints in proportion to its length.
    seed : int, default 0
        Non-negative seed. The same ``(symbol, date, seed, scale)`` gives identical frames;
        symbols and dates get independent streams.
    profile : SymbolProfile, optional
        Parameters to use instead of ``PROFILES[symbol]``.
    scale : float, default 1.0
        Multiplies the number of prints and the settled OI (so flow stays in proportion to
        OI); sizes, prices, the spot path and the IV surface do not change. Tests use 0.01.

    Returns
    -------
    Market
        The chain, tape, spot path, profile and ground-truth events of the session.

    Raises
    ------
    ValueError
        Unknown symbol without a ``profile`` (the message names the known symbols), ``scale``
        not a finite number > 0, a negative ``seed`` or an unreadable ``date``.
    TypeError
        ``date`` of another type.

    Examples
    --------
    >>> m = generate_market("SPX", "2026-06-05", seed=1, scale=0.01)
    >>> list(m.tape.columns)
    ['t', 'strike', 'right', 'price', 'size', 'bid', 'ask', 'side']
    >>> m.expiration
    '2026-06-05'
    """
    name = str(symbol).strip().upper()
    if profile is None:
        if name not in PROFILES:
            known = ", ".join(sorted(PROFILES))
            raise ValueError(
                f"symbol={symbol!r} has no built-in profile; use one of {known} "
                "or pass profile=SymbolProfile(...)"
            )
        profile = PROFILES[name]
    scale_in: object = scale  # checked at run time: callers may be untyped
    if (
        isinstance(scale_in, bool)
        or not isinstance(scale_in, int | float | np.integer | np.floating)
        or not math.isfinite(scale_in)
        or scale_in <= 0
    ):
        raise ValueError(f"scale={scale!r} is not allowed; use a finite number > 0")
    seed_in: object = seed
    if isinstance(seed_in, bool) or not isinstance(seed_in, int | np.integer) or seed_in < 0:
        raise ValueError(f"seed={seed!r} is not allowed; use an integer >= 0")
    day = _parse_date(date)
    prof = profile

    root = np.random.SeedSequence([int(seed), zlib.crc32(name.encode()), day.toordinal()])
    streams = [np.random.default_rng(child) for child in root.spawn(4)]
    rng_params, rng_spot, rng_chain, rng_tape = streams
    opening, closing = session_bounds(day)  # 16:00 ET, or 13:00 ET on an early close
    open_ns = int(opening.value)
    n_sec = int((closing.value - opening.value) // _NS)
    sess = _draw_session(rng_params, prof, float(scale), n_sec)

    spot, jump_points, jumps = _spot_path(rng_spot, prof, sess)
    strikes, iv, call_oi, put_oi = _chain(rng_chain, prof, sess, float(scale))

    tape, episodes = _tape(rng_tape, prof, sess, spot, strikes, iv, jump_points, jumps, open_ns)
    ep_start, ep_end, ep_imb = episodes

    n_k = strikes.size
    chain = pd.DataFrame(
        {
            "strike": np.concatenate([strikes, strikes]),
            "right": pd.array(["C"] * n_k + ["P"] * n_k, dtype="str"),
            "oi": np.concatenate([call_oi, put_oi]).astype(np.int64),
            "iv": np.concatenate([iv, iv]),
        }
    )
    chain.attrs[IV_CLOCK_ATTR] = "trading"  # the IVs above are on the engine's clock

    spot_index = pd.DatetimeIndex(
        (np.arange(n_sec + 1, dtype=np.int64) * _NS + open_ns).view("datetime64[ns]")
    ).tz_localize("UTC")
    spot_index.name = "t"
    spot_series = pd.Series(spot, index=spot_index, name="spot", dtype=np.float64)

    jump_t = (jump_points * _NS + open_ns).view("datetime64[ns]")
    ep_s = (np.rint(ep_start * 60.0 * _NS).astype(np.int64) + open_ns).view("datetime64[ns]")
    ep_e = (np.rint(ep_end * 60.0 * _NS).astype(np.int64) + open_ns).view("datetime64[ns]")
    events = pd.DataFrame(
        {
            "kind": pd.array(["jump"] * jumps.size + ["imbalance"] * ep_imb.size, dtype="str"),
            "start": pd.DatetimeIndex(np.concatenate([jump_t, ep_s])).tz_localize("UTC"),
            "end": pd.DatetimeIndex(np.concatenate([jump_t, ep_e])).tz_localize("UTC"),
            "value": np.concatenate([jumps, ep_imb]),
        }
    )
    events = events.sort_values(["start", "kind"], kind="stable").reset_index(drop=True)

    quality = quality_frame(
        [InputNote("tape", "used", len(tape), "prints", "used by the engine")],
        symbol=name,
        date=day.isoformat(),
        source="simulated",
    )
    return Market(
        symbol=name,
        date=day,
        expiration=day.isoformat(),
        chain=chain,
        tape=tape,
        spot=spot_series,
        quality=quality,
        profile=prof,
        events=events,
        checked=True,  # built to the schemas: every print is inside the session and listed
    )
