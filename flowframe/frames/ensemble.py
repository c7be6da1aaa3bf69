"""Loader results of an ensemble: one object per variant, stacked on a ``model`` dimension.

:class:`~flowframe.Ensemble` computes a session under several variants; the loaders ask each
variant for its usual object and stack them here:

- heatmap (DataArray) and strike-flow (Dataset): a leading ``model`` dimension, coordinate
  the variant names in the ensemble's order; the strike grid, the bars and the ``spot``
  coordinate are the same in every variant (one chain, one spot path), and stacking refuses
  anything else rather than aligning it;
- hedge-flow and series (DataFrame): a ``model`` column level above the usual columns
  (level names ``["model", None]``), rows the bar times. A column level, not a long frame:
  ``df[name]`` is exactly that variant's frame, and reducing over variants per bar (the
  band) is a row operation; a long frame would repeat every time per variant;
- leaderboard: a ``model`` row level above ``rank`` (ranks differ by variant, so a column
  level could not align them);
- snapshot: an :class:`EnsembleSnapshot`, the members and how many of them agree.

``attrs`` are the first variant's, with ``source`` naming the ensemble and ``models`` the
variant names as JSON text (the attrs rule: strings and numbers only).
"""

from __future__ import annotations

import html
import json
import math
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from flowframe.frames.snapshot import Snapshot

__all__ = [
    "EnsembleSnapshot",
    "ensemble_sources",
    "frame_fields",
    "is_model_frame",
    "model_field",
    "stack_frames",
    "stack_grids",
    "stack_rows",
]


def ensemble_sources(source: object) -> dict[str, Any] | None:
    """Return ``{variant name: source}`` when ``source`` is an ensemble, else None."""
    get = getattr(source, "ensemble_sources", None)
    if not callable(get):
        return None
    members: dict[str, Any] = get()
    return members


def is_model_frame(obj: object) -> bool:
    """Tell whether ``obj`` is an ensemble's frame: columns ``(model, field)``."""
    columns = getattr(obj, "columns", None)
    return (
        isinstance(columns, pd.MultiIndex) and columns.nlevels == 2 and columns.names[0] == "model"
    )


def model_field(frame: pd.DataFrame, name: object) -> pd.DataFrame:
    """Return one field of an ensemble's frame: a column per model, in the models' order."""
    part = frame.xs(name, axis=1, level=1)
    assert isinstance(part, pd.DataFrame)
    return part


def frame_fields(frame: pd.DataFrame) -> list[Any]:
    """Return a frame's fields: its columns, or the field level of an ensemble's frame."""
    if is_model_frame(frame):
        return list(dict.fromkeys(frame.columns.get_level_values(1)))
    return list(frame.columns)


def _attrs(first: Mapping[Any, Any], names: list[str], source: str) -> dict[Any, Any]:
    return {**first, "source": source, "models": json.dumps(names)}


def stack_frames(frames: Mapping[str, pd.DataFrame], source: str) -> pd.DataFrame:
    """Stack per-variant frames under a ``model`` column level (see the module docstring)."""
    names = list(frames)
    out = pd.concat(frames, axis=1, names=["model", None])
    out.attrs = _attrs(next(iter(frames.values())).attrs, names, source)
    return out


def stack_rows(frames: Mapping[str, pd.DataFrame], source: str) -> pd.DataFrame:
    """Stack per-variant frames under a ``model`` row level (the leaderboard)."""
    names = list(frames)
    out = pd.concat(frames, axis=0, names=["model"])
    out.attrs = _attrs(next(iter(frames.values())).attrs, names, source)
    return out


def stack_grids(
    grids: Mapping[str, xr.DataArray | xr.Dataset], source: str
) -> xr.DataArray | xr.Dataset:
    """Stack per-variant arrays (or Datasets) on a leading ``model`` dimension.

    Raises
    ------
    ValueError
        The variants' bars, strikes or spot differ (they share one chain and one spot path,
        so this is a bug, not data to align).
    """
    names = list(grids)
    objs: list[Any] = list(grids.values())
    try:
        out: xr.DataArray | xr.Dataset = xr.concat(
            objs,
            dim=pd.Index(names, name="model"),
            coords="minimal",
            compat="equals",
            join="exact",
            combine_attrs="override",
        )
    except ValueError as exc:
        raise ValueError(f"the variants' grids differ, so they cannot be stacked: {exc}") from exc
    # numpy's StringDType, which Zarr v3 stores as its standard string (a fixed-width <U has
    # no Zarr v3 specification), as ff.sessions' symbol coordinate
    out = out.transpose("model", ...).assign_coords(
        model=np.array(names, dtype=np.dtypes.StringDType())
    )
    out.attrs = _attrs(objs[0].attrs, names, source)
    return out


# ---------------------------------------------------------------------------- snapshot

_LEVELS = ("gamma_flip", "call_wall", "put_wall", "magnet")


class EnsembleSnapshot:
    """The snapshot of every variant, and how many variants agree on what matters.

    Attributes
    ----------
    members : dict of str to Snapshot
        Each variant's snapshot, in the ensemble's order.
    agreement : pandas.DataFrame
        One row per item (``gamma_flip``, ``call_wall``, ``put_wall``, ``magnet``,
        ``regime``, ``setup``), columns ``value`` (the most common answer, as text),
        ``agree`` (int64: variants giving it), ``of`` (int64: variants), ``others`` (the
        other answers with the variants giving them, or ``""``).

    Agreement rules: a wall or the magnet is a strike, compared exactly; the gamma flip is a
    continuous level, compared after rounding to the nearest multiple of the snapshot's
    strike spacing (so "agree" means "the same strike bucket"); a missing flip is the answer
    ``none``. The regime is its label; the setup is the primary play's key (``none`` when no
    setup qualifies). Ties go to the answer of the earlier variant.
    """

    def __init__(self, members: Mapping[str, Snapshot], *, source: str):
        self.members: dict[str, Snapshot] = dict(members)
        self.source = source
        first = next(iter(self.members.values()))
        self.symbol = first.symbol
        self.as_of = first.as_of
        self.status = first.status
        self.agreement = self._agreement()

    def __getitem__(self, name: str) -> Snapshot:
        return self.members[name]

    def _spacing(self) -> float:
        for snap in self.members.values():
            strikes = snap.strikes.index.to_numpy()
            if len(strikes) > 1:
                return float(pd.Series(strikes).diff().median())
        return 1.0

    def answers(self) -> pd.DataFrame:
        """Return each variant's answer per item: rows the variants, columns the items."""
        spacing = self._spacing()
        rows = {}
        for name, snap in self.members.items():
            row: dict[str, str] = {}
            for level in _LEVELS:
                value = snap.levels.get(level) if snap.status == "live" else None
                if value is None or not math.isfinite(value):
                    row[level] = "none"
                elif level == "gamma_flip":
                    row[level] = f"{round(value / spacing) * spacing:g}"
                else:
                    row[level] = f"{value:g}"
            row["regime"] = snap.regime or "none"
            primary = snap.setup.primary if snap.setup is not None else None
            row["setup"] = (primary.key or primary.display_name or "none") if primary else "none"
            rows[name] = row
        frame = pd.DataFrame.from_dict(rows, orient="index").astype("str")
        frame.index.name = "model"
        return frame

    def _agreement(self) -> pd.DataFrame:
        answers = self.answers()
        out = []
        for item in answers.columns:
            column = answers[item].tolist()
            counts = Counter(column)
            best = max(counts, key=lambda a: (counts[a], -column.index(a)))
            others = "; ".join(
                f"{a}: {', '.join(str(n) for n, v in answers[item].items() if v == a)}"
                for a in counts
                if a != best
            )
            out.append((item, best, counts[best], len(column), others))
        frame = pd.DataFrame(out, columns=["item", "value", "agree", "of", "others"])
        frame = frame.astype({"item": "str", "value": "str", "agree": "int64", "of": "int64"})
        frame["others"] = frame["others"].astype("str")
        return frame.set_index("item")

    def __repr__(self) -> str:
        parts = ", ".join(f"{item} {row.agree}/{row.of}" for item, row in self.agreement.iterrows())
        return f"EnsembleSnapshot({self.symbol}, {len(self.members)} models, agree: {parts})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(item))}</td><td>{html.escape(row.value)}</td>"
            f"<td>{row.agree} of {row.of}</td><td>{html.escape(row.others)}</td></tr>"
            for item, row in self.agreement.iterrows()
        )
        return (
            f"<div><b>{html.escape(str(self.symbol))}</b>: {len(self.members)} models "
            f"({html.escape(', '.join(self.members))})<table><thead><tr><th>item</th>"
            "<th>most common</th><th>agree</th><th>the others</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
