"""Vectorised, robust Black-Scholes-Merton implied volatility.

:func:`implied_vol` inverts :func:`flowframe.sources.engine.greeks.price` for whole arrays at
once, down to one minute before a 0DTE expiry and far out of the money, where vega vanishes and
a plain Newton iteration on the price fails.

Conventions
-----------
Units
    ``price`` per share, in the underlying's points, like ``spot`` and ``strike``.
Clock
    ``tau`` is in years of whatever clock the caller uses, and the vol comes out annualised on
    that clock. The engine's is the trading clock, ``tau = minutes_to_close / (252 * 390)``
    (:func:`~flowframe.sources.engine.greeks.tau_from_minutes`), so a vol solved on it is a
    trading-clock vol, the same as the chain's ``iv`` after conversion.
Rates
    ``r`` (risk-free rate) and ``q`` (dividend yield) are continuously compounded on the same
    clock and default to 0, as in :mod:`~flowframe.sources.engine.greeks`.
Model
    ``C = S e^{-q tau} N(d1) - K e^{-r tau} N(d2)``, ``P = K e^{-r tau} N(-d2) - S e^{-q tau}
    N(-d1)``: the engine's Black-Scholes-Merton, nothing else.

Method
------
Each element is brought to Jäckel's normalised form ("Let's Be Rational", Wilmott 2015):
``Sd = S e^{-q tau}``, ``Kd = K e^{-r tau}``, ``x = ln(Sd / Kd)``, and the time value
``price - intrinsic`` (intrinsic ``max(Sd - Kd, 0)`` for a call, ``max(Kd - Sd, 0)`` for a
put) divided by ``sqrt(Sd Kd)``. By put-call parity that time value is the price of the
out-of-the-money option of the same strike, so every element becomes one problem: find
``s = vol sqrt(tau) > 0`` with ``b(-|x|, s) = beta``, where

    ``b(x, s) = e^{x/2} N(x/s + s/2) - e^{-x/2} N(x/s - s/2)``, ``x <= 0``,

is the normalised out-of-the-money call, increasing in ``s`` from 0 to ``e^{x/2}``. ``b`` is
evaluated as Jäckel does, in four regions (his 17th-order asymptotic expansion far out of the
money, his 12th-order small-``s`` expansion, ``erfcx``, plain ``N``), to near full relative
precision, and kept as ``exp(e) g`` so that ``ln b`` stays exact where ``b`` underflows
(``beta`` too is carried as ``ln beta``): any price that is a normal float64 can be solved.

The solve, vectorised over the elements:

1. Segments. ``b`` is convex below its inflection point ``s_c = sqrt(2|x|)`` and concave
   above. Below it (``beta < b(s_c)``, closed form), the chord from 0 and the tangent at
   ``s_c`` bracket the root, and Jäckel's split point ``s_l`` (where that tangent meets 0)
   separates his lowest segment (first guess: inverse of his lower asymptotic map) from the
   middle one (guess: linear in ``beta``). Above it, one evaluation at ``s_h`` (where the
   tangent meets ``e^{x/2}``) splits the middle segment (linear guess) from the upper one
   (inverse of his upper map).
2. Third-order Householder steps on an objective chosen per segment, as Jäckel does:
   ``1/ln b - 1/ln beta`` in the lowest segment (``b`` exponentially small: Newton on the
   price would crawl), ``b - beta`` in the middle, ``ln(b_max - beta) - ln(b_max - b)`` near
   the upper bound ``b_max = e^{x/2}``.
3. Every evaluation tightens the bracket; a step that leaves it, a non-finite step or an
   oscillation (three reversals) is replaced by a bisection (geometric when ``lo > 0``).
4. An element stops when a Householder step (with its factor near 1) is below
   :data:`STEP_RTOL` relative (order 4: the error left after it is at round-off), when its
   bracket is a few ulps wide, or when ``b == beta`` exactly; at most
   :data:`MAX_ITERATIONS` rounds. Each round computes only the elements still running; no
   Python loop over elements. A 0DTE chain takes two rounds for ~90% of its elements and a
   third for the rest.

Accuracy: the returned vol solves ``b(x, s) = beta`` to a few ulps of ``b`` (times the
elasticity of ``b`` in ``s`` where that is large): it reprices to the given price to ~1e-15
relative, a few 1e-13 at worst (far out of the money, where ``b`` is steep in ``s``). The vol
itself is as exact as the price determines it: an error ``dp`` in the price moves the vol by
``dp / vega``; where one ulp of the price moves it by more than :data:`RESOLUTION_RTOL`, the
element is ``"no_time_value_resolvable"``.
"""

from __future__ import annotations

import math
from typing import Final, Literal, TypeAlias, overload

import numpy as np
import numpy.typing as npt
from scipy.special import erfcx, ndtr, ndtri

__all__ = [
    "IV_REASONS",
    "MAX_ITERATIONS",
    "REASON_DTYPE",
    "RESOLUTION_RTOL",
    "STEP_RTOL",
    "implied_vol",
]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.intp]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
StrArray: TypeAlias = npt.NDArray[np.str_]

#: The reason ids of :func:`implied_vol`, in the order they are checked (the first that
#: applies wins). ``""`` (not listed) marks a solved element.
IV_REASONS: Final = (
    "nan_input",
    "non_positive_tau",
    "non_positive_spot_or_strike",
    "below_intrinsic",
    "at_intrinsic",
    "above_upper_bound",
    "no_time_value_resolvable",
    "no_convergence",
)
#: The dtype of the reasons array: fixed-width unicode, wide enough for every id.
REASON_DTYPE: Final = np.dtype(f"<U{max(len(r) for r in IV_REASONS)}")
#: Most solver rounds per call. The usual element needs 2 or 3; bisection fallbacks need more.
MAX_ITERATIONS: Final = 100
#: An element has converged when a Householder step (with its factor near 1) moves ``s`` by
#: at most this, relative. Householder(3) converges with order 4, so the error left after
#: such a step is at round-off level.
STEP_RTOL: Final = 1e-5
#: An element is ``"no_time_value_resolvable"`` when one ulp of its price moves the vol by
#: more than this, relative: ``spacing(price) / vega > RESOLUTION_RTOL * vol``.
RESOLUTION_RTOL: Final = 1e-6

_EPS: Final = float(np.finfo(np.float64).eps)
_DBL_MIN: Final = float(np.finfo(np.float64).tiny)
_INV_SQRT_2PI: Final = 1.0 / math.sqrt(2.0 * math.pi)
_LN_SQRT_2PI: Final = 0.5 * math.log(2.0 * math.pi)
_SQRT_2PI: Final = math.sqrt(2.0 * math.pi)
_INV_SQRT_2: Final = 1.0 / math.sqrt(2.0)
_SQRT_3: Final = math.sqrt(3.0)
_TWO_PI_OVER_SQRT_27: Final = 2.0 * math.pi / math.sqrt(27.0)
# Jäckel's region thresholds: the asymptotic expansion for h = x/s < -10 (and t not too
# large), the small-t expansion for t = s/2 < 2 eps^(1/16) ~ 0.21.
_ETA: Final = -10.0
_TAU_SMALL: Final = 2.0 * _EPS**0.0625
# A segment's bracket is widened by this, relative, so rounding in its edges never cuts off
# a root that sits on an edge.
_BRACKET_SLACK: Final = 2.0**-20

# Objective kinds of the Householder iteration (see _step).
_LOWER: Final = 0  # 1/ln(b) - 1/ln(beta)
_PLAIN: Final = 1  # b - beta
_UPPER: Final = 2  # ln(b_max - beta) - ln(b_max - b)


@overload
def implied_vol(
    price: npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    r: npt.ArrayLike = ...,
    q: npt.ArrayLike = ...,
    return_reason: Literal[False] = ...,
) -> FloatArray: ...
@overload
def implied_vol(
    price: npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    r: npt.ArrayLike = ...,
    q: npt.ArrayLike = ...,
    return_reason: Literal[True],
) -> tuple[FloatArray, StrArray]: ...
@overload
def implied_vol(
    price: npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    r: npt.ArrayLike = ...,
    q: npt.ArrayLike = ...,
    return_reason: bool,
) -> FloatArray | tuple[FloatArray, StrArray]: ...
def implied_vol(
    price: npt.ArrayLike,
    spot: npt.ArrayLike,
    strike: npt.ArrayLike,
    tau: npt.ArrayLike,
    right: npt.ArrayLike,
    *,
    r: npt.ArrayLike = 0.0,
    q: npt.ArrayLike = 0.0,
    return_reason: bool = False,
) -> FloatArray | tuple[FloatArray, StrArray]:
    """Solve the Black-Scholes-Merton implied vol of each option price.

    Parameters
    ----------
    price : array_like
        Option prices per share, in the underlying's points.
    spot, strike : array_like
        Underlying price and strike, in points.
    tau : array_like
        Time to expiry in years of any clock; the vol comes out annualised on the same clock.
        The engine's is the trading clock, ``minutes_to_close / (252 * 390)``
        (:func:`~flowframe.sources.engine.greeks.tau_from_minutes`).
    right : array_like of str
        ``"C"`` (call) or ``"P"`` (put), case-sensitive; a str or an array of them.
    r, q : array_like, default 0.0
        Risk-free rate and dividend yield, continuously compounded, on the clock of ``tau``.
    return_reason : bool, default False
        Also return why each unsolved element is NaN.

    All array-likes broadcast against each other (numpy broadcasting).

    Returns
    -------
    vol : numpy.ndarray
        Float64 implied vols (decimal, 0.15 is 15%) of the broadcast shape; NaN where there is
        no answer. All-scalar input gives a 0-d array (like numpy ufuncs given 0-d arrays and
        :mod:`~flowframe.sources.engine.greeks`); ``float(vol)`` makes it a float.
    reason : numpy.ndarray
        Only with ``return_reason=True``: an array of the same shape and dtype
        :data:`REASON_DTYPE` (fixed-width unicode, ``<U27``): ``""`` where the vol was solved,
        else the first id that applies, in this order:

        ``"nan_input"``
            ``price``, ``spot``, ``strike``, ``tau``, ``r`` or ``q`` is NaN or infinite (or
            ``S e^{-q tau}`` or ``K e^{-r tau}`` overflows).
        ``"non_positive_tau"``
            ``tau <= 0``: expired, no vol to speak of.
        ``"non_positive_spot_or_strike"``
            ``spot <= 0`` or ``strike <= 0`` (or ``S e^{-q tau}`` or ``K e^{-r tau}``
            underflows to 0).
        ``"below_intrinsic"``
            ``price`` is below the forward intrinsic value, ``max(Sd - Kd, 0)`` for a call
            and ``max(Kd - Sd, 0)`` for a put, ``Sd = S e^{-q tau}``, ``Kd = K e^{-r tau}``
            (a negative price is below any intrinsic).
        ``"at_intrinsic"``
            ``price`` equals that intrinsic value: only vol 0 fits, which is no answer.
        ``"above_upper_bound"``
            A call at or above ``Sd``, a put at or above ``Kd``: no finite vol reaches it.
        ``"no_time_value_resolvable"``
            A time value exists but the price does not determine the vol in float64: one
            ulp of the price, ``numpy.spacing(price)``, moves the vol by more than
            :data:`RESOLUTION_RTOL` (1e-6) of itself, ``spacing(price) / vega > 1e-6 vol``.
            Typically a deep-in-the-money price whose time value is lost in its own
            rounding, a far out-of-the-money price that has underflowed to a few subnormal
            ulps, or a price within rounding of the upper bound.
        ``"no_convergence"``
            The solver did not converge in :data:`MAX_ITERATIONS` rounds. Not seen for
            any realistic input in testing; fuzzing with absurd ones (spot and strike near
            the float64 maximum, ``vol sqrt(tau)`` below 1e-300) meets it. The function never
            raises mid-array nor returns an unchecked value instead.

    Raises
    ------
    ValueError
        An element of ``right`` is not ``"C"`` or ``"P"``; the message names the first bad
        position and value and the allowed values. Bad *numbers* never raise: they give NaN
        and a reason.

    Notes
    -----
    See the module docstring for the method. No warnings are emitted.

    Examples
    --------
    >>> from flowframe.sources.engine.greeks import price
    >>> p = price(6000.0, 6010.0, 60 / (252 * 390), 0.15, True)
    >>> round(float(implied_vol(p, 6000.0, 6010.0, 60 / (252 * 390), "C")), 12)
    0.15
    >>> implied_vol([0.5, -1.0], 100.0, 100.0, 0.01, "P", return_reason=True)[1].tolist()
    ['', 'below_intrinsic']
    """
    is_call0 = _parse_right(right)
    arrays = [np.asarray(a, dtype=np.float64) for a in (price, spot, strike, tau, r, q)]
    shape = np.broadcast_shapes(*(a.shape for a in arrays), is_call0.shape)
    n = math.prod(shape)
    p, s, k, t = (np.broadcast_to(a, shape).ravel() for a in arrays[:4])
    rr, qq = (float(a) if a.ndim == 0 else np.broadcast_to(a, shape).ravel() for a in arrays[4:])
    is_call = np.broadcast_to(is_call0, shape).ravel()

    vol = np.full(n, np.nan)
    reason = np.zeros(n, dtype=np.int8)  # 0: solved; i + 1: IV_REASONS[i]
    with np.errstate(all="ignore"):
        _classify_and_solve(p, s, k, t, rr, qq, is_call, vol, reason)

    out = vol.reshape(shape)
    if not return_reason:
        return out
    names = np.array(("", *IV_REASONS), dtype=REASON_DTYPE)
    return out, names[reason].reshape(shape)


# --- internals --------------------------------------------------------------------------------


def _parse_right(right: npt.ArrayLike) -> BoolArray:
    """Return ``right == "C"`` as a bool array, raising ValueError on anything but C or P."""
    arr = np.asarray(right)
    if arr.dtype.kind in "UO":
        is_call = np.asarray(arr == "C", dtype=np.bool_)
        ok = is_call | np.asarray(arr == "P", dtype=np.bool_)
    else:  # bytes, bools, numbers: none of them is a right
        is_call = np.zeros(arr.shape, dtype=np.bool_)
        ok = is_call.copy()
    if not ok.all():
        pos = tuple(int(i) for i in np.argwhere(~ok)[0]) if arr.ndim else ()
        value = arr[pos]
        value = value.item() if isinstance(value, np.generic) else value
        where = f"right[{', '.join(map(str, pos))}]" if pos else "right"
        raise ValueError(
            f"{where} = {value!r} is not a right; use 'C' (call) or 'P' (put), case-sensitive"
        )
    return is_call


def _classify_and_solve(
    p: FloatArray,
    s: FloatArray,
    k: FloatArray,
    t: FloatArray,
    r: float | FloatArray,
    q: float | FloatArray,
    is_call: BoolArray,
    vol: FloatArray,
    reason: npt.NDArray[np.int8],
) -> None:
    """Fill ``vol`` and the reason codes of flat inputs (call under ``np.errstate``).

    ``r`` and ``q`` are floats (scalar input) or flat arrays like the others.
    """
    code = {name: i + 1 for i, name in enumerate(IV_REASONS)}
    open_ = np.isfinite(p) & np.isfinite(s) & np.isfinite(k) & np.isfinite(t)
    for rate in (r, q):
        if isinstance(rate, np.ndarray):
            open_ &= np.isfinite(rate)
        elif not math.isfinite(rate):
            open_[:] = False
    reason[~open_] = code["nan_input"]
    for mask, name in (
        (t <= 0.0, "non_positive_tau"),
        ((s <= 0.0) | (k <= 0.0), "non_positive_spot_or_strike"),
    ):
        hit = mask & open_
        reason[hit] = code[name]
        open_ &= ~hit

    idx: IntArray | None = None  # None: every element is open (no gather needed)
    if not open_.all():
        idx = np.flatnonzero(open_)
        if idx.size == 0:
            return
        p, s, k, t, is_call = p[idx], s[idx], k[idx], t[idx], is_call[idx]
        r = r[idx] if isinstance(r, np.ndarray) else r
        q = q[idx] if isinstance(q, np.ndarray) else q
    sd = s * np.exp(-q * t) if _nonzero(q) else s  # S e^{-q tau}
    kd = k * np.exp(-r * t) if _nonzero(r) else k  # K e^{-r tau}
    forward_gap = np.where(is_call, sd - kd, kd - sd)
    intrinsic = np.maximum(forward_gap, 0.0)
    upper = np.where(is_call, sd, kd)

    sub = np.zeros(p.size, dtype=np.int8)
    if _nonzero(r) or _nonzero(q):  # discounting can overflow or underflow
        sub[~(np.isfinite(sd) & np.isfinite(kd))] = code["nan_input"]
        sub[(sub == 0) & ((sd == 0.0) | (kd == 0.0))] = code["non_positive_spot_or_strike"]
    sub[(sub == 0) & (p < intrinsic)] = code["below_intrinsic"]
    sub[(sub == 0) & (p == intrinsic)] = code["at_intrinsic"]
    sub[(sub == 0) & (p >= upper)] = code["above_upper_bound"]

    # Normalised out-of-the-money problem: b(x, s) = beta with x = -|ln(Sd/Kd)| <= 0.
    log_moneyness = np.log(s / k)
    if _nonzero(r) or _nonzero(q):
        log_moneyness += (r - q) * t
    x = -np.abs(log_moneyness)
    # beta = time value / sqrt(Sd Kd) underflows for tiny (still normal) prices: the solver
    # works on ln(beta) where it matters, so keep it exactly.
    ln_root = 0.5 * (np.log(sd) + np.log(kd))
    todo = np.flatnonzero(sub == 0)
    ln_beta = np.log(p[todo] - intrinsic[todo]) - ln_root[todo]
    # Rounding can put beta at or beyond the normalised bound e^{x/2} although the price is
    # below the upper bound: the vol is not resolvable there.
    beyond = ln_beta >= 0.5 * x[todo]
    sub[todo[beyond]] = code["no_time_value_resolvable"]
    todo, ln_beta = todo[~beyond], ln_beta[~beyond]
    if todo.size:
        xs = x[todo]
        sol, converged = _solve(xs, ln_beta)
        # Resolution: one ulp of the price moves s by spacing(p) / (sqrt(Sd Kd) b'(x, s)),
        # b' = exp(-(x^2/s^2 + s^2/4)/2) / sqrt(2 pi); in logs, so nothing underflows.
        ln_ds = np.log(np.spacing(p[todo])) - ln_root[todo] + _LN_SQRT_2PI
        ln_ds += 0.5 * (np.square(xs / sol) + 0.25 * sol * sol)
        resolved = ln_ds <= np.log(RESOLUTION_RTOL * sol)
        sub[todo[~converged]] = code["no_convergence"]
        sub[todo[~resolved]] = code["no_time_value_resolvable"]  # checked first (IV_REASONS)
        good = todo[converged & resolved]
        solved = sol[converged & resolved] / np.sqrt(t[good])
        vol[good if idx is None else idx[good]] = solved
    if idx is None:
        reason[:] = sub
    else:
        reason[idx] = sub


def _nonzero(rate: float | FloatArray) -> bool:
    """Return whether a rate is not the scalar 0 (arrays count as nonzero)."""
    return isinstance(rate, np.ndarray) or rate != 0.0


def _solve(x: FloatArray, ln_beta: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Solve ``b(x, s) = beta`` for ``s`` (1-d, ``x <= 0``, ``ln(beta) < x/2``).

    ``beta`` comes as its log, exact even where ``beta`` itself would underflow. Returns
    ``s`` and whether each element converged.
    """
    beta = np.exp(ln_beta)  # may underflow: only compared, or used where it is not tiny
    b_max = np.exp(0.5 * x)
    # The inflection point s_c = sqrt(2|x|), where h = x/s_c = -s_c/2, so (closed forms)
    # b_c = e^{x/2}/2 - e^{-x/2} N(-s_c) = e^{x/2} (1 - erfcx(sqrt|x|)) / 2 and
    # b'(s_c) = e^{x/2} / sqrt(2 pi).
    s_c = np.sqrt(-2.0 * x)
    b_c = 0.5 * b_max * _one_minus_erfcx(np.sqrt(-x))
    v_c = _INV_SQRT_2PI * b_max

    # Below the inflection point (beta < b_c), computed for every element (cheap) and kept
    # where it applies. b is convex there, so the chord from 0 and the tangent at s_c
    # bracket the root.
    lo = beta * (s_c / b_c)
    hi = s_c - (b_c - beta) / v_c
    # Jäckel's split point s_l, where that tangent meets 0. b(s_l) is estimated, not
    # evaluated, by the small-s limit b ~ s (phi(h) + h N(h)), h = x/s: it only picks the
    # objective and the first guess.
    s_l = np.maximum(s_c - b_c / v_c, 0.0)
    h_l = x / s_l
    b_l = s_l * (_INV_SQRT_2PI * np.exp(-0.5 * h_l * h_l) + h_l * ndtr(h_l))
    b_l[s_l <= 0.0] = 0.0
    lowest = beta < b_l
    s = s_c - (s_c - s_l) * (b_c - beta) / (b_c - b_l)  # middle segment: linear in beta
    kind = np.where(lowest, _LOWER, _PLAIN).astype(np.int8)
    i = np.flatnonzero(lowest)
    if i.size:
        # Lowest segment: invert Jäckel's lower map f(s) = 2pi/sqrt(27) |x| N(-|x|/(sqrt3 s))^3,
        # with f(beta) quadratic through f(0) = 0, f'(0) = 1 and f(b_l) = f(s_l), in logs:
        # f = beta (1 + w (f_l/b_l - 1)), w = beta / b_l.
        xi, bli = x[i], b_l[i]
        c_x = _TWO_PI_OVER_SQRT_27 * -xi
        f_l = c_x * ndtr(xi / (_SQRT_3 * s_l[i])) ** 3
        ln_f = ln_beta[i] + np.log1p(beta[i] / bli * (f_l / bli - 1.0))
        s[i] = xi / (_SQRT_3 * ndtri(np.exp((ln_f - np.log(c_x)) / 3.0)))

    j = np.flatnonzero(beta >= b_c)  # at or above the inflection point
    if j.size:
        xj, bj, scj, bcj, bmj, vcj = x[j], beta[j], s_c[j], b_c[j], b_max[j], v_c[j]
        s_h = np.where(vcj > _DBL_MIN, scj + (bmj - bcj) / vcj, scj)
        b_h = _normalised_black(xj, s_h)
        top = bj > b_h
        # Upper segment: invert Jäckel's upper map f(s) = N(-s/2), with f(beta) interpolated
        # quadratically through f(b_h), f(b_max) = 0 and f'(b_max) = -1/2.
        f_h = ndtr(-0.5 * s_h)
        gap = bmj - b_h
        w = (bj - b_h) / gap
        f = (f_h * (1.0 - w) + 0.5 * gap * w) * (1.0 - w)
        guess_top = -2.0 * ndtri(f)
        guess_mid = scj + (s_h - scj) * (bj - bcj) / (b_h - bcj)
        s[j] = np.where(top, guess_top, guess_mid)
        lo[j] = np.where(top, s_h, scj)
        hi[j] = np.where(top, np.inf, s_h)
        kind[j] = np.where(top & (bj > 0.5 * bmj), _UPPER, _PLAIN)

    # Slack for the rounding in b_c and in b near the bracket's ends.
    lo *= 1.0 - _BRACKET_SLACK
    hi *= 1.0 + _BRACKET_SLACK
    bad_guess = ~(np.isfinite(s) & (s > lo) & (s < hi))
    s[bad_guess] = _bisect(lo[bad_guess], hi[bad_guess], s[bad_guess])
    return _iterate(x, beta, ln_beta, b_max, s, lo, hi, kind)


def _one_minus_erfcx(z: FloatArray) -> FloatArray:
    """Return ``1 - erfcx(z)`` for ``z >= 0`` to full relative precision.

    Below ``z = 0.1`` (where the difference cancels) by the Taylor series
    ``erfcx(z) = sum_n (-z)^n / Gamma(1 + n/2)``, 16 terms.
    """
    out: FloatArray = 1.0 - erfcx(z)
    small = np.flatnonzero(z < 0.1)
    if small.size:
        zs = z[small]
        acc = np.zeros_like(zs)
        for c in _ONE_MINUS_ERFCX_SERIES[::-1]:
            acc *= zs
            acc += c
        out[small] = acc * zs
    return out


#: ``(-1)^m / Gamma((m + 3) / 2)``, m = 0..15: ``1 - erfcx(z) = z sum_m c_m z^m``.
_ONE_MINUS_ERFCX_SERIES: Final = tuple((-1.0) ** m / math.gamma((m + 3) / 2) for m in range(16))


def _iterate(
    x: FloatArray,
    beta: FloatArray,
    ln_beta: FloatArray,
    b_max: FloatArray,
    s: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    kind: npt.NDArray[np.int8],
) -> tuple[FloatArray, BoolArray]:
    """Run the safeguarded Householder iteration on the elements until each one stops.

    The working arrays hold the running elements only, sorted by objective kind (so each
    objective is a contiguous slice); finished elements are written out and dropped.
    """
    n = x.size
    out = np.full(n, np.nan)
    converged = np.zeros(n, dtype=np.bool_)
    idx: IntArray = np.argsort(kind, kind="stable")
    x, beta, ln_beta, b_max, s, lo, hi = (a[idx] for a in (x, beta, ln_beta, b_max, s, lo, hi))
    kind = kind[idx]
    reversals = np.zeros(n, dtype=np.int8)
    last_ds = np.zeros(n)
    for _ in range(MAX_ITERATIONS):
        if idx.size == 0:
            break
        e, g, e_vega = _black_parts(x, s)
        ln_b = np.log(g)
        ln_b += e
        # Tighten the bracket with the sign of b - beta (s is always inside it).
        np.copyto(lo, s, where=ln_b < ln_beta)
        np.copyto(hi, s, where=ln_b > ln_beta)

        ds, trusted = _step(x, s, e, g, ln_b, e_vega, beta, ln_beta, b_max, kind)
        np.maximum(ds, -0.5 * s, out=ds)
        new = s + ds
        # A trusted step this small is the last one needed (the error left after it is
        # ~step^4), even if it lands on the bracket's edge.
        small = trusted & (np.abs(ds) <= STEP_RTOL * s)
        reversals += ds * last_ds < 0.0
        bisect = ~small & (~(np.isfinite(new) & (new > lo) & (new < hi)) | (reversals >= 3))
        if bisect.any():
            new[bisect] = _bisect(lo[bisect], hi[bisect], s[bisect])
            reversals[bisect] = 0
            ds[bisect] = 0.0
        last_ds = ds

        exact = ln_b == ln_beta
        done = exact | small | (hi - lo <= 4.0 * _EPS * new)
        np.clip(new, lo, hi, out=new)
        np.copyto(new, s, where=exact)
        s = new
        if done.any():
            out[idx[done]] = s[done]
            converged[idx[done]] = True
            keep = ~done
            idx = idx[keep]
            x, beta, ln_beta, b_max, s, lo, hi = (
                a[keep] for a in (x, beta, ln_beta, b_max, s, lo, hi)
            )
            kind, reversals, last_ds = kind[keep], reversals[keep], last_ds[keep]
    out[idx] = s  # not converged: the last iterate (reported as such)
    return out, converged


def _step(
    x: FloatArray,
    s: FloatArray,
    e: FloatArray,
    g: FloatArray,
    ln_b: FloatArray,
    e_vega: FloatArray,
    beta: FloatArray,
    ln_beta: FloatArray,
    b_max: FloatArray,
    kind: npt.NDArray[np.int8],
) -> tuple[FloatArray, BoolArray]:
    """Return the third-order Householder step of each element's objective (NaN: bisect).

    With ``newton = -g/g'``, ``halley = g''/g'`` and ``hh3 = g'''/g'`` the step is
    ``newton (1 + halley newton / 2) / (1 + newton (halley + hh3 newton / 6))``. For ``b``
    itself ``b''/b' = x^2/s^3 - s/4`` and ``b'''/b' = (b''/b')^2 - 3 x^2/s^4 - 1/4``.
    ``b = exp(e) g`` and ``b' = exp(e_vega) / sqrt(2 pi)`` (:func:`_black_parts`); the lowest
    objective uses only ``ln b`` and ``b'/b``, which never underflow. ``kind`` is sorted, so
    each objective works on a slice. Also returns whether the step is the full Householder
    one with a factor near 1, whose size can be trusted as the error before it (not the
    Newton fallback, used when the factor is unusable).
    """
    h_s = x / (s * s)  # x / s^2
    halley = x * h_s
    halley /= s
    halley -= 0.25 * s  # b''/b'
    hh3 = halley * halley
    hh3 -= 3.0 * h_s * h_s
    hh3 -= 0.25  # b'''/b'
    n_low, n_plain = np.searchsorted(kind, [_PLAIN, _UPPER])
    newton = np.empty_like(s)
    if n_low:  # objective 1/ln(b) - 1/ln(beta)
        sl = slice(0, n_low)
        lb, lbeta = ln_b[sl], ln_beta[sl]
        bpob = np.exp(e_vega[sl] - lb)
        bpob *= _INV_SQRT_2PI  # b'/b
        c = 1.0 + 2.0 / lb
        bh = halley[sl].copy()
        newton[sl] = (lbeta - lb) * lb / lbeta / bpob
        halley[sl] -= bpob * c
        hh3[sl] += 2.0 * bpob * bpob * (1.0 + 3.0 / lb * (1.0 + 1.0 / lb))
        hh3[sl] -= 3.0 * bh * bpob * c
    if n_low < x.size:
        sp = slice(n_low, x.size)
        b = np.exp(e[sp]) * g[sp]
        bp = _INV_SQRT_2PI * np.exp(e_vega[sp])
        newton[sp] = (beta[sp] - b) / bp  # objective b - beta
        if n_plain < x.size:  # objective ln(b_max - beta) - ln(b_max - b)
            su = slice(n_plain - n_low, x.size - n_low)
            gap = b_max[n_plain:] - b[su]
            gp = bp[su] / gap
            obj = np.log((b_max[n_plain:] - beta[n_plain:]) / gap)
            newton[n_plain:] = np.where((gap > 0.0) & (bp[su] > _DBL_MIN), -obj / gp, np.nan)
            hh3[n_plain:] += gp * (2.0 * gp + 3.0 * halley[n_plain:])
            halley[n_plain:] += gp

    factor = hh3
    factor *= newton / 6.0
    factor += halley
    factor *= newton
    factor += 1.0
    np.divide(1.0 + 0.5 * halley * newton, factor, out=factor)
    usable = np.isfinite(factor) & (factor > 0.0)
    ds: FloatArray = np.where(usable, newton * factor, newton)
    # Near the root the factor tends to 1; far from 1, the step is not in the regime where its
    # size measures the error (e.g. a tiny step from a flat stretch of the objective).
    trusted = usable & (np.abs(factor - 1.0) <= 0.5)
    return ds, trusted  # non-finite where b or b' underflowed: the caller bisects


def _bisect(lo: FloatArray, hi: FloatArray, s: FloatArray) -> FloatArray:
    """Return a point inside ``(lo, hi)``: geometric mean if ``lo > 0``, else a half or double."""
    return np.where(
        np.isinf(hi),
        2.0 * np.maximum(np.maximum(s, lo), _DBL_MIN),
        np.where(lo > 0.0, np.sqrt(lo) * np.sqrt(hi), 0.5 * hi),
    )


def _normalised_black(x: FloatArray, s: FloatArray) -> FloatArray:
    """Return the normalised out-of-the-money call ``b(x, s)``, ``x <= 0``, ``s > 0``."""
    e, g, _ = _black_parts(x, s)
    out: FloatArray = np.exp(e) * g
    return out


def _black_parts(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``b(x, s)`` and ``b'(x, s)`` in parts, for ``x <= 0``, ``s > 0``.

    ``b = exp(e) g`` and ``b' = exp(e_vega) / sqrt(2 pi)``, where ``e_vega = -(h^2 + t^2)/2``
    (``h = x/s``, ``t = s/2``) and ``e = e_vega`` except where ``b`` is computed directly
    (``e = 0``), so ``ln b = e + ln g`` stays finite and accurate where ``b`` itself
    underflows. Jäckel's four regions: the asymptotic expansion where ``h < -10`` and
    ``t < 0.21 + |h| - 10``; the small-``t`` expansion where ``t < 0.21``; plain ``N`` where
    ``h + t > 0.85`` (``b`` directly); ``erfcx`` elsewhere.
    """
    h = x / s
    t = 0.5 * s
    e_vega = h * h
    e_vega += t * t
    e_vega *= -0.5
    e = e_vega.copy()
    g = np.empty_like(s)
    region1 = (x < s * _ETA) & (0.5 * s * s + x < s * (_TAU_SMALL + _ETA))
    rest = ~region1
    region2 = rest & (t < _TAU_SMALL)
    rest &= ~region2
    region3 = rest & (h + t > 0.85)
    rest &= ~region3
    for mask, fn in (
        (region1, _asymptotic_expansion),
        (region2, _small_t_expansion),
        (region3, _using_ndtr),
        (rest, _using_erfcx),
    ):
        sel = np.flatnonzero(mask)
        if sel.size:
            g[sel] = fn(h[sel], t[sel])
    e[region3] = 0.0
    np.maximum(g, 0.0, out=g)
    return e, g, e_vega


def _using_ndtr(h: FloatArray, t: FloatArray) -> FloatArray:
    """``b = N(h + t) e^{ht} - N(h - t) e^{-ht}`` itself (``x = 2ht``), for ``b`` near bound."""
    e = np.exp(h * t)
    out: FloatArray = ndtr(h + t) * e - ndtr(h - t) / e
    return out


def _using_erfcx(h: FloatArray, t: FloatArray) -> FloatArray:
    """``g = [erfcx(-(h+t)/sqrt2) - erfcx(-(h-t)/sqrt2)] / 2``, ``b = exp(-(h^2+t^2)/2) g``."""
    out: FloatArray = 0.5 * (erfcx(-_INV_SQRT_2 * (h + t)) - erfcx(-_INV_SQRT_2 * (h - t)))
    return out


# The two expansions below are Peter Jäckel's, from LetsBeRational (www.jaeckel.org), as
# transcribed in py_lets_be_rational. Their notice: "Copyright © 2013-2014 Peter Jäckel.
# Permission to use, copy, modify, and distribute this software is freely granted, provided
# that this notice is preserved. WARRANTY DISCLAIMER: The Software is provided "as is" without
# warranty of any kind, either express or implied, including without limitation any implied
# warranties of condition, uninterrupted use, merchantability, fitness for a particular
# purpose, or non-infringement."


def _small_t_expansion(h: FloatArray, t: FloatArray) -> FloatArray:
    """``b`` from Jäckel's 12th-order expansion in ``t`` of ``Y(h+t) - Y(h-t)``, ``Y = N/phi``.

    ``b = exp(-(h^2 + t^2)/2) / sqrt(2 pi) * 2t * sum_k w^k T_k``, ``w = t^2``, with ``T_k`` a
    polynomial in ``h^2`` whose coefficients are linear in ``a = 1 + h Y(h)``; the sum is
    evaluated as ``A(w, h^2) + a B(w, h^2)`` by Horner's rule, in place. Accurate to machine
    precision for ``h <= 0`` and ``t < 0.21``.
    """
    a = 1.0 + h * (0.5 * _SQRT_2PI) * erfcx(-_INV_SQRT_2 * h)
    w = t * t
    h2 = h * h
    total_a, total_b = np.zeros_like(h), np.zeros_like(h)
    term_a, term_b = np.empty_like(h), np.empty_like(h)
    for coefficients, divisor in reversed(_SMALL_T_TERMS):
        (c_top, d_top), *lower = reversed(coefficients)
        term_a.fill(c_top / divisor)
        term_b.fill(d_top / divisor)
        for c, d in lower:
            term_a *= h2
            term_a += c / divisor
            term_b *= h2
            term_b += d / divisor
        total_a *= w
        total_a += term_a
        total_b *= w
        total_b += term_b
    total_b *= a
    total_a += total_b
    total_a *= (2.0 * _INV_SQRT_2PI) * t
    return total_a


# T_k of the small-t expansion: ((c_0, d_0), (c_1, d_1), ...) for sum_j h2^j (c_j + d_j a),
# and the divisor (2k+1)!.
# fmt: off
_SMALL_T_TERMS: Final = (
    (((0.0, 1.0),), 1.0),
    (((-1.0, 3.0), (0.0, 1.0)), 6.0),
    (((-7.0, 15.0), (-1.0, 10.0), (0.0, 1.0)), 120.0),
    (((-57.0, 105.0), (-18.0, 105.0), (-1.0, 21.0), (0.0, 1.0)), 5040.0),
    (((-561.0, 945.0), (-285.0, 1260.0), (-33.0, 378.0), (-1.0, 36.0), (0.0, 1.0)), 362880.0),
    (((-6555.0, 10395.0), (-4680.0, 17325.0), (-840.0, 6930.0), (-52.0, 990.0), (-1.0, 55.0),
      (0.0, 1.0)), 39916800.0),
    (((-89055.0, 135135.0), (-82845.0, 270270.0), (-20370.0, 135135.0), (-1926.0, 25740.0),
      (-75.0, 2145.0), (-1.0, 78.0), (0.0, 1.0)), 6227020800.0),
)
# fmt: on


def _asymptotic_expansion(h: FloatArray, t: FloatArray) -> FloatArray:
    """``b`` from Jäckel's 17th-order asymptotic expansion, for ``h < -10``.

    ``b = exp(-(h^2 + t^2)/2) / sqrt(2 pi) * (t / r) * A`` with ``r = (h+t)(h-t)``,
    ``A = P_0 + 1 q (P_1 + 3 q (P_2 + 5 q (P_3 + ...)))``, ``q = (h/r)^2`` and ``P_k`` a
    polynomial in ``e = (t/h)^2`` (:data:`_ASYMPTOTIC_POLYS`); Horner's rule, in place.
    Relative accuracy ~1.6e-16.
    """
    e = t / h
    e *= e
    r = (h + t) * (h - t)
    q = h / r
    q *= q
    total = np.zeros_like(h)
    pk = np.empty_like(h)
    for k in range(len(_ASYMPTOTIC_POLYS) - 1, -1, -1):
        top, *lower = reversed(_ASYMPTOTIC_POLYS[k])
        pk.fill(top)
        for c in lower:
            pk *= e
            pk += c
        total *= q
        total *= 2 * k + 1
        total += pk
    total *= _INV_SQRT_2PI * (t / r)
    return total


# P_k of the asymptotic expansion, coefficients of e^0, e^1, ... (exact integers). Extracted
# from Jäckel's nested expression, which is A = P_0 + q (P_1 + 3 q (P_2 + 5 q (...))).
# fmt: off
_ASYMPTOTIC_POLYS: Final = (
    (2.0,),
    (-6.0, -2.0),
    (10.0, 20.0, 2.0),
    (-14.0, -70.0, -42.0, -2.0),
    (18.0, 168.0, 252.0, 72.0, 2.0),
    (-22.0, -330.0, -924.0, -660.0, -110.0, -2.0),
    (26.0, 572.0, 2574.0, 3432.0, 1430.0, 156.0, 2.0),
    (-30.0, -910.0, -6006.0, -12870.0, -10010.0, -2730.0, -210.0, -2.0),
    (34.0, 1360.0, 12376.0, 38896.0, 48620.0, 24752.0, 4760.0, 272.0, 2.0),
    (-38.0, -1938.0, -23256.0, -100776.0, -184756.0, -151164.0, -54264.0, -7752.0, -342.0,
     -2.0),
    (42.0, 2660.0, 40698.0, 232560.0, 587860.0, 705432.0, 406980.0, 108528.0, 11970.0, 420.0,
     2.0),
    (-46.0, -3542.0, -67298.0, -490314.0, -1634380.0, -2704156.0, -2288132.0, -980628.0,
     -201894.0, -17710.0, -506.0, -2.0),
    (50.0, 4600.0, 106260.0, 961400.0, 4085950.0, 8914800.0, 10400600.0, 6537520.0, 2163150.0,
     354200.0, 25300.0, 600.0, 2.0),
    (-54.0, -5850.0, -161460.0, -1776060.0, -9373650.0, -26075790.0, -40116600.0, -34767720.0,
     -16872570.0, -4440150.0, -592020.0, -35100.0, -702.0, -2.0),
    (58.0, 7308.0, 237510.0, 3121560.0, 20030010.0, 69194580.0, 135727830.0, 155117520.0,
     103791870.0, 40060020.0, 8584290.0, 950040.0, 47502.0, 812.0, 2.0),
    (-62.0, -8990.0, -339822.0, -5259150.0, -40320150.0, -169344630.0, -412506150.0,
     -601080390.0, -530365050.0, -282241050.0, -88704330.0, -15777450.0, -1472562.0, -62930.0,
     -930.0, -2.0),
    (66.0, 10912.0, 474672.0, 8544096.0, 77134200.0, 387073440.0, 1146332880.0, 2074316640.0,
     2333606220.0, 1637618400.0, 709634640.0, 185122080.0, 27768312.0, 2215136.0, 81840.0,
     1056.0, 2.0),
    (-70.0, -13090.0, -649264.0, -13449040.0, -141214920.0, -834451800.0, -2952675600.0,
     -6495886320.0, -9075135300.0, -8119857900.0, -4639918800.0, -1668903600.0, -367158792.0,
     -47071640.0, -3246320.0, -104720.0, -1190.0, -2.0),
)
# fmt: on
