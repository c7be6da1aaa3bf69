"""Vectorised Black-Scholes-Merton prices and greeks on numpy arrays.

Every function takes array-likes that broadcast against each other (a scalar spot with an array
of strikes, an ``(n, 1)`` column against a ``(1, m)`` row, ...) and returns float64 arrays of the
broadcast shape (0-d arrays for all-scalar input). Nothing loops in Python.

Conventions
-----------
Units
    Per share (multiply by the contract multiplier, 100, for a contract) and per unit of the
    underlying: ``delta`` is dV/dS, ``gamma`` is d(delta)/dS per point.
Clock
    ``tau`` is in years of the *trading clock* (``minutes_to_close / (252 * 390)``, see
    :func:`tau_from_minutes` and :mod:`flowframe.sources.engine.schemas`); ``vol``, ``r`` and
    ``q`` are
    annualised on that same clock. ``r`` (risk-free rate) and ``q`` (dividend yield) default to 0,
    which is fine intraday. Vendor IVs, annualised on the calendar clock, convert to it with
    :func:`trading_clock_vol` (total variance kept).
Vol
    Decimal (0.15 is 15%). ``vanna`` (d(delta)/d(vol)) and ``vega`` (dV/d(vol)) are per 1.00 of
    vol; multiply by 0.01 for a vol point.
Charm
    d(delta)/dt with time *passing* (``-d(delta)/d(tau)``), per year of the clock; divide by
    ``252 * 6.5 = 1638`` for per trading hour.
Formulas
    ``d1 = [ln(S/K) + (r - q + vol^2/2) tau] / (vol sqrt(tau))``, ``d2 = d1 - vol sqrt(tau)``;
    call delta ``e^{-q tau} N(d1)``, put delta ``-e^{-q tau} N(-d1)``;
    gamma ``e^{-q tau} phi(d1) / (S vol sqrt(tau))``; vanna ``-e^{-q tau} phi(d1) d2 / vol``;
    call charm ``q e^{-q tau} N(d1) - e^{-q tau} phi(d1) [2(r-q)tau - d2 vol sqrt(tau)]
    / (2 tau vol sqrt(tau))``, put charm ``-q e^{-q tau} N(-d1) - (the same second term)``;
    vega ``S e^{-q tau} phi(d1) sqrt(tau)``. N is :func:`scipy.special.ndtr`, phi the normal pdf.

Numerical guards
----------------
Invalid input
    A non-finite ``spot``, ``strike``, ``tau``, ``vol``, ``r`` or ``q``, or ``spot <= 0``,
    ``strike <= 0`` or ``vol <= 0``, gives NaN in every output for that element. This is checked
    first, so a bad row is never passed off as an expired one. No exception, no warning.
Expired (``tau <= 0``, valid otherwise)
    ``price`` is the intrinsic value ``max(S - K, 0)`` / ``max(K - S, 0)``; call ``delta`` is
    ``1{S > K}`` and put ``delta`` is ``-1{S < K}``, with ``0.5`` / ``-0.5`` at ``S == K``
    (the limit of ``N(d1)`` as ``tau -> 0``, which keeps ``delta_call - delta_put == 1``);
    ``gamma``, ``vanna``, ``charm`` and ``vega`` are 0. :func:`d1_d2` gives
    ``d1 = d2 = +inf`` (S > K), ``-inf`` (S < K) or ``0`` (S == K).
Tiny ``tau``
    Any ``tau > 0`` is used as given; :func:`tau_from_minutes` floors at one trading minute
    (:data:`~flowframe.sources.engine.schemas.MIN_TAU`), which keeps 0DTE greeks finite at the
    close.
Deep out of the money
    ``phi(d1)`` and ``N(d1)`` underflow to 0 quietly; put greeks use ``N(-d1)`` (not
    ``N(d1) - 1``), so their tails keep full relative precision.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

from flowframe.sources.engine.schemas import (
    CALENDAR_MINUTES_PER_YEAR,
    IV_CLOCKS,
    MIN_TAU,
    TRADING_MINUTES_PER_YEAR,
    IvClock,
)

__all__ = [
    "CALENDAR_TO_TRADING_VOL",
    "Greeks",
    "charm",
    "check_iv_clock",
    "d1_d2",
    "delta",
    "gamma",
    "greeks",
    "price",
    "tau_from_minutes",
    "trading_clock_vol",
    "vanna",
    "vega",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

#: ``sqrt(252 * 390 / (365 * 1440)) = sqrt(98,280 / 525,600) ~ 0.432419``: a calendar-clock
#: implied vol times this is the trading-clock vol of the same total variance, for a 0DTE
#: contract during its session (see :func:`trading_clock_vol`).
CALENDAR_TO_TRADING_VOL: float = math.sqrt(TRADING_MINUTES_PER_YEAR / CALENDAR_MINUTES_PER_YEAR)


class Greeks(NamedTuple):
    """Delta, gamma, vanna and charm of each option (per share, see the module conventions)."""

    delta: FloatArray
    """dV/dS."""
    gamma: FloatArray
    """d(delta)/dS per point of the underlying."""
    vanna: FloatArray
    """d(delta)/d(vol) per 1.00 of vol."""
    charm: FloatArray
    """d(delta)/dt with time passing, per year of the trading clock."""


class _Prepared(NamedTuple):
    """Inputs broadcast to one shape, plus the masks of the guarded elements."""

    s: FloatArray
    k: FloatArray
    t: FloatArray
    v: FloatArray
    r: float | FloatArray
    q: float | FloatArray
    w: float | FloatArray  # +1 call, -1 put (1.0 when the function has no is_call)
    shape: tuple[int, ...]  # of the result; the work arrays are 1-d when this is ()
    bad: BoolArray | None  # invalid input: NaN out (None: no such element)
    expired: BoolArray | None  # valid input with tau <= 0 (None: no such element)


def tau_from_minutes(minutes_to_close: npt.ArrayLike) -> FloatArray:
    """Convert minutes to the close into years of the trading clock, floored at one minute.

    Parameters
    ----------
    minutes_to_close : array_like
        Minutes until expiry (the session's close for 0DTE: 16:00 ET, or 13:00 ET on an
        early-close day; the year stays 252 x 390 minutes). Values below one minute
        (including negative ones, after the close) give
        :data:`~flowframe.sources.engine.schemas.MIN_TAU`; NaN stays NaN.

    Returns
    -------
    numpy.ndarray
        ``max(minutes / (252 * 390), MIN_TAU)``, float64.
    """
    minutes = np.asarray(minutes_to_close, dtype=np.float64)
    return np.maximum(minutes / TRADING_MINUTES_PER_YEAR, MIN_TAU)


def check_iv_clock(iv_clock: object, name: str = "iv_clock") -> IvClock:
    """Return ``iv_clock`` if it names a clock implied vols are quoted on, else raise.

    Parameters
    ----------
    iv_clock : object
        ``"calendar"`` or ``"trading"`` (see :data:`~flowframe.sources.engine.schemas.IV_CLOCKS`).
    name : str, default "iv_clock"
        How the value is named in the error message.

    Returns
    -------
    {"calendar", "trading"}
        The value, unchanged.

    Raises
    ------
    ValueError
        Naming the value given and the values allowed.
    """
    if not isinstance(iv_clock, str) or iv_clock not in IV_CLOCKS:
        raise ValueError(
            f"{name}={iv_clock!r} is not allowed; use 'calendar' (IVs annualised over calendar "
            "time: T = seconds to expiry / (365 * 86400), the vendor convention) or 'trading' "
            "(the engine's clock: T = minutes to 16:00 ET / (252 * 390))"
        )
    clock: IvClock = "calendar" if iv_clock == "calendar" else "trading"
    return clock


def trading_clock_vol(vol: npt.ArrayLike, iv_clock: IvClock) -> FloatArray:
    """Convert 0DTE implied vols quoted on ``iv_clock`` to the trading clock.

    Total variance is kept: ``vol_trading**2 * T_trading = vol**2 * T_given``. Both clocks
    measure the time from the same instant to the same expiry, 16:00 ET on the session date:

    - trading clock, the engine's: ``T_trading = m / (252 * 390)`` years, ``m`` the minutes
      to 16:00 ET;
    - calendar clock, the vendors': ``T_calendar = seconds to 16:00 ET / (365 * 86400)
      = m / (365 * 1440)`` years.

    So ``vol_trading = vol_calendar * sqrt(T_calendar / T_trading) = vol_calendar *
    sqrt(98,280 / 525,600) ~ 0.432419 * vol_calendar``
    (:data:`CALENDAR_TO_TRADING_VOL`). During the session both clocks tick at the wall
    clock's rate, so the ratio does not depend on the time of day and a chain's IVs convert
    once; the engine's one-minute floor on ``T_trading`` applies afterwards, as for any
    trading-clock vol.

    Parameters
    ----------
    vol : array_like
        Implied vols, decimal (0.15 is 15%), annualised on ``iv_clock``.
    iv_clock : {"calendar", "trading"}
        The clock ``vol`` is annualised on.

    Returns
    -------
    numpy.ndarray
        Float64 vols annualised on the trading clock: ``vol`` itself (a float64 copy) for
        ``"trading"``, ``vol * CALENDAR_TO_TRADING_VOL`` for ``"calendar"``.

    Raises
    ------
    ValueError
        ``iv_clock`` is neither ``"calendar"`` nor ``"trading"``.

    Examples
    --------
    >>> round(float(trading_clock_vol(0.30, "calendar")), 6)  # 30% calendar, 12.97% trading
    0.129726
    """
    out = np.array(vol, dtype=np.float64)
    if check_iv_clock(iv_clock) == "calendar":
        out *= CALENDAR_TO_TRADING_VOL
    return out


def d1_d2(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Compute the Black-Scholes-Merton ``d1`` and ``d2``.

    Parameters
    ----------
    spot, strike : array_like
        Underlying price and strike, in points.
    tau : array_like
        Time to expiry in years of the trading clock.
    vol : array_like
        Implied vol, decimal, annualised on the same clock.
    r, q : array_like, default 0.0
        Risk-free rate and dividend yield, continuously compounded.

    Returns
    -------
    d1, d2 : numpy.ndarray
        Float64 arrays of the broadcast shape. NaN for invalid input; for ``tau <= 0``
        ``d1 = d2 = +inf``, ``-inf`` or ``0`` as ``spot`` is above, below or at the strike.
    """
    p = _prepare(spot, strike, tau, vol, r, q)
    with np.errstate(all="ignore"):
        d1, vst = _d1(p)
        d2 = d1 - vst
    if p.expired is not None:
        limit = np.where(p.s > p.k, np.inf, np.where(p.s < p.k, -np.inf, 0.0))
        np.copyto(d1, limit, where=p.expired)
        np.copyto(d2, limit, where=p.expired)
    return _nan_bad(d1, p), _nan_bad(d2, p)


def price(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Price European options (per share).

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.
    is_call : array_like of bool
        True for calls, False for puts.

    Returns
    -------
    numpy.ndarray
        ``w [S e^{-q tau} N(w d1) - K e^{-r tau} N(w d2)]`` with ``w = +1`` (call) or ``-1``
        (put); intrinsic value when expired, NaN for invalid input.
    """
    p = _prepare(spot, strike, tau, vol, r, q, is_call)
    with np.errstate(all="ignore"):
        d1, vst = _d1(p)
        d2 = d1 - vst
        out = p.s * _exp_neg(p.q, p.t) * ndtr(p.w * d1)
        out -= p.k * _exp_neg(p.r, p.t) * ndtr(p.w * d2)
        out *= p.w
    if p.expired is not None:
        np.copyto(out, np.maximum(p.w * (p.s - p.k), 0.0), where=p.expired)
    return _nan_bad(out, p)


def delta(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Compute delta, dV/dS (per share).

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.
    is_call : array_like of bool
        True for calls, False for puts.

    Returns
    -------
    numpy.ndarray
        ``e^{-q tau} N(d1)`` for calls, ``-e^{-q tau} N(-d1)`` for puts; see the module's
        guards for expired contracts and invalid input.
    """
    p = _prepare(spot, strike, tau, vol, r, q, is_call)
    with np.errstate(all="ignore"):
        d1, _ = _d1(p)
        out = _delta_from_d1(d1, p)
    return _finish(out, p, _expired_delta(p))


def gamma(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Compute gamma, d(delta)/dS per point (per share; the same for calls and puts).

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.

    Returns
    -------
    numpy.ndarray
        ``e^{-q tau} phi(d1) / (S vol sqrt(tau))``; 0 when expired, NaN for invalid input.
    """
    return _pdf_times(spot, strike, tau, vol, r, q, _per_point)


def vanna(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Compute vanna, d(delta)/d(vol) per 1.00 of vol (the same for calls and puts).

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.

    Returns
    -------
    numpy.ndarray
        ``-e^{-q tau} phi(d1) d2 / vol``; 0 when expired, NaN for invalid input.
    """
    return _pdf_times(spot, strike, tau, vol, r, q, _minus_d2_per_vol)


def charm(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Compute charm, d(delta)/dt with time passing, per year of the trading clock.

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.
    is_call : array_like of bool
        True for calls, False for puts (they differ only when ``q != 0``).

    Returns
    -------
    numpy.ndarray
        ``q delta - e^{-q tau} phi(d1) [2(r-q)tau - d2 vol sqrt(tau)] / (2 tau vol sqrt(tau))``,
        which is the call and put formula of the module docstring; 0 when expired, NaN for
        invalid input.
    """
    p = _prepare(spot, strike, tau, vol, r, q, is_call)
    with np.errstate(all="ignore"):
        d1, vst = _d1(p)
        pdf = _pdf_q(d1, p)
        out = _charm_from(pdf * (d1 - vst), pdf, vst, p)
        if _nonzero(p.q):
            out += p.q * _delta_from_d1(d1, p)
    return _finish(out, p, 0.0)


def vega(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> FloatArray:
    """Compute vega, dV/d(vol) per 1.00 of vol (per share; the same for calls and puts).

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.

    Returns
    -------
    numpy.ndarray
        ``S e^{-q tau} phi(d1) sqrt(tau)``; 0 when expired, NaN for invalid input.
    """
    return _pdf_times(spot, strike, tau, vol, r, q, _times_s_sqrt_tau)


def greeks(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    is_call: npt.ArrayLike,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
) -> Greeks:
    """Compute delta, gamma, vanna and charm together, sharing ``d1`` and ``phi(d1)``.

    This is the engine's hot path: the same values as :func:`delta`, :func:`gamma`,
    :func:`vanna` and :func:`charm`, with the same guards, in one pass.

    Parameters
    ----------
    spot, strike, tau, vol, r, q : array_like
        As in :func:`d1_d2`.
    is_call : array_like of bool
        True for calls, False for puts.

    Returns
    -------
    Greeks
        Four float64 arrays of the broadcast shape of all inputs.
    """
    p = _prepare(spot, strike, tau, vol, r, q, is_call)
    with np.errstate(all="ignore"):
        d1, vst = _d1(p)
        pdf = _pdf_q(d1, p)  # e^{-q tau} phi(d1)
        # gamma = pdf / (S vol sqrt(tau))
        g = np.multiply(p.s, vst)
        np.divide(pdf, g, out=g)
        # vanna = -pdf d2 / vol; d2 overwrites vst (no longer needed)
        d2 = np.subtract(d1, vst, out=vst)
        pd2 = np.multiply(pdf, d2, out=d2)
        va = np.divide(pd2, p.v)
        np.negative(va, out=va)
        # delta overwrites d1 (last use)
        de = _delta_from_d1(d1, p, out=d1)
        # charm = q delta + pdf d2 / (2 tau) - pdf (r - q) / (vol sqrt(tau))
        ch = _charm_from(pd2, pdf, None, p, out=pd2)
        if _nonzero(p.q):
            ch += p.q * de
    return Greeks(
        _finish(de, p, _expired_delta(p)),
        _finish(g, p, 0.0),
        _finish(va, p, 0.0),
        _finish(ch, p, 0.0),
    )


# --- internals --------------------------------------------------------------------------------


def _prepare(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    is_call: npt.ArrayLike | None = None,
) -> _Prepared:
    """Broadcast the inputs to one shape and find the invalid and the expired elements."""
    s0 = np.asarray(spot, dtype=np.float64)
    k0 = np.asarray(strike, dtype=np.float64)
    t0 = np.asarray(tau, dtype=np.float64)
    v0 = np.asarray(vol, dtype=np.float64)
    r0 = np.asarray(r, dtype=np.float64)
    q0 = np.asarray(q, dtype=np.float64)
    shapes = [s0.shape, k0.shape, t0.shape, v0.shape, r0.shape, q0.shape]
    w0: npt.NDArray[np.bool_] | None = None
    if is_call is not None:
        w0 = np.asarray(is_call)
        if w0.dtype != np.bool_:
            if w0.dtype.kind not in "iu":
                raise TypeError(f"is_call must be boolean (True for calls), got dtype {w0.dtype}")
            w0 = w0 != 0
        shapes.append(w0.shape)
    out_shape = np.broadcast_shapes(*shapes)
    shape = out_shape or (1,)  # ufuncs on 0-d arrays return scalars: work on shape (1,)
    s, k, t, v = (np.broadcast_to(a, shape) for a in (s0, k0, t0, v0))
    rr: float | FloatArray = float(r0) if r0.ndim == 0 else np.broadcast_to(r0, shape)
    qq: float | FloatArray = float(q0) if q0.ndim == 0 else np.broadcast_to(q0, shape)
    w: float | FloatArray = 1.0
    if w0 is not None:
        w = (1.0 if bool(w0) else -1.0) if w0.ndim == 0 else np.where(w0, 1.0, -1.0)
        if isinstance(w, np.ndarray):
            w = np.broadcast_to(w, shape)

    # Fast checks on the (small, unbroadcast) inputs; masks only when something is off.
    bad: BoolArray | None = None
    if not (_positive_finite(s0) and _positive_finite(k0) and _positive_finite(v0)) or not (
        _finite(t0) and _finite(r0) and _finite(q0)
    ):
        with np.errstate(all="ignore"):
            ok = (s > 0) & (s < np.inf) & (k > 0) & (k < np.inf) & (v > 0) & (v < np.inf)
            ok &= np.isfinite(t) & np.isfinite(r0) & np.isfinite(q0)
        bad = ~ok if not ok.all() else None
    expired: BoolArray | None = None
    if t0.size and not t0.min() > 0.0:  # NaN taus are bad, not expired
        exp_mask = t <= 0.0
        if bad is not None:
            exp_mask &= ~bad
        expired = exp_mask if exp_mask.any() else None
    return _Prepared(s, k, t, v, rr, qq, w, out_shape, bad, expired)


def _positive_finite(a: FloatArray) -> bool:
    """Return whether every element is > 0 and finite (NaN fails)."""
    return a.size == 0 or bool(a.min() > 0.0 and a.max() < np.inf)


def _finite(a: FloatArray) -> bool:
    """Return whether every element is finite."""
    return a.size == 0 or bool(np.isfinite(a.min()) and np.isfinite(a.max()))


def _nonzero(x: float | FloatArray) -> bool:
    """Return whether a rate is not the scalar 0 (arrays count as nonzero)."""
    return isinstance(x, np.ndarray) or x != 0.0


def _exp_neg(rate: float | FloatArray, t: FloatArray) -> float | FloatArray:
    """Return ``exp(-rate * t)``, skipping the work for a zero scalar rate."""
    return np.exp(-rate * t) if _nonzero(rate) else 1.0


def _d1(p: _Prepared) -> tuple[FloatArray, FloatArray]:
    """Return ``d1`` and ``vol sqrt(tau)`` as new arrays (call under ``np.errstate``)."""
    vst = np.sqrt(p.t)
    vst *= p.v
    d1 = np.divide(p.s, p.k)
    np.log(d1, out=d1)
    drift = np.multiply(p.v, p.v)
    drift *= 0.5
    rq = p.r - p.q
    if _nonzero(rq):
        drift += rq
    drift *= p.t
    d1 += drift
    d1 /= vst
    return d1, vst


def _pdf_q(d1: FloatArray, p: _Prepared) -> FloatArray:
    """Return ``e^{-q tau} phi(d1)`` as a new array."""
    out = np.square(d1)
    out *= -0.5
    np.exp(out, out=out)
    out *= _INV_SQRT_2PI
    if _nonzero(p.q):
        out *= np.exp(-p.q * p.t)
    return out


def _delta_from_d1(d1: FloatArray, p: _Prepared, out: FloatArray | None = None) -> FloatArray:
    """Return ``w e^{-q tau} N(w d1)`` (``w`` = +1 call, -1 put), into ``out`` if given."""
    if out is None:
        out = np.empty_like(d1)
    np.multiply(d1, p.w, out=out)
    ndtr(out, out=out)
    out *= p.w
    if _nonzero(p.q):
        out *= np.exp(-p.q * p.t)
    return out


def _charm_from(
    pd2: FloatArray,
    pdf: FloatArray,
    vst: FloatArray | None,
    p: _Prepared,
    out: FloatArray | None = None,
) -> FloatArray:
    """Return ``pdf d2 / (2 tau) - pdf (r - q) / (vol sqrt(tau))``, the charm without ``q delta``.

    ``pd2`` is ``pdf * d2``; ``vst`` is ``vol sqrt(tau)`` (recomputed when None). Writes into
    ``out`` if given (it may be ``pd2`` itself).
    """
    rq = p.r - p.q
    if _nonzero(rq):
        scaled = np.multiply(pdf, rq)
        scaled /= vst if vst is not None else p.v * np.sqrt(p.t)
    out = np.divide(pd2, p.t, out=out)
    out *= 0.5
    if _nonzero(rq):
        out -= scaled
    return out


def _expired_delta(p: _Prepared) -> FloatArray | float:
    """Return the delta of expired contracts: ``0.5 (sign(S - K) + w)`` (or 0 if none expired)."""
    if p.expired is None:
        return 0.0
    return 0.5 * (np.sign(p.s - p.k) + p.w)


def _nan_bad(out: FloatArray, p: _Prepared) -> FloatArray:
    """Write NaN into ``out`` where the input is invalid, and return it in the result's shape."""
    if p.bad is not None:
        np.copyto(out, np.nan, where=p.bad)
    return out.reshape(p.shape) if out.shape != p.shape else out


def _finish(out: FloatArray, p: _Prepared, expired: FloatArray | float) -> FloatArray:
    """Apply the guards to a computed greek and return it in the result's shape.

    ``expired`` goes where the contract has expired, NaN where the input is invalid.
    """
    if p.expired is not None:
        np.copyto(out, expired, where=p.expired)
    return _nan_bad(out, p)


def _pdf_times(
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    vol: npt.ArrayLike,
    r: npt.ArrayLike,
    q: npt.ArrayLike,
    factor: Callable[[FloatArray, FloatArray, FloatArray, _Prepared], None],
) -> FloatArray:
    """Compute a greek that is ``e^{-q tau} phi(d1)`` times a factor (gamma, vanna, vega).

    ``factor(out, d1, vst, p)`` multiplies ``out`` (the pdf) in place; expired contracts get
    0, invalid input NaN.
    """
    p = _prepare(spot, strike, tau, vol, r, q)
    with np.errstate(all="ignore"):
        d1, vst = _d1(p)
        out = _pdf_q(d1, p)
        factor(out, d1, vst, p)
    return _finish(out, p, 0.0)


def _per_point(out: FloatArray, d1: FloatArray, vst: FloatArray, p: _Prepared) -> None:
    """Gamma's factor: ``1 / (S vol sqrt(tau))``."""
    out /= p.s * vst


def _minus_d2_per_vol(out: FloatArray, d1: FloatArray, vst: FloatArray, p: _Prepared) -> None:
    """Vanna's factor: ``-d2 / vol``."""
    out *= d1 - vst
    out /= p.v
    np.negative(out, out=out)


def _times_s_sqrt_tau(out: FloatArray, d1: FloatArray, vst: FloatArray, p: _Prepared) -> None:
    """Vega's factor: ``S sqrt(tau)``."""
    out *= p.s * np.sqrt(p.t)
