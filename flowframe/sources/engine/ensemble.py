"""``ff.Ensemble``: one session computed under several sets of assumptions, side by side.

Every vendor publishes one number from one hidden set of assumptions. An ensemble computes the
session once per *variant* (a dealer prior, an OI weight, a tape what-if, see
:mod:`flowframe.sources.engine.whatif`) and the loaders return the usual objects with one more
dimension, ``model``, so the disagreement itself can be read, plotted and measured.

Sharing
-------
The variants of one symbol are computed together (:func:`~flowframe.sources.engine.core.
finish_sessions`): the chain and the spot path are checked once and the greeks of every
contract at every sample end computed once (:func:`~flowframe.sources.engine.core.
session_base`); each distinct tape (the source's, or a what-if's) is checked, classified and
turned into flows once (:func:`~flowframe.sources.engine.core.session_prints`); the gamma of
the flip sweep is computed once for every variant with the same sweep. What is left per
variant is its positions, exposures and levels. Each variant's numbers equal those of an
``ff.Local`` built with its config, chain and tape, bit for bit.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any, Final

import numpy as np
import pandas as pd

from flowframe import _params
from flowframe.sources.endpoints import EndpointMethods, Payload
from flowframe.sources.engine.clock import SessionClock
from flowframe.sources.engine.core import (
    EngineConfig,
    InputNote,
    SessionBase,
    SessionPrints,
    SessionState,
    finish_sessions,
    session_base,
    session_prints,
    tape_rows,
)
from flowframe.sources.engine.envelope import envelope
from flowframe.sources.engine.inputs import quality_frame
from flowframe.sources.engine.local import Local, leaderboard_body
from flowframe.sources.engine.whatif import Variant, signed_tape, variant

__all__ = ["STANDARD_SOURCES", "Ensemble"]

#: Where each standard variant comes from (also in CONVENTIONS.md, *Ensembles*).
STANDARD_SOURCES: Final[dict[str, str]] = {
    "long_calls_short_puts": (
        "prior A: SqueezeMetrics' GEX white paper (investors sell calls, buy puts), "
        "Perfiliev's zero-gamma method, the hosted API's GEX fields"
    ),
    "short_all": (
        "prior B: SpotGamma's Equity Hub ('models dealers to be both short calls and short "
        "puts'); Dim, Eraker and Vilkov find SPX 0DTE market-maker gamma positive on "
        "average, which argues against it for SPX"
    ),
    "short_calls_long_puts": (
        "prior C: FLOE's canonical GEX and a published 'SpotGamma-style' methodology "
        "(call GEX always <= 0): exactly minus prior A"
    ),
    "flow_only": (
        "prior D, flow-signed: no settled OI, dealers hold the other side of today's "
        "classified flow (side-weighted GEX in emlama/gex-backtesting; Cboe's own "
        "market-maker flags)"
    ),
    "oi_weight=0": (
        "settled OI only: intraday flow opens nothing, as every GEX computed from "
        "yesterday's OI assumes"
    ),
    "oi_weight=1": (
        "every classified contract opens a position: the upper bound of the hosted "
        "API's effective OI (its oi_delta_confidence is 0.43)"
    ),
}


class Ensemble(EndpointMethods[Payload]):
    """A local source computed under several variants: the loaders add a ``model`` dimension.

    Parameters
    ----------
    source : Local, Simulated, Replay or Store
        Where the session's inputs come from: an :class:`~flowframe.Local`, an
        :class:`~flowframe.Simulated` day (every symbol it holds), a
        :class:`~flowframe.Replay` or a :class:`~flowframe.Store` whose day holds recorded
        engine inputs (``Store.write_market``; recorded hosted bodies alone cannot be
        recomputed under other assumptions). A store also needs ``date``.
    variants : mapping of str to variant
        Name -> assumptions. A value is an :class:`~flowframe.EngineConfig`, a dict of its
        fields to change (``{"dealer_prior": "short_all"}``), a what-if
        (``ff.whatif.drop_blocks(50)``), an ``ff.whatif.Variant``, ``None`` (the source's own
        assumptions), or a tuple of these. Order is kept: it is the ``model`` coordinate's.
    date, now, speed : optional
        For a store: the session date, and its clock (as in :class:`~flowframe.Local`).

    Notes
    -----
    Loaders given an ensemble return, for every variant, what they return for that variant
    alone, stacked: heatmaps (DataArray) and strike-flow (Dataset) gain a leading ``model``
    dimension; hedge-flow, series and leaderboard frames gain a ``model`` column level (rows
    keep their bar times, so ``df["short_all"]`` is that variant's frame and a per-bar
    reduction over variants is a row operation); ``ff.snapshot`` returns an
    :class:`~flowframe.frames.ensemble.EnsembleSnapshot` with the members and how many agree.
    ``Ensemble.member(name)`` is the variant as an ordinary :class:`~flowframe.Local`.

    Where one answer is wanted (the ``get_*`` methods, a :class:`~flowframe.live.Poller`,
    ``flowframe serve``) the ensemble answers as its first variant, the *primary*; the live
    Dashboard draws the other variants' band around it.

    Examples
    --------
    >>> day = ff.Simulated(seed=7, now="14:00")  # doctest: +SKIP
    >>> ens = ff.Ensemble.standard(day)  # doctest: +SKIP
    >>> ff.heatmap("SPX", source=ens).flow.band()  # doctest: +SKIP
    """

    def __init__(
        self,
        source: Any,
        variants: Mapping[str, Any],
        *,
        date: str | dt.date | None = None,
        now: str | dt.datetime | pd.Timestamp | None = None,
        speed: float | None = None,
    ):
        if isinstance(source, Ensemble):
            raise TypeError("an Ensemble's source is a local source, not another Ensemble")
        given: object = variants
        if not isinstance(given, Mapping) or not given:
            raise ValueError(
                "variants must be a non-empty mapping of name -> variant, e.g. "
                "{'A': ff.EngineConfig(), 'no_blocks': ff.whatif.drop_blocks(50)}"
            )
        specs: dict[str, Variant] = {}
        for name, spec in variants.items():
            label: object = name
            if not isinstance(label, str) or not label.strip():
                raise ValueError(f"variant names are non-empty strings; got {name!r}")
            specs[name] = variant(spec)
        self.variants: dict[str, Variant] = specs
        self.names: tuple[str, ...] = tuple(specs)
        self._source = source
        self._templates: dict[str, Local] = {}
        self._states: dict[str, dict[str, SessionState]] = {}
        # each what-if's tape, by (symbol, tape key), and the prints each of its steps left out
        self._tapes: dict[tuple[str, tuple[str, ...]], tuple[pd.DataFrame, list[int]]] = {}
        self._members: dict[tuple[str, str], Local] = {}
        self._resolve_source(source, date, now, speed)
        for spec in specs.values():  # unknown config fields fail here, not at first use
            spec.resolve(self.base_config)
        self.name = f"Ensemble({len(self.names)} variants of {self._source_name})"

    # ------------------------------------------------------------------ source

    def _resolve_source(self, source: Any, date: object, now: object, speed: float | None) -> None:
        from flowframe.sources.engine.simulated import Simulated

        self._store: Any = None
        if isinstance(source, Local):
            self.clock: SessionClock = source.clock
            self.symbols: tuple[str, ...] = source.symbols
            self.base_config: EngineConfig = source._config
            self._templates[source.symbol] = source
            self._source_name = source.name
            return
        if isinstance(source, Simulated):
            self.clock = source.clock
            self.symbols = tuple(s for s in source.symbols if source.has_zero_dte(s))
            self.base_config = source._config
            self._source_name = repr(source)
            return
        store = getattr(source, "store", None)
        if store is not None and hasattr(source, "date") and hasattr(source, "clock"):
            day = source.date  # a Replay: its store, its day, its clock
            self.clock = source.clock
        elif hasattr(source, "read_market") and hasattr(source, "partitions"):
            store = source
            if date is None:
                raise ValueError("Ensemble over a store needs date= (the session to recompute)")
            day = dt.date.fromisoformat(str(_params.validate_expiry(date)))
            self.clock = SessionClock(day, now=now, speed=speed)  # type: ignore[arg-type]
        else:
            raise TypeError(
                "Ensemble needs a local source: ff.Local, ff.Simulated, ff.Replay or ff.Store "
                f"(the hosted API's model is closed); got {type(source).__name__}"
            )
        parts = store.partitions("market")
        held = parts.loc[parts["date"] == day.isoformat(), "symbol"].dropna()
        if held.empty:
            raise ValueError(
                f"{store!r} holds no engine inputs for {day.isoformat()}: an ensemble "
                "recomputes the session, and recorded hosted bodies cannot be recomputed; "
                "write the inputs with Store.write_market(market)"
            )
        self._store, self._day = store, day
        self.symbols = tuple(sorted(held))
        self.base_config = EngineConfig()
        self._source_name = f"{store!r} {day.isoformat()}"

    def _template(self, symbol: str) -> Local:
        if symbol not in self._templates:
            if self._store is not None:
                market = self._store.read_market(symbol, self._day)
                self._templates[symbol] = Local.from_market(market, clock=self.clock)
            else:
                self._templates[symbol] = self._source.local(symbol)
        return self._templates[symbol]

    # ------------------------------------------------------------------ compute

    def states(self, symbol: str) -> dict[str, SessionState]:
        """Return every variant's computed session of ``symbol`` (computed together, once)."""
        sym = self._held(symbol)
        if sym not in self._states:
            self._states[sym] = self._compute(sym)
        return self._states[sym]

    def _held(self, symbol: str) -> str:
        sym = _params.validate_symbol(symbol)
        if sym not in self.symbols:
            raise ValueError(f"{self.name} holds no {sym!r}; it holds {list(self.symbols)}")
        return sym

    def _compute(self, sym: str) -> dict[str, SessionState]:
        template = self._template(sym)
        chain, tape, spot = template.inputs
        base = session_base(chain, spot, expiration=template.expiration, iv_clock=template.iv_clock)
        # the source's tape, checked and classified once; a what-if's tape is a subset of it,
        # whose per-print arrays (contract, spot, greeks) are taken, not computed again
        rows = tape_rows(base, tape)
        prints: dict[tuple[str, ...], SessionPrints] = {}
        scaled: dict[float, SessionBase] = {}
        groups: dict[float, list[tuple[str, SessionPrints, EngineConfig]]] = {}
        for name, spec in self.variants.items():
            key = spec.tape_key
            if key not in prints:
                if spec.tape:
                    mask = np.ones(len(rows.tape), dtype=bool)
                    dropped = []
                    for t in spec.tape:
                        step = t.mask(rows.tape, rows.side)
                        dropped.append(int(np.count_nonzero(mask & ~step)))
                        mask &= step
                    variant_tape = signed_tape(rows.tape, rows.side)[mask].reset_index(drop=True)
                    self._tapes[(sym, key)] = (variant_tape, dropped)
                    prints[key] = session_prints(
                        base, variant_tape, rows=rows.subset(mask, variant_tape)
                    )
                else:
                    prints[key] = session_prints(base, tape, rows=rows)
            scale = float(spec.oi_scale)
            if scale not in scaled:
                scaled[scale] = base if scale == 1.0 else _scale_oi(base, scale)
            groups.setdefault(scale, []).append((name, prints[key], spec.resolve(self.base_config)))
        out: dict[str, SessionState] = {}
        for scale, members in groups.items():
            states = finish_sessions(scaled[scale], [(p, c) for _, p, c in members], symbol=sym)
            out.update({name: s for (name, _, _), s in zip(members, states, strict=True)})
        return {name: out[name] for name in self.names}

    # ------------------------------------------------------------------ members

    def member(self, name: str, symbol: str | None = None) -> Local:
        """Return variant ``name`` of ``symbol`` as an :class:`~flowframe.Local` on this clock.

        Its answers are the variant's; its ``quality`` adds the prints the variant's what-ifs
        left out, counted by what-if.
        """
        if name not in self.variants:
            raise KeyError(f"no variant {name!r}; this ensemble has {list(self.names)}")
        sym = self._one_symbol(symbol)
        if (name, sym) in self._members:
            return self._members[(name, sym)]
        state = self.states(sym)[name]
        template = self._template(sym)
        out = copy.copy(template)
        out._state = state
        out._config = state.config
        out.clock = self.clock
        out.name = f"{template.name}[{name}]"
        out._inputs = self.inputs(name, sym)
        out._quality = self._quality(template, name, sym)
        self._members[(name, sym)] = out
        return out

    def members(self, symbol: str | None = None) -> dict[str, Local]:
        """Return every variant of ``symbol`` as a :class:`~flowframe.Local`, by name."""
        return {name: self.member(name, symbol) for name in self.names}

    def source(self, name: str) -> Any:
        """Return variant ``name`` as a source of the ensemble's kind, on its clock.

        Over an :class:`~flowframe.Simulated` day, a ``Simulated`` whose every symbol
        answers with this variant (the leaderboard ranks the variant's values); over a
        ``Local`` or a one-symbol store, :meth:`member`; over a store or replay of several
        symbols, a source answering each symbol with its member and ranking them all.
        """
        from flowframe.sources.engine.simulated import Simulated

        if name not in self.variants:
            raise KeyError(f"no variant {name!r}; this ensemble has {list(self.names)}")
        if isinstance(self._source, Simulated):
            out = copy.copy(self._source)
            out.clock = self.clock
            out._variant = lambda sym: self.member(name, sym)
            out.name = f"{self._source.name}[{name}]"
            return out
        if len(self.symbols) == 1:
            return self.member(name)
        return _VariantSource(self, name)

    def ensemble_sources(self) -> dict[str, Any]:
        """Return ``{name: source(name)}``: what the loaders stack on ``model``."""
        return {name: self.source(name) for name in self.names}

    def __getitem__(self, name: str) -> Local:
        return self.member(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)

    def _one_symbol(self, symbol: str | None) -> str:
        if symbol is None:
            if len(self.symbols) != 1:
                raise ValueError(
                    f"{self.name} holds {len(self.symbols)} symbols; say which "
                    f"(symbol=..., one of {list(self.symbols)})"
                )
            return self.symbols[0]
        return self._held(symbol)

    def inputs(
        self, name: str, symbol: str | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series | pd.DataFrame]:
        """Return the chain, tape and spot path variant ``name`` is computed from.

        ``ff.Local(chain=..., tape=..., spot=..., config=ens.config(name))`` on them computes
        the same session. A what-if's tape carries the classified ``side`` of each print; it is
        the one the ensemble computed with (the symbol's sessions are computed here if they
        were not yet).
        """
        sym = self._one_symbol(symbol)
        spec = self.variants[name]
        chain, tape, spot = self._template(sym).inputs
        if spec.oi_scale != 1.0:
            chain = chain.assign(oi=chain["oi"].to_numpy() * spec.oi_scale)
        if spec.tape:
            self.states(sym)
            tape = self._tapes[(sym, spec.tape_key)][0]
        return chain, tape, spot

    def config(self, name: str) -> EngineConfig:
        """Return the engine config of variant ``name``."""
        if name not in self.variants:
            raise KeyError(f"no variant {name!r}; this ensemble has {list(self.names)}")
        return self.variants[name].resolve(self.base_config)

    def _quality(self, template: Local, name: str, sym: str) -> pd.DataFrame:
        base = template._quality
        spec = self.variants[name]
        if not spec.tape:
            return base
        self.states(sym)
        dropped = self._tapes[(sym, spec.tape_key)][1]
        notes = [
            InputNote("tape", f"what_if: {t.name}", n, "prints", "left out by the variant")
            for t, n in zip(spec.tape, dropped, strict=True)
        ]
        out = pd.concat([base, quality_frame(notes)], ignore_index=True)
        out.attrs.update(base.attrs)
        return out

    # ------------------------------------------------------------------ one answer

    @property
    def primary(self) -> str:
        """The variant that answers the ``get_*`` methods: the first."""
        return self.names[0]

    def _get(self, request: _params.Request) -> Payload:
        answer: Payload = self.source(self.primary)._get(request)
        return answer

    def why_empty(self, symbol: str | None = None, minutes: int | None = None) -> str | None:
        """Say why the clock leaves a window with no bars (as the primary variant)."""
        reason: str | None = self.source(self.primary).why_empty(symbol, minutes)
        return reason

    @property
    def quota(self) -> None:
        """Local sources have no quota."""
        return None

    # ------------------------------------------------------------------ clock

    def at(self, now: str | dt.datetime | pd.Timestamp) -> Ensemble:
        """Return this ensemble with its clock frozen at ``now``, sharing what is computed."""
        other = copy.copy(self)
        other.clock = SessionClock(self.clock.date, now=now)
        other._members = {k: m._with_clock(other.clock) for k, m in self._members.items()}
        other._templates = {s: t._with_clock(other.clock) for s, t in self._templates.items()}
        if self._store is None and not isinstance(self._source, Local):
            other._source = self._source.at(now)
        return other

    def __repr__(self) -> str:
        return f"Ensemble({list(self.names)}, source={self._source_name}, {self.clock!r})"

    # ------------------------------------------------------------------ defaults

    @classmethod
    def standard(cls, source: Any, **kwargs: Any) -> Ensemble:
        """Build the variants the public literature disagrees on (see CONVENTIONS.md).

        The four dealer priors at the hosted OI weight (0.43), and the default prior with
        OI weights 0 (settled OI only) and 1 (all flow opens): six variants, named
        ``long_calls_short_puts``, ``short_all``, ``short_calls_long_puts``, ``flow_only``,
        ``oi_weight=0``, ``oi_weight=1``. :data:`STANDARD_SOURCES` says where each comes from.
        """
        variants: dict[str, Any] = {
            prior: {"dealer_prior": prior, "oi_weight": 0.43}
            for prior in (
                "long_calls_short_puts",
                "short_all",
                "short_calls_long_puts",
                "flow_only",
            )
        }
        variants["oi_weight=0"] = {"dealer_prior": "long_calls_short_puts", "oi_weight": 0.0}
        variants["oi_weight=1"] = {"dealer_prior": "long_calls_short_puts", "oi_weight": 1.0}
        return cls(source, variants, **kwargs)


def _scale_oi(base: SessionBase, scale: float) -> SessionBase:
    chain = base.chain.assign(oi=base.chain["oi"].to_numpy() * scale)
    chain.attrs.update(base.chain.attrs)
    return replace(base, chain=chain, c_oi=chain["oi"].to_numpy())


class _VariantSource(EndpointMethods[Payload]):
    """One variant of an ensemble over several symbols (a store's or a replay's day).

    Each symbol's request goes to its member (:meth:`Ensemble.member`); a symbol the day does
    not hold gets the engine's answer for one (empty bars, a 404 snapshot); the leaderboard
    ranks the members' values, highest first, ties by symbol, as ``ff.Simulated`` does.
    """

    def __init__(self, ensemble: Ensemble, variant: str):
        self._ensemble = ensemble
        self._variant = variant
        self.symbols = ensemble.symbols
        self.clock = ensemble.clock
        self.name = f"{ensemble._source_name}[{variant}]"

    @property
    def quota(self) -> None:
        """Local sources have no quota."""
        return None

    def _member(self, symbol: str) -> Local:
        held = symbol if symbol in self.symbols else self.symbols[0]
        return self._ensemble.member(self._variant, held)

    def why_empty(self, symbol: str | None = None, minutes: int | None = None) -> str | None:
        """Say why the clock leaves a window with no bars (as the symbol's member)."""
        reason: str | None = self._member(symbol or self.symbols[0]).why_empty(symbol, minutes)
        return reason

    def _get(self, request: _params.Request) -> Payload:
        if request.endpoint != "leaderboard":
            answer: Payload = self._member(str(request.symbol))._get(request)
            return answer
        now = self.clock.now()
        metric = request.params["metric"]
        values = [(s, self._member(s).leaderboard_values(now)[metric]) for s in self.symbols]
        market_open = self._member(self.symbols[0])._market_open(now)
        body = leaderboard_body(request, now, values, market_open)
        return {**body, **envelope(None, self.clock.date, now)}
