"""``ff.connect()``: the hosted client when a key is available, else the simulated session."""

from __future__ import annotations

import hashlib
import os
import warnings
from typing import Any

from flowframe._constants import API_KEY_ENV
from flowframe.errors import FlowframeWarning
from flowframe.sources.base import Source

__all__ = ["connect", "reset_default_source"]

_default: Source | None = None
# a digest of the environment's key when ``_default`` was built (None: no key), so a changed
# or newly set key is noticed without keeping a second copy of the secret
_default_key: str | None = None


def _digest(key: str | None) -> str | None:
    return None if key is None else hashlib.sha256(key.encode()).hexdigest()


def connect(api_key: str | None = None, **kwargs: Any) -> Source:
    """Return the default source: hosted with a key, simulated without one.

    Parameters
    ----------
    api_key : str, optional
        A FlashAlpha key; ``FLASHALPHA_API_KEY`` is read when omitted.
    **kwargs
        Passed to :class:`~flowframe.FlashAlpha` (with a key) or
        :class:`~flowframe.Simulated` (without one).

    Returns
    -------
    Source
        With a key, a :class:`~flowframe.FlashAlpha` client. Without one, a
        :class:`~flowframe.Simulated` session, and one :class:`~flowframe.FlowframeWarning`
        saying so. Called with no arguments, the source is built once and kept, so the loaders'
        ``source=None`` shares one client or one simulated session (and one warning). When
        ``FLASHALPHA_API_KEY`` has been set, changed or removed since, the kept source is
        closed and a new one built for the key now in the environment.
    """
    global _default, _default_key
    plain = api_key is None and not kwargs
    env_key = os.environ.get(API_KEY_ENV, "").strip() or None
    if plain and _default is not None:
        if _digest(env_key) == _default_key:
            return _default
        reset_default_source()  # the key changed: honour it
    key = api_key if api_key is not None else env_key
    source: Source
    if key is not None:
        from flowframe.sources.hosted import FlashAlpha

        source = FlashAlpha(key, **kwargs)
    else:
        from flowframe.sources.engine.simulated import Simulated

        sim = Simulated(**kwargs)
        warnings.warn(
            f"no FlashAlpha key found ({API_KEY_ENV} is not set): using flowframe's simulated "
            f"0DTE session, {sim!r}. The data is simulated, not market data.",
            FlowframeWarning,
            stacklevel=2,
        )
        source = sim
    if plain:
        _default, _default_key = source, _digest(env_key)
    return source


def reset_default_source() -> None:
    """Forget (and close) the source ``connect()`` kept; the next call builds a new one."""
    global _default, _default_key
    close = getattr(_default, "close", None)
    if callable(close):
        close()
    _default, _default_key = None, None
