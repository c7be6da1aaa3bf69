"""What-ifs on the tape and the chain: the questions a researcher asks of one session.

A what-if is a :class:`TapeTransform` (which prints count) or a change of the engine's
assumptions (:class:`~flowframe.EngineConfig`, settled OI). :class:`Variant` bundles them, and
:class:`~flowframe.Ensemble` computes one session per variant.

Conventions
-----------
- Transforms act on the *classified* tape: the engine's tape after its checks (rows it does
  not use are already counted in ``quality``), with each print's customer side found on the
  whole tape (:func:`~flowframe.sources.engine.classify.classify_tape`: the tape's own
  ``side`` column when it has one, else the quote rule then the tick test). The tape a
  transform returns carries that side in its ``side`` column, so dropping prints never
  re-signs the prints that stay (the tick test of a thinned tape would), and ``ff.Local``
  built on the transformed tape computes the variant exactly.
- Times are read on the exchange's clock: ``drop_window("12:00", "12:30")`` drops prints with
  ``12:00 <= t < 12:30`` ET on the tape's session date.
- Every print a transform leaves out is counted, by the transform's name, in the variant's
  ``quality`` (``Ensemble.member(name).quality``): nothing is dropped without a count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from flowframe._constants import ET
from flowframe.sources.engine.classify import classify_tape
from flowframe.sources.engine.core import EngineConfig

__all__ = [
    "TapeTransform",
    "Variant",
    "calls_only",
    "drop_blocks",
    "drop_unsigned",
    "drop_window",
    "puts_only",
    "reweight_oi",
    "variant",
]


@dataclass(frozen=True)
class TapeTransform:
    """A rule choosing which prints of a classified tape a variant keeps.

    Parameters
    ----------
    name : str
        Says what is left out, e.g. ``"drop_blocks(size >= 50)"``; it names the count in
        the variant's quality report.
    keep : callable
        ``keep(tape, side) -> bool array``: True for the prints to keep. ``tape`` is the
        checked tape in time order, ``side`` the customer side of each print (int8).

    Calling the transform on a tape returns the kept prints with their side in ``side``.
    """

    name: str
    keep: Callable[[pd.DataFrame, np.ndarray], np.ndarray] = field(repr=False)

    def mask(self, tape: pd.DataFrame, side: np.ndarray) -> np.ndarray:
        """Return the bool mask of prints kept (checked: one bool per print)."""
        kept = np.asarray(self.keep(tape, side), dtype=bool)
        if kept.shape != (len(tape),):
            raise ValueError(
                f"what-if {self.name!r} returned a mask of shape {kept.shape}; it must be one "
                f"bool per print, shape ({len(tape)},)"
            )
        return kept

    def __call__(self, tape: pd.DataFrame) -> pd.DataFrame:
        """Return the prints of ``tape`` this transform keeps, their side in ``side``."""
        side, _ = classify_tape(tape)
        kept = self.mask(tape, side)
        return signed_tape(tape, side)[kept].reset_index(drop=True)


def signed_tape(tape: pd.DataFrame, side: np.ndarray) -> pd.DataFrame:
    """Return ``tape`` with ``side`` (int8) written in its ``side`` column."""
    out = tape.copy()
    out["side"] = np.asarray(side, dtype=np.int8)
    return out


def drop_blocks(min_size: int) -> TapeTransform:
    """Leave out block prints: every print of ``min_size`` contracts or more.

    Parameters
    ----------
    min_size : int
        Prints with ``size >= min_size`` are left out (a positive whole number).
    """
    ok = isinstance(min_size, int | np.integer) and not isinstance(min_size, bool)  # type: ignore[redundant-expr]
    if not ok or min_size < 1:
        raise ValueError(f"min_size={min_size!r} is not allowed; use a whole number >= 1")
    limit = int(min_size)
    return TapeTransform(
        f"drop_blocks(size >= {limit})",
        lambda tape, side: tape["size"].to_numpy(dtype=np.float64) < limit,
    )


def calls_only() -> TapeTransform:
    """Keep only call prints (puts left out)."""
    return TapeTransform("calls_only", lambda tape, side: (tape["right"] == "C").to_numpy())


def puts_only() -> TapeTransform:
    """Keep only put prints (calls left out)."""
    return TapeTransform("puts_only", lambda tape, side: (tape["right"] == "P").to_numpy())


def drop_unsigned() -> TapeTransform:
    """Leave out the prints the classifier could not sign (side 0).

    They add no signed flow either way; what changes is the traded volume (``contracts``
    in strike-flow) and the coverage the snapshot reports.
    """
    return TapeTransform("drop_unsigned", lambda tape, side: np.asarray(side) != 0)


def drop_window(start: str | dt.time, end: str | dt.time) -> TapeTransform:
    """Leave out the prints with ``start <= t < end``, times of day in ET.

    Parameters
    ----------
    start, end : str or datetime.time
        ``"HH:MM"`` (or ``"HH:MM:SS"``) in ET on the tape's session date; ``start < end``.
    """
    lo, hi = _time_of_day(start, "start"), _time_of_day(end, "end")
    if not lo < hi:
        raise ValueError(f"drop_window needs start < end; got start={start!r}, end={end!r}")

    def keep(tape: pd.DataFrame, side: np.ndarray) -> np.ndarray:
        local = tape["t"].dt.tz_convert(ET)
        seconds = (local - local.dt.normalize()).dt.total_seconds().to_numpy()
        a = lo.hour * 3600 + lo.minute * 60 + lo.second
        b = hi.hour * 3600 + hi.minute * 60 + hi.second
        inside: np.ndarray = (seconds >= a) & (seconds < b)
        return ~inside

    return TapeTransform(f"drop_window({lo:%H:%M:%S}-{hi:%H:%M:%S} ET)", keep)


def _time_of_day(value: str | dt.time, name: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        for fmt in ("%H:%M", "%H:%M:%S"):
            try:
                return dt.datetime.strptime(value.strip(), fmt).time()
            except ValueError:
                pass
    raise ValueError(f"{name}={value!r} is not allowed; use 'HH:MM' (ET) or a datetime.time")


@dataclass(frozen=True)
class Variant:
    """One set of assumptions: engine config changes, a tape what-if, settled-OI scaling.

    Parameters
    ----------
    changes : dict, optional
        :class:`~flowframe.EngineConfig` fields to change from the ensemble's base config
        (``{"dealer_prior": "short_all"}``); or give ``config``.
    config : EngineConfig, optional
        The whole config (``changes`` then apply on top of it).
    tape : tuple of TapeTransform
        Applied in order (each keeps a subset of the prints the one before kept).
    oi_scale : float, default 1.0
        Settled open interest times this factor (>= 0): "what if yesterday's OI were half
        as large". The flow's share in effective OI is ``changes={"oi_weight": ...}``.
    """

    changes: Mapping[str, Any] = field(default_factory=dict)
    config: EngineConfig | None = None
    tape: tuple[TapeTransform, ...] = ()
    oi_scale: float = 1.0

    def __post_init__(self) -> None:
        scale: object = self.oi_scale
        if not (isinstance(scale, int | float) and 0.0 <= float(scale) < np.inf):
            raise ValueError(f"oi_scale={self.oi_scale!r} is not allowed; use a number >= 0")
        for t in self.tape:
            if not isinstance(t, TapeTransform):
                raise TypeError(
                    f"Variant(tape=...) takes TapeTransform objects (ff.whatif.drop_blocks, "
                    f"calls_only, ...), got {type(t).__name__}"
                )

    def resolve(self, base: EngineConfig) -> EngineConfig:
        """Return the engine config of this variant over the ensemble's ``base`` config."""
        cfg = self.config or base
        unknown = sorted(set(self.changes) - set(EngineConfig.__dataclass_fields__))
        if unknown:
            allowed = ", ".join(EngineConfig.__dataclass_fields__)
            raise ValueError(
                f"unknown EngineConfig field(s) {', '.join(map(repr, unknown))}; use {allowed}"
            )
        return replace(cfg, **dict(self.changes))

    @property
    def tape_key(self) -> tuple[str, ...]:
        """The names of the tape transforms: variants with the same key share a tape."""
        return tuple(t.name for t in self.tape)


def reweight_oi(oi_weight: float | None = None, *, settled: float = 1.0) -> Variant:
    """Re-weight effective OI: the flow's share (``oi_weight``) and/or settled OI (``settled``).

    ``effective OI = max(0, settled * oi + oi_weight * cumulative signed contracts)``.

    Parameters
    ----------
    oi_weight : float, optional
        Share of classified flow assumed to open positions, in [0, 1] (0.43 by default in
        the engine, the hosted API's value); None keeps the ensemble's.
    settled : float, default 1.0
        Factor on yesterday's settled OI (>= 0).
    """
    changes = {} if oi_weight is None else {"oi_weight": float(oi_weight)}
    return Variant(changes=changes, oi_scale=float(settled))


def variant(spec: object) -> Variant:
    """Read one entry of ``Ensemble(variants=...)`` as a :class:`Variant`.

    Accepted: a :class:`Variant`; an :class:`~flowframe.EngineConfig`; a mapping of
    config changes; a :class:`TapeTransform`; ``None`` (the base assumptions); or a tuple or
    list combining these (the configs and changes merge left to right, the transforms chain).
    """
    if isinstance(spec, Variant):
        return spec
    if spec is None:
        return Variant()
    if isinstance(spec, EngineConfig):
        return Variant(config=spec)
    if isinstance(spec, TapeTransform):
        return Variant(tape=(spec,))
    if isinstance(spec, Mapping):
        return Variant(changes=dict(spec))
    if isinstance(spec, Sequence) and not isinstance(spec, str | bytes):
        out = Variant()
        for part in spec:
            one = variant(part)
            out = Variant(
                changes={**out.changes, **one.changes},
                config=one.config or out.config,
                tape=out.tape + one.tape,
                oi_scale=out.oi_scale * one.oi_scale,
            )
        return out
    raise TypeError(
        f"a variant is an ff.EngineConfig, a dict of its fields, a what-if "
        f"(ff.whatif.drop_blocks(...), ...), an ff.whatif.Variant, or a tuple of these; got "
        f"{type(spec).__name__}"
    )
